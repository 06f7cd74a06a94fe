"""pydantic-evals evaluators: thin views of scenarios.scoring.score, plus an optional LLM judge.

Each case's expected_output is its expected.json and its output the RCAReport (None when no
anomaly fired). Booleans become assertions, which decide pass or fail; floats and ints become
scores, shown for diagnosis. The judge only ever adds a score: the verdict stays deterministic.
"""

from dataclasses import dataclass

from pydantic_ai.models import Model
from pydantic_evals.evaluators import (
    EvaluationReason,
    Evaluator,
    EvaluatorContext,
    LLMJudge,
    OutputConfig,
)

from models import RCAReport
from scenarios.scoring import ScoreResult, score

JUDGE_RUBRIC = (
    "The output is a root-cause analysis of a production incident. It passes when its root"
    " cause is specific and supported by the evidence it cites (deploys, diffs, metric changes,"
    " log lines), its remediation steps follow from that cause, its timeline is consistent, and"
    " it blames no service without evidence. A report with no findings passes only when it"
    " explains why the evidence supports no incident."
)


def _score(ctx: EvaluatorContext[object, RCAReport | None, object]) -> ScoreResult:
    return score(ctx.output, ctx.expected_output)


def _fraction(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def _check(ok: bool, why: str) -> EvaluationReason:
    return EvaluationReason(ok, None if ok else why)


@dataclass
class FindingsMatch(Evaluator[object, RCAReport | None, object]):
    """Every expected finding is matched; fractions say how far each part got."""

    def evaluate(self, ctx: EvaluatorContext[object, RCAReport | None, object]) -> dict:
        s = _score(ctx)
        n = len(s.findings)
        missed = [
            f"{f.service}/{f.category}/{'|'.join(f.actions)}" for f in s.findings if not f.matched
        ]
        return {
            "findings": _check(not missed, f"unmatched: {', '.join(missed)}"),
            "matched": _fraction(s.matched, n),
            "service": _fraction(sum(f.service_ok for f in s.findings), n),
            "category": _fraction(sum(f.category_ok for f in s.findings), n),
            "action": _fraction(sum(f.action_ok for f in s.findings), n),
        }


@dataclass
class KeywordEvidence(Evaluator[object, RCAReport | None, object]):
    """The expected keywords appear in the summary or evidence of the closest finding."""

    def evaluate(self, ctx: EvaluatorContext[object, RCAReport | None, object]) -> dict:
        s = _score(ctx)
        missing = [f"{f.service}: {k}" for f in s.findings for k in f.keywords_missing]
        return {
            "keywords": _check(not missing, f"missing: {', '.join(missing)}"),
            "keyword_hits": _fraction(s.keyword_hits, s.keyword_total),
        }


@dataclass
class NoRedHerrings(Evaluator[object, RCAReport | None, object]):
    """No finding names a forbidden service."""

    def evaluate(self, ctx: EvaluatorContext[object, RCAReport | None, object]) -> dict:
        s = _score(ctx)
        blamed = ", ".join(s.red_herrings)
        return {
            "no_red_herrings": _check(not s.red_herrings, f"blamed {blamed}"),
            "red_herrings": len(s.red_herrings),
        }


@dataclass
class IncidentFlag(Evaluator[object, RCAReport | None, object]):
    """The report says "incident" (has findings) exactly when expected.json does."""

    def evaluate(self, ctx: EvaluatorContext[object, RCAReport | None, object]) -> dict:
        s = _score(ctx)
        said = "an incident" if s.incident_reported else "no incident"
        return {"incident": _check(s.incident_ok, f"reported {said}")}


SCORING = (FindingsMatch(), KeywordEvidence(), NoRedHerrings(), IncidentFlag())


def judge(model: Model | str) -> LLMJudge:
    """A rubric on the report's quality, as a score that never decides pass or fail."""
    return LLMJudge(
        rubric=JUDGE_RUBRIC,
        model=model,
        score=OutputConfig(evaluation_name="judge", include_reason=True),
        assertion=False,
    )
