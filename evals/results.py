"""The results file: one JSON document per run, named by a run id, never overwritten.

Runs are compared over time by reading these files side by side, so each one says what was run
(model, seed, the scenarios' clock, repeat, judge) as well as every case's scores and the totals.
"""

import json
import re
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from evals.suite import CaseResult, SuiteRun

FORMAT = "incident-commander-evals/v1"
USAGE = ("requests", "tool_calls", "input_tokens", "output_tokens")


def run_id_base(started_at: datetime, model: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", model).strip("-")
    return f"{started_at:%Y%m%dT%H%M%SZ}-{slug}"


def write_results(run: SuiteRun, directory: Path, settings: dict, started_at: datetime) -> Path:
    """Write <run id>.json into `directory`; a taken id gets -2, -3, ... instead."""
    directory.mkdir(parents=True, exist_ok=True)
    base = run_id_base(started_at, settings["model"])
    number = 1
    while True:
        run_id = base if number == 1 else f"{base}-{number}"
        document = {
            "format": FORMAT,
            "run_id": run_id,
            "started_at": started_at.isoformat().replace("+00:00", "Z"),
            **settings,
            "passed": run.passed,
            "totals": totals(run.results),
            "cases": [case_entry(r) for r in run.results],
        }
        path = directory / f"{run_id}.json"
        try:
            with open(path, "x", encoding="utf-8") as f:  # "x": refuse to replace a run
                f.write(json.dumps(document, indent=2, default=str) + "\n")
            return path
        except FileExistsError:
            number += 1


def totals(results: list[CaseResult]) -> dict:
    passed = sum(r.passed for r in results)
    scored = [r for r in results if r.score is not None]  # the runs that finished

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    score_names = sorted({n for r in scored for n in r.scores})
    return {
        "cases": len(results),
        "passed": passed,
        "failed": len(results) - passed,
        "pass_rate": mean([float(r.passed) for r in results]),
        "duration_s": round(sum(r.duration for r in results), 3),
        "by_case": {
            case: {"runs": len(runs), "passed": sum(r.passed for r in runs)}
            for case in dict.fromkeys(r.case for r in results)
            for runs in [[r for r in results if r.case == case]]
        },
        **{name: int(sum(r.metrics.get(name, 0) for r in results)) for name in USAGE},
        "averages": {
            "duration_s": mean([r.duration for r in scored]),
            **{n: mean([r.scores[n] for r in scored if n in r.scores]) for n in score_names},
            **{n: mean([r.metrics.get(n, 0) for r in scored]) for n in USAGE},
        },
    }


def case_entry(r: CaseResult) -> dict:
    entry = {
        "name": r.name,
        "case": r.case,
        "passed": r.passed,
        "error": r.error,
        "duration_s": round(r.duration, 3),
        "assertions": r.assertions,
        "scores": r.scores,
        "reasons": r.reasons,
        "metrics": r.metrics,
    }
    if r.score is not None:
        s = r.score
        entry["score"] = {
            "incident_expected": s.incident_expected,
            "incident_reported": s.incident_reported,
            "matched": s.matched,
            "expected_findings": [asdict(f) for f in s.findings],
            "keyword_hits": s.keyword_hits,
            "keyword_total": s.keyword_total,
            "red_herrings": list(s.red_herrings),
            "unexpected": list(s.unexpected),
            "explain": s.explain(),
        }
    if r.report is not None:
        entry["report"] = {
            "incident_id": r.report.incident_id,
            "model": r.report.model,
            "answered_by": r.report.answered_by,
            "fell_back": r.report.fell_back,
            "confidence": r.report.confidence,
            "findings": [
                {"service": f.service, "category": f.category, "action": f.action}
                for f in r.report.findings
            ],
        }
    return entry
