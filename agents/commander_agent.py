"""CommanderAgent: INVESTIGATE -> DECIDE -> ACT -> REPORT, ending with write_rca."""

import re
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, Field
from pydantic_ai import Agent, ModelRetry, RunContext, ToolOutput
from pydantic_ai.models import Model
from pydantic_ai.usage import UsageLimits

from agents.deps import (
    UNTRUSTED,
    InvestigationDeps,
    Outcome,
    commits_with_diffs,
    data_block,
    enum_param,
    log_services,
    metric_names,
    run_agent,
    service_map,
)
from evidence.deploys import DeployView, DiffSummary, deploy_view, summarize_diff
from evidence.frames import CodeMatch, code_matches
from evidence.graph import ServiceMap
from evidence.logs import ServiceLogDetails, service_details
from evidence.metrics import BaselineComparison, MetricSummary, compare, summarize
from models import RCADraft, RCAReport
from triggers import group_anomalies

INSTRUCTIONS = f"""\
You are the incident commander. You receive the anomalies, the metrics triage and the log
summary, and you work in four phases:
1. INVESTIGATE: get_service_map first (who calls whom, each service's onset, and the root its
   callers' errors lead to), get_metric_details for the anomalous metrics (and the other
   metrics of the affected services, from the metrics list), get_log_details for the affected
   services (and the dependencies they name), list_recent_deploys, and get_code_diff for deploys
   that landed shortly before an onset.
2. DECIDE: name the root cause of each incident, using these patterns:
   - a deploy to the same service within 30 minutes before its onset -> roll it back
     (config_change when its diff changes settings, code_regression when it changes code);
   - a stack frame of the new errors on a line an older deploy changed (find_changed_code) ->
     that deploy introduced a latent bug: code_regression, roll it back;
   - latency up with DB pool exhaustion in the logs -> read the config diff: pool sizes and
     timeouts are the usual culprits;
   - a heap or memory metric that ramps without a GC sawtooth, or whose floor after each GC
     keeps rising (floor_rising), with GC pauses escalating or OOM kills -> memory_leak:
     restart now, capture a heap dump first, then fix the code;
   - errors naming a dependency while the service itself is unchanged -> dependency_failure,
     and the finding names the DEPENDENCY (the service map's root), not its callers; the
     callers go to affected_services; the action fits how it fails (renew an expired
     certificate and escalate, fail over a lost primary, restart a crashed one, escalate a
     slow vendor and shed load);
   - request rate up with latency and CPU following, no deploy -> traffic_surge -> scale_out;
   - a resource pinned at its limit with no change that explains it -> resource_saturation.
   Deploys to other services are not the cause. Isolated noise blips are not an incident. A
   clear sustained change that hurts (errors, latency, lost headroom) and that nothing
   explains is category unknown with action escalate, never "no incident".
   State the mechanism in each summary (what broke and how, with times and numbers).
3. ACT: choose remediation from rollback, restart, scale_out, failover, escalate, and write
   concrete, safe steps. Never propose destructive commands (deleting data, namespaces, tables).
4. REPORT: call write_rca once with the root cause, a timeline, the affected services,
   remediation steps, an overall confidence from 0 to 1, and one finding per root cause with the
   evidence quoted from the tools.
{UNTRUSTED}"""

DESTRUCTIVE = re.compile(
    r"\brm\s+-[a-z]*[rf]|\bdrop\s+(?:table|database|schema)\b|\btruncate\s+table\b|"
    r"\bdelete\s+(?:namespace|ns|cluster|database|bucket|volume|pvc)\b|"
    r"kubectl\s+delete\s+(?:namespace|ns|pvc|pv|deployment|statefulset)\b|"
    r"\bdelete\s+from\b|\bmkfs\b|\bdd\s+if=|gsutil\s+(?:-m\s+)?rm\b|\bterraform\s+destroy\b|"
    r"--force-delete|\bshutdown\s+-h\b",
    re.IGNORECASE,
)


class MetricDetails(BaseModel):
    summary: MetricSummary
    comparison: BaselineComparison


