"""The live-mode flags (--config, --from, --to, --since, --alert) and their valid combinations."""

import argparse
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from errors import UsageError
from sources.live.settings import parse_duration

CONFIG_ENV = "INCIDENT_COMMANDER_CONFIG"
ALERT_ENV = "INCIDENT_COMMANDER_ALERT"


@dataclass(frozen=True)
class LiveRequest:
    """What the command line asks of the live sources; start is None when an alert decides it."""

    config: Path
    start: datetime | None
    end: datetime
    alert: tuple[str, str] | None  # (payload JSON, where it came from) or None
    # Several payloads (--alert on a JSON list or a directory of payload files): one incident
    # each, shared out over Cloud Run tasks like --bundles. Empty for a single payload.
    batch: tuple[tuple[str, str], ...] = ()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the live-mode flags of shared/specs/live-sources.md to `parser`."""
    group = parser.add_argument_group("live sources (shared/specs/live-sources.md)")
    group.add_argument(
        "--config",
        type=Path,
        help=f"live-sources TOML file (default: ${CONFIG_ENV}); turns live mode on",
    )
    group.add_argument("--from", dest="from_time", metavar="TIME", help="window start, ISO 8601")
    group.add_argument("--to", dest="to_time", metavar="TIME", help="window end (default: now)")
    group.add_argument("--since", metavar="DURATION", help="the last DURATION (30m, 3h, 2d)")
    group.add_argument(
        "--alert",
        metavar="FILE|-",
        help=f"Alertmanager webhook payload deciding the window (default: ${ALERT_ENV})",
    )


def window_from_args(
    args: argparse.Namespace, now: datetime, environ=None, stdin=None
) -> LiveRequest | None:
    """The live request the flags make, None when live mode is off; conflicts are UsageErrors."""
    env = os.environ if environ is None else environ
    alert_env = env.get(ALERT_ENV) or None
    given = [
        flag
        for flag, value in (
            ("--from", args.from_time),
            ("--to", args.to_time),
            ("--since", args.since),
            ("--alert", args.alert),
        )
        if value is not None
    ]
    if args.config is not None and getattr(args, "bundle", None):
        raise UsageError("--config conflicts with --bundle")
    from_env = env.get(CONFIG_ENV) or None
    config = args.config or (None if getattr(args, "bundle", None) else from_env)
    if config is None:
        if given:
            raise UsageError(f"{given[0]} needs --config (or ${CONFIG_ENV})")
        return None
    config = Path(config)
    to = _time(args.to_time, "--to") if args.to_time else None
    if args.since is not None:
        if args.from_time or args.alert:
            other = "--from" if args.from_time else "--alert"
            raise UsageError(f"--since conflicts with {other}")
        if to is not None:
            raise UsageError("--since conflicts with --to (use --from and --to)")
        try:
            span = parse_duration(args.since)
        except ValueError as e:
            raise UsageError(f"--since: {e}") from None
        return LiveRequest(config, now - span, now, None)
    if args.from_time is not None:
        if args.alert:
            raise UsageError("--from conflicts with --alert (the alert decides the window)")
        start, end = _time(args.from_time, "--from"), to or now
        if start >= end:
            raise UsageError(
                f"--from {args.from_time} is not before the window end {end:%Y-%m-%dT%H:%M:%SZ}"
            )
        return LiveRequest(config, start, end, None)
    if args.alert is not None:
        payloads = _payloads(*_read_alert(args.alert, stdin))
        if len(payloads) == 1 and not Path(args.alert).is_dir():
            return LiveRequest(config, None, to or now, payloads[0])
        return LiveRequest(config, None, to or now, payloads[0], tuple(payloads))
    if alert_env is not None:
        return LiveRequest(config, None, to or now, (alert_env, f"${ALERT_ENV}"))
    raise UsageError(f"--config {config} needs a window: --from, --since or --alert")


def _payloads(text: str, where: str) -> list[tuple[str, str]]:
    """A payload, or each payload of a JSON list of them (a burst of pages)."""
    stripped = text.lstrip()
    if not stripped.startswith("["):
        return [(text, where)]
    try:
        items = json.loads(stripped)
    except ValueError as e:
        raise UsageError(f"{where}: the alert payloads are not JSON: {e}") from None
    if not items:
        raise UsageError(f"{where}: an empty list of alert payloads")
    return [(json.dumps(item), f"{where}[{i}]") for i, item in enumerate(items)]


def _read_alert(source: str, stdin) -> tuple[str, str]:
    if source != "-" and Path(source).is_dir():
        files = sorted(Path(source).glob("*.json"))
        if not files:
            raise UsageError(f"--alert {source}: a directory without *.json payload files")
        texts = [_read_alert(str(f), stdin) for f in files]
        joined = "[" + ",".join(t for t, _ in texts) + "]"  # each file one payload, in order
        return joined, source
    if source == "-":
        return (stdin or sys.stdin).read(), "--alert - (stdin)"
    try:
        return Path(source).read_text(encoding="utf-8"), source
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise UsageError(f"--alert {source}: cannot read the payload: {reason}") from None


def _time(text: str, flag: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"{flag} {text!r}: not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise UsageError(f"{flag} {text!r}: needs a UTC offset or Z")
    return value.astimezone(UTC)
