"""Many incidents in one process: a Cloud Run task's share of them, up to K at once.

Each incident goes through the one run sequence (`run_investigation`). They run in worker
threads, each with its own event loop, so that their reports can be delivered in job order:
an incident's sinks wait until every earlier incident is done, which keeps incident ids, and
so every offline report, byte-identical whatever the concurrency. A failed incident never
stops the others; the batch's exit code says what failed once all of them are done.
"""

import asyncio
import os
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol, TypeVar, get_args

from agents.llm import ModelChoice
from errors import IncidentCommanderError, InvestigationError, UploadError, UsageError
from pipeline.cli import console
from pipeline.investigate import SILENT, Investigation, run_investigation
from sinks import Delivery, Sink
from sources.telemetry import Telemetry

T = TypeVar("T")
Status = Literal["reported", "nothing fired", "failed", "upload failed", "not started"]


@dataclass(frozen=True)
class Job:
    """One incident to investigate: a name for the console, and how to get its data."""

    name: str
    # The telemetry and its `now`; a live alert's job adds its alerts and sources.
    load: Callable[[], tuple]


@dataclass(frozen=True)
class Outcome:
    name: str
    status: Status
    detail: str = ""  # where the report went, or the one-line error
    delivery: Delivery | None = None


@dataclass(frozen=True)
class BatchResult:
    outcomes: list[Outcome]

    @property
    def exit_code(self) -> int:
        """1 if any incident failed or never started, else 3 if any upload failed, else 0."""
        statuses = {o.status for o in self.outcomes}
        if statuses & {"failed", "not started"}:
            return InvestigationError.exit_code
        return UploadError.exit_code if "upload failed" in statuses else 0

    def summary(self) -> str:
        counts = {s: sum(o.status == s for o in self.outcomes) for s in get_args(Status)}
        parts = [f"{n} {s}" for s, n in counts.items() if n or s in ("reported", "failed")]
        return f"{len(self.outcomes)} incidents: {', '.join(parts)}; exit {self.exit_code}"


class BatchProgress(Protocol):
    def finished(self, outcome: Outcome) -> None: ...


class _Silent:
    def finished(self, outcome: Outcome) -> None:
        pass


QUIET = _Silent()


def shard(items: Sequence[T], index: int, count: int) -> list[T]:
    """Task `index` of `count`: items index, index + count, index + 2·count, ..."""
    if not 0 <= index < count:
        raise ValueError(f"task {index} of {count}")
    return list(items[index::count])


def task_share(env: Mapping[str, str] = os.environ) -> tuple[int, int]:
    """(index, count) from CLOUD_RUN_TASK_INDEX and CLOUD_RUN_TASK_COUNT; (0, 1) without them."""
    index, count = env.get("CLOUD_RUN_TASK_INDEX"), env.get("CLOUD_RUN_TASK_COUNT")
    if index is None and count is None:
        return 0, 1
    if index is None or count is None:
        missing = "CLOUD_RUN_TASK_INDEX" if index is None else "CLOUD_RUN_TASK_COUNT"
        raise UsageError(f"{missing} is not set but its partner is; set both or neither")
    if not count.isdigit() or int(count) < 1:
        raise UsageError(f"CLOUD_RUN_TASK_COUNT must be a whole number >= 1, got {count!r}")
    if not index.isdigit() or int(index) >= int(count):
        raise UsageError(
            f"CLOUD_RUN_TASK_INDEX must be a whole number from 0 to {int(count) - 1}, got {index!r}"
        )
    return int(index), int(count)


def bundle_dirs(directory: Path) -> list[Path]:
    """The directories directly under `directory` (hidden ones aside), sorted by name."""
    if not directory.is_dir():
        raise UsageError(f"--bundles {directory}: not a directory")
    dirs = sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not dirs:
        raise UsageError(f"--bundles {directory}: no bundle directories in it")
    return dirs


def bundle_job(directory: Path) -> Job:
    def load() -> tuple[Telemetry, datetime]:
        from sources.bundle.reader import load_bundle

        telemetry = load_bundle(directory)
        return telemetry, telemetry.end_time()

    return Job(directory.name, load)


class _Turns:
    """Job i may deliver once every job before it is done."""

    def __init__(self) -> None:
        self._done: set[int] = set()
        self._next = 0
        self._changed = threading.Condition()

    def wait(self, index: int) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._next >= index)

    def done(self, index: int) -> None:
        with self._changed:
            self._done.add(index)
            while self._next in self._done:
                self._next += 1
            self._changed.notify_all()


@dataclass(frozen=True)
class _InTurn:
    """The first sink of job `index`: holds the delivery until the job's turn comes."""

    turns: _Turns
    index: int

    def deliver(self, delivery: Delivery) -> None:
        self.turns.wait(self.index)


