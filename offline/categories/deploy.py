"""A deploy of the service shortly before its symptoms: what it changed, and whether the
change is configuration or code (config_change.py and code_regression.py both read this)."""

from evidence.deploys import TOUCHES, DeployView
from evidence.statements import describe, log_evidence, new_errors, new_exceptions, tag
from models import Finding
from offline.categories.base import Hypothesis
from offline.service import ServiceEvidence, deploy_to_blame
from offline.signals import confidence as _confidence
from offline.signals import strong
from semantics import is_pinned


def deploy_finding(ev: ServiceEvidence, d: DeployView, strong: bool) -> Finding:
    logs = ev.logs
    diff = ev.diffs.get(d.commit)
    deploy_line = (
        f"deploy {d.service} {d.version} ({d.commit}) at {d.deployed_at:%H:%M}Z, "
        f"{d.minutes_before_onset:.0f} min before onset"
        + (f": {d.description[:100]}" if d.description else "")
    )
    settings = [
        f"diff: {s.key} {s.old} -> {s.new} ({s.file})"
        for s in (diff.settings_changed if diff else [])
    ]
    exceptions = tag(logs, "exception")
    if diff is not None:
        config = diff.kind == "config" or (
            diff.kind == "mixed" and bool(settings) and not exceptions
        )
    else:
        config = not exceptions and "config" in (d.description or "").lower()
    code_files = [f.path for f in diff.files if f.kind == "code"][:3] if diff else []
    if not config and code_files:
        settings.append(f"diff changes code: {', '.join(code_files)}")
    raised = new_exceptions(logs)
    if raised:
        settings.append("new exceptions after the deploy: " + ", ".join(raised[:3]))
    if diff is not None and not config:
        settings += [f"diff adds: {line}" for line in diff.added_code[:3]]
    evidence = [
        deploy_line,
        *settings,
        *(describe(c) for c in ev.comparisons),
        *log_evidence(logs),
    ]
    pool = " The DB connection pool is exhausted." if tag(logs, "pool_exhaustion") else ""
    if config:
        changed = "; ".join(
            f"{s.key} {s.old} -> {s.new}" for s in (diff.settings_changed if diff else [])[:3]
        )
        what = f"changed configuration{': ' + changed if changed else ''}"
    else:
        where = f" ({', '.join(code_files)})" if code_files else ""
        what = f"changed code{where}" + (f"; new {', '.join(raised[:2])} errors" if raised else "")
        what += _code_mechanism(ev, diff)
    summary = (
        f"{d.service} {d.version} deployed {d.minutes_before_onset:.0f} min before onset "
        f"{what}.{pool} Roll it back."
    )
    return Finding(
        service=ev.service,
        category="config_change" if config else "code_regression",
        action="rollback",
        summary=summary,
        evidence=evidence,
        confidence=_confidence(2 + strong + new_errors(logs) + bool(settings)),
    )


def _code_mechanism(ev: ServiceEvidence, diff) -> str:
    """What the changed code works with, and how that fits the symptoms."""
    touches = diff.touches if diff else []
    if not touches:
        return ""
    cpu_bound = any(is_pinned(c) or "cpu" in c.metric.lower() for c in ev.comparisons)
    line = next((x for x in diff.added_code if TOUCHES[touches[0]].search(x)), "")
    shown = f" (`{line[:100]}`)" if line else ""
    if touches[0] == "a regular expression" and cpu_bound:
        return (
            f"; it changed a regular expression{shown}, and CPU pinned right after: a regex "
            "that backtracks catastrophically on some inputs"
        )
    return f"; it changes {touches[0]}{shown}"


def weigh_deploy(ev: ServiceEvidence, category: str) -> Hypothesis | None:
    """The deploy to blame, as a hypothesis of `category` when its change is of that kind."""
    d = deploy_to_blame(ev)
    if d is None:
        return None
    f = deploy_finding(ev, d, strong(ev))
    return Hypothesis(f, 0.85) if f.category == category else None
