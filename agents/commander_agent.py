"""CommanderAgent: INVESTIGATE -> DECIDE -> ACT -> REPORT, ending with write_rca."""

import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import Field
from pydantic_ai import Agent, ModelRetry, RunContext, ToolOutput
from pydantic_ai.models import Model
from pydantic_ai.usage import UsageLimits

from agents.deps import (
    UNTRUSTED,
    Compact,
    InvestigationDeps,
    Outcome,
    anomaly_table,
    commits_with_diffs,
    comparison_wire,
    data_block,
    entries_of,
    enum_param,
    lean_tools,
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
from models import LogSummary, RCADraft, RCAReport
from triggers import group_anomalies

INSTRUCTIONS = f"""\
You are the incident commander. From the anomalies, the metrics triage and the log summary:
1. INVESTIGATE: get_service_map (who calls whom, each service's onset, the root its callers'
   errors lead to); get_metric_details for the anomalous metrics and the affected services'
   other metrics; get_log_details for the affected services and the dependencies they name;
   list_recent_deploys, find_changed_code, and get_code_diff for deploys shortly before an onset.
2. DECIDE the root cause of each incident:
   - a deploy to the same service within 30 minutes before its onset -> rollback
     (config_change when its diff changes settings, code_regression when it changes code);
   - a stack frame of the new errors on a line an older deploy changed (find_changed_code) ->
     a latent bug: code_regression, rollback;
   - latency up with DB pool exhaustion in the logs -> read the config diff (pool sizes and
     timeouts are the usual culprits);
   - memory that ramps without a GC sawtooth, or whose floor keeps rising (floor_rising), with
     GC pauses escalating or OOM kills -> memory_leak: capture a heap dump, restart now, then
     fix the code;
   - errors naming a dependency while the service itself is unchanged -> dependency_failure of
     the DEPENDENCY (the map's root), its callers in affected_services; act on how it fails
     (renew an expired certificate and escalate, fail over a lost primary, restart a crashed
     one, escalate a slow vendor and shed load);
   - request rate up with latency and CPU following, no deploy -> traffic_surge, scale_out;
   - a resource pinned at its limit, no change that explains it -> resource_saturation.
   Deploys to other services are not the cause; isolated noise blips are not an incident. A
   clear sustained change that hurts (errors, latency, lost headroom) and that nothing explains
   is category unknown, action escalate, never "no incident". Each summary states the
   mechanism: what broke and how, with times and numbers.
3. ACT: remediation from rollback, restart, scale_out, failover, escalate, in concrete, safe
   steps; never destructive commands (deleting data, namespaces, tables).
4. REPORT: call write_rca once: root cause, timeline, affected services, remediation steps,
   confidence (0 to 1), and one finding per root cause with evidence quoted from the tools.
{UNTRUSTED}"""

DESTRUCTIVE = re.compile(
    r"\brm\s+-[a-z]*[rf]|\bdrop\s+(?:table|database|schema)\b|\btruncate\s+table\b|"
    r"\bdelete\s+(?:namespace|ns|cluster|database|bucket|volume|pvc)\b|"
    r"kubectl\s+delete\s+(?:namespace|ns|pvc|pv|deployment|statefulset)\b|"
    r"\bdelete\s+from\b|\bmkfs\b|\bdd\s+if=|gsutil\s+(?:-m\s+)?rm\b|\bterraform\s+destroy\b|"
    r"--force-delete|\bshutdown\s+-h\b",
    re.IGNORECASE,
)


class MetricDetails(Compact):
    """A metric's comparison with its baseline, and the whole series in a dozen numbers.

    A model reads the comparison (see agents.deps.comparison_wire) and, of the summary, only
    what the comparison does not say already: the span, the last value and the profile.
    """

    summary: MetricSummary
    comparison: BaselineComparison

    def wire(self, data: dict[str, Any]) -> dict[str, Any]:
        summary = data["summary"]
        return {
            "comparison": comparison_wire(data["comparison"]),
            "summary": {k: summary.get(k) for k in ("start", "end", "last", "profile")},
        }


class LogDetails(Compact, ServiceLogDetails):
    """One service's logs as a model reads them.

    A new signature shows its real sample line (not also its template, nor the service it is
    of); sample lines already shown as a signature's sample are left out.
    """

    def wire(self, data: dict[str, Any]) -> dict[str, Any]:
        shown = set()
        for sig in data.get("new_signatures", []):
            sig.pop("signature", None)
            if sig.get("services") == [self.service]:
                del sig["services"]
            if not sig.get("before"):
                sig.pop("before", None)
            shown.add(sig.get("sample"))
        samples = []
        for e in data.get("samples", []):
            if e["message"] not in shown:
                shown.add(e["message"])
                samples.append(e)
        data["samples"] = entries_of(samples, self.service)
        data["lead_up"] = entries_of(data.get("lead_up", []), self.service)
        return data


class ServiceMapView(Compact, ServiceMap):
    """The service map as a model reads it: a service that is its own root says no root."""

    def wire(self, data: dict[str, Any]) -> dict[str, Any]:
        for s in data.get("services", []):
            if s.get("root") == s.get("service"):
                del s["root"]
        return data


class Deploy(Compact, DeployView):
    """A deploy as a model reads it: compact JSON."""


class ChangedCode(Compact, CodeMatch):
    """A stack frame on a changed line as a model reads it: compact JSON."""


class Diff(Compact, DiffSummary):
    """A diff summary as a model reads it: the excerpt without git's index lines."""

    def wire(self, data: dict[str, Any]) -> dict[str, Any]:
        lines = data.get("excerpt", "").splitlines()
        data["excerpt"] = "\n".join(x for x in lines if not x.startswith(("index ", "diff --git")))
        return data


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
    capabilities=[lean_tools()],
)