class _Worker:
    """One job in a worker thread with its own event loop; cancel() reaches it there."""

    def __init__(self, index: int, job: Job, run: Callable[[Job, list[Sink]], object]):
        self.index, self.job, self._run = index, job, run
        self._lock = threading.Lock()
        self._cancelled = False
        self._task: tuple[asyncio.AbstractEventLoop, asyncio.Task] | None = None

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._task:
                loop, task = self._task
                loop.call_soon_threadsafe(task.cancel)

    def __call__(self, turns: _Turns) -> Outcome:
        try:
            with self._lock:
                if self._cancelled:
                    return Outcome(self.job.name, "not started", "stopped before it began")
            return asyncio.run(self._main(turns))
        finally:
            turns.done(self.index)

    async def _main(self, turns: _Turns) -> Outcome:
        with self._lock:
            self._task = (asyncio.get_running_loop(), asyncio.current_task())
            if self._cancelled:  # cancel() came between the start and now
                asyncio.current_task().cancel()
        try:
            return await self._outcome(turns)
        finally:
            with self._lock:
                self._task = None  # the loop closes after this: nothing left to cancel

    async def _outcome(self, turns: _Turns) -> Outcome:
        name = self.job.name
        try:
            delivery = await self._run(self.job, [_InTurn(turns, self.index)])
        except UploadError as exc:
            return Outcome(name, "upload failed", str(exc))
        except IncidentCommanderError as exc:  # a bad bundle, or the investigation failed
            return Outcome(name, "failed", str(exc))
        except asyncio.CancelledError:  # stopped while loading, before any report
            return Outcome(name, "failed", "stopped (SIGTERM or Ctrl-C) before the investigation")
        except Exception as exc:  # a bug of ours must not stop the other incidents
            return Outcome(name, "failed", f"internal error: {type(exc).__name__}: {exc}")
        if delivery is None:
            return Outcome(name, "nothing fired", "no report")
        where = ", ".join([str(delivery.files[0]), *delivery.links[:1]])
        return Outcome(name, "reported", f"{delivery.report.incident_id}: {where}", delivery)


async def run_batch(
    jobs: Sequence[Job],
    sinks_factory: Callable[[], list[Sink]],
    concurrency: int = 1,
    progress: BatchProgress = QUIET,
    *,
    model: Callable[[], ModelChoice],
) -> BatchResult:
    """Investigate every job, up to `concurrency` at once; reports delivered in job order.

    `model` gives each incident its own ModelChoice (its own fallback state). Cancelled
    (SIGTERM), the running incidents deliver their partial reports and the rest never start.
    """

    async def investigate(job: Job, gate: list[Sink]) -> Delivery | None:
        telemetry, now, *extra = job.load()
        inv = Investigation(telemetry, now, model(), *extra)
        return await run_investigation(inv, [*gate, *sinks_factory()], SILENT)

    turns = _Turns()
    workers = [_Worker(i, job, investigate) for i, job in enumerate(jobs)]
    with ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="incident") as pool:
        futures = [pool.submit(w, turns) for w in workers]
        for f in futures:
            f.add_done_callback(lambda f: progress.finished(f.result()))
        try:
            await asyncio.wait([asyncio.wrap_future(f) for f in futures])
        except asyncio.CancelledError:
            for w in workers:
                w.cancel()
            wait(futures)  # the running ones deliver their partial reports
    return BatchResult([f.result() for f in futures])


class ConsoleProgress:
    """One line per incident as it finishes."""

    def finished(self, outcome: Outcome) -> None:
        style = {"failed": "red", "not started": "red", "upload failed": "yellow"}
        console.print(
            f"{outcome.name}: {outcome.status}; {outcome.detail}",
            soft_wrap=True,
            markup=False,
            style=style.get(outcome.status),
        )


def run_in_console(
    jobs: Sequence[Job],
    sinks_factory: Callable[[], list[Sink]],
    model: Callable[[], ModelChoice],
    concurrency: int,
    heading: str,
) -> int:
    """The CLI's batch: a heading, a line per incident, the summary; returns the exit code."""

    async def guarded() -> BatchResult:
        task, loop = asyncio.current_task(), asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        try:
            return await run_batch(jobs, sinks_factory, concurrency, ConsoleProgress(), model=model)
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    console.print(f"[bold]=== Incident Commander: {heading} ===[/bold]", soft_wrap=True)
    result = asyncio.run(guarded())
    console.print(f"Done: {result.summary()}", soft_wrap=True, markup=False)
    return result.exit_code


def run_bundles(
    directory: Path,
    sinks_factory: Callable[[], list[Sink]],
    model: Callable[[], ModelChoice],
    concurrency: int = 1,
    env: Mapping[str, str] = os.environ,
) -> int:
    """`main.py --bundles DIR`: this task's share of the bundles under DIR."""
    index, count = task_share(env)
    every = bundle_dirs(directory)
    mine = shard(every, index, count)
    heading = (
        f"task {index + 1} of {count}: {len(mine)} of {len(every)} bundles in {directory}, "
        f"concurrency {concurrency}, model {model().name}"
    )
    return run_in_console([bundle_job(d) for d in mine], sinks_factory, model, concurrency, heading)
