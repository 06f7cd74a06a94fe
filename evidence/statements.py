"""The one-line statements a finding quotes as evidence, and the log judgements behind them.

Metric changes are phrased with their units (bytes in KiB/MiB/GiB); log lines are flattened to
one line (a stack trace keeps its first line and what was thrown); a dependency's own logs are
read for what a human would look for: new errors, a death just before onset, silence after it.
"""

import re

from evidence.kinds import exception_names
from evidence.logs import ServiceLogDetails
from evidence.metrics import BaselineComparison
from semantics import headroom_left, is_memory


def value(x: float | None, unit: str | None) -> str:
    """A value with its unit; bytes in KiB/MiB/GiB so a reader need not count digits."""
    if x is None:
        return "?"
    if is_bytes(unit) and abs(x) >= 1024:
        for scale, name in ((1024**4, "TiB"), (1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB")):
            if abs(x) >= scale:
                q = x / scale  # 1023 MiB, not 1.02e+03 MiB
                return f"{q:.3g} {name}" if abs(q) < 100 else f"{q:.0f} {name}"
    return f"{x:g} {unit}" if unit else f"{x:g}"


def is_bytes(unit: str | None) -> bool:
    return (unit or "").lower() in ("b", "byte", "bytes")


def describe(c: BaselineComparison) -> str:
    when = f"{c.onset:%H:%M}Z" if c.onset else "?"
    # The baseline carries a unit only when it changes the number's form (bytes).
    base = value(c.baseline_median, c.unit if is_bytes(c.unit) else None)
    if c.shape == "ramp":
        peak = value(c.after_max, c.unit)
        if c.sawtooth_drops:
            return f"{c.metric} ramps to {peak} from {when}"
        text = f"{c.metric} ramps from {base} to {peak} over {c.rise_minutes:.0f} min from {when}"
        return text + (", with 0 sharp drops (no GC sawtooth)" if is_memory(c) else "")
    ratio = f"x{c.change_ratio:g}, " if c.change_ratio is not None else ""
    if (left := headroom_left(c)) is not None:
        return (
            f"{c.metric} falls from {base} at {when} to {value(c.after_max, c.unit)}, "
            f"{left:.0%} of its baseline ({1 - left:.0%} of the headroom gone; "
            f"median {ratio}z={c.robust_z:g})"
        )
    return (
        f"{c.metric} {c.shape.replace('_', ' ')} at {when}: median {base} -> "
        f"{value(c.after_median, c.unit)} ({ratio}z={c.robust_z:g})"
    )


def describe_floor(c: BaselineComparison) -> str:
    """The lows of a sawtooth (what each GC leaves behind) climbing across the window."""
    start, end = value(c.floor_start, c.unit), value(c.floor_end, c.unit)
    ratio = f" (x{c.floor_end / c.floor_start:.2g})" if c.floor_start and c.floor_end else ""
    return f"{c.metric} floor after each drop (GC) climbs from {start} to {end}{ratio}"


def new_errors(logs: ServiceLogDetails | None) -> bool:
    """Errors after onset at well above the rate before it."""
    if logs is None or logs.errors_after < 3:
        return False
    before_rate = logs.errors_before / max(logs.minutes_before, 1)
    return logs.errors_after / max(logs.minutes_after, 1) > 3 * before_rate


def new_trouble(logs: ServiceLogDetails) -> bool:
    """Warnings or errors after onset at well above the rate before it."""
    after = logs.errors_after + logs.warnings_after
    before = logs.errors_before + logs.warnings_before
    return after >= 3 and after / max(logs.minutes_after, 1) > 3 * before / max(
        logs.minutes_before, 1
    )


def went_silent(logs: ServiceLogDetails) -> bool:
    """A service that logged steadily before onset and (almost) nothing after it."""
    before = logs.lines_before / max(logs.minutes_before, 1)
    return logs.lines_before >= 10 and logs.lines_after / max(logs.minutes_after, 1) < 0.1 * before


def dependency_trouble(logs: ServiceLogDetails | None) -> list[str]:
    """What a dependency's own logs show around the onset: new errors, dying, going silent."""
    if logs is None:
        return []
    lines = []
    if new_errors(logs):
        lines.append(
            f"{logs.service} itself logs {logs.errors_after} errors after onset "
            f"(vs {logs.errors_before} before)"
        )
    lines += [
        f"{logs.service} at {e.timestamp:%H:%M:%S}Z, just before onset: {e.level} "
        + one_line(e.message)
        for e in logs.lead_up[:2]
    ]
    if went_silent(logs):
        last = f", last line at {logs.last_line:%H:%M:%S}Z" if logs.last_line else ""
        lines.append(
            f"{logs.service} went silent: {logs.lines_before} lines in the "
            f"{logs.minutes_before:.0f} min before onset, {logs.lines_after} after{last}"
        )
    return lines


def tag(logs: ServiceLogDetails | None, name: str) -> int:
    return logs.tag_counts.get(name, 0) if logs else 0


def one_line(message: str, width: int = 160) -> str:
    """A log message on one line: a multi-line trace keeps its first line and the line that
    tells what was thrown: its last exception (the root "Caused by:" of a chain, Python's
    closing `KeyError: ...`), else its top frame; never a thread's last frame, which says
    nothing (`at java.lang.Thread.run`)."""
    lines = [x.strip() for x in message.strip().splitlines() if x.strip()]
    if len(lines) < 2:
        return _fit(lines[0] if lines else "", width)
    rest = lines[1:]
    thrown = [x for x in rest if not _FRAME.match(x) and exception_names(x)]
    frames = [x for x in rest if _FRAME.match(x) and not x.startswith("goroutine ")]
    tail = thrown[-1] if thrown else frames[0] if frames else rest[-1]
    return _fit(f"{lines[0]} ... {tail}", width)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


# A stack frame line: Java/Node "at ...", Python 'File "..."', Java's "... 12 more", Go's
# "goroutine 7 [running]:" and "/src/x.go:42 +0x1d".
_FRAME = re.compile(r'at |File "|\.\.\. \d+ more|goroutine \d+|\S+\.go:\d+')


def log_evidence(logs: ServiceLogDetails | None, want: set[str] | None = None) -> list[str]:
    if logs is None:
        return []
    lines = []
    if new_errors(logs):
        lines.append(
            f"{logs.errors_after} ERROR/FATAL lines after onset vs "
            f"{logs.errors_before} in the {logs.minutes_before:.0f} min before"
        )
    for s in logs.new_signatures:
        if want is None or want & set(s.tags):
            seen = f" ({s.before} before onset)" if s.before else ""
            lines.append(
                f"{s.count}x {s.level} since {s.first_seen:%H:%M}Z{seen}: {one_line(s.sample)}"
            )
    return lines[:5]


def new_exceptions(logs: ServiceLogDetails | None) -> list[str]:
    """Exception types named by the new error signatures, most frequent first."""
    names: list[str] = []
    for s in logs.new_signatures if logs else []:
        if s.level in ("ERROR", "FATAL"):
            names += [n for n in exception_names(s.sample) if n not in names]
    return names
