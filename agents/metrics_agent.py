"""MetricsAgent: reads the anomalous series and writes a short triage of what moved and how."""

from typing import Annotated

from pydantic import Field
from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.models import Model
from pydantic_ai.usage import UsageLimits

from agents.deps import (
    UNTRUSTED,
    Compact,
    Comparison,
    InvestigationDeps,
    Outcome,
    anomaly_table,
    data_block,
    enum_param,
    lean_tools,
    metric_names,
    run_agent,
)
from evidence.metrics import BaselineComparison, MetricSummary, compare, summarize, window
from sources.telemetry import Series

INSTRUCTIONS = f"""\
You are the metrics specialist of an incident investigation. For each anomalous metric in the
prompt, use compare_baseline and query_metric to tell how it moved (a sudden spike, a level shift
that stays up, a gradual ramp, or isolated noise blips that are not an incident), when the change
started and how large it is.
Reply in plain text: one line per metric (metric, service, shape, onset, size), then one line
naming the affected services. Say plainly when a metric is only noise.
{UNTRUSTED}"""

agent = Agent(
    deps_type=InvestigationDeps,
    output_type=str,
    instructions=INSTRUCTIONS,
    retries=2,
    capabilities=[lean_tools()],
)


def _series(ctx: RunContext[InvestigationDeps], metric: str) -> Series:
    known = ctx.deps.telemetry.metrics()
    if metric not in known:
        raise ModelRetry(f"unknown metric {metric!r}; valid metrics: {', '.join(sorted(known))}")
    return ctx.deps.telemetry.series(metric)


class Summary(Compact, MetricSummary):
    """A metric summary as a model reads it: its service and unit are in the prompt."""

    def wire(self, data: dict) -> dict:
        return {k: v for k, v in data.items() if k not in ("service", "unit")}


@agent.tool(prepare=enum_param("metric", metric_names))
def query_metric(
    ctx: RunContext[InvestigationDeps],
    metric: str,
    minutes: Annotated[int, Field(ge=1, le=1440)] = 60,
) -> MetricSummary:
    """Summarise a metric over the last minutes: min, max, mean, p95, last, 12-bucket profile.

    Args:
        metric: Metric name.
        minutes: How far back from the end of the data to look.
    """
    summary = summarize(window(_series(ctx, metric), ctx.deps.now, minutes))
    return Summary.model_construct(**dict(summary))


@agent.tool(prepare=enum_param("metric", metric_names))
def compare_baseline(ctx: RunContext[InvestigationDeps], metric: str) -> BaselineComparison:
    """Compare a metric after its anomaly onset with its baseline before it.

    Gives the onset, baseline and after-onset medians, change ratio, robust z-score, shape
    (ramp, spike, level_shift, drop, noise, flat), minutes to rise, sharp drops (a GC
    sawtooth) and, for memory, a floor that keeps rising.

    Args:
        metric: Metric name.
    """
    return Comparison.model_construct(**dict(compare(_series(ctx, metric), ctx.deps.trigger)))


def prompt(deps: InvestigationDeps) -> str:
    metrics = [
        {"metric": m.name, "service": m.service, "unit": m.unit, "description": m.description}
        for m in deps.telemetry.metrics().values()
    ]
    return "\n\n".join(
        [
            f"Anomaly detection fired at {deps.triggered_at.isoformat()}; the data ends at "
            f"{deps.now.isoformat()}. Triage these anomalies.",
            data_block("anomalies", anomaly_table(deps.anomalies)),
            data_block("metrics", metrics),
        ]
    )


async def investigate_metrics(deps: InvestigationDeps, model: Model) -> Outcome[str]:
    """Run the MetricsAgent: a text triage of the anomalous metrics."""
    limits = UsageLimits(request_limit=8, tool_calls_limit=40)
    return await run_agent(agent, prompt(deps), deps, model, limits)
