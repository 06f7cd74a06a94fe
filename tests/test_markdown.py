"""The markdown report and the neutralisers of sinks/text.py: pure functions, tables of cases."""

from datetime import UTC, datetime, timedelta

import pytest

from models import AnomalyGroup, Finding, LogEntry, LogSummary, RCAReport, TimelineEvent
from sinks import text
from sinks.markdown import order_findings, render_markdown, steps_by_finding

T = datetime(2026, 3, 15, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("heap_usage_mb 20 -> 2", "heap_usage_mb 20 -> 2"),  # ordinary text stays as it is
        ("pool_size: 20 & timeout", "pool_size: 20 & timeout"),
        ("# SVC", "\\# SVC"),
        ("> quoted", "\\> quoted"),
        ("- item", "\\- item"),
        ("1. first", "1\\. first"),
        ("---", "\\---"),
        ("a | b", "a \\| b"),
        ("see [docs](x)", "see \\[docs\\](x)"),
        ("<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>"),
        ("x &amp; y", "x &amp;amp; y"),
        ("`rm -rf`", "\\`rm -rf\\`"),
        ("*bold* _it_", "\\*bold\\* \\_it\\_"),
        ("http://evil.example/x", "http\\://evil.example/x"),
        ("www.evil.example", "www\\.evil.example"),
        ("see evil.com/x at discounts.py:80", "see evil\\.com/x at discounts\\.py:80"),
        ("java.lang.OutOfMemoryError v2.4.1", "java.lang.OutOfMemoryError v2.4.1"),
        ("mail ops@evil.example", "mail ops\\@evil.example"),
        ("v1.2 :fire: at 14:05:30", "v1.2 `:fire:` at 14:05:30"),
        ("line\nbreak\r\n# H", "line break # H"),  # one line: # mid-line is text
    ],
)
def test_markdown_escapes_only_what_would_start_structure(raw, expected):
    assert text.markdown(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "\x1b[31mred\x1b[0m",
        "\x1b]52;c;ZWNobyBwd25lZA==\x07",
        "bell\x07 nul\x00 del\x7f",
        "abc\u202edcba",  # RLO
        "zero\u200bwidth\ufeff\u2066iso\u2069",
        "lone \ud800 surrogate",
    ],
)
@pytest.mark.parametrize("neutralise", [text.markdown, text.console, text.slack])
def test_no_control_bidi_or_zero_width_character_survives(raw, neutralise):
    out = neutralise(raw)
    out.encode("utf-8")  # a lone surrogate never crashes a writer
    assert all(c.isprintable() for c in out)
    assert not any(c in out for c in "\x1b\x07\x00\u202e\u200b\ufeff\u2066\u2069")


def test_slack_escapes_its_three_characters():
    assert text.slack("<!channel> & <http://x|y>") == "&lt;!channel&gt; &amp; &lt;http://x|y&gt;"


@pytest.mark.parametrize(
    "value, metric, expected",
    [
        (2103216394.26, "resident_memory_bytes", "1.96 GiB"),
        (2.103e9, "requests_total", "2.1G"),
        (48830.36, "goroutines", "48,830"),
        (405.887, "latency_p99", "405.9"),
        (0.35733, "duration_p95", "0.3573"),
        (0.0, "x", "0"),
    ],
)
def test_numbers_read_as_people_write_them(value, metric, expected):
    assert text.number(value, metric) == expected


def test_cut_stops_at_a_word_boundary():
    assert text.cut("io exception: Connection refused", 18) == "io exception…"
    assert text.cut("short", 18) == "short"


def _finding(service, category, action, evidence=("evidence",), confidence=0.9):
    return Finding(
        service=service,
        category=category,
        action=action,
        summary=f"{service} broke",
        evidence=list(evidence),
        confidence=confidence,
    )


def _group(metric, service, first=T):
    return AnomalyGroup(
        metric=metric, service=service, count=1, first=first, last=first, peak=2.0, threshold=1.0
    )


def _report(**update) -> RCAReport:
    fields = dict(
        incident_id="INC-20260315-001",
        root_cause="two things",
        timeline=[
            TimelineEvent(timestamp=T - timedelta(minutes=15), event="checkout v2 deployed"),
            TimelineEvent(timestamp=T + timedelta(minutes=1), event="first error"),
        ],
        affected_services=["worker", "checkout"],
        remediation_steps=[
            "Capture a heap dump of worker",
            "Restart worker",
            "Fix the leak",
            "Roll back checkout",
            "Review the change",
        ],
        confidence=0.9,
        findings=[
            _finding("worker", "memory_leak", "restart"),
            _finding(
                "checkout",
                "config_change",
                "rollback",
                ["diff: pool 20 -> 2", "ruled out: traffic (flat request rate)"],
            ),
        ],
        triggered_at=T,
        model="offline",
        answered_by=["offline-investigator"],
        anomalies=[
            _group("heap_usage_mb", "worker", T - timedelta(minutes=20)),
            _group("error_rate", "checkout"),
        ],
        metrics_summary="Metrics triage:\n- checkout: error_rate level shift\nAffected: checkout.",
        log_summary=LogSummary(
            summary="checkout: {'ERROR': 795} - 589x ERROR # - Connection",
            error_counts={"checkout": 795, "worker": 4},
            key_entries=[
                LogEntry(timestamp=T, service="checkout", level="ERROR", message="pool exhausted"),
            ],
        ),
    )
    return RCAReport(**{**fields, **update})


def test_customer_facing_findings_come_first_with_their_own_steps():
    r = _report()
    findings = order_findings(r)
    assert [f.service for f in findings] == ["checkout", "worker"]  # 500s before the restart
    steps, unowned = steps_by_finding(r, findings)
    assert steps == [
        ["Roll back checkout", "Review the change"],
        ["Capture a heap dump of worker", "Restart worker", "Fix the leak"],
    ]
    assert unowned == []


def test_report_reads_well():
    md = render_markdown(_report())
    assert md.startswith("# Incident INC-20260315-001\n")
    assert "- **Triggered:** 2026-03-15 14:05:00Z" in md
    first_row = md.split("|---|---|\n", 1)[1].splitlines()[0]
    assert first_row.startswith("| 2026-03-15 14:05:00Z |")  # the timeline opens at the onset
    assert md.index("### 1. checkout") < md.index("### 2. worker")
    assert "**Ruled out**\n\n- traffic (flat request rate)" in md
    assert "diff: pool 20 -> 2" in md  # no -&gt;
    assert md.count("Metrics triage") == 1
    assert "{'" not in md and " # " not in md  # no reprs, no signature placeholders
    assert "| checkout | 795 |" in md


def test_a_quiet_report_says_so():
    md = render_markdown(_report(findings=[], root_cause="Nothing supports a root cause."))
    assert md.startswith("# No incident identified (INC-20260315-001)")


def test_hostile_names_stay_text():
    hostile = "# SVC\x1b]52;c;eA==\x07 [x](http://evil) <b>:fire:\u202e"
    r = _report(
        affected_services=[hostile],
        findings=[_finding(hostile, "code_regression", "rollback", [hostile])],
        anomalies=[_group(hostile, hostile)],
    )
    md = render_markdown(r)
    assert "\n# SVC" not in md and "- # SVC" not in md and "| # SVC" not in md
    assert " [x](" not in md and "\\[x\\](" in md  # no live link
    assert "<b>" not in md and "http://evil" not in md
    assert not any(c in md for c in "\x1b\x07\u202e")
    assert ":fire:" not in md.replace("`:fire:`", "")
