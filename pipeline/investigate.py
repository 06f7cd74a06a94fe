"""The one run sequence: source -> detect -> MetricsAgent -> LogsAgent -> CommanderAgent -> sinks.

The CLI, the evaluation suite, the benchmarks and the tests all call `run_investigation`.
If a stage fails after the fallback, or the run is cancelled (SIGTERM, Ctrl-C), whatever was
gathered goes to the sinks as a report marked incomplete: nothing found is lost.
"""

import asyncio
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

import numpy as np
from pydantic_ai.exceptions import AgentRunError, FallbackExceptionGroup, UserError

from agents.commander_agent import assemble_report, investigate_incident
from agents.deps import InvestigationDeps
from agents.llm import ModelChoice
from agents.logs_agent import investigate_logs
from agents.metrics_agent import investigate_metrics
from detection import Episode, detect_episodes
from errors import IncidentCommanderError, InvestigationError, Stopped
from evidence.limits import scale_limits
from models import AgentUsage, IncidentContext, LogSummary, MetricAnomaly, RCAReport
from semantics import bad_when
from sinks import Delivery, Sink
from sources.counters import with_rates
from sources.telemetry import Telemetry, to_datetime64
from triggers import Anomalies, WindowTrigger


class Progress(Protocol):
    """What a run tells the person watching it (the console); silent by default."""

    def detected(self, anomalies: list[MetricAnomaly]) -> None: ...

    def stage(self, number: int, text: str) -> AbstractContextManager[object]: ...


class Silent:
    def detected(self, anomalies: list[MetricAnomaly]) -> None:
        pass

    def stage(self, number: int, text: str) -> AbstractContextManager[object]:
        return nullcontext()


SILENT = Silent()


@dataclass(frozen=True)
class Investigation:
    telemetry: Telemetry
    now: datetime  # end of the data: "now" for the investigation
    choice: ModelChoice
    alerts: tuple = ()  # firing alerts (sources.live.alerts.Alert): anomalies of their services
    sources: dict | None = None  # where a live investigation's data came from, for the report


def detect(telemetry: Telemetry, trigger: WindowTrigger) -> list[MetricAnomaly]:
    """The trigger's anomalies that belong to an incident episode, by time.

    An episode (detection/) is a change that holds; isolated noise opens none, so its fired
    points are dropped, and so are episodes too small or too short to be an incident
    (Episode.clear). Each episode contributes its onset and the points the trigger fired
    inside it, so a metric's first anomaly is its first onset.
    """
    anomalies = []
    for name, info in telemetry.metrics().items():
        s = telemetry.series(name)
        watch = bad_when(name, info.unit, info.bad_when)
        episodes = [
            e
            for e in detect_episodes(name, info.service, s.timestamps, s.values, trigger, watch)
            if e.clear(trigger.window_seconds)
        ]
        for side in ("above", "below"):
            mine = [e for e in episodes if e.direction == side]
            if mine:
                fired = trigger.detect(name, s.timestamps, s.values, info.service, side)
                anomalies += _within(mine, fired, s)
    return sorted(anomalies, key=lambda a: (a.timestamp, a.metric))


def _within(episodes: list[Episode], fired: Anomalies, s) -> list[MetricAnomaly]:
    kept = []
    for e in episodes:
        inside = list(fired.between(e.onset, e.end))
        if not inside or inside[0].timestamp > e.onset:
            at = int(np.searchsorted(s.timestamps, to_datetime64(e.onset)))
            value = float(s.values[min(at, len(s.values) - 1)])
            spread = abs(e.threshold - e.baseline)
            onset = MetricAnomaly(
                metric=e.metric,
                service=e.service,
                value=value,
                threshold=e.threshold,
                timestamp=e.onset,
                baseline_mean=e.baseline,
                baseline_std=spread / 2.5 if spread else 0.0,
                direction=e.direction,
            )
            inside = [onset, *inside]
        kept += [a.model_copy(update={"episode_end": e.end}) for a in inside]
    return kept


@dataclass
class Gathered:
    """What the stages have found so far."""

    metrics_summary: str | None = None
    log_summary: LogSummary | None = None
    usage: dict[str, AgentUsage] = field(default_factory=dict)
    answered_by: list[str] = field(default_factory=list)


