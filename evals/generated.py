"""Evaluate the investigation on procedurally generated incidents: N bundles per category from
evals.generator, each investigated by the real CLI (main.py --bundle, offline model) in a
subprocess, each report scored against the bundle's expected.json by the spec's rules.

    python -m evals.generated --generated 10 --seed 1 [--keep DIR] [--jobs 4]

Prints accuracy per category and every failure. Exit codes: 0 every case passed, 1 some case
failed or a run crashed, 2 bad usage.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from evals.generator import CATEGORIES, generate

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Outcome:
    group: str
    bundle: Path
    passed: bool
    why: str  # what failed, "passed" when nothing did
    expected: list[dict]
    got: list[dict]
    seconds: float


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m evals.generated",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--generated", type=int, required=True, metavar="N", help="cases per category")
    p.add_argument("--seed", type=int, default=1, help="seed of the generator (default 1)")
    p.add_argument("--keep", type=Path, metavar="DIR", help="write bundles and reports here")
    p.add_argument("--jobs", type=int, default=2, metavar="J", help="investigations at once")
    p.add_argument(
        "--category", action="append", choices=CATEGORIES, help="only this category (repeatable)"
    )
    args = p.parse_args(argv)
    if args.generated < 1 or args.jobs < 1:
        p.error("--generated and --jobs must be >= 1")
    return args


def investigate(group: str, bundle: Path, out: Path) -> Outcome:
    """Run the CLI on one bundle and score what it wrote."""
    from scenarios.scoring import score

    expected = json.loads((bundle / "expected.json").read_text(encoding="utf-8"))
    command = [sys.executable, "main.py", "--bundle", str(bundle), "--output-dir", str(out)]
    started = time.perf_counter()
    run = subprocess.run(
        [*command, "--model", "offline"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        tail = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no output"]
        why = f"crashed, exit {run.returncode}: {tail[0]}"
        return Outcome(group, bundle, False, why, expected["findings"], [], seconds)
    reports = sorted(out.glob("incident_*.json"))
    report = json.loads(reports[-1].read_text(encoding="utf-8")) if reports else None
    result = score(report, expected)
    got = [
        {k: f.get(k) for k in ("service", "category", "action")}
        for f in (report or {}).get("findings", [])
    ]
    return Outcome(
        group, bundle, result.passed, result.explain(), expected["findings"], got, seconds
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    groups = args.category or list(CATEGORIES)
    with tempfile.TemporaryDirectory(prefix="generated-") as tmp:
        root = args.keep or Path(tmp)
        cases = [
            (group, generate(group, args.seed * 100_000 + i, root / "bundles"))
            for group in groups
            for i in range(args.generated)
        ]
        with ThreadPoolExecutor(args.jobs) as pool:
            outcomes = list(
                pool.map(lambda c: investigate(c[0], c[1], root / "reports" / c[1].name), cases)
            )
    print(render(outcomes, groups, args.seed))
    return 0 if all(o.passed for o in outcomes) else 1


def render(outcomes: list[Outcome], groups: list[str], seed: int) -> str:
    lines = [f"Generated incidents, seed {seed}", f"{'category':<22} {'passed':>8} {'accuracy':>9}"]
    for group in groups:
        mine = [o for o in outcomes if o.group == group]
        ok = sum(o.passed for o in mine)
        lines.append(f"{group:<22} {ok:>4}/{len(mine):<3} {ok / len(mine):>9.0%}")
    ok = sum(o.passed for o in outcomes)
    lines.append(f"{'all':<22} {ok:>4}/{len(outcomes):<3} {ok / len(outcomes):>9.0%}")
    slowest = max(outcomes, key=lambda o: o.seconds)
    lines.append(f"slowest run: {slowest.seconds:.1f}s ({slowest.bundle.name})")
    failures = [o for o in outcomes if not o.passed]
    if failures:
        lines.append("")
        lines.append("Failures:")
    for o in failures:
        want = "; ".join(_finding(f) for f in o.expected) or "no incident"
        got = "; ".join(_finding(f) for f in o.got) or "nothing"
        lines.append(f"- {o.bundle.name}: {o.why}")
        lines.append(f"    expected {want}")
        lines.append(f"    got      {got}")
    return "\n".join(lines)


def _finding(f: dict) -> str:
    action = f.get("action")
    action = "|".join(action) if isinstance(action, list) else action
    keywords = f.get("keywords")
    tail = f" [{', '.join(keywords)}]" if keywords else ""
    return f"{f.get('service')}/{f.get('category')}/{action}{tail}"


if __name__ == "__main__":
    sys.exit(main())