async def write_rca(ctx: RunContext[InvestigationDeps], draft: RCADraft) -> RCAReport:
    """Write the RCA report and finish the investigation. Call it once, last.

    Args:
        draft: The root cause, timeline, affected services, remediation steps, confidence and
            findings (service, category, action, summary, evidence, confidence).
    """
    quoted = _names_of_things(ctx.deps)
    for step in draft.remediation_steps:
        if DESTRUCTIVE.search(_without(step, quoted)):
            raise ModelRetry(
                f"remediation step refused as destructive: {step!r}. Propose only "
                "rollback, restart, scale_out, failover or escalate steps."
            )
    return assemble_report(ctx.deps, draft)


def _names_of_things(deps: InvestigationDeps) -> list[str]:
    """Names a step may quote (versions, commits, services): untrusted text, not commands.

    "Roll back checkout to v2; rm -rf /" names a version someone wrote; the step itself
    proposes a rollback. Longest first, so a version is removed before a service inside it.
    """
    t = deps.telemetry
    names = {d.version for d in t.deploys()} | {d.commit for d in t.deploys()}
    names |= {m.service for m in t.metrics().values()} | set(t.logs().service_names)
    return sorted((n for n in names if n), key=len, reverse=True)


def _without(step: str, quoted: list[str]) -> str:
    for name in quoted:
        step = step.replace(name, " ")
    return step


def assemble_report(
    deps: InvestigationDeps, draft: RCADraft | None, failure: str | None = None
) -> RCAReport:
    """The report of a draft, or of a run that stopped early (no draft, a failure).

    Identity and provenance (id, model, usage) are stamped on later by the pipeline and the
    first sink; this is the one place an RCAReport is built.
    """
    if draft is None:
        draft = RCADraft(
            root_cause="Unknown: the investigation did not finish.",
            timeline=[],
            affected_services=sorted({a.service for a in deps.anomalies}),
            remediation_steps=["Investigate manually from the anomalies, triage and logs below"],
            confidence=0.0,
            findings=[],
        )
    return RCAReport(
        **draft.model_dump(),
        incident_id="pending",
        status="incomplete" if failure else "complete",
        failure=failure,
        triggered_at=deps.triggered_at,
        model="unknown",
        answered_by=[],
        anomalies=group_anomalies(list(deps.anomalies)),
    )


agent = Agent(
    deps_type=InvestigationDeps,
    output_type=ToolOutput(write_rca, name="write_rca"),
    instructions=INSTRUCTIONS,
    retries=3,
)


@agent.tool(prepare=enum_param("metric", metric_names))
def get_metric_details(ctx: RunContext[InvestigationDeps], metric: str) -> MetricDetails:
    """Return a metric's summary and its comparison against the baseline before onset.

    The comparison gives the onset, shape, change, rise time and sawtooth drops.

    Args:
        metric: Metric name, as listed in the anomalies.
    """
    known = ctx.deps.telemetry.metrics()
    if metric not in known:
        raise ModelRetry(f"unknown metric {metric!r}; valid metrics: {', '.join(sorted(known))}")
    series = ctx.deps.telemetry.series(metric)
    return MetricDetails(summary=summarize(series), comparison=compare(series, ctx.deps.trigger))


@agent.tool(prepare=enum_param("service", log_services))
def get_log_details(
    ctx: RunContext[InvestigationDeps], service: str, onset: datetime | None = None
) -> ServiceLogDetails:
    """Return one service's log errors before and after an onset.

    Gives counts, new error signatures, what they are about (tags), the dependencies they
    name, and sample lines.

    Args:
        service: The service whose logs to read.
        onset: The onset to split before/after on (ISO 8601); the first anomaly if omitted.
    """
    table = ctx.deps.telemetry.logs()
    if service not in table.service_names:
        raise ModelRetry(
            f"no logs for service {service!r}; services with logs: {', '.join(table.service_names)}"
        )
    onset = onset or ctx.deps.triggered_at
    if onset.tzinfo is None:
        raise ModelRetry("onset needs a UTC offset, e.g. 2026-03-15T14:05:00Z")
    end = ctx.deps.now + timedelta(seconds=1)
    return service_details(table, service, onset, end, table.service_names)


