"""config_change: a deploy of the service shortly before its symptoms that changes settings
(pool sizes, timeouts, limits, flags) rather than code."""

from offline.categories.base import Hypothesis
from offline.categories.deploy import deploy_finding
from offline.service import ServiceEvidence, deploy_to_blame
from offline.signals import strong

CATEGORY = "config_change"


def weigh(ev: ServiceEvidence) -> Hypothesis | None:
    d = deploy_to_blame(ev)
    if d is None:
        return None
    f = deploy_finding(ev, d, strong(ev))
    return Hypothesis(f, 0.85) if f.category == CATEGORY else None


def why_not(ev: ServiceEvidence) -> str:
    if deploy_to_blame(ev) is not None:
        return "the deploy before onset changed code, not configuration"
    return "no deploy of the service in the 30 min before onset changes a setting"
