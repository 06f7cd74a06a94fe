"""Typed data that flows between the stages: anomalies, summaries, the incident context, the report.

The report's fields follow shared/specs/incident-bundle.md ("The report").
"""

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

Category = Literal[
    "config_change",
    "code_regression",
    "memory_leak",
    "resource_saturation",
    "traffic_surge",
    "dependency_failure",
    "unknown",
]
Action = Literal["rollback", "restart", "scale_out", "failover", "escalate"]
Level = Literal["DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
Direction = Literal["above", "below"]

CATEGORIES: tuple[str, ...] = Category.__args__
ACTIONS: tuple[str, ...] = Action.__args__


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a UTC offset")
    return value.astimezone(UTC)


class MetricAnomaly(BaseModel):
    """One point above mean + N·sigma of its baseline window."""

    metric: str
    service: str
    value: float
    threshold: float
    timestamp: datetime
    baseline_mean: float
    baseline_std: float
    direction: Direction = "above"  # "below": a headroom metric fell under mean - N·sigma
    episode_end: datetime | None = None  # the end of the incident episode the point belongs to

    _utc = field_validator("timestamp")(_as_utc)


class AnomalyGroup(BaseModel):
    """All anomalies of one metric, as the console and the prompts show them."""

    metric: str
    service: str
    count: int
    first: datetime
    last: datetime
    peak: float  # the highest value, or the lowest for direction "below"
    threshold: float
    direction: Direction = "above"


class LogEntry(BaseModel):
    timestamp: datetime
    service: str
    level: Level
    message: str

    _utc = field_validator("timestamp")(_as_utc)


class LogSummary(BaseModel):
    """What the LogsAgent found: the lines that matter, error counts, and its reading of them."""

    key_entries: list[LogEntry] = Field(default_factory=list, max_length=30)
    error_counts: dict[str, int] = Field(
        default_factory=dict, description="ERROR and FATAL lines per service in the window"
    )
    summary: str


class IncidentContext(BaseModel):
    """Everything the Commander is handed before it investigates."""

    triggered_at: datetime
    anomalies: list[MetricAnomaly]
    metrics_summary: str
    log_summary: LogSummary

    _utc = field_validator("triggered_at")(_as_utc)


class TimelineEvent(BaseModel):
    timestamp: datetime
    event: str

    _utc = field_validator("timestamp")(_as_utc)


class Finding(BaseModel):
    """One root cause: where, what kind, what to do, and why we think so."""

    service: str
    category: Category
    action: Action
    summary: str
    evidence: list[str] = Field(min_length=1)
    confidence: float = Field(ge=0, le=1)


class RCADraft(BaseModel):
    """What the Commander writes; the report adds identity, provenance and usage."""

    root_cause: str = Field(description="One or two sentences")
    timeline: list[TimelineEvent]
    affected_services: list[str]
    remediation_steps: list[str]
    confidence: float = Field(ge=0, le=1)
    findings: list[Finding] = Field(
        description="One per root cause; empty when the evidence supports none"
    )


class AgentUsage(BaseModel):
    requests: int = 0
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


class RCAReport(RCADraft):
    incident_id: str
    status: Literal["complete", "incomplete"] = "complete"
    failure: str | None = Field(default=None, description="Why an incomplete report stopped")
    triggered_at: datetime
    model: str = Field(description="The model that was asked to investigate")
    answered_by: list[str] = Field(description="Models whose answers the report rests on")
    fell_back: bool = False
    fallback_reason: str | None = None
    anomalies: list[AnomalyGroup]
    metrics_summary: str | None = None
    log_summary: LogSummary | None = None
    usage: dict[str, AgentUsage] = Field(default_factory=dict)
    # A live investigation's provenance: source URLs (no credentials), window, step, alerts.
    sources: dict | None = None
    limits: list[str] = Field(
        default_factory=list,
        description="Scale limits applied: what was ranked, sampled or counted, not listed",
    )

    _utc = field_validator("triggered_at")(_as_utc)
