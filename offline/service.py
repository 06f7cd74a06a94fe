"""One service as the offline investigator sees it, and the deploy or dependency it blames."""

from dataclasses import dataclass, field
from datetime import datetime

from detection.episodes import HELD_MINUTES
from evidence.deploys import DeployView, DiffSummary
from evidence.frames import CodeMatch
from evidence.logs import ServiceLogDetails
from evidence.metrics import BaselineComparison
from evidence.statements import dependency_trouble, new_errors
from semantics import is_error_rate, is_latency, is_replicas, is_request_rate

DEPLOY_WINDOW_MINUTES = 30


@dataclass
class ServiceEvidence:
    service: str
    onset: datetime
    comparisons: list[BaselineComparison]  # sustained, non-noise changes of this service
    logs: ServiceLogDetails | None = None
    deploys: list[DeployView] = field(default_factory=list)  # any service, relative to onset
    diffs: dict[str, DiffSummary] = field(default_factory=dict)
    dependency_logs: dict[str, ServiceLogDetails] = field(default_factory=dict)
    # The service's other metrics, changed or not: corroboration (a heap's rising GC floor).
    context_comparisons: list[BaselineComparison] = field(default_factory=list)
    # Stack frames of its new errors on lines one of its deploys changed (any in 48 h).
    code_matches: list[CodeMatch] = field(default_factory=list)

    def symptom_onsets(self) -> list[tuple[int, datetime]]:
        """When each harm began, errors first, then latency, then anything else but load.

        A service's own onset can be a normal morning ramp in its request rate hours before a
        bad deploy breaks it: deploys are timed against the symptoms, not the load.
        """
        ranked = [
            (0 if is_error_rate(c) else 1 if is_latency(c) else 2, c.onset)
            for c in self.comparisons
            if c.onset and not is_request_rate(c)
        ]
        return sorted(ranked, key=lambda r: r[0]) + [(3, self.onset)]

    def recent_deploys(self) -> list[DeployView]:
        """Deploys of this service within the window before a symptom's onset, best first.

        Each is timed against the onset it precedes (minutes_before_onset).
        """
        best: dict[str, tuple[tuple[int, float], DeployView]] = {}
        for d in self.deploys:
            if d.service != self.service:
                continue
            for rank, onset in self.symptom_onsets():
                gap = round((onset - d.deployed_at).total_seconds() / 60, 1)
                key = (rank, gap)
                if 0 <= gap <= DEPLOY_WINDOW_MINUTES and (
                    d.commit not in best or key < best[d.commit][0]
                ):
                    best[d.commit] = (key, d.model_copy(update={"minutes_before_onset": gap}))
        return [d for _, d in sorted(best.values(), key=lambda kv: kv[0])]


_INERT = {"docs": "docs", "test": "tests and docs", "empty": "nothing"}


def deploy_note(ev: ServiceEvidence) -> str:
    """The deploys before onset in a few words: none, only inert ones, or what they change."""
    recent = ev.recent_deploys()
    if not recent:
        return f"no deploy of {ev.service} in the {DEPLOY_WINDOW_MINUTES} min before onset"

    def changes(d: DeployView) -> str:
        diff = ev.diffs.get(d.commit)
        if diff is None:
            return "(no diff available)"
        return (
            f"changes only {_INERT[diff.kind]}" if diff.kind in _INERT else f"changes {diff.kind}"
        )

    return "; ".join(
        f"{d.service} {d.version} deployed {d.minutes_before_onset:.0f} min before onset "
        f"{changes(d)}"
        for d in recent
    )


def lasting_harm(ev: ServiceEvidence) -> bool:
    """Whether the service's trouble is an incident a rollback would end: a harm that still
    holds or held beyond a rollout's settling time, or errors at a rate customers notice.

    Load alone (more requests, more replicas) is no harm: a deploy that lands before the
    morning ramp did not cause the customers to arrive. A rollout's own blip is none either:
    latency or CPU up for a few minutes while new pods start and warm their caches and JIT,
    then back to normal, or a trickle of new errors (a new validation rejecting a rare input).
    """
    harm = [c for c in ev.comparisons if not (is_request_rate(c) or is_replicas(c))]
    if any(held(c) for c in harm):
        return True
    logs = ev.logs
    return new_errors(logs) and logs.errors_after / max(logs.minutes_after, 1) >= NOTICED_ERRORS


NOTICED_ERRORS = 1.0  # a minute: fewer, over the whole incident, is a trickle


def held(c) -> bool:
    """A change still under way at the end of the data, or one that held HELD_MINUTES (how
    long it held is unknown for a comparison not made from an episode: it counts)."""
    return c.ongoing or c.lasted_minutes is None or c.lasted_minutes >= HELD_MINUTES


def deploy_to_blame(ev: ServiceEvidence) -> DeployView | None:
    """The deploy before the service's symptoms that could have caused them, if any: only
    when the service has lasting harm (see lasting_harm)."""
    if not lasting_harm(ev):
        return None
    for d in ev.recent_deploys():
        diff = ev.diffs.get(d.commit)
        if diff is not None and diff.kind in ("docs", "test", "empty"):
            continue  # a docs- or tests-only change cannot break a running service
        return d
    return None


def troubled_dependencies(ev: ServiceEvidence) -> dict[str, list[str]]:
    """The named dependencies whose own logs show trouble, with what they show."""
    deps = ev.logs.dependencies_named if ev.logs else {}
    return {d: lines for d in deps if (lines := dependency_trouble(ev.dependency_logs.get(d)))}


def failing_dependency(ev: ServiceEvidence) -> str | None:
    """The dependency a service's errors blame: one in trouble itself, else the most named."""
    deps = ev.logs.dependencies_named if ev.logs else {}
    return next(iter(troubled_dependencies(ev)), next(iter(deps), None))
