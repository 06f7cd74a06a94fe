"""Incident Commander: detect anomalies, let three agents investigate, write the RCA report.

Exit codes: 0 done (also when nothing fired), 1 investigation failed (a partial report is
written), 2 bad input or usage, 3 report written locally but the upload failed.
"""

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import scenarios
from agents.llm import choose
from errors import UsageError
from models import MetricAnomaly
from pipeline.batch import positive, run_bundles
from pipeline.cli import Parser, aware_time, console, run
from pipeline.investigate import Investigation, run_investigation
from sinks import Delivery, Sink
from sinks.files import LocalFiles, check_free, validate_incident_id
from triggers import group_anomalies


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default=scenarios.DEFAULT, help="built-in scenario to run")
    p.add_argument("--bundle", type=Path, help="investigate an incident bundle directory")
    p.add_argument(
        "--bundles",
        type=Path,
        metavar="DIR",
        help="investigate every bundle directory under DIR (a Cloud Run task: its share)",
    )
    p.add_argument(
        "--concurrency", type=positive, default=1, help="with --bundles: incidents at once"
    )
    p.add_argument(
        "--export-bundle",
        type=Path,
        metavar="DIR",
        help="write the selected scenario out as a bundle and exit",
    )
    p.add_argument("--list-scenarios", action="store_true", help="list built-in scenarios")
    p.add_argument("--output-dir", type=Path, default=Path("rca_reports"))
    p.add_argument(
        "--model",
        help="'offline' or 'openrouter:<model>' "
        "(default: $INCIDENT_COMMANDER_MODEL, else by OPENROUTER_API_KEY)",
    )
    p.add_argument("--incident-id", help="use this id instead of INC-<date>-<NNN>")
    p.add_argument("--seed", type=int, default=42, help="seed of the built-in scenarios")
    p.add_argument(
        "--now",
        type=aware_time,
        help="end of a scenario's data, ISO 8601 with offset (default: the current time)",
    )
    return p.parse_args(argv)


class ConsoleProgress:
    """The run as the console shows it: the stages, and what fired."""

    @contextmanager
    def stage(self, number: int, text: str) -> Iterator[None]:
        console.print(f"[bold][{number}/4][/bold] {text}")
        with console.status(f"{text.rstrip('.')}…", spinner="dots"):
            yield

    def detected(self, anomalies: list[MetricAnomaly]) -> None:
        if not anomalies:
            console.print("No anomaly fired: nothing to investigate, no report written.")
        for g in group_anomalies(anomalies):
            side, worst = ("above", "peak") if g.direction == "above" else ("below", "low")
            points = "1 point" if g.count == 1 else f"{g.count} points"
            console.print(
                f"  - {g.metric} ({g.service}): {points} {side} threshold, "
                f"{worst} {g.peak:.4g} vs threshold {g.threshold:.4g}, first at "
                f"{g.first:%H:%M:%S}Z",
                soft_wrap=True,
                markup=False,
            )


def main(argv: list[str] | None = None) -> int:
    return run(_main, lambda: parse_args(argv))


def _main(args: argparse.Namespace) -> int:
    if args.list_scenarios:
        for s in scenarios.SCENARIOS.values():
            console.print(f"{s.name:<24} {s.summary}", soft_wrap=True)
        return 0
    if args.bundles or args.concurrency != 1:
        return _main_bundles(args)
    now = args.now or datetime.now(UTC)  # the only wall-clock read; everything else gets it
    if args.export_bundle:
        from sources.bundle import export_bundle

        telemetry, expected = scenarios.get(args.scenario).build(now, args.seed)
        export_bundle(telemetry, args.export_bundle, expected)
        console.print(f"Bundle written: {args.export_bundle}")
        return 0
    # Everything that can be refused is refused before anything runs.
    choice = choose(args.model)
    incident_id = validate_incident_id(args.incident_id) if args.incident_id else None
    if incident_id and args.output_dir.is_dir():
        check_free(args.output_dir, incident_id)
    sinks = _sinks(args.output_dir, incident_id)
    if args.bundle:
        from sources.bundle.reader import load_bundle

        telemetry = load_bundle(args.bundle)
        now = telemetry.end_time()
    else:
        telemetry, _ = scenarios.get(args.scenario).build(now, args.seed)

    console.print("[bold]=== Incident Commander ===[/bold]")
    console.print(
        f"Data: {telemetry.name} ({len(telemetry.metrics())} metrics, "
        f"{len(telemetry.logs())} log lines); model: {choice.name}",
        soft_wrap=True,
        markup=False,
    )
    console.print("[bold][1/4][/bold] Detecting anomalies...")
    delivery = _run(Investigation(telemetry, now, choice), sinks)
    if delivery is None:
        return 0
    _print_report(delivery, choice.state)
    if len(sinks) == 1:
        console.print("Upload skipped: ARTIFACTS_GCS_DIR is not set.")
    else:
        console.print(f"Uploaded: {', '.join(delivery.links)}", soft_wrap=True, markup=False)
    return 0


def _sinks(output_dir: Path, incident_id: str | None = None) -> list[Sink]:
    local = LocalFiles(output_dir, incident_id)
    sinks: list[Sink] = [local]
    if gcs := os.environ.get("ARTIFACTS_GCS_DIR"):
        from sinks.gcs import GcsUpload, parse_gcs_dir

        sinks.append(GcsUpload(parse_gcs_dir(gcs), local))  # they settle the id together
    return sinks


def _main_bundles(args: argparse.Namespace) -> int:
    if not args.bundles:
        raise UsageError("--concurrency needs --bundles")
    defaults = vars(parse_args([]))
    single = ("bundle", "scenario", "seed", "now", "export_bundle", "incident_id")
    if clash := [name for name in single if getattr(args, name) != defaults[name]]:
        flag = "--" + clash[0].replace("_", "-")
        raise UsageError(f"--bundles investigates the bundles under DIR; {flag} cannot go with it")
    choose(args.model)  # refuse a bad model or ARTIFACTS_GCS_DIR before anything runs
    _sinks(args.output_dir)
    return run_bundles(
        args.bundles, lambda: _sinks(args.output_dir), lambda: choose(args.model), args.concurrency
    )


def _run(inv: Investigation, sinks: list[Sink]) -> Delivery | None:
    async def guarded() -> Delivery | None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        try:
            return await run_investigation(inv, sinks, ConsoleProgress())
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    return asyncio.run(guarded())


def _print_report(delivery: Delivery, state) -> None:
    report = delivery.report
    console.print("[bold]=== Incident Complete ===[/bold]")
    console.print(f"RCA written: {delivery.files[0]}", soft_wrap=True, markup=False)
    console.print(f"Root cause: {report.root_cause}", soft_wrap=True, markup=False)
    console.print(f"Confidence: {report.confidence:.0%}")
    console.print(
        f"Affected services: {', '.join(report.affected_services) or 'none'}", markup=False
    )
    for f in report.findings:
        console.print(
            f"  - {f.service}: {f.category} -> {f.action} ({f.confidence:.0%})", markup=False
        )
    by = ", ".join(report.answered_by)
    fell = f"; fell back to the offline investigator ({state.reason})" if state.fell_back else ""
    console.print(f"Model: {report.model}; answers from: {by}{fell}", soft_wrap=True, markup=False)
    for name, u in report.usage.items():
        console.print(
            f"  {name}: {u.requests} requests, {u.tool_calls} tool calls, "
            f"{u.input_tokens} input + {u.output_tokens} output tokens"
        )


if __name__ == "__main__":
    sys.exit(main())
