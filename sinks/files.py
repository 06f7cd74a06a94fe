"""Writing the RCA report (sinks.markdown renders it): atomically, never over another one."""

import os
import re
import signal
import tempfile
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from errors import OutputError, UsageError
from models import RCAReport
from sinks import Delivery
from sinks.markdown import render_markdown

INCIDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def validate_incident_id(value: str) -> str:
    if not INCIDENT_ID.fullmatch(value):
        raise UsageError(
            f"--incident-id must be 1-64 letters, digits, '-' or '_' (no paths), got {value!r}"
        )
    return value


# Temporary files are hidden and unique (mkstemp), so writers sharing a directory never
# collide, even in containers where every run is PID 1.
_TEMP_PREFIX = ".incident_"
_TEMP_SUFFIX = ".tmp"
# A writer holds a temporary file, or one published file without its twin, for milliseconds:
# anything older was left by a killed run (SIGKILL between the two links).
ORPHAN_AGE_SECONDS = 300


def _temp_file(directory: Path, data: str) -> Path:
    fd, name = tempfile.mkstemp(dir=directory, prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _publish(files: list[tuple[Path, str]]) -> None:
    """Create every path with its data, all or none; FileExistsError if a name is taken.

    Each file is written to a temporary file first, then linked to its name (atomic, and
    refuses to replace); on any failure the links made so far are undone and no temporary
    file is left.
    """
    temps: list[Path] = []
    with _signals_held():
        try:
            for path, data in files:
                temps.append(_temp_file(path.parent, data))
            for tmp, (path, _) in zip(temps, files, strict=True):
                os.link(tmp, path)
        except BaseException:
            for tmp, (path, _) in zip(temps, files, strict=False):
                with suppress(OSError):  # only what this call linked: the same inode
                    if os.path.samefile(tmp, path):
                        path.unlink()
            raise
        finally:
            for tmp in temps:
                tmp.unlink(missing_ok=True)


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGTERM and Ctrl-C wait until the files are published (milliseconds), then act."""
    if threading.current_thread() is not threading.main_thread():
        yield  # Python runs signal handlers in the main thread only
        return
    held: list[int] = []
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    if None in previous.values():  # a handler not set from Python: leave it alone
        yield
        return
    for s in previous:
        signal.signal(s, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if held:
            signal.raise_signal(held[0])


def report_paths(output_dir: Path, incident_id: str) -> tuple[Path, Path]:
    base = output_dir / f"incident_{incident_id}"
    return base.with_suffix(".md"), base.with_suffix(".json")


def id_prefix(report: RCAReport) -> str:
    """What every generated id of this report's day starts with: INC-<YYYYMMDD>-."""
    return f"INC-{report.triggered_at:%Y%m%d}-"


def _next_number(output_dir: Path, prefix: str, taken: Collection[str] = ()) -> int:
    """One more than the highest number used here or named in `taken` (file names elsewhere)."""
    pattern = re.compile(rf"^incident_{re.escape(prefix)}(\d{{3,}})\.(?:md|json)$")
    names = [p.name for p in output_dir.iterdir()] + list(taken)
    used = [int(m.group(1)) for name in names if (m := pattern.match(name))]
    return max(used, default=0) + 1


def check_free(output_dir: Path, incident_id: str) -> None:
    if any(p.exists() for p in report_paths(output_dir, incident_id)):
        raise UsageError(f"a report for incident {incident_id} already exists in {output_dir}")


def write_report(
    report: RCAReport, output_dir: Path, fixed_id: bool, taken: Collection[str] = ()
) -> tuple[RCAReport, Path]:
    """Write incident_<id>.md and .json, both or neither; returns the report and the .md path.

    Without a fixed id, the id is INC-<YYYYMMDD>-<NNN> with NNN the next free number here
    and above every number in `taken` (report file names in use elsewhere, e.g. in GCS); a
    concurrent writer that takes a number first makes this one move on to the next.
    OutputError when the directory cannot take the files (full, read-only, gone).
    """
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        prefix = id_prefix(report)
        number = _next_number(output_dir, prefix, taken)
        while True:
            if not fixed_id:
                report = report.model_copy(update={"incident_id": f"{prefix}{number:03d}"})
            md_path, json_path = report_paths(output_dir, report.incident_id)
            try:
                # The .json first: it is what machines pick up, and it names the id.
                _publish(
                    [
                        (json_path, report.model_dump_json(indent=2) + "\n"),
                        (md_path, render_markdown(report)),
                    ]
                )
            except FileExistsError:
                if fixed_id:
                    raise UsageError(
                        f"a report for incident {report.incident_id} already exists in {output_dir}"
                    ) from None
                number += 1
                continue
            return report, md_path
    except OSError as exc:
        raise OutputError(
            f"could not write the report to {output_dir}: {_os_reason(exc)}"
        ) from None


def _os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def check_output_dir(output_dir: Path) -> list[str]:
    """Refuse an --output-dir that cannot take reports (UsageError), and clean up orphans.

    Returns one line per orphan removed: a temporary file, or an incident_<id>.json or .md
    without its twin, older than ORPHAN_AGE_SECONDS (a run killed while publishing).
    """
    where = f"--output-dir {output_dir}"
    if not output_dir.exists():
        parent = next((p for p in output_dir.parents if p.exists()), Path("."))
        if not parent.is_dir():
            raise UsageError(f"{where}: {parent} is not a directory")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise UsageError(f"{where}: cannot create it in {parent} (permission denied)")
        return []
    if not output_dir.is_dir():
        raise UsageError(f"{where}: not a directory")
    try:  # as root, or on a read-only mount, os.access says nothing: try it
        fd, probe = tempfile.mkstemp(dir=output_dir, prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"{where}: not writable ({_os_reason(exc)})") from None
    return remove_orphans(output_dir)


def remove_orphans(output_dir: Path, now: float | None = None) -> list[str]:
    """Remove what a killed writer left here; one line per file removed."""
    now = time.time() if now is None else now
    notes = []
    for path in sorted(output_dir.iterdir()):
        name = path.name
        try:
            if now - path.lstat().st_mtime < ORPHAN_AGE_SECONDS:
                continue
            if name.startswith(_TEMP_PREFIX) and name.endswith(_TEMP_SUFFIX):
                why = "an unfinished temporary file"
            elif _REPORT_FILE.fullmatch(name) and not path.with_suffix(_TWIN[path.suffix]).exists():
                why = f"its {_TWIN[path.suffix]} twin is missing"
            else:
                continue
            path.unlink()
        except FileNotFoundError:
            continue  # another run cleaned it first
        except OSError as exc:
            notes.append(f"could not remove orphan {path}: {_os_reason(exc)}")
            continue
        notes.append(f"removed orphan {path} ({why}: a run was killed while publishing)")
    return notes


_REPORT_FILE = re.compile(r"incident_[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.(?:md|json)")
_TWIN = {".md": ".json", ".json": ".md"}


class LocalFiles:
    """The first sink: incident_<id>.md and .json in the output directory, never overwritten."""

    def __init__(self, output_dir: Path, incident_id: str | None = None):
        self.output_dir = output_dir
        self.incident_id = incident_id

    def deliver(self, delivery: Delivery) -> None:
        report = delivery.report
        if self.incident_id:
            report = report.model_copy(update={"incident_id": self.incident_id})
        report, md_path = write_report(report, self.output_dir, self.incident_id is not None)
        delivery.report = report
        delivery.files += [md_path, md_path.with_suffix(".json")]

    def renumber(self, delivery: Delivery, taken: Collection[str]) -> None:
        """Move the delivered report to the next id free here and not in `taken`.

        For a later sink that found the id taken elsewhere (GcsUpload): the report is
        published under the new id first, then this sink's files under the old id go, so
        the report exists at every moment. Never used with a fixed --incident-id.
        """
        old = delivery.files[:2]
        report, md_path = write_report(delivery.report, self.output_dir, False, taken)
        for path in old:
            path.unlink(missing_ok=True)
        delivery.report = report
        delivery.files[:2] = [md_path, md_path.with_suffix(".json")]
