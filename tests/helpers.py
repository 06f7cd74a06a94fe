"""Shared test builders: a scenario's telemetry with its anomalies, and deps for agent runs."""

from datetime import datetime
from pathlib import Path

import scenarios
from agents.deps import InvestigationDeps, ReportSettings
from pipeline import detect
from triggers import WindowTrigger


def deps_for(scenario: str, now: datetime, output_dir: Path, seed: int = 42) -> InvestigationDeps:
    telemetry, _ = scenarios.get(scenario).build(now, seed)
    trigger = WindowTrigger(**telemetry.trigger)
    return InvestigationDeps(
        telemetry=telemetry,
        trigger=trigger,
        now=now,
        anomalies=tuple(detect(telemetry, trigger)),
        report=ReportSettings(output_dir),
        provenance={"model": "test"},
    )
