"""code_regression: a code change broke the service. The strongest evidence is a stack frame
of the new errors on a line a deploy changed (whenever it shipped); otherwise a code deploy of
the service shortly before its symptoms."""

from pathlib import PurePosixPath

from evidence.statements import describe, log_evidence, new_errors
from models import Finding
from offline.categories.base import Hypothesis
from offline.categories.deploy import weigh_deploy
from offline.service import ServiceEvidence, deploy_to_blame
from offline.signals import confidence as _confidence
from offline.signals import strong

CATEGORY = "code_regression"


def weigh(ev: ServiceEvidence) -> Hypothesis | None:
    if ev.code_matches:
        return Hypothesis(_latent_bug(ev, strong(ev)), 0.97)
    return weigh_deploy(ev, CATEGORY)


def why_not(ev: ServiceEvidence) -> str:
    if deploy_to_blame(ev) is not None:
        return "the deploy before onset changed configuration, not code"
    return "no deploy of the service shortly before onset, and no stack frame on a changed line"


def _latent_bug(ev: ServiceEvidence, strong: bool) -> Finding:
    """The new errors' stack trace runs through a line a deploy of this service changed."""
    m = ev.code_matches[0]
    fr = m.frame
    where = (
        f"{fr.function} ({PurePosixPath(fr.file).name}:{fr.line})"
        if fr.function
        else (f"{fr.file}:{fr.line}")
    )
    thrown = f"the new {m.exception} is thrown" if m.exception else "the new errors are raised"
    when = f"{m.deployed_at:%H:%M}Z, {m.minutes_before_onset:.0f} min before onset"
    summary = (
        f"{ev.service} {m.version} (deployed {when}) introduced a bug: {thrown} at {where}, "
        f"a line this deploy changed: `{m.changed_line[:120]}`. Roll it back."
    )
    evidence = [
        f"deploy {ev.service} {m.version} ({m.commit}) at {when}",
        f"stack frame {where} falls in the hunk of {m.file} changed by {m.commit}: "
        f"+ {m.changed_line[:160]}",
        *(f"also: {x.frame.file}:{x.frame.line} in {x.file}" for x in ev.code_matches[1:3]),
        *(describe(c) for c in ev.comparisons),
        *log_evidence(ev.logs),
    ]
    return Finding(
        service=ev.service,
        category="code_regression",
        action="rollback",
        summary=summary,
        evidence=evidence,
        confidence=_confidence(3 + strong + new_errors(ev.logs)),
    )
