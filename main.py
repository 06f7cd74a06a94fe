"""Incident Commander: detect anomalies, let three agents investigate, write the RCA report.

Exit codes: 0 done (also when nothing fired), 1 investigation or writing failed (a partial
report is written when possible), 2 bad input or usage, 3 report written locally but the upload
failed, 130/143 stopped by SIGINT/SIGTERM (a partial report once the agents had started).
"""

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import scenarios
from errors import InvestigationError, UsageError
from pipeline import cli
from pipeline.cli import SIGNALS, Parser, aware_time, positive, run
from sinks import text
from sources.live import add_arguments, window_from_args

# Nothing at the top but the standard library and modules made of it: --help and
# --list-scenarios need no more. The rest (numpy, pydantic, pydantic_ai, rich, the sinks, the
# pipeline) is imported where used, after parsing.
if TYPE_CHECKING:
    from models import MetricAnomaly
    from sinks import Delivery, Sink

SLACK_ENV = "SLACK_WEBHOOK_URL"


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
        help="write the selected scenario (or the live window) out as a bundle and exit",
    )
    p.add_argument("--list-scenarios", action="store_true", help="list built-in scenarios")
    p.add_argument("--output-dir", type=Path, default=Path("rca_reports"))
    p.add_argument(
        "--model",
        help="'offline' or <provider>:<model>, provider openrouter, openai, anthropic, "
        "google-vertex or ollama (default: $INCIDENT_COMMANDER_MODEL, else by OPENROUTER_API_KEY)",
    )
    p.add_argument(
        "--no-fallback",
        action="store_true",
        help="a model failure fails the incident (exit 1) instead of an offline answer",
    )
    p.add_argument("--json", action="store_true", help="print the report JSON on stdout only")
    p.add_argument("--quiet", action="store_true", help="print only the report path")
    p.add_argument("--incident-id", help="use this id instead of INC-<date>-<NNN>")
    p.add_argument("--seed", type=int, default=42, help="seed of the built-in scenarios")
    p.add_argument(
        "--now",
        type=aware_time,
        help="end of a scenario's data, ISO 8601 with offset (default: the current time)",
    )
    add_arguments(p)  # live sources: --config, --from, --to, --since, --alert
    return p.parse_args(argv)


class ConsoleProgress:
    """The run as the console shows it: the stages, and what fired."""

    @contextmanager
    def stage(self, number: int, text: str) -> Iterator[None]:
        import asyncio

        cli.console.print(f"[bold][{number}/4][/bold] {text}")
        # A signal while an agent runs cancels it: the run then delivers a partial report.
        with SIGNALS.cancelling(asyncio.current_task()):
            with cli.console.status(f"{text.rstrip('.')}…", spinner="dots"):
                yield

    def detected(self, anomalies: "list[MetricAnomaly]") -> None:
        from triggers import group_anomalies

        if not anomalies:
            cli.console.print("No anomaly fired: nothing to investigate, no report written.")
        for g in group_anomalies(anomalies):
            side, worst = ("above", "peak") if g.direction == "above" else ("below", "low")
            points = "1 point" if g.count == 1 else f"{g.count} points"
            line = (
                f"  - {g.metric} ({g.service}): {points} {side} threshold, {worst} "
                f"{text.number(g.peak, g.metric)} vs threshold "
                f"{text.number(g.threshold, g.metric)}, first at {g.first:%H:%M:%S}Z"
            )
            say(line)


def main(argv: list[str] | None = None) -> int:
    return run(_main, lambda: parse_args(argv))


