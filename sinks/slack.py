"""Slack: a short Block Kit summary of the report, posted to an incoming webhook.

The last sink: it runs after the local files (and GCS) so it can name the report and link to
the uploaded copy. A failed post is exit 3, like a failed upload; the report stays written.
The webhook URL is a secret: it never appears in an error, a log line or the console.
"""

import time
from urllib.parse import quote, urlsplit

import httpx2  # pydantic-ai's HTTP client, already a dependency

from errors import UploadError, UsageError
from models import RCAReport
from sinks import Delivery
from sinks.markdown import ACTION, CATEGORY, order_findings, steps_by_finding
from sinks.text import slack

ENV = "SLACK_WEBHOOK_URL"
TIMEOUT_SECONDS = 10.0  # per attempt
ATTEMPTS = 3  # 429, 5xx and connection errors are retried; other answers are final
MAX_FINDINGS = 10  # Slack allows 50 blocks; a message people read holds far fewer


class SlackError(UploadError):
    """The report is written but the Slack post failed (exit 3)."""


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": False}


def _browser_link(uri: str) -> str | None:
    """gs://bucket/object as a link that opens in a browser signed in to Google Cloud."""
    if not uri.startswith("gs://"):
        return None
    bucket, _, name = uri[5:].partition("/")
    return f"https://storage.cloud.google.com/{quote(bucket)}/{quote(name)}"


def payload(delivery: Delivery) -> dict:
    """The Block Kit message: id, then root cause, action and confidence per finding, links."""
    r: RCAReport = delivery.report
    findings = order_findings(r)
    steps, _ = steps_by_finding(r, findings)
    title = f"Incident {r.incident_id}" if findings else f"No incident identified: {r.incident_id}"
    if r.status == "incomplete":
        title += " (investigation incomplete)"
    facts = f"Triggered {r.triggered_at:%Y-%m-%d %H:%M:%SZ}; confidence {r.confidence:.0%}"
    facts += f"; model {slack(r.model, 100)}" + ("; fell back to offline" if r.fell_back else "")
    blocks: list[dict] = [
        {"type": "header", "text": _plain(title[:150])},
        {"type": "section", "text": _plain(facts)},
    ]
    for i, (f, mine) in enumerate(zip(findings[:MAX_FINDINGS], steps, strict=False), 1):
        lines = [
            f"{i}. {slack(f.service, 200)}: {CATEGORY[f.category]}, {ACTION[f.action]} "
            f"({f.confidence:.0%})",
            slack(f.summary, 1200),
        ]
        if mine:
            lines.append(f"Next: {slack(mine[0], 600)}")
        blocks.append({"type": "section", "text": _plain("\n".join(lines))})
    if not findings:
        blocks.append({"type": "section", "text": _plain(slack(r.root_cause, 1500))})
    if len(findings) > MAX_FINDINGS:
        more = len(findings) - MAX_FINDINGS
        blocks.append({"type": "section", "text": _plain(f"{more} more findings in the report")})
    links = [(uri, _browser_link(uri)) for uri in delivery.links]
    if links:
        text = " · ".join(f"<{url}|{slack(uri.rsplit('/', 1)[-1])}>" for uri, url in links if url)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text or "-"}]})
    elif delivery.files:
        where = f"Report: {slack(str(delivery.files[0]), 500)}"
        blocks.append({"type": "context", "elements": [_plain(where)]})
    # The notification text: our own words and the validated id only.
    return {"text": title[:150], "blocks": blocks}


def check_webhook(url: str) -> str:
    """Refuse a webhook that is not an http(s) URL, without echoing it (it is a secret)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f"{ENV} must be an https:// URL (its value is not shown)")
    return url


class SlackPost:
    """Posts the summary after the report is written; exit 3 when Slack does not take it."""

    def __init__(self, webhook_url: str, timeout: float = TIMEOUT_SECONDS):
        self.url = check_webhook(webhook_url)
        self.timeout = timeout

    def deliver(self, delivery: Delivery) -> None:
        body = payload(delivery)
        problem = "no attempt"
        with httpx2.Client(timeout=self.timeout, follow_redirects=False) as client:
            for attempt in range(ATTEMPTS):
                if attempt:
                    time.sleep(0.5 * 2 ** (attempt - 1))
                try:
                    answer = client.post(self.url, json=body)
                except httpx2.HTTPError as exc:  # its message may hold the URL: name it only
                    problem = type(exc).__name__
                    continue
                if answer.status_code < 300:
                    return
                problem = f"HTTP {answer.status_code}"
                if answer.status_code != 429 and answer.status_code < 500:
                    break
        raise SlackError(f"posting the summary to Slack failed: {problem}")
