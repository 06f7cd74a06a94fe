"""traffic_surge: more load than the service was sized for: request rates rose first and
fast, latency or errors followed, and errors grew with the load rather than far faster."""

from evidence.statements import describe, log_evidence, new_errors
from models import Finding
from offline.categories.base import Hypothesis
from offline.service import ServiceEvidence, deploy_note
from offline.signals import confidence, strong, surge_rates, surge_symptoms

CATEGORY = "traffic_surge"


def weigh(ev: ServiceEvidence) -> Hypothesis | None:
    rates = surge_rates(ev)
    if not rates:
        return None
    others = [c for c in ev.comparisons if c not in rates]
    evidence = [
        *(describe(c) for c in rates),
        *(describe(c) for c in others),
        deploy_note(ev),
        *log_evidence(ev.logs),
    ]
    finding = Finding(
        service=ev.service,
        category="traffic_surge",
        action="scale_out",
        summary=f"Traffic surge on {ev.service}: request rate x"
        f"{rates[0].change_ratio:g} within {rates[0].rise_minutes:.0f} min, with "
        f"{surge_symptoms(ev)[0]} following; no deploy explains it. Scale out.",
        evidence=evidence,
        confidence=confidence(1 + strong(ev) + bool(others) + new_errors(ev.logs)),
    )
    return Hypothesis(finding, 0.7)


def why_not(ev: ServiceEvidence) -> str:
    return "no request rate rose first and fast with symptoms following it"
