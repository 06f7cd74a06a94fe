"""Slack: the Block Kit summary, posted by the real CLI to a local HTTP receiver."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sinks import Delivery
from sinks.slack import SlackPost, payload
from tests.helpers import NOW_TEXT, cli, reports
from tests.test_markdown import _report

SECRET_PATH = "/services/T000/B000/XXXXsecretXXXX"


class Receiver:
    """An incoming-webhook stand-in that answers every POST with `status`."""

    def __init__(self, status: int = 200):
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.bodies.append(json.loads(body))
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{SECRET_PATH}"

    def __enter__(self) -> "Receiver":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _texts(body: dict) -> list[str]:
    out = []
    for block in body["blocks"]:
        for part in [block.get("text"), *block.get("elements", [])]:
            if part:
                out.append(part["text"])
    return out


def test_the_cli_posts_a_summary_after_the_report(tmp_path):
    with Receiver() as slack:
        run = cli(tmp_path, "--scenario", "checkout-config-bug", "--now", NOW_TEXT,
                  env={"SLACK_WEBHOOK_URL": slack.url})  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    (body,) = slack.bodies
    texts = "\n".join(_texts(body))
    assert body["blocks"][0]["text"]["text"] == "Incident INC-20260315-001"
    assert "checkout-service: configuration change, roll back (" in texts
    assert "Next: Roll back checkout-service" in texts
    assert "confidence" in texts and "incident_INC-20260315-001.md" in texts
    assert all(b["text"].get("emoji") is False for b in body["blocks"] if b["type"] != "context")
    assert "posted to Slack" in run.stdout
    assert SECRET_PATH not in run.stdout + run.stderr


def test_a_failed_post_is_exit_3_keeps_the_report_and_hides_the_webhook(tmp_path):
    with Receiver(status=500) as slack:
        run = cli(tmp_path, "--scenario", "checkout-config-bug", "--now", NOW_TEXT,
                  env={"SLACK_WEBHOOK_URL": slack.url})  # fmt: skip
    assert run.returncode == 3, run.stdout + run.stderr
    assert len(slack.bodies) == 3  # bounded retries
    assert "Slack" in run.stderr and "HTTP 500" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert SECRET_PATH not in run.stdout + run.stderr
    assert len(reports(tmp_path / "rca_reports")) == 2  # the report is kept


def test_an_unreachable_webhook_is_exit_3_without_the_url():
    closed = Receiver()
    url = closed.url
    closed.httpd.server_close()  # nothing listens there
    delivery = Delivery(_report(), files=[Path("incident_INC-20260315-001.md")])
    with pytest.raises(Exception) as failed:
        SlackPost(url, timeout=1).deliver(delivery)
    assert failed.value.exit_code == 3 and SECRET_PATH not in str(failed.value)


def test_a_bad_webhook_is_refused_before_anything_runs(tmp_path):
    run = cli(tmp_path, "--now", NOW_TEXT, env={"SLACK_WEBHOOK_URL": "ftp:/secret-token"})
    assert run.returncode == 2 and "SLACK_WEBHOOK_URL" in run.stderr
    assert "secret-token" not in run.stderr and not reports(tmp_path / "rca_reports")


def test_payload_links_to_the_uploaded_report_and_keeps_data_inert():
    hostile = _report(root_cause="x", affected_services=["<!channel> :fire:"])
    hostile.findings[0].summary = "<!here> *bold* :fire: \x1b[31m"
    delivery = Delivery(hostile, links=["gs://reports/runs/incident_INC-20260315-001.md"])
    body = payload(delivery)
    texts = "\n".join(_texts(body))
    assert "<!here>" not in texts and "&lt;!here&gt;" in texts and "\x1b" not in texts
    assert (
        "<https://storage.cloud.google.com/reports/runs/incident_INC-20260315-001.md"
        "|incident_INC-20260315-001.md>"
    ) in texts
    assert body["text"] == "Incident INC-20260315-001"
