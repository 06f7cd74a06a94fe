"""The cases: built-in scenarios (at --now and --seed) or bundle directories with expected.json.

Everything is built and validated before anything is investigated, so a bad bundle or an
unknown case name is a usage error (exit 2) and never a half-run suite.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import scenarios
from errors import UsageError
from sources.telemetry import TelemetryStore


@dataclass(frozen=True)
class CaseInput:
    """What the report shows as a case's inputs; the telemetry itself stays in EvalCase."""

    name: str
    source: str  # "scenario", or the bundle directory
    now: datetime  # the incident's clock: --now, or a bundle's newest timestamp
    seed: int | None = None


@dataclass(frozen=True)
class EvalCase:
    input: CaseInput
    summary: str
    expected: dict
    telemetry: TelemetryStore = field(repr=False)

    @property
    def name(self) -> str:
        return self.input.name


def scenario_cases(now: datetime, seed: int, names: Sequence[str] = ()) -> list[EvalCase]:
    """The built-in scenarios named (all when none is), built at `now` with `seed`."""
    cases = []
    for name in pick(list(scenarios.SCENARIOS), names):
        s = scenarios.SCENARIOS[name]
        telemetry, expected = s.build(now, seed)
        cases.append(
            EvalCase(CaseInput(s.name, "scenario", now, seed), s.summary, expected, telemetry)
        )
    return cases


def bundle_cases(directories: Iterable[Path], names: Sequence[str] = ()) -> list[EvalCase]:
    """The bundles, each with its expected.json, then those named (all when none is)."""
    from sources.bundle.reader import load_bundle, load_expected

    cases = []
    for directory in directories:
        telemetry = load_bundle(directory)  # first, so a missing directory says so
        expected = load_expected(directory)
        if expected is None:
            raise UsageError(
                f"{directory}: no expected.json; only bundles with one can be evaluated"
            )
        case_input = CaseInput(telemetry.name, str(directory), telemetry.end_time())
        summary = telemetry.description or f"bundle {directory}"
        cases.append(EvalCase(case_input, summary, expected, telemetry))
    found = [c.name for c in cases]
    if twice := sorted({n for n in found if found.count(n) > 1}):
        raise UsageError(f"two bundles are named {twice[0]!r}; case names must be unique")
    chosen = pick(found, names)
    return [c for c in cases if c.name in chosen]


def bundles_under(directory: Path) -> list[Path]:
    """The bundles directly under `directory` that have an expected.json, sorted by name."""
    from pipeline.batch import bundle_dirs

    found = [d for d in bundle_dirs(directory) if (d / "expected.json").is_file()]
    if not found:
        raise UsageError(f"--bundles {directory}: no bundle in it has an expected.json")
    return found


def pick(available: Sequence[str], names: Sequence[str]) -> list[str]:
    """The names asked for, in suite order; all of them when none is asked for."""
    if unknown := [n for n in names if n not in available]:
        raise UsageError(f"unknown case {unknown[0]!r}; choose from: {', '.join(available)}")
    return [n for n in available if not names or n in names]
