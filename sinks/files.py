"""Rendering the RCA report and writing it: atomically, never over an existing report."""

import os
import re
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

from errors import UsageError
from models import RCAReport
from sinks import Delivery

INCIDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def validate_incident_id(value: str) -> str:
    if not INCIDENT_ID.fullmatch(value):
        raise UsageError(
            f"--incident-id must be 1-64 letters, digits, '-' or '_' (no paths), got {value!r}"
        )
    return value


def md(text: str) -> str:
    """Text from logs, diffs or a model as inert markdown: no HTML, no links, no formatting."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # Bare URLs autolink in most renderers; break the scheme and www. so none becomes live.
    text = re.sub(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)", r"\1&#58;", text)
    text = re.sub(r"(?i)\bwww\.", "www&#46;", text)
    return " ".join(text.split())  # one line: no headings or lists smuggled in via newlines


def _when(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%SZ")


def render_markdown(r: RCAReport) -> str:
    by = ", ".join(r.answered_by) or "nobody"
    lines = [f"# Incident {r.incident_id}", ""]
    if r.status == "incomplete":
        lines += [
            f"> **INCOMPLETE**: the investigation stopped early: {md(r.failure or '')}. "
            "Everything gathered before that is below.",
            "",
        ]
    lines += [
        f"- **Triggered:** {_when(r.triggered_at)}",
        f"- **Model asked:** `{r.model}`; **answers from:** {md(by)}",
        f"- **Fell back:** {'yes: ' + md(r.fallback_reason or '') if r.fell_back else 'no'}",
        f"- **Confidence:** {r.confidence:.0%}",
        f"- **Affected services:** {md(', '.join(r.affected_services)) or 'none identified'}",
        "",
        "## Root cause",
        "",
        md(r.root_cause),
        "",
        "## Findings",
        "",
    ]
    if not r.findings:
        lines += ["No root cause is supported by the evidence.", ""]
    for i, f in enumerate(r.findings, 1):
        lines += [
            f"### {i}. {md(f.service)}: `{f.category}` → `{f.action}` ({f.confidence:.0%})",
            "",
            md(f.summary),
            "",
            *[f"- {md(e)}" for e in f.evidence],
            "",
        ]
    lines += ["## Remediation", ""]
    lines += [f"{i}. {md(step)}" for i, step in enumerate(r.remediation_steps, 1)] or ["None."]
    lines += ["", "## Timeline", "", "| time (UTC) | event |", "|---|---|"]
    lines += [f"| {_when(e.timestamp)} | {md(e.event)} |" for e in r.timeline]
    lines += [
        "",
        "## Anomalies",
        "",
        "| metric | service | points | first | peak | threshold |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {md(a.metric)} | {md(a.service)} | {a.count} | {_when(a.first)} | {a.peak:.4g} | "
        f"{a.threshold:.4g} |"
        for a in r.anomalies
    ]
    if r.metrics_summary:
        lines += ["", "## Metrics triage", "", *[md(x) for x in r.metrics_summary.splitlines()]]
    if r.log_summary:
        lines += ["", "## Log summary", "", md(r.log_summary.summary), ""]
        lines += [
            f"- {_when(e.timestamp)} {md(e.service)} {e.level}: {md(e.message)}"
            for e in r.log_summary.key_entries
        ]
    if r.usage:
        lines += [
            "",
            "## Usage",
            "",
            "| agent | requests | tool calls | input tokens | output tokens |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {name} | {u.requests} | {u.tool_calls} | {u.input_tokens} | {u.output_tokens} |"
            for name, u in r.usage.items()
        ]
    return "\n".join(lines) + "\n"


def _publish(path: Path, data: str) -> None:
    """Create `path` with `data` atomically; FileExistsError if it already exists."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(tmp, path)  # atomic, and refuses to replace an existing file
    finally:
        tmp.unlink()


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
    """Write incident_<id>.md and .json; returns the report as written and the .md path.

    Without a fixed id, the id is INC-<YYYYMMDD>-<NNN> with NNN the next free number here
    and above every number in `taken` (report file names in use elsewhere, e.g. in GCS); a
    concurrent writer that takes a number first makes this one move on to the next.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    prefix = id_prefix(report)
    number = _next_number(output_dir, prefix, taken)
    while True:
        if not fixed_id:
            report = report.model_copy(update={"incident_id": f"{prefix}{number:03d}"})
        md_path, json_path = report_paths(output_dir, report.incident_id)
        try:
            if md_path.exists():
                raise FileExistsError(md_path)
            _publish(json_path, report.model_dump_json(indent=2) + "\n")
        except FileExistsError:
            if fixed_id:
                raise UsageError(
                    f"a report for incident {report.incident_id} already exists in {output_dir}"
                ) from None
            number += 1
            continue
        _publish(md_path, render_markdown(report))
        return report, md_path


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
