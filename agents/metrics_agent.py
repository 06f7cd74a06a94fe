"""MetricsAgent: reads the anomalous series and writes a short triage of what moved and how."""

from typing import Annotated

from pydantic import Field
from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.models import Model
from pydantic_ai.usage import UsageLimits

from agents.deps import (
    UNTRUSTED,
    InvestigationDeps,
    Outcome,
    anomaly_table,
    data_block,
    enum_param,
    metric_names,
    run_agent,
)
from evidence.metrics import BaselineComparison, MetricSummary, compare, summarize, window
from sources.telemetry import Series

INSTRUCTIONS = f"""\
You are the metrics specialist of an incident investigation. Anomaly detection has fired on the
metrics listed in the prompt. For each anomalous metric, use query_metric and compare_baseline to
tell how it moved: a sudden spike, a level shift that stays up, a gradual ramp, or isolated noise
blips that are not an incident. Note when each change started and how large it is.
Reply with a short plain-text triage: one line per metric (metric, service, shape, onset, size),
then one line naming the services that look affected. Say plainly when a metric is only noise.
{UNTRUSTED}"""

agent = Agent(deps_type=InvestigationDeps, output_type=str, instructions=INSTRUCTIONS, retries=2)


def _series(ctx: RunContext[InvestigationDeps], metric: str) -> Series:
    known = ctx.deps.telemetry.metrics()
    if metric not in known:
        raise ModelRetry(f"unknown metric {metric!r}; valid metrics: {', '.join(sorted(known))}")
    return ctx.deps.telemetry.series(metric)


@agent.tool(prepare=enum_param("metric", metric_names))
def query_metric(
    ctx: RunContext[InvestigationDeps],
    metric: str,
    minutes: Annotated[int, Field(ge=1, le=1440)] = 60,
) -> MetricSummary:
    """Return a summary of one metric over the last minutes.

    Gives count, min, max, mean, p95, last value and a 12-bucket profile.

    Args:
        metric: Metric name, as listed in the prompt.
        minutes: How far back from the end of the data to look (1 to 1440).
    """
    return summarize(window(_series(ctx, metric), ctx.deps.now, minutes))


@agent.tool(prepare=enum_param("metric", metric_names))
def compare_baseline(ctx: RunContext[InvestigationDeps], metric: str) -> BaselineComparison:
    """Return how a metric after its anomaly onset compares with its baseline before it.

    Gives the onset, baseline and post-onset medians, the change ratio, a robust z-score, the
    shape (ramp, spike, level_shift, drop, noise, flat), how many minutes it took to rise,
    the share of rising steps and the count of sharp drops (a GC sawtooth shows up there).

    Args:
        metric: Metric name, as listed in the prompt.
    """
    return compare(_series(ctx, metric), ctx.deps.trigger)


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
