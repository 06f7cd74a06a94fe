"""Run every case through the full pipeline and score it with pydantic-evals.

Per case: detect -> MetricsAgent -> LogsAgent -> CommanderAgent -> report, written into a
temporary directory. Each run gets its own ModelChoice, so one case falling back to the offline
investigator does not send the others there too.
"""

import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic_ai.models import Model
from pydantic_evals import Case, Dataset, increment_eval_metric
from pydantic_evals.reporting import EvaluationReport, ReportCase, ReportCaseFailure

from agents.llm import choose
from evals.cases import CaseInput, EvalCase
from evals.evaluators import SCORING, judge
from models import RCAReport
from pipeline.investigate import Investigation, run_investigation
from scenarios.scoring import ScoreResult, score
from sinks.files import LocalFiles


@dataclass(frozen=True)
class CaseResult:
    """One run of one case, as the results file and the exit code see it."""

    name: str  # as in the printed report: "default", or "default [2/3]" with --repeat
    case: str
    passed: bool
    duration: float
    assertions: dict[str, bool]
    scores: dict[str, float]
    reasons: dict[str, str]
    metrics: dict[str, float]
    score: ScoreResult | None = None
    report: RCAReport | None = None
    error: str | None = None


@dataclass(frozen=True)
class SuiteRun:
    report: EvaluationReport
    results: list[CaseResult]

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)


def dataset(cases: Sequence[EvalCase], judge_model: Model | str | None = None) -> Dataset:
    evaluators = [*SCORING, judge(judge_model)] if judge_model is not None else list(SCORING)
    return Dataset(
        name="incident-commander",
        cases=[
            Case(
                name=c.name,
                inputs=c.input,
                expected_output=c.expected,
                metadata={"summary": c.summary},
            )
            for c in cases
        ],
        evaluators=evaluators,
    )


def run_suite(
    cases: Sequence[EvalCase],
    model: str,
    *,
    env: Mapping[str, str] = os.environ,
    repeat: int = 1,
    concurrency: int = 1,
    judge_model: Model | str | None = None,
    progress: bool = False,
) -> SuiteRun:
    choose(model, env)  # refuse a bad model before anything runs
    telemetry = {c.name: c.telemetry for c in cases}

    with tempfile.TemporaryDirectory(prefix="evals-") as tmp:

        async def investigate_case(inputs: CaseInput) -> RCAReport | None:
            inv = Investigation(telemetry[inputs.name], inputs.now, choose(model, env))
            delivery = await run_investigation(inv, [LocalFiles(Path(tmp) / inputs.name)])
            if delivery is None:
                return None  # nothing fired: no report, which reads as "no incident"
            report = delivery.report
            for usage in report.usage.values():
                for metric, value in usage.model_dump().items():
                    increment_eval_metric(metric, value)
            return report

        report = dataset(cases, judge_model).evaluate_sync(
            investigate_case,
            name=f"evals ({model})",
            max_concurrency=concurrency,
            progress=progress,
            repeat=repeat,
        )
    order = {c.name: i for i, c in enumerate(cases)}
    results = sorted(
        [*map(_result, report.cases), *map(_failure, report.failures)],
        key=lambda r: (order[r.case], _run_index(r.name)),
    )
    return SuiteRun(report, results)


def _run_index(name: str) -> int:
    match = re.search(r"\[(\d+)/\d+\]$", name)  # pydantic-evals names repeats "case [i/n]"
    return int(match.group(1)) if match else 0


def _result(case: ReportCase) -> CaseResult:
    s = score(case.output, case.expected_output)
    assertions = {name: bool(a.value) for name, a in case.assertions.items()}
    # Only the judge can fail without the scoring failing too, and the judge never decides.
    failed_evaluators = [f"{f.name}: {f.error_message}" for f in case.evaluator_failures]
    return CaseResult(
        name=case.name,
        case=case.source_case_name or case.name,
        passed=s.passed and all(assertions.values()),
        duration=case.task_duration,
        assertions=assertions,
        scores={name: float(v.value) for name, v in case.scores.items()},
        reasons={
            name: r.reason
            for name, r in [*case.assertions.items(), *case.scores.items()]
            if r.reason
        },
        metrics=dict(case.metrics),
        score=s,
        report=case.output,
        error="; ".join(failed_evaluators) or None,
    )


def _failure(case: ReportCaseFailure) -> CaseResult:
    return CaseResult(
        name=case.name,
        case=case.source_case_name or case.name,
        passed=False,
        duration=0.0,
        assertions={},
        scores={},
        reasons={},
        metrics={},
        error=case.error_message,
    )