@agent.tool
def get_service_map(ctx: RunContext[InvestigationDeps]) -> ServiceMap:
    """Return the service map: each service's onset, errors, silence, calls and root.

    Edges come from log attributes (peer.service, server.address, url...) and names in error
    lines; `root` is the deepest component whose own state explains the service's trouble,
    and `mechanism` how its callers' errors say it fails (certificate, failover, down, slow).
    """
    return service_map(ctx.deps)


@agent.tool(prepare=enum_param("service", log_services))
def find_changed_code(
    ctx: RunContext[InvestigationDeps], service: str, onset: datetime | None = None
) -> list[CodeMatch]:
    """Return the stack frames of a service's errors that fall on lines its deploys changed.

    Looks at every deploy of the service in the 48 h before the onset, not only the latest:
    a latent bug can ship hours before it breaks anything.

    Args:
        service: The service whose error stack traces to match.
        onset: When its trouble began (ISO 8601); the first anomaly if omitted.
    """
    onset = onset or ctx.deps.triggered_at
    if onset.tzinfo is None:
        raise ModelRetry("onset needs a UTC offset, e.g. 2026-03-15T14:05:00Z")
    return code_matches(ctx.deps.telemetry, service, onset, ctx.deps.now + timedelta(seconds=1))


@agent.tool
def list_recent_deploys(
    ctx: RunContext[InvestigationDeps],
    service: str | None = None,
    before: datetime | None = None,
    window_minutes: Annotated[int, Field(ge=1, le=10080)] = 180,
) -> list[DeployView]:
    """Return the deploys in the window_minutes before a time (and up to 10 min after it).

    Each has minutes_before_onset relative to that time and whether a diff is available.

    Args:
        service: Only deploys of this service; all services when omitted.
        before: The onset to measure against (ISO 8601); the first anomaly when omitted.
        window_minutes: How far back to look (1 to 10080).
    """
    onset = before or ctx.deps.triggered_at
    if onset.tzinfo is None:
        raise ModelRetry("before needs a UTC offset, e.g. 2026-03-15T14:05:00Z")
    lo, hi = onset - timedelta(minutes=window_minutes), onset + timedelta(minutes=10)
    t = ctx.deps.telemetry
    return [
        deploy_view(d, onset, t.diff(d.commit) is not None)
        for d in t.deploys()
        if lo <= d.deployed_at <= hi and (service is None or d.service == service)
    ]


@agent.tool(prepare=enum_param("commit", commits_with_diffs))
def get_code_diff(ctx: RunContext[InvestigationDeps], commit: str) -> DiffSummary:
    """Return what a deployed commit changed.

    Gives the files (config, code, docs), settings changed (key, old, new) and the start
    of the diff.

    Args:
        commit: The commit of a deploy, as listed by list_recent_deploys.
    """
    text = ctx.deps.telemetry.diff(commit)
    if text is None:
        commits = [
            d.commit
            for d in ctx.deps.telemetry.deploys()
            if ctx.deps.telemetry.diff(d.commit) is not None
        ]
        raise ModelRetry(f"no diff for commit {commit!r}; commits with diffs: {', '.join(commits)}")
    return summarize_diff(commit, text)


def prompt(deps: InvestigationDeps) -> str:
    ctx = deps.context
    assert ctx is not None
    return "\n\n".join(
        [
            f"Incident triggered at {ctx.triggered_at.isoformat()}; the data ends at "
            f"{deps.now.isoformat()}. Investigate, decide, act and report.",
            data_block(
                "anomalies", [g.model_dump(mode="json") for g in group_anomalies(ctx.anomalies)]
            ),
            # Every metric, not only those that fired: a leak's heap may fire once while
            # its GC pauses fire for an hour.
            data_block(
                "metrics",
                [
                    {"metric": m.name, "service": m.service, "unit": m.unit}
                    for m in deps.telemetry.metrics().values()
                ],
            ),
            data_block("metrics_triage", ctx.metrics_summary),
            data_block("log_summary", ctx.log_summary),
        ]
    )


async def investigate_incident(deps: InvestigationDeps, model: Model) -> Outcome[RCAReport]:
    """Run the CommanderAgent: the report its write_rca call returns."""
    limits = UsageLimits(request_limit=12, tool_calls_limit=60)
    return await run_agent(agent, prompt(deps), deps, model, limits)
