"""Upload finished reports to Google Cloud Storage (ARTIFACTS_GCS_DIR).

The local report is always written first; this module only copies it to gs://.
Every failure surfaces as one UsageError (bad target) or UploadError (the copy failed).
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from google.api_core.retry import Retry
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

# DEFAULT_RETRY's own predicate: storage's list of transient errors (408, 429, 5xx, dropped
# connections, auth transport errors). Private, but the dependency is pinned.
from google.cloud.storage.retry import _should_retry

from errors import UploadError, UsageError
from sinks import Delivery

_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTENT_TYPES = {".md": "text/markdown; charset=utf-8", ".json": "application/json"}
_MAX_CAUSE = 300
# A healthy endpoint accepts in well under a second; without this a black-holed one would
# hold every attempt for the whole read timeout.
_CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class GcsTarget:
    """A bucket and an object-name prefix ("" for the bucket root), as parsed from gs://."""

    bucket: str
    prefix: str

    def object_name(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def uri(self, name: str) -> str:
        return f"gs://{self.bucket}/{self.object_name(name)}"


def parse_gcs_dir(value: str) -> GcsTarget:
    """Parse ARTIFACTS_GCS_DIR (gs://bucket or gs://bucket/prefix/, trailing slash allowed)."""

    def bad(why: str) -> UsageError:
        # !r keeps a stray newline visible and the message on one line.
        return UsageError(
            f"ARTIFACTS_GCS_DIR must look like gs://bucket[/prefix], got {value!r} ({why})"
        )

    if value != value.strip():
        raise bad("leading or trailing whitespace")
    if _CONTROL.search(value):
        raise bad("control characters")
    if not value.startswith("gs://"):
        raise bad("scheme must be gs://")
    bucket, _, prefix = value.removeprefix("gs://").partition("/")
    if not _BUCKET.fullmatch(bucket):
        raise bad(
            "bucket names are 3-63 lowercase letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    prefix = prefix.removesuffix("/")
    segments = prefix.split("/") if prefix else []
    if "" in segments:
        raise bad("empty path segment")
    if "." in segments or ".." in segments:
        raise bad("'.' and '..' segments are not allowed")
    return GcsTarget(bucket=bucket, prefix=prefix)


def upload_reports(
    target: GcsTarget, paths: list[Path], *, timeout: float = 30.0, attempts: int = 3
) -> list[str]:
    """Upload each file to target.uri(path.name) and return the gs:// URIs, in order.

    `timeout` bounds each HTTP request (connecting gets at most 5 s of it); `attempts` bounds
    the tries per object, and the first object that fails stops the batch. A refused
    connection therefore fails in under 2 s; a server that never answers in about
    attempts * timeout. Transient errors are retried: a report upload is an unconditional
    overwrite with the same bytes, so repeating it is idempotent.
    """
    if not paths:
        return []
    client = _client(target)
    bucket = client.bucket(target.bucket)
    uris = []
    for path in paths:
        uri = target.uri(path.name)
        budget = _AttemptBudget(attempts)
        blob = bucket.blob(target.object_name(path.name))
        # Set on the blob as well so the type travels in the object metadata, not only
        # as the media part's header.
        blob.content_type = _CONTENT_TYPES.get(path.suffix, "application/octet-stream")
        try:
            blob.upload_from_filename(
                str(path),
                content_type=blob.content_type,
                timeout=(min(timeout, _CONNECT_TIMEOUT), timeout),
                # Unconditional overwrite (no generation precondition): a rerun replaces
                # the report, and a retried request writes the same bytes again.
                if_generation_match=None,
                retry=budget.retry(timeout),
            )
        except Exception as exc:  # google, requests, urllib3, auth and OS errors alike
            raise UploadError(f"could not upload {uri}{budget.tries()}: {_one_line(exc)}") from exc
        uris.append(uri)
    return uris


def _client(target: GcsTarget):
    """One client for the whole batch: anonymous against the emulator, ADC otherwise."""
    try:
        if os.environ.get("STORAGE_EMULATOR_HOST"):
            project = os.environ.get("GOOGLE_CLOUD_PROJECT") or "local"
            return gcs.Client(project=project, credentials=AnonymousCredentials())
        return gcs.Client()
    except Exception as exc:  # DefaultCredentialsError, unknown project, OSError...
        raise UploadError(f"could not connect to gs://{target.bucket}: {_one_line(exc)}") from exc


class _AttemptBudget:
    """A retry policy that stops after `attempts` tries of one object."""

    def __init__(self, attempts: int):
        self.attempts = max(1, attempts)
        self.failures = 0

    def retry(self, timeout: float) -> Retry:
        # The deadline is only a backstop; the attempt count is what normally stops retrying.
        return Retry(
            predicate=self._should_retry,
            initial=0.5,
            maximum=2.0,
            multiplier=2.0,
            timeout=self.attempts * (timeout + 2.0),
        )

    def _should_retry(self, exc: Exception) -> bool:
        self.failures += 1
        return self.failures < self.attempts and _should_retry(exc)

    def tries(self) -> str:
        return f" after {self.failures} attempts" if self.failures > 1 else ""


def _one_line(exc: BaseException) -> str:
    """`Type: message` on one line, capped: never a traceback, never a whole HTTP body."""
    # api_core's RetryError hides the real cause behind "Timeout of Ns exceeded".
    cause = getattr(exc, "cause", None) or exc
    # requests wraps urllib3's MaxRetryError ("Max retries exceeded", misleading next to our
    # own retries); its .reason is the socket error worth reading.
    reason = getattr(cause.args[0], "reason", None) if cause.args else None
    detail = reason if isinstance(reason, Exception) else cause
    text = " ".join(f"{type(cause).__name__}: {detail}".split())
    return text if len(text) <= _MAX_CAUSE else text[: _MAX_CAUSE - 3] + "..."


class GcsUpload:
    """Uploads the files written so far under ARTIFACTS_GCS_DIR."""

    def __init__(self, target: GcsTarget):
        self.target = target

    def deliver(self, delivery: Delivery) -> None:
        delivery.links += upload_reports(self.target, delivery.files)