def _main(args: argparse.Namespace) -> int:
    _refuse_conflicts(args)
    if args.list_scenarios:  # plain text, printed without loading rich
        if not args.quiet:
            for s in scenarios.SCENARIOS.values():
                print(f"{s.name:<24} {s.summary}")
        return 0
    # stdout carries the JSON alone; None is rich's default (the sys.stdout of the moment), so
    # an in-process caller's earlier --json does not linger.
    cli.console.file = sys.stderr if args.json else None
    cli.console.quiet = args.quiet
    if args.bundles:
        return _main_bundles(args)
    now = args.now or datetime.now(UTC)  # the only wall-clock read; everything else gets it
    live = window_from_args(args, now)  # None unless --config or $INCIDENT_COMMANDER_CONFIG
    if live and live.batch:
        return _main_alerts(args, live, now)
    if args.concurrency != 1:
        raise UsageError("--concurrency needs --bundles, or --alert with several payloads")
    if args.export_bundle:
        from sources.bundle import export_bundle

        if live:
            telemetry, expected = _open_live(live, now).telemetry, None
        else:
            telemetry, expected = scenarios.get(args.scenario).build(now, args.seed)
        export_bundle(telemetry, args.export_bundle, expected)
        cli.console.print(f"Bundle written: {args.export_bundle}")
        return 0
    from sinks.files import check_free, validate_incident_id

    # Everything that can be refused is refused before anything runs: what needs no model
    # library first, so a mistyped flag is answered at once.
    scenario = None if live or args.bundle else scenarios.get(args.scenario)
    incident_id = validate_incident_id(args.incident_id) if args.incident_id else None
    _check_output_dir(args.output_dir)
    if incident_id and args.output_dir.is_dir():
        check_free(args.output_dir, incident_id)
    sinks = _sinks(args.output_dir, incident_id)
    import asyncio

    from agents.llm import choose
    from pipeline.investigate import Investigation, run_investigation

    choice = choose(args.model, fallback=not args.no_fallback)
    alerts, sources = (), None
    if live:
        window = _open_live(live, now)
        telemetry, now = window.telemetry, window.end
        alerts, sources = tuple(window.alerts), window.provenance
    elif args.bundle:
        from sources.bundle.reader import load_bundle

        telemetry = load_bundle(args.bundle)
        now = telemetry.end_time()
    else:
        telemetry, _ = scenario.build(now, args.seed)

    cli.console.print("[bold]=== Incident Commander ===[/bold]")
    cli.console.print(
        f"Data: {telemetry.name} ({len(telemetry.metrics())} metrics, "
        f"{len(telemetry.logs())} log lines); model: {choice.name}",
        soft_wrap=True,
        markup=False,
    )
    cli.console.print("[bold][1/4][/bold] Detecting anomalies...")
    try:
        delivery = asyncio.run(
            run_investigation(
                Investigation(telemetry, now, choice, alerts, sources), sinks, ConsoleProgress()
            )
        )
    except InvestigationError:
        if choice.state.denied:  # a wrong key is a usage error, not a failed investigation
            raise UsageError(choice.state.denied) from None
        raise
    SIGNALS.finished = True  # the report is complete and delivered: a signal now changes nothing
    if delivery is None:
        return 0
    _print_report(delivery, choice.state)
    if delivery.links:
        cli.console.print(f"Uploaded: {', '.join(delivery.links)}", soft_wrap=True, markup=False)
    else:
        cli.console.print("Upload skipped: ARTIFACTS_GCS_DIR is not set.")
    if os.environ.get(SLACK_ENV):
        cli.console.print("Summary posted to Slack.")
    if args.json:
        sys.stdout.write(delivery.files[1].read_text(encoding="utf-8"))
    elif args.quiet:
        print(delivery.files[0])
    return 0


def _main_alerts(args: argparse.Namespace, live, now: datetime) -> int:
    """Several alert payloads: one incident each, this Cloud Run task's share, like --bundles."""
    from agents.llm import choose
    from pipeline.batch import Job, run_in_console, shard, task_share

    if args.export_bundle or args.incident_id:
        flag = "--export-bundle" if args.export_bundle else "--incident-id"
        raise UsageError(f"{flag} takes one alert, not a list or a directory of them")
    choose(args.model, fallback=not args.no_fallback)  # refuse a bad model before anything runs
    index, count = task_share(os.environ)
    mine = shard(list(live.batch), index, count)

    def job(payload: tuple[str, str]) -> Job:
        def load():
            from sources.live import open_live

            window = open_live(live.config, None, live.end, payload, now)
            return window.telemetry, window.end, tuple(window.alerts), window.provenance

        return Job(payload[1], load)

    heading = (
        f"task {index + 1} of {count}: {len(mine)} of {len(live.batch)} alert payloads, "
        f"concurrency {args.concurrency}"
    )
    return run_in_console(
        [job(p) for p in mine],
        lambda: _sinks(args.output_dir),
        lambda: choose(args.model, fallback=not args.no_fallback),
        args.concurrency,
        heading,
    )


