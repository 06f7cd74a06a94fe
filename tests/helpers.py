"""Shared test builders: the real CLI, a scenario's deps for agent runs, evidence records."""

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import scenarios
from agents.deps import InvestigationDeps
from agents.llm import ModelChoice, choose
from evidence.logs import ServiceLogDetails
from evidence.metrics import BaselineComparison
from models import RCAReport
from pipeline.investigate import Investigation, detect, run_investigation
from sinks.files import LocalFiles
from triggers import WindowTrigger

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)
NOW_TEXT = "2026-03-15T14:30:00Z"


async def investigate_async(
    telemetry, now: datetime, output_dir: Path, choice: ModelChoice | None = None
) -> RCAReport | None:
    """The pipeline's one run sequence into local files; None when nothing fired."""
    inv = Investigation(telemetry, now, choice or choose("offline", {}))
    delivery = await run_investigation(inv, [LocalFiles(output_dir)])
    return delivery.report if delivery else None


def investigate(telemetry, now: datetime, output_dir: Path, choice: ModelChoice | None = None):
    return asyncio.run(investigate_async(telemetry, now, output_dir, choice))


def deps_for(scenario: str, now: datetime, output_dir: Path, seed: int = 42) -> InvestigationDeps:
    telemetry, _ = scenarios.get(scenario).build(now, seed)
    trigger = WindowTrigger(**telemetry.trigger)
    return InvestigationDeps(
        telemetry=telemetry,
        trigger=trigger,
        now=now,
        anomalies=tuple(detect(telemetry, trigger)),
    )


def cli(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENROUTER_API_KEY", "INCIDENT_COMMANDER_MODEL", "ARTIFACTS_GCS_DIR")
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**base, "COLUMNS": "200", **(env or {})},
        timeout=120,
    )


def reports(directory: Path) -> list[Path]:
    return sorted(directory.glob("incident_*")) if directory.exists() else []


T0 = datetime(2026, 3, 15, 6, 0, tzinfo=UTC)


def _c(metric, shape="level_shift", unit=None, ratio=3.0, rise=2.0, at=0, z=40.0, **extra):
    """A sustained comparison whose onset is `at` minutes after T0."""
    fields = dict(
        metric=metric,
        service="svc",
        unit=unit,
        onset=T0 + timedelta(minutes=at),
        anomalous_points=30,
        sustained=True,
        baseline_median=100,
        after_median=100 * ratio,
        after_max=100 * ratio,
        change_ratio=ratio,
        robust_z=z,
        shape=shape,
        rise_minutes=rise,
        monotonic_fraction=0.8,
        sawtooth_drops=0,
        note="",
    )
    return BaselineComparison(**{**fields, **extra})


def _logs(tags=None, errors_after=50, warnings_after=0):
    return ServiceLogDetails(
        service="svc",
        onset=T0,
        errors_before=0,
        errors_after=errors_after,
        warnings_before=0,
        warnings_after=warnings_after,
        minutes_before=30,
        minutes_after=30,
        first_error_after_onset=T0,
        new_signatures=[],
        tag_counts=tags or {},
        dependencies_named={},
        samples=[],
    )
