"""Evaluate the investigation: run every built-in scenario (or each --bundle) through the full
pipeline, score each report against its expected.json and print a pydantic-evals report.

With --bundles DIR, every bundle under DIR with an expected.json (on a Cloud Run Job, this
task's share of them: CLOUD_RUN_TASK_INDEX, CLOUD_RUN_TASK_COUNT).

Exit codes: 0 every case passed, 1 some case failed, 2 bad input or usage.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from agents.llm import choose
from errors import UsageError
from evals.cases import EvalCase, bundle_cases, bundles_under, scenario_cases
from evals.results import write_results
from evals.suite import SuiteRun, run_suite
from pipeline.batch import shard, task_share
from pipeline.cli import Parser, aware_time, console, run

DEFAULT_NOW = "2026-03-15T14:30:00Z"  # a fixed clock, so offline runs are reproducible


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return int(text)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = Parser(
        prog="python -m evals",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--case", action="append", default=[], metavar="NAME", help="only this case")
    p.add_argument(
        "--bundle",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="evaluate this bundle (it needs expected.json) instead of the built-in scenarios",
    )
    p.add_argument(
        "--bundles",
        type=Path,
        metavar="DIR",
        help="evaluate every bundle under DIR that has an expected.json "
        "(a Cloud Run task: its share)",
    )
    p.add_argument(
        "--model",
        default="offline",
        help="'offline' (default) or 'openrouter:<model>' (needs OPENROUTER_API_KEY)",
    )
    p.add_argument("--repeat", type=_positive, default=1, help="runs per case (default 1)")
    p.add_argument("--concurrency", type=_positive, default=1, help="cases run at once")
    p.add_argument("--seed", type=int, default=42, help="seed of the built-in scenarios")
    p.add_argument(
        "--now",
        type=aware_time,
        default=aware_time(DEFAULT_NOW),
        help=f"end of the scenarios' data, ISO 8601 with offset (default {DEFAULT_NOW})",
    )
    p.add_argument(
        "--results",
        type=Path,
        default=Path("eval_results"),
        metavar="DIR",
        help="where the JSON results go (default eval_results/)",
    )
    p.add_argument("--no-judge", action="store_true", help="skip the LLM judge of a remote model")
    p.add_argument(
        "--generated",
        type=_positive,
        metavar="N",
        help="evaluate N procedurally generated incidents per category (evals/generator), "
        "seeded by --seed; prints the accuracy per category",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return run(_main, lambda: parse_args(argv))


def _main(args: argparse.Namespace) -> int:
    if args.generated:
        if args.bundle or args.bundles:
            raise UsageError("--generated makes its own bundles: no --bundle or --bundles")
        from evals.generator import generate_suite

        with tempfile.TemporaryDirectory(prefix="generated-") as tmp:
            args.bundle = generate_suite(args.generated, args.seed, Path(tmp))
            return _evaluate(args)
    return _evaluate(args)


def _evaluate(args: argparse.Namespace) -> int:
    started_at = datetime.now(UTC).replace(microsecond=0)  # the run's only wall-clock read
    if args.bundles:
        if args.bundle:
            raise UsageError("--bundles and --bundle cannot go together")
        args.bundle = shard(bundles_under(args.bundles), *task_share(os.environ))
        cases = bundle_cases(args.bundle, args.case)
    elif args.bundle:
        cases = bundle_cases(args.bundle, args.case)
    else:
        cases = scenario_cases(args.now, args.seed, args.case)
    if args.list:
        _list(cases)
        return 0
    choice = choose(args.model, os.environ)
    # The judge is a remote model's opinion: never in offline mode, never decisive.
    judge_model = choice.remote_model if choice.remote and not args.no_judge else None
    clock = time.perf_counter()
    run = run_suite(
        cases,
        args.model,
        repeat=args.repeat,
        concurrency=args.concurrency,
        judge_model=judge_model,
        progress=console.is_terminal,
    )
    wall = time.perf_counter() - clock
    if not console.is_terminal:
        console.width = max(console.width, 120)  # logs and pipes: room for the table
    run.report.print(console=console, include_reasons=True, include_total_duration=True)
    settings = {
        "model": args.model,
        "seed": None if args.bundle else args.seed,
        "now": None if args.bundle else args.now.isoformat().replace("+00:00", "Z"),
        "repeat": args.repeat,
        "judge": choice.name if judge_model else None,
        "bundles": [str(b) for b in args.bundle],
        "wall_s": round(wall, 3),
    }
    path = write_results(run, args.results, settings, started_at)
    _summary(run, wall, path)
    if args.generated:
        _by_category(run)
    return 0 if run.passed else 1


def _by_category(run: SuiteRun) -> None:
    """Accuracy per generated category (a case's name is <category>-<variant>-<seed>)."""
    from evals.generator import CATEGORIES

    counts: dict[str, list[int]] = {}
    for r in run.results:
        name = r.name.replace("-", "_")
        group = next((c for c in CATEGORIES if name.startswith(c)), "other")
        counts.setdefault(group, [0, 0])
        counts[group][0] += r.passed
        counts[group][1] += 1
    console.print("category              right", markup=False)
    for group, (ok, total) in sorted(counts.items()):
        console.print(f"{group:<20} {ok:>3}/{total:<3} {ok / total:6.0%}", markup=False)


def _list(cases: list[EvalCase]) -> None:
    width = max((len(c.name) for c in cases), default=0)
    for c in cases:
        source = "" if c.input.source == "scenario" else f" [{c.input.source}]"
        console.print(f"{c.name:<{width}}  {c.summary}{source}", soft_wrap=True, markup=False)


def _summary(run: SuiteRun, wall: float, path: Path) -> None:
    passed = sum(r.passed for r in run.results)
    total = len(run.results)
    tokens = sum(
        r.metrics.get("input_tokens", 0) + r.metrics.get("output_tokens", 0) for r in run.results
    )
    requests = sum(r.metrics.get("requests", 0) for r in run.results)
    console.print(
        f"{passed}/{total} passed in {wall:.1f} s; {int(requests)} requests, "
        f"{int(tokens)} tokens. Results: {path}",
        soft_wrap=True,
        markup=False,
    )
    for r in run.results:
        if not r.passed:
            why = r.error or (r.score.explain() if r.score else "see above")
            console.print(f"FAILED {r.name}: {why}", soft_wrap=True, markup=False, style="red")


if __name__ == "__main__":
    sys.exit(main())