def _open_live(live, now: datetime):
    from sources.live import open_live

    window = open_live(live.config, live.start, live.end, live.alert, now)
    p = window.provenance
    alerts = "".join(f"; alert {a['alertname']} ({a['status']})" for a in p["alerts"])
    cli.console.print(
        f"Live: {', '.join(p['sources'].values())}; {p['window']['from']} to "
        f"{p['window']['to']}, step {p['step_seconds']} s{alerts}",
        soft_wrap=True,
        markup=False,
    )
    return window


def _refuse_conflicts(args: argparse.Namespace) -> None:
    """Flags that cannot go together are refused (exit 2), never silently ignored."""
    pairs = [
        ("--json", args.json, "--quiet", args.quiet),
        ("--bundle", args.bundle, "--scenario", args.scenario != scenarios.DEFAULT),
        ("--bundle", args.bundle, "--seed", args.seed != 42),
        ("--bundle", args.bundle, "--now", args.now),
        ("--bundle", args.bundle, "--export-bundle", args.export_bundle),
        ("--list-scenarios", args.list_scenarios, "--json", args.json),
    ]
    for first, a, second, b in pairs:
        if a and b:
            raise UsageError(f"{first} cannot go with {second}")


def _sinks(output_dir: Path, incident_id: str | None = None) -> "list[Sink]":
    from sinks.files import LocalFiles

    local = LocalFiles(output_dir, incident_id)
    sinks: list[Sink] = [local]
    if gcs := os.environ.get("ARTIFACTS_GCS_DIR"):
        from sinks.gcs import GcsUpload, parse_gcs_dir

        sinks.append(GcsUpload(parse_gcs_dir(gcs), local))  # they settle the id together
    if webhook := os.environ.get(SLACK_ENV):
        from sinks.slack import SlackPost

        sinks.append(SlackPost(webhook))  # last: it links to the files and uploads
    return sinks


def _main_bundles(args: argparse.Namespace) -> int:
    from agents.llm import choose
    from pipeline.batch import run_bundles

    if not args.bundles:
        raise UsageError("--concurrency needs --bundles")
    defaults = vars(parse_args([]))
    single = ("bundle", "scenario", "seed", "now", "export_bundle", "incident_id", "json", "quiet")
    if clash := [name for name in single if getattr(args, name) != defaults[name]]:
        flag = "--" + clash[0].replace("_", "-")
        raise UsageError(f"--bundles investigates the bundles under DIR; {flag} cannot go with it")
    choose(args.model, fallback=not args.no_fallback)  # refuse a bad model before anything runs
    _sinks(args.output_dir)
    _check_output_dir(args.output_dir)
    return run_bundles(
        args.bundles,
        lambda: _sinks(args.output_dir),
        lambda: choose(args.model, fallback=not args.no_fallback),
        args.concurrency,
    )


def _check_output_dir(output_dir: Path) -> None:
    from sinks.files import check_output_dir

    for note in check_output_dir(output_dir):
        cli.errors.print(f"warning: {note}", soft_wrap=True, markup=False, style="yellow")


def say(line: str) -> None:
    """Print a line that holds text from data or a model: neutralised, never markup."""
    indent = " " * (len(line) - len(line.lstrip(" ")))
    cli.console.print(indent + text.console(line), soft_wrap=True, markup=False)


def _print_report(delivery: "Delivery", state) -> None:
    from sinks.markdown import order_findings

    report = delivery.report
    cli.console.print("[bold]=== Incident Complete ===[/bold]")
    cli.console.print(f"RCA written: {delivery.files[0]}", soft_wrap=True, markup=False)
    say(f"Root cause: {report.root_cause}")
    cli.console.print(f"Confidence: {report.confidence:.0%}")
    say(f"Affected services: {', '.join(report.affected_services) or 'none'}")
    for f in order_findings(report):
        say(f"  - {f.service}: {f.category} -> {f.action} ({f.confidence:.0%})")
    by = ", ".join(report.answered_by)
    fell = f"; fell back to the offline investigator ({state.reason})" if state.fell_back else ""
    say(f"Model: {report.model}; answers from: {by}{fell}")
    for name, u in report.usage.items():
        cli.console.print(
            f"  {name}: {u.requests} requests, {u.tool_calls} tool calls, "
            f"{u.input_tokens} input + {u.output_tokens} output tokens"
        )


if __name__ == "__main__":
    sys.exit(main())
