"""Pytest fixture: an in-process GCS emulator (gcp-storage-emulator) with one bucket.

Use it from a test module with `pytest_plugins = ["tests.gcs_emulator"]`. Also provides
`gcs_emulator_down`: STORAGE_EMULATOR_HOST pointing at a port where nothing listens.

The emulator ignores upload preconditions; the fixture teaches it `ifGenerationMatch`
(0: only if absent), which is what keeps reports from being overwritten.
"""

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus

import pytest
from gcp_storage_emulator import server as emulator_server
from gcp_storage_emulator.exceptions import NotFound
from gcp_storage_emulator.handlers import objects
from gcp_storage_emulator.server import create_server
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs


def _free_port() -> int:
    """A localhost port with nothing listening on it (at least right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class GcsEmulator:
    """A running emulator: its STORAGE_EMULATOR_HOST value and the bucket it holds."""

    host: str
    bucket: str

    def _bucket(self) -> gcs.Bucket:
        client = gcs.Client(project="local", credentials=AnonymousCredentials())
        return client.bucket(self.bucket)

    def download(self, name: str) -> tuple[bytes, str | None]:
        """Return an object's bytes and stored content type; fails if it does not exist."""
        blob = self._bucket().get_blob(name)
        assert blob is not None, f"no object {name!r} in gs://{self.bucket}"
        return blob.download_as_bytes(), blob.content_type

    def names(self) -> list[str]:
        """Every object name in the bucket, sorted."""
        return sorted(blob.name for blob in self._bucket().list_blobs())

    def objects(self, prefix: str = "") -> dict[str, tuple[int, bytes]]:
        """Every object under `prefix`: name -> (generation, bytes)."""
        return {
            blob.name: (blob.generation, blob.download_as_bytes())
            for blob in self._bucket().list_blobs(prefix=prefix)
        }


def _insert_with_precondition(request, response, storage, *args, **kwargs):
    """objects.insert, but answering 412 when ifGenerationMatch does not hold, as GCS does.

    The emulator serves one request at a time, so the check and the create cannot interleave.
    """
    wanted = request.query.get("ifGenerationMatch")
    if wanted:
        name = (request.query.get("name") or [None])[0]
        if name is None and isinstance(request.data, dict):
            name = (request.data.get("meta") or request.data).get("name")
        try:
            current = storage.get_file_obj(request.params["bucket_name"], name)["generation"]
        except NotFound:
            current = "0"
        if current != wanted[0]:
            response.status = HTTPStatus.PRECONDITION_FAILED
            message = "At least one of the pre-conditions you specified did not hold."
            error = {"code": 412, "message": message, "errors": [{"reason": "conditionNotMet"}]}
            response.json({"error": error})
            return None
    return _INSERT(request, response, storage, *args, **kwargs)


_INSERT = objects.insert


@pytest.fixture
def gcs_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[GcsEmulator]:
    """Start an in-memory emulator with bucket "reports" and point STORAGE_EMULATOR_HOST at it."""
    monkeypatch.setattr(objects, "insert", _insert_with_precondition)
    for _, handlers in emulator_server.HANDLERS:
        for method, handler in list(handlers.items()):
            if handler is _INSERT:
                monkeypatch.setitem(handlers, method, _insert_with_precondition)
    port = _free_port()
    # The emulator answers 404 to uploads into a bucket it does not know, so create it up front.
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket="reports")
    server.start()
    host = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
    try:
        yield GcsEmulator(host=host, bucket="reports")
    finally:
        server.stop()


@pytest.fixture
def gcs_emulator_down(monkeypatch: pytest.MonkeyPatch) -> str:
    """Point STORAGE_EMULATOR_HOST at a free localhost port (connection refused); return it."""
    host = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
    return host
