"""Upload finished reports to Google Cloud Storage (ARTIFACTS_GCS_DIR).

The local report is always written first; this module only copies it to gs://, and never
over an existing object: every upload is create-only (`ifGenerationMatch=0`). When another
task took the incident id first, the local files sink re-publishes the report under the next
id free both locally and in the prefix, and the upload is tried again (see GcsUpload).
Every failure surfaces as one UsageError (bad target) or UploadError (the copy failed).
"""

import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from google.api_core.exceptions import PreconditionFailed
from google.api_core.retry import Retry
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

# DEFAULT_RETRY's own predicate: storage's list of transient errors (408, 429, 5xx, dropped
# connections, auth transport errors). Private, but the dependency is pinned.
from google.cloud.storage.retry import _should_retry

from errors import UploadError, UsageError
from sinks import Delivery
from sinks.files import LocalFiles, id_prefix

_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTENT_TYPES = {".md": "text/markdown; charset=utf-8", ".json": "application/json"}
_MAX_CAUSE = 300
# A healthy endpoint accepts in well under a second; without this a black-holed one would
# hold every attempt for the whole read timeout.
_CONNECT_TIMEOUT = 5.0
# How many incident ids one report may try before giving up: each try is one listing and one
# create-only upload, and only a task that loses a race for the same id tries again.
MAX_ID_ATTEMPTS = 100
# A server that trickles a byte every few seconds never trips a per-request read timeout, so
# the whole delivery (listing, every object, every retry) runs against one deadline.
DEADLINE_ENV = "INCIDENT_COMMANDER_UPLOAD_DEADLINE"
DEFAULT_DEADLINE = 60.0

T = TypeVar("T")


class ReportExists(UploadError):
    """An object of that name is already in the bucket; it was left as it was."""

    def __init__(self, uri: str, index: int):
        super().__init__(f"{uri} already exists; not overwritten")
        self.index = index  # which of the files (0: the .md, which claims the id)


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

    Each object is created only if absent: ReportExists when the name is taken. `timeout`
    bounds each HTTP request (connecting gets at most 5 s of it); `attempts` bounds the tries
    per object, and the first object that fails stops the batch. A refused connection
    therefore fails in under 2 s; a server that never answers in about attempts * timeout.
    Transient errors are retried: a retried create cannot overwrite anything (at worst, when
    the first try's answer was lost, it reads as ReportExists and the report moves on).
    """
    if not paths:
        return []
    client = _client(target)
    bucket = client.bucket(target.bucket)
    uris = []
    for index, path in enumerate(paths):
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
                if_generation_match=0,  # create only: a report is never overwritten
                retry=budget.retry(timeout),
            )
        except PreconditionFailed:
            raise ReportExists(uri, index) from None
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


def _listed(target: GcsTarget, name_prefix: str, timeout: float = 10.0) -> set[str]:
    """The file names under the prefix that start with `name_prefix`; empty if not listable.

    Only a hint (a runtime account with objectCreator alone may not list): the create-only
    upload is what decides. One try, no retries: if the bucket is unreachable, the upload
    that follows says so with its own bounded retries.
    """
    try:
        blobs = _client(target).list_blobs(
            target.bucket,
            prefix=target.object_name(name_prefix),
            timeout=(min(timeout, _CONNECT_TIMEOUT), timeout),
            retry=None,
        )
        return {blob.name.rsplit("/", 1)[-1] for blob in blobs}
    except Exception:  # forbidden, unreachable...: fall back to trying ids one by one
        return set()


def upload_deadline(env: Mapping[str, str] = os.environ) -> float:
    """Seconds the whole upload may take: INCIDENT_COMMANDER_UPLOAD_DEADLINE, default 60."""
    text = env.get(DEADLINE_ENV)
    if text is None:
        return DEFAULT_DEADLINE
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 86400:
        raise UsageError(f"{DEADLINE_ENV} must be a number of seconds in (0, 86400], got {text!r}")
    return value


def _by(deadline: float, total: float, what: str, call: Callable[[], T]) -> T:
    """`call()`, or UploadError if it has not returned by `deadline` (time.monotonic()).

    The call runs in a daemon thread, abandoned at the deadline: the process never waits for
    it, and a create-only upload that completes later overwrites nothing.
    """
    result: Future[T] = Future()

    def target() -> None:
        try:
            result.set_result(call())
        except BaseException as exc:  # handed to the waiting thread, which raises it
            result.set_exception(exc)

    threading.Thread(target=target, name="gcs-upload", daemon=True).start()
    try:
        return result.result(timeout=max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        raise UploadError(
            f"{what}: not done within the upload deadline of {total:g} s ({DEADLINE_ENV})"
        ) from None


class GcsUpload:
    """Uploads the files written so far under ARTIFACTS_GCS_DIR, never over an existing object.

    The incident id is settled with the local files sink (`local`): if the prefix already
    holds a report with this id (listed, or refused by the create-only upload of the .md),
    the local sink re-publishes the report under the next id free in both places and the
    upload is tried again, at most MAX_ID_ATTEMPTS times. A fixed --incident-id never moves:
    its upload fails instead (exit 3, the local report kept). The whole delivery has one
    deadline (`deadline` seconds, else INCIDENT_COMMANDER_UPLOAD_DEADLINE, else 60).
    """

    def __init__(
        self, target: GcsTarget, local: LocalFiles | None = None, deadline: float | None = None
    ):
        self.target = target
        self.local = local
        self.deadline = upload_deadline() if deadline is None else deadline

    def deliver(self, delivery: Delivery) -> None:
        end = time.monotonic() + self.deadline
        movable = self.local is not None and not self.local.incident_id and bool(delivery.files)
        taken: set[str] = set()
        for _ in range(MAX_ID_ATTEMPTS):
            if movable:
                prefix = f"incident_{id_prefix(delivery.report)}"
                what = f"could not list {self.target.uri(prefix)}*"
                taken |= _by(end, self.deadline, what, partial(_listed, self.target, prefix))
                if delivery.files[0].name in taken or delivery.files[1].name in taken:
                    self.local.renumber(delivery, taken)
            what = f"could not upload to {self.target.uri('')}"
            upload = partial(upload_reports, self.target, list(delivery.files))
            try:
                delivery.links += _by(end, self.deadline, what, upload)
                return
            except ReportExists as exc:
                if not movable or exc.index != 0:
                    raise
                taken.add(delivery.files[0].name)
        raise UploadError(
            f"no free incident id in {self.target.uri('')} after {MAX_ID_ATTEMPTS} attempts"
        )