@agent.tool(prepare=enum_param("metric", metric_names))
def get_metric_details(ctx: RunContext[InvestigationDeps], metric: str) -> MetricDetails:
    """Compare a metric with its baseline before onset: onset, shape, change, rise time, sharp
    drops (a GC sawtooth), a rising floor; and its profile over the data (12 bucket means).

    Args:
        metric: Metric name.
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
    """One service's logs before and after an onset: error and warning counts, the new error
    signatures with their tags, the dependencies they name, sample lines.

    Args:
        service: The service.
        onset: Where to split (ISO 8601); the first anomaly if omitted.
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
    details = service_details(table, service, onset, end, table.service_names)
    return LogDetails.model_construct(**dict(details))


@agent.tool
def get_service_map(ctx: RunContext[InvestigationDeps]) -> ServiceMap:
    """The service map: each service's onset, errors, silence, the dependencies its errors
    name (calls) and its callers; its root (the deepest component whose own state explains
    its trouble; itself when not given) and how its callers say it fails (mechanism).
    """
    return ServiceMapView.model_construct(**dict(service_map(ctx.deps)))


@agent.tool(prepare=enum_param("service", log_services))
def find_changed_code(
    ctx: RunContext[InvestigationDeps], service: str, onset: datetime | None = None
) -> list[CodeMatch]:
    """Stack frames of a service's errors on lines changed by any of its deploys in the 48 h
    before the onset (a latent bug can ship hours before it breaks anything).

    Args:
        service: The service.
        onset: When its trouble began (ISO 8601); the first anomaly if omitted.
    """
    onset = onset or ctx.deps.triggered_at
    if onset.tzinfo is None:
        raise ModelRetry("onset needs a UTC offset, e.g. 2026-03-15T14:05:00Z")
    found = code_matches(ctx.deps.telemetry, service, onset, ctx.deps.now + timedelta(seconds=1))
    return [ChangedCode.model_construct(**dict(m)) for m in found]


@agent.tool
def list_recent_deploys(
    ctx: RunContext[InvestigationDeps],
    service: str | None = None,
    before: datetime | None = None,
    window_minutes: Annotated[int, Field(ge=1, le=10080)] = 180,
) -> list[DeployView]:
    """The deploys in the window_minutes before a time (and 10 min after it), each with its
    minutes_before_onset and whether a diff is available.

    Args:
        service: Only this service; all when omitted.
        before: The onset to time them against (ISO 8601); the first anomaly if omitted.
        window_minutes: How far back to look.
    """
    onset = before or ctx.deps.triggered_at
    if onset.tzinfo is None:
        raise ModelRetry("before needs a UTC offset, e.g. 2026-03-15T14:05:00Z")
    lo, hi = onset - timedelta(minutes=window_minutes), onset + timedelta(minutes=10)
    t = ctx.deps.telemetry
    return [
        Deploy.model_construct(**dict(deploy_view(d, onset, t.diff(d.commit) is not None)))
        for d in t.deploys()
        if lo <= d.deployed_at <= hi and (service is None or d.service == service)
    ]


@agent.tool(prepare=enum_param("commit", commits_with_diffs))
def get_code_diff(ctx: RunContext[InvestigationDeps], commit: str) -> DiffSummary:
    """What a deployed commit changed: files (config, code, docs), settings (key, old, new),
    added code and the start of the diff.

    Args:
        commit: The commit of a deploy.
    """
    text = ctx.deps.telemetry.diff(commit)
    if text is None:
        commits = [
            d.commit
            for d in ctx.deps.telemetry.deploys()
            if ctx.deps.telemetry.diff(d.commit) is not None
        ]
        raise ModelRetry(f"no diff for commit {commit!r}; commits with diffs: {', '.join(commits)}")
    return Diff.model_construct(**dict(summarize_diff(commit, text)))


def log_summary_block(summary: LogSummary) -> dict[str, Any]:
    """The LogsAgent's summary for the prompt: its key lines by service, a repeated line once
    with all its times."""
    by_service: dict[str, dict[tuple[str, str], list[datetime]]] = {}
    for e in summary.key_entries:
        by_service.setdefault(e.service, {}).setdefault((e.level, e.message), []).append(
            e.timestamp
        )
    return {
        "error_counts": summary.error_counts,
        "key_entries": {
            service: [
                {"at": times if len(times) > 1 else times[0], "level": level, "message": message}
                for (level, message), times in lines.items()
            ]
            for service, lines in by_service.items()
        },
        "summary": summary.summary,
    }


def prompt(deps: InvestigationDeps) -> str:
    ctx = deps.context
    assert ctx is not None
    metrics: dict[str, dict[str, str]] = {}
    for m in deps.telemetry.metrics().values():
        metrics.setdefault(m.service, {})[m.name] = m.unit or ""
    return "\n\n".join(
        [
            f"Incident triggered at {ctx.triggered_at.isoformat()}; the data ends at "
            f"{deps.now.isoformat()}. Investigate, decide, act and report.",
            data_block("anomalies", anomaly_table(ctx.anomalies)),
            # Every metric (service -> metric -> unit), not only those that fired: a leak's
            # heap may fire once while its GC pauses fire for an hour.
            data_block("metrics", metrics),
            data_block("metrics_triage", ctx.metrics_summary),
            data_block("log_summary", log_summary_block(ctx.log_summary)),
        ]
    )


async def investigate_incident(deps: InvestigationDeps, model: Model) -> Outcome[RCAReport]:
    """Run the CommanderAgent: the report its write_rca call returns."""
    limits = UsageLimits(request_limit=12, tool_calls_limit=60)
    return await run_agent(agent, prompt(deps), deps, model, limits)
