"""Performance benchmark: trigger throughput, end-to-end runs, model context, start-up, scale.

    uv run python -m bench [--quick] [--json PATH]

Prints each measurement with its target and PASS/FAIL, and exits 1 if any target fails
(with --quick the sizes are tiny, the targets informational and the exit code 0; the scale
section, a minute of subprocesses and a slow fake model, runs only in full mode).
"""

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import (
    context_size,
    end_to_end,
    live,
    machine,
    references,
    scale,
    startup,
    trigger_speed,
)
from bench.results import Result, all_passed, show, table, write_json


@dataclass(frozen=True)
class Sizes:
    points: int  # WindowTrigger series length
    ref_points: int  # prefix the pure-Python reference runs on
    repeats: int  # timed WindowTrigger runs (the best counts)
    bundle_points: int
    bundle_logs: int
    startup_runs: int
    scale_bundles: int  # 0: skip the scale section
    big_points: int = 0  # a second, 4x larger bundle (0: none): does time grow linearly?
    big_logs: int = 0


FULL = Sizes(2_000_000, 20_000, 5, 2_000_000, 300_000, 7, 12, 8_000_000, 1_200_000)
QUICK = Sizes(20_000, 5_000, 1, 60_000, 10_000, 1, 0)

SECTIONS = {
    "trigger": "1. WindowTrigger throughput against a per-point pure-Python reference",
    "end-to-end": "2. End-to-end offline runs of the real CLI (subprocess)",
    "context": "3. Model-visible context of the default investigation",
    "start-up": "4. Process start-up",
    "ratios": "6. Against the best alternatives (issue 17), measured in this run",
    "scale": "5. Many incidents: 1 task against 4, --concurrency against a 200 ms model",
    "live": "7. A live Prometheus window against the same incident as a bundle",
}


def _sections(sizes: Sizes, workdir: Path) -> list[tuple[str, Callable[[], list[Result]]]]:
    def e2e() -> list[Result]:
        (workdir / "default").mkdir()
        (workdir / "bundle").mkdir()
        results = end_to_end.default_scenario(workdir / "default") + end_to_end.large_bundle(
            workdir / "bundle", sizes.bundle_points, sizes.bundle_logs
        )
        if sizes.big_points:
            (workdir / "big").mkdir()
            big = end_to_end.large_bundle(workdir / "big", sizes.big_points, sizes.big_logs)
            results += big + [end_to_end.growth(results[2], big[0], sizes)]
            shutil.rmtree(workdir / "big")  # 600 MB the later sections need not keep
        return results

    def ratios() -> list[Result]:
        return references.trigger(sizes.points, sizes.repeats) + references.loading(
            workdir / "bundle" / "bundle"
        )

    return (
        [
            ("trigger", lambda: trigger_speed.run(sizes.points, sizes.ref_points, sizes.repeats)),
            ("end-to-end", e2e),
            ("context", context_size.run),
            ("start-up", lambda: startup.run(sizes.startup_runs, warm_up=sizes.startup_runs > 1)),
        ]
        + ([("scale", lambda: scale.run(sizes.scale_bundles))] if sizes.scale_bundles else [])
        + [("ratios", ratios)]
        + ([("live", live.run)] if sizes.scale_bundles else [])  # needs a local Prometheus
    )


def _run_section(name: str, fn: Callable[[], list[Result]]) -> list[Result]:
    start = time.perf_counter()
    try:
        results = fn()
    except Exception as exc:  # one broken section is reported as a failure; the rest still run
        results = [Result(name, "section error", None, "", "runs", False, f"{exc!r}")]
    for r in results:
        mark = f"  [{r.verdict}]" if r.verdict else ""
        print(f"   {r.name}: {show(r.value, r.unit)}{mark}")
    print(f"   ({time.perf_counter() - start:.0f} s)", flush=True)
    return results


def _agreement(results: list[Result]) -> None:
    for r in results:
        if r.section == "trigger" and r.name.startswith("fired masks agree"):
            verdict = "the same fired mask" if r.passed else "DIFFERENT fired masks"
            print(f"   reference and WindowTrigger give {verdict}: {r.name.split(', ', 1)[1]}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test, no targets")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    args = p.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    info = machine.describe()
    print(f"Machine: {machine.summary(info)}")
    print(f"Mode: {'quick (targets informational)' if args.quick else 'full'}", flush=True)

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for name, fn in _sections(sizes, Path(tmp)):
            print(f"\n{SECTIONS[name]}", flush=True)
            section = _run_section(name, fn)
            if name == "trigger":
                _agreement(section)
            results += section

    print(f"\nResults ({machine.summary(info)})")
    print(table(results))
    passed = all_passed(results)
    print(f"\nAll targets {'PASS' if passed else 'not met: see FAIL rows'}")
    if args.json:
        write_json(args.json, info, results, args.quick)
    return 0 if passed or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
