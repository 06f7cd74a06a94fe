"""storage.py: ARTIFACTS_GCS_DIR parsing, uploads against the emulator, bounded failures."""

import socket
import time
from pathlib import Path

import pytest

from errors import UploadError, UsageError
from sinks.gcs import GcsTarget, parse_gcs_dir, upload_reports

pytest_plugins = ["tests.gcs_emulator"]

REPORT_MD = "# RCA: checkout latency\n\nRoot cause: pool exhaustion — p95 420 ms → 3.1 s.\n"
REPORT_JSON = '{"incident": "checkout-latency", "confidence": 0.82}\n'


@pytest.mark.parametrize(
    ("value", "bucket", "prefix"),
    [
        ("gs://reports", "reports", ""),
        ("gs://reports/", "reports", ""),
        ("gs://rca-reports.example_1/runs/2024-06-01", "rca-reports.example_1", "runs/2024-06-01"),
        ("gs://abc/a/b/c/", "abc", "a/b/c"),
        ("gs://" + "b" * 63 + "/x", "b" * 63, "x"),
        ("gs://123/x..y/.hidden", "123", "x..y/.hidden"),
        ("gs://reports/incident reports", "reports", "incident reports"),
    ],
)
def test_parse_valid(value: str, bucket: str, prefix: str) -> None:
    assert parse_gcs_dir(value) == GcsTarget(bucket=bucket, prefix=prefix)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "s3://nope",
        "http://reports/x",
        "GS://reports",
        "gs:/reports",
        "reports",
        "gs://",
        "gs:///x",
        "gs://UPPER",
        "gs://ab",
        "gs://" + "b" * 64,
        "gs://-reports",
        "gs://reports-",
        "gs://rep$orts",
        "gs://my bucket",
        " gs://reports",
        "gs://reports ",
        "gs://reports\n",
        "gs://reports/a\nb",
        "gs://reports/a\tb",
        "gs://reports/\x7f",
        "gs://reports//x",
        "gs://reports/a//",
        "gs://reports/../x",
        "gs://reports/a/./b",
        "gs://reports/a/..",
    ],
)
def test_parse_invalid(value: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_gcs_dir(value)
    message = str(caught.value)
    assert message.startswith("ARTIFACTS_GCS_DIR must look like gs://bucket[/prefix], got ")
    assert repr(value) in message
    assert "\n" not in message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("target", "uri"),
    [
        (GcsTarget("reports", ""), "gs://reports/r.md"),
        (GcsTarget("reports", "a/b"), "gs://reports/a/b/r.md"),
    ],
)
def test_uri(target: GcsTarget, uri: str) -> None:
    assert target.uri("r.md") == uri


@pytest.fixture
def reports(tmp_path: Path) -> list[Path]:
    md = tmp_path / "rca-checkout.md"
    md.write_text(REPORT_MD, encoding="utf-8")
    js = tmp_path / "rca-checkout.json"
    js.write_text(REPORT_JSON, encoding="utf-8")
    return [md, js]


@pytest.mark.parametrize("prefix", ["runs/2024-06-01", ""])
def test_upload_byte_identical_with_content_types(gcs_emulator, reports, prefix) -> None:
    target = GcsTarget(gcs_emulator.bucket, prefix)
    uris = upload_reports(target, reports)

    assert uris == [target.uri("rca-checkout.md"), target.uri("rca-checkout.json")]
    md, md_type = gcs_emulator.download(target.object_name("rca-checkout.md"))
    js, js_type = gcs_emulator.download(target.object_name("rca-checkout.json"))
    assert md == reports[0].read_bytes()
    assert md_type == "text/markdown; charset=utf-8"
    assert js == reports[1].read_bytes()
    assert js_type == "application/json"


def test_nothing_to_upload_needs_no_client(monkeypatch) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/adc.json")
    assert upload_reports(GcsTarget("reports", ""), []) == []


def assert_one_line_upload_error(error: UploadError, uri: str) -> str:
    message = str(error)
    assert message.startswith(f"could not upload {uri}")
    assert "\n" not in message and "Traceback" not in message
    assert error.exit_code == 3
    return message


def test_dead_endpoint_fails_fast_with_defaults(gcs_emulator_down, reports) -> None:
    target = GcsTarget("reports", "runs")

    started = time.monotonic()
    with pytest.raises(UploadError) as caught:
        upload_reports(target, reports)
    elapsed = time.monotonic() - started

    assert elapsed < 15
    message = assert_one_line_upload_error(caught.value, target.uri("rca-checkout.md"))
    assert "after 3 attempts" in message
    assert "ConnectionError" in message and "Max retries" not in message


def test_silent_endpoint_is_cut_off_by_timeout(monkeypatch, reports) -> None:
    # Accepts connections (the kernel's backlog) but never answers: only timeouts end this.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
        target = GcsTarget("reports", "")

        started = time.monotonic()
        with pytest.raises(UploadError) as caught:
            upload_reports(target, reports, timeout=0.5, attempts=2)
        elapsed = time.monotonic() - started

    assert elapsed < 5
    message = assert_one_line_upload_error(caught.value, target.uri("rca-checkout.md"))
    assert "after 2 attempts" in message


def test_missing_bucket_is_not_retried(gcs_emulator, reports) -> None:
    target = GcsTarget("no-such-bucket", "")
    with pytest.raises(UploadError) as caught:
        upload_reports(target, reports)
    message = assert_one_line_upload_error(caught.value, target.uri("rca-checkout.md"))
    assert "NotFound" in message and "attempts" not in message


def test_missing_local_file(gcs_emulator, tmp_path) -> None:
    target = GcsTarget(gcs_emulator.bucket, "")
    with pytest.raises(UploadError) as caught:
        upload_reports(target, [tmp_path / "gone.md"])
    message = assert_one_line_upload_error(caught.value, target.uri("gone.md"))
    assert "FileNotFoundError" in message


def test_missing_credentials_is_an_upload_error(monkeypatch, reports) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/adc.json")
    with pytest.raises(UploadError) as caught:
        upload_reports(GcsTarget("reports", ""), reports)
    message = str(caught.value)
    assert message.startswith("could not connect to gs://reports: DefaultCredentialsError")
    assert "\n" not in message
