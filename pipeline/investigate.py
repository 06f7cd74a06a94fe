"""detect -> MetricsAgent -> LogsAgent -> CommanderAgent -> report, keeping what each stage found.

If a stage fails after the fallback, or the run is cancelled (SIGTERM, Ctrl-C), whatever was
gathered is written as a report marked incomplete: nothing found is lost.
"""

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from pydantic_ai.exceptions import AgentRunError, FallbackExceptionGroup, UserError

from agents.commander_agent import investigate_incident
from agents.deps import InvestigationDeps, ReportSettings
from agents.llm import ModelChoice
from agents.logs_agent import investigate_logs
from agents.metrics_agent import investigate_metrics
from errors import InvestigationError
from evidence.kinds import falls_when_bad
from models import AgentUsage, IncidentContext, LogSummary, MetricAnomaly, RCAReport
from sinks.files import write_report
from sources.telemetry import Telemetry
from triggers import WindowTrigger, group_anomalies, incident_start

Stage = Callable[[int, str], AbstractContextManager[object]]


def detect(telemetry: Telemetry, trigger: WindowTrigger) -> list[MetricAnomaly]:
    anomalies = []
    for name, info in telemetry.metrics().items():
        s = telemetry.series(name)
        direction = "below" if falls_when_bad(name) else "above"
        anomalies += trigger.detect(name, s.timestamps, s.values, info.service, direction)
    return sorted(anomalies, key=lambda a: a.timestamp)


@dataclass
class Gathered:
    """What the stages have found so far."""

    metrics_summary: str | None = None
    log_summary: LogSummary | None = None
    usage: dict[str, AgentUsage] = field(default_factory=dict)
    answered_by: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Investigation:
    telemetry: Telemetry
    trigger: WindowTrigger
    now: datetime
    anomalies: list[MetricAnomaly]
    choice: ModelChoice
    output_dir: Path
    incident_id: str | None = None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FallbackExceptionGroup):
        return "; ".join(_reason(e) for e in exc.exceptions)
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def run(inv: Investigation, stage: Stage, gathered: Gathered) -> RCAReport:
    provenance = {
        "model": inv.choice.name,
        "state": inv.choice.state,
        "answered_by": gathered.answered_by,
    }
    deps = InvestigationDeps(
        telemetry=inv.telemetry,
        trigger=inv.trigger,
        now=inv.now,
        anomalies=tuple(inv.anomalies),
        report=ReportSettings(inv.output_dir, inv.incident_id),
        provenance=provenance,
        usage=gathered.usage,
    )
    with stage(2, "Running MetricsAgent..."):
        out = await investigate_metrics(deps, inv.choice.for_agent("metrics"))
    gathered.metrics_summary = out.output
    gathered.usage["metrics"] = out.usage
    gathered.answered_by += out.answered_by
    with stage(3, "Running LogsAgent..."):
        logs = await investigate_logs(deps, inv.choice.for_agent("logs"))
    gathered.log_summary = logs.output
    gathered.usage["logs"] = logs.usage
    gathered.answered_by += logs.answered_by
    context = IncidentContext(
        triggered_at=deps.triggered_at,
        anomalies=inv.anomalies,
        metrics_summary=out.output,
        log_summary=logs.output,
    )
    with stage(4, "Running CommanderAgent (INVESTIGATE -> DECIDE -> ACT -> REPORT)..."):
        done = await investigate_incident(
            replace(deps, context=context), inv.choice.for_agent("commander")
        )
    return done.output


async def investigate(inv: Investigation, stage: Stage) -> RCAReport:
    """Run the agents; on failure write an incomplete report and raise InvestigationError."""
    gathered = Gathered()
    try:
        return await run(inv, stage, gathered)
    except (AgentRunError, FallbackExceptionGroup, UserError, TimeoutError) as exc:
        failure = _reason(exc)
    except asyncio.CancelledError:
        failure = "cancelled (SIGTERM or Ctrl-C)"
    except Exception as exc:  # a bug of ours must not lose what was gathered either
        failure = f"internal error: {_reason(exc)}"
    report = partial_report(inv, gathered, failure)
    report, path = write_report(report, inv.output_dir, inv.incident_id is not None)
    raise InvestigationError(f"investigation failed: {failure}; partial report: {path}")


def partial_report(inv: Investigation, gathered: Gathered, failure: str) -> RCAReport:
    state = inv.choice.state
    return RCAReport(
        incident_id=inv.incident_id or "pending",
        status="incomplete",
        failure=failure,
        root_cause="Unknown: the investigation did not finish.",
        timeline=[],
        affected_services=sorted({a.service for a in inv.anomalies}),
        remediation_steps=["Investigate manually from the anomalies, triage and logs below"],
        confidence=0.0,
        findings=[],
        triggered_at=incident_start(inv.anomalies),
        model=inv.choice.name,
        answered_by=list(dict.fromkeys(gathered.answered_by)),
        fell_back=state.fell_back,
        fallback_reason=state.reason,
        anomalies=group_anomalies(inv.anomalies),
        metrics_summary=gathered.metrics_summary,
        log_summary=gathered.log_summary,
        usage=gathered.usage,
    )
