"""LogsAgent: reads the logs around the incident and returns a structured LogSummary."""

from datetime import timedelta
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
    log_services,
    run_agent,
)
from evidence.logs import LogsView, search, view
from models import Level, LogSummary

INSTRUCTIONS = f"""\
You are the logs specialist of an incident investigation. Use fetch_logs to see which services
log errors and warnings, and what those errors say, and search_logs to follow a specific error
across services. Pay attention to errors that start after the anomaly onset (pool exhaustion,
exceptions, out-of-memory kills, GC pauses, connection refused or timeouts to a named dependency,
queue or thread-pool saturation) and to errors that were already there before it.
Return a LogSummary: the key entries (the few lines that matter, copied from tool results),
ERROR+FATAL counts per service, and a short summary of what the logs show per service.
{UNTRUSTED}"""

agent = Agent(
    deps_type=InvestigationDeps, output_type=LogSummary, instructions=INSTRUCTIONS, retries=2
)


def _check(ctx: RunContext[InvestigationDeps], service: str | None) -> None:
    names = ctx.deps.telemetry.logs().service_names
    if service is not None and service not in names:
        raise ModelRetry(f"unknown service {service!r}; services with logs: {', '.join(names)}")


@agent.tool(prepare=enum_param("service", log_services))
def fetch_logs(
    ctx: RunContext[InvestigationDeps],
    service: str | None = None,
    level: Level | None = "WARN",
    minutes: Annotated[int, Field(ge=1, le=1440)] = 60,
    limit: Annotated[int, Field(ge=0, le=20)] = 8,
) -> LogsView:
    """Return counts per level, ERROR counts per service, the top WARN+ signatures and sample lines.

    Args:
        service: Only this service; all services when omitted.
        level: Minimum level (DEBUG, INFO, WARN, ERROR, FATAL); WARN by default.
        minutes: How far back from the end of the data to look (1 to 1440).
        limit: How many sample lines to include (0 to 20).
    """
    _check(ctx, service)
    table = ctx.deps.telemetry.logs()
    start = ctx.deps.now - timedelta(minutes=minutes)
    idx = table.select(
        service=service, start=start, end=ctx.deps.now + timedelta(seconds=1), min_level=level
    )
    searched = f"{service or 'all services'}, level >= {level or 'DEBUG'}, last {minutes} min"
    return view(table, idx, searched, limit)


@agent.tool(prepare=enum_param("service", log_services))
def search_logs(
    ctx: RunContext[InvestigationDeps],
    text: Annotated[str, Field(min_length=3, max_length=200)],
    service: str | None = None,
    minutes: Annotated[int, Field(ge=1, le=1440)] = 60,
) -> LogsView:
    """Return the log lines containing a text, counted by service and signature.

    The match is plain text and case-insensitive, not a regex.

    Args:
        text: The text to look for, 3 to 200 characters.
        service: Only this service; all services when omitted.
        minutes: How far back from the end of the data to look (1 to 1440).
    """
    _check(ctx, service)
    table = ctx.deps.telemetry.logs()
    idx = table.select(
        service=service,
        start=ctx.deps.now - timedelta(minutes=minutes),
        end=ctx.deps.now + timedelta(seconds=1),
    )
    searched = f"{text!r} in {service or 'all services'}, last {minutes} min"
    return search(table, idx, text, searched)


def prompt(deps: InvestigationDeps) -> str:
    return "\n\n".join(
        [
            f"Anomaly detection fired at {deps.triggered_at.isoformat()}; the data ends at "
            f"{deps.now.isoformat()}. Summarise what the logs show about this incident.",
            data_block("anomalies", anomaly_table(deps.anomalies)),
            data_block("window", {"triggered_at": deps.triggered_at, "data_ends_at": deps.now}),
        ]
    )


async def investigate_logs(deps: InvestigationDeps, model: Model) -> Outcome[LogSummary]:
    """Run the LogsAgent: a LogSummary of the incident window."""
    limits = UsageLimits(request_limit=8, tool_calls_limit=40)
    return await run_agent(agent, prompt(deps), deps, model, limits)
