"""LogsAgent: reads the logs around the incident and returns a structured LogSummary."""

from datetime import timedelta
from typing import Annotated

from pydantic import Field, PrivateAttr
from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.models import Model
from pydantic_ai.usage import UsageLimits

from agents.deps import (
    UNTRUSTED,
    Compact,
    InvestigationDeps,
    Outcome,
    anomaly_table,
    data_block,
    entries_of,
    enum_param,
    lean_tools,
    log_services,
    run_agent,
)
from evidence.logs import LogsView, search, view
from models import Level, LogSummary

INSTRUCTIONS = f"""\
You are the logs specialist of an incident investigation. Use fetch_logs to see which services
log errors and warnings and what they say, and search_logs to follow an error across services.
Look for errors that start after the anomaly onset (pool exhaustion, exceptions, out-of-memory
kills, GC pauses, connection refused or timeouts to a named dependency, queue or thread-pool
saturation) and tell them from errors that were already there before it.
Return a LogSummary: the few lines that matter (copied from tool results), ERROR+FATAL counts
per service, and a short summary of what the logs show per service.
{UNTRUSTED}"""


class Logs(Compact, LogsView):
    """A slice of the logs as a model reads it.

    Left out: what the call's arguments already say (the search, the one service of a
    per-service view) and a signature's sample when it is the signature itself.
    """

    _service: str | None = PrivateAttr(default=None)

    def wire(self, data: dict) -> dict:
        data.pop("searched", None)
        for sig in data.get("signatures", []):
            sig.pop("before", None)  # only service_details counts lines before an onset
            if sig.get("sample") == sig.get("signature"):
                del sig["sample"]
            if self._service is not None and sig.get("services") == [self._service]:
                del sig["services"]
        if self._service is not None:
            data.pop("errors_by_service", None)  # the ERROR and FATAL of by_level
        if not data.get("other_services_with_errors"):
            data.pop("other_services_with_errors", None)
        data["samples"] = entries_of(data.get("samples", []), self._service)
        return data


def _logs(found: LogsView, service: str | None) -> Logs:
    out = Logs.model_construct(**dict(found))
    out._service = service
    return out


agent = Agent(
    deps_type=InvestigationDeps,
    output_type=LogSummary,
    instructions=INSTRUCTIONS,
    retries=2,
    capabilities=[lean_tools()],
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
    """Count log lines per level and ERROR+FATAL per service; the top signatures, sample lines.

    Args:
        service: Only this service; all when omitted.
        level: Minimum level.
        minutes: How far back from the end of the data to look.
        limit: How many sample lines.
    """
    _check(ctx, service)
    table = ctx.deps.telemetry.logs()
    start = ctx.deps.now - timedelta(minutes=minutes)
    idx = table.select(
        service=service, start=start, end=ctx.deps.now + timedelta(seconds=1), min_level=level
    )
    searched = f"{service or 'all services'}, level >= {level or 'DEBUG'}, last {minutes} min"
    return _logs(view(table, idx, searched, limit), service)


@agent.tool(prepare=enum_param("service", log_services))
def search_logs(
    ctx: RunContext[InvestigationDeps],
    text: Annotated[str, Field(min_length=3, max_length=200)],
    service: str | None = None,
    minutes: Annotated[int, Field(ge=1, le=1440)] = 60,
) -> LogsView:
    """Find the log lines containing a text (plain, case-insensitive), by service and signature.

    Args:
        text: The text to look for.
        service: Only this service; all when omitted.
        minutes: How far back from the end of the data to look.
    """
    _check(ctx, service)
    table = ctx.deps.telemetry.logs()
    idx = table.select(
        service=service,
        start=ctx.deps.now - timedelta(minutes=minutes),
        end=ctx.deps.now + timedelta(seconds=1),
    )
    searched = f"{text!r} in {service or 'all services'}, last {minutes} min"
    return _logs(search(table, idx, text, searched), service)


def prompt(deps: InvestigationDeps) -> str:
    return "\n\n".join(
        [
            "Summarise what the logs show about this incident.",
            data_block("anomalies", anomaly_table(deps.anomalies)),
            data_block("window", {"triggered_at": deps.triggered_at, "data_ends_at": deps.now}),
        ]
    )


async def investigate_logs(deps: InvestigationDeps, model: Model) -> Outcome[LogSummary]:
    """Run the LogsAgent: a LogSummary of the incident window."""
    limits = UsageLimits(request_limit=8, tool_calls_limit=40)
    return await run_agent(agent, prompt(deps), deps, model, limits)
