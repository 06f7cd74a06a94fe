"""Many incidents: Cloud Run task shares (1 task against 4) and --concurrency against a slow model.

Part 1 runs the real CLI over 12 bundles: one process (`CLOUD_RUN_TASK_COUNT=1`) against four
processes at once (task 0..3 of 4), on this machine's cores. Part 2 runs `run_batch` over
bundles with a fake remote model: the offline investigator behind 200 ms of latency per
request, as a network model spends most of its time waiting; K=1 against K=4.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic_ai.models.wrapper import WrapperModel

import scenarios
from agents.llm import FallbackState, ModelChoice
from bench.results import Result
from offline import offline_model
from pipeline.batch import bundle_job, run_batch
from sinks.files import LocalFiles
from sources.bundle import export_bundle

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)
MIX = ["checkout-config-bug", "worker-memory-leak", "pricing-code-regression"]
LATENCY = 0.2  # seconds per model request


class Slow(WrapperModel):
    """A model that answers like the wrapped one, LATENCY seconds later."""

    async def request(self, *args, **kwargs):
        await asyncio.sleep(LATENCY)
        return await super().request(*args, **kwargs)


def fake_remote() -> ModelChoice:
    return ModelChoice(
        f"fake-remote ({LATENCY * 1000:.0f} ms)",
        FallbackState(),
        lambda agent: Slow(offline_model(agent)),
    )


def bundles(directory: Path, count: int, mix: list[str]) -> Path:
    """`count` bundles named b00, b01, ... cycling through the scenarios of `mix`."""
    source = directory / "source"
    for name in mix:
        telemetry, expected = scenarios.get(name).build(NOW, 42)
        export_bundle(telemetry, source / name, expected)
    root = directory / "bundles"
    for i in range(count):
        shutil.copytree(source / mix[i % len(mix)], root / f"b{i:02d}")
        manifest = root / f"b{i:02d}" / "bundle.json"
        manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "name": f"b{i:02d}"}))
    return root


def _tasks(root: Path, out: Path, count: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENROUTER", "ARTIFACTS"))}
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "--bundles", str(root)]
            + ["--output-dir", str(out / f"{count}-{i}"), "--model", "offline"],
            env=env | {"CLOUD_RUN_TASK_INDEX": str(i), "CLOUD_RUN_TASK_COUNT": str(count)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(count)
    ]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise RuntimeError(f"main.py --bundles exited {codes}")
    return time.perf_counter() - start


def _concurrency(root: Path, out: Path, k: int) -> float:
    jobs = [bundle_job(d) for d in sorted(root.iterdir())]
    start = time.perf_counter()
    result = asyncio.run(run_batch(jobs, lambda: [LocalFiles(out / f"k{k}")], k, model=fake_remote))
    if result.exit_code:
        raise RuntimeError(result.summary())
    return time.perf_counter() - start


def run(count: int = 12) -> list[Result]:
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        root = bundles(work / "tasks", count, MIX)
        one, four = _tasks(root, work, 1), _tasks(root, work, 4)
        fast = bundles(work / "slow-model", count, MIX[:2])  # little local CPU per incident
        k1, k4 = _concurrency(fast, work, 1), _concurrency(fast, work, 4)
    note = f"{count} bundles; {cores} cores here, where 4 tasks share them (on Cloud Run each "
    return [
        Result("scale", f"{count} bundles, 1 task", one, "s"),
        Result("scale", f"{count} bundles, 4 tasks at once", four, "s"),
        Result("scale", "1 task / 4 tasks wall time", one / four, "x", note=note + "has its own)"),
        Result("scale", f"--concurrency 1, model {LATENCY * 1000:.0f} ms/request", k1, "s"),
        Result("scale", "--concurrency 4, same model", k4, "s"),
        Result("scale", "K=1 / K=4 wall time", k1 / k4, "x", ">= 3x", k1 / k4 >= 3),
    ]


if __name__ == "__main__":
    for r in run():
        print(f"{r.name}: {r.value:.2f} {r.unit} {r.verdict}")
