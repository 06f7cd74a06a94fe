"""The project's one error hierarchy: main.py catches IncidentCommanderError and nothing wider.

Each subclass carries the exit code the CLI documents (README, "Exit codes").
"""

import signal


class IncidentCommanderError(Exception):
    """Base of every error the CLI reports as one line."""

    exit_code = 1


class UsageError(IncidentCommanderError):
    """Bad flags, environment or arguments: nothing was investigated."""

    exit_code = 2


class BundleError(UsageError):
    """An incident bundle breaks the contract in shared/specs/incident-bundle.md."""

    def __init__(self, path: str, message: str, line: int | None = None):
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


class InvestigationError(IncidentCommanderError):
    """An agent failed even after the fallback."""

    exit_code = 1


class UploadError(IncidentCommanderError):
    """The report is written locally but could not be uploaded."""

    exit_code = 3


class OutputError(IncidentCommanderError):
    """The report could not be written (disk full, directory gone or read-only mid-run)."""

    exit_code = 1


class Stopped(BaseException):
    """SIGTERM or SIGINT stopped the run: exit 128 + the signal's number (143, 130).

    Not an Exception, like KeyboardInterrupt, so no `except Exception` on the way swallows it.
    """

    def __init__(self, signum: int, message: str | None = None):
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(message or f"stopped by {signal.Signals(signum).name}")