async def run_investigation(
    inv: Investigation, sinks: Sequence[Sink], progress: Progress = SILENT
) -> Delivery | None:
    """Detect, investigate and deliver; None when nothing fired (no report then).

    Raises InvestigationError once the partial report is delivered, or the sink's own error
    (UploadError...) when a later sink fails after the local files were written.
    """
    telemetry = with_rates(inv.telemetry)
    trigger = WindowTrigger(**telemetry.trigger)
    anomalies = detect(telemetry, trigger)
    if inv.alerts:  # a firing alert is an anomaly of its service even when the trigger is quiet
        from sources.live.focus import alert_anomalies

        anomalies += alert_anomalies(telemetry, inv.alerts, anomalies)
        anomalies.sort(key=lambda a: (a.timestamp, a.metric))
    progress.detected(anomalies)
    if not anomalies:
        return None
    deps = InvestigationDeps(
        telemetry=telemetry, trigger=trigger, now=inv.now, anomalies=tuple(anomalies)
    )
    gathered = Gathered()
    failure = None
    try:
        report = await _agents(deps, inv.choice, progress, gathered)
    except (AgentRunError, FallbackExceptionGroup, UserError, TimeoutError) as exc:
        failure = _reason(exc)
    except (asyncio.CancelledError, Stopped):  # Stopped: a signal between two agents
        failure = "cancelled (SIGTERM or Ctrl-C)"
    except Exception as exc:  # a bug of ours must not lose what was gathered either
        failure = f"internal error: {_reason(exc)}"
    if failure is not None:
        report = assemble_report(deps, None, failure=failure)
    metric_services = {m.service for m in telemetry.metrics().values()}
    limits = scale_limits(telemetry.logs(), metric_services, deps.triggered_at)
    report = _stamp(report, inv.choice, gathered, inv.sources, limits)
    delivery = Delivery(report)
    try:
        for sink in sinks:
            sink.deliver(delivery)
    except (IncidentCommanderError, Stopped) as exc:  # Stopped: a signal during the upload
        if failure is None:
            if delivery.files:  # a later sink failed: say where the report is
                exc.args = (f"{exc}; the report is kept at {delivery.files[0]}",)
            raise
        failure = f"{failure}; then {exc}"
    if failure is not None:
        where = f"; partial report: {delivery.files[0]}" if delivery.files else ""
        raise InvestigationError(f"investigation failed: {failure}{where}")
    return delivery


async def _agents(
    deps: InvestigationDeps, choice: ModelChoice, progress: Progress, gathered: Gathered
) -> RCAReport:
    with progress.stage(2, "Running MetricsAgent..."):
        out = await investigate_metrics(deps, choice.for_agent("metrics"))
    gathered.metrics_summary = out.output
    gathered.usage["metrics"] = out.usage
    gathered.answered_by += out.answered_by
    with progress.stage(3, "Running LogsAgent..."):
        logs = await investigate_logs(deps, choice.for_agent("logs"))
    gathered.log_summary = logs.output
    gathered.usage["logs"] = logs.usage
    gathered.answered_by += logs.answered_by
    context = IncidentContext(
        triggered_at=deps.triggered_at,
        anomalies=list(deps.anomalies),
        metrics_summary=out.output,
        log_summary=logs.output,
    )
    with progress.stage(4, "Running CommanderAgent (INVESTIGATE -> DECIDE -> ACT -> REPORT)..."):
        done = await investigate_incident(
            replace(deps, context=context), choice.for_agent("commander")
        )
    gathered.usage["commander"] = done.usage
    gathered.answered_by += done.answered_by
    return done.output


def _stamp(
    report: RCAReport,
    choice: ModelChoice,
    gathered: Gathered,
    sources: dict | None,
    limits: list[str],
) -> RCAReport:
    """What only the pipeline knows: the model asked, who answered, the fallback, usage, and
    the scale limits the evidence applied."""
    return report.model_copy(
        update={
            "sources": sources,
            "limits": limits,
            "model": choice.name,
            "answered_by": list(dict.fromkeys(gathered.answered_by)),
            "fell_back": choice.state.fell_back,
            "fallback_reason": choice.state.reason,
            "metrics_summary": gathered.metrics_summary,
            "log_summary": gathered.log_summary,
            "usage": dict(gathered.usage),
        }
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FallbackExceptionGroup):
        return "; ".join(_reason(e) for e in exc.exceptions)
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
