"""What the project's command-line entry points share: parsing, consoles, the error boundary.

Only the standard library at import: `main.py --help` and `--list-scenarios` need no more.
"""

import argparse
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from errors import IncidentCommanderError, Stopped, UsageError
from sinks import text

if TYPE_CHECKING:
    import asyncio

    from rich.console import Console

# Text from data is printed with markup=False and through sinks.text.console; no :shortcode:
# becomes an emoji either. The two consoles, `console` (stdout) and `errors` (stderr), are
# made on first use (PEP 562), so a command that prints nothing through them never loads rich.
_CONSOLES = {"console": False, "errors": True}  # name: on stderr


def _console(name: str) -> "Console":
    """The console `name`, made once, on first use."""
    if name not in globals():
        from rich.console import Console

        globals()[name] = Console(stderr=_CONSOLES[name], highlight=False, emoji=False)
    return globals()[name]


def __getattr__(name: str) -> "Console":
    if name in _CONSOLES:
        return _console(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UsageError(f"{message} (see --help)")


def aware_time(text: str) -> datetime:
    """An ISO 8601 time with a UTC offset, as UTC (an argparse type)."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"--now needs a UTC offset, got {text!r}")
    return value.astimezone(UTC)


def positive(value: str) -> int:
    """A whole number >= 1 (an argparse type)."""
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {value!r}")
    return int(value)


class _Signals:
    """SIGTERM and SIGINT, from start-up to exit (they also make SIGTERM work as PID 1).

    While a task is registered (the agents, see `cancelling`), a signal cancels it, so the
    run delivers its partial report; anywhere else (loading, detection, uploading) it raises
    Stopped at once. The first signal is remembered for the exit code.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.received: int | None = None
        self.task: asyncio.Task | None = None
        self.finished = False  # the work is done: a late signal changes nothing

    def __call__(self, signum: int, frame: object) -> None:
        self.received = self.received or signum
        if self.finished:
            return
        task = self.task
        if task is not None and not task.done():
            task.get_loop().call_soon_threadsafe(task.cancel)
            return
        raise Stopped(signum)

    @contextmanager
    def cancelling(self, task: "asyncio.Task | None") -> Iterator[None]:
        """While inside, a signal cancels `task` instead of raising Stopped."""
        self.task = task
        try:
            yield
        finally:
            self.task = None


SIGNALS = _Signals()


def run(main: Callable[[argparse.Namespace], int], args: Callable[[], argparse.Namespace]) -> int:
    """Run a command: the project's errors become one line on stderr and their exit code.

    A run that SIGTERM or SIGINT cut short exits 143 or 130 (128 + the signal), after its one
    line; a run that had finished its work when the signal came keeps its exit code (0).
    """
    SIGNALS.reset()
    signal.signal(signal.SIGTERM, SIGNALS)
    previous = signal.signal(signal.SIGINT, SIGNALS)
    try:
        code = main(args())
    except Stopped as exc:
        code = _fail(exc, exc.exit_code)
    except KeyboardInterrupt:  # SIGINT while a library had put the default handler back
        code = _fail(Stopped(signal.SIGINT), 128 + signal.SIGINT)
    except IncidentCommanderError as exc:
        code = _fail(exc, exc.exit_code)
    finally:
        # From here a SIGTERM changes nothing (Cloud Run's, or tini's, while Python exits);
        # Ctrl-C gets its default back for callers in-process (tests).
        SIGNALS.finished = True
        signal.signal(signal.SIGINT, previous)
    if code != 0 and SIGNALS.received:
        return 128 + SIGNALS.received
    return code


def _fail(exc: BaseException, code: int) -> int:
    _console("errors").print(
        f"error: {text.console(str(exc))}", soft_wrap=True, markup=False, style="red"
    )
    return code
