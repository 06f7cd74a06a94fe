"""What the project's command-line entry points share: parsing, consoles, the error boundary."""

import argparse
from collections.abc import Callable
from datetime import UTC, datetime

from rich.console import Console

from errors import IncidentCommanderError, UsageError

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


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


def run(main: Callable[[argparse.Namespace], int], args: Callable[[], argparse.Namespace]) -> int:
    """Run a command: the project's errors become one line on stderr and their exit code."""
    try:
        return main(args())
    except IncidentCommanderError as exc:
        errors.print(f"error: {exc}", soft_wrap=True, markup=False, style="red")
        return exc.exit_code
