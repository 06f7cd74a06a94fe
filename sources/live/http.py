"""GET JSON from a Prometheus or Loki HTTP API: auth, timeouts, bounded retries, one-line errors.

Every failure (unreachable, an HTTP error, a body that is not the API's JSON, a slow answer)
becomes one UsageError naming the URL without credentials and what it answered; the server's
text is untrusted, so it is clipped and redacted before it is shown.
"""

import time
from collections.abc import Generator

import httpx2 as httpx

from errors import UsageError
from sources.live.config import HttpSource, public_url
from sources.redact import redact

ATTEMPTS = 3  # on connection errors and 5xx answers
BACKOFF_SECONDS = (0.2, 0.5)
GOOGLE_SCOPE = "https://www.googleapis.com/auth/monitoring.read"
_RETRY_STATUS = {500, 502, 503, 504}


class GoogleAuth(httpx.Auth):
    """A bearer token from Google application default credentials, refreshed when stale."""

    def __init__(self) -> None:
        import google.auth  # late: only Google users pay for the import
        from google.auth.exceptions import DefaultCredentialsError

        try:
            self.credentials, _ = google.auth.default(scopes=[GOOGLE_SCOPE])
        except DefaultCredentialsError as e:
            raise UsageError(f"google = true but no application default credentials: {e}") from None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self.credentials.valid:
            from google.auth.exceptions import RefreshError
            from google.auth.transport.requests import Request

            try:
                self.credentials.refresh(Request())
            except RefreshError as e:
                raise UsageError(f"google credentials could not be refreshed: {e}") from None
        request.headers["Authorization"] = f"Bearer {self.credentials.token}"
        yield request


def client(source: HttpSource, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An httpx client for `source`: its auth, tenant header and timeout."""
    auth = source.auth
    headers = {"Accept": "application/json", "User-Agent": "incident-commander"}
    if auth.bearer_token:
        headers["Authorization"] = f"Bearer {auth.bearer_token}"
    if source.tenant:
        headers["X-Scope-OrgID"] = source.tenant
    return httpx.Client(
        headers=headers,
        auth=(
            httpx.BasicAuth(auth.basic_user, auth.basic_password)
            if auth.basic_user
            else GoogleAuth()
            if auth.google
            else None
        ),
        timeout=httpx.Timeout(source.timeout_seconds),
        transport=transport,
        follow_redirects=False,
        trust_env=False,  # no proxy or netrc credentials picked up behind the config's back
    )


def get_json(http: httpx.Client, source: HttpSource, path: str, params: dict, what: str) -> dict:
    """The `data` of a {"status": "success", "data": ...} answer to GET source.url + path.

    what: the thing asked for, for error lines ("metric checkout_latency_p99").
    """
    url = source.url + path
    shown = f"{source.kind} {public_url(url)}"
    for attempt in range(ATTEMPTS):
        try:
            response = http.get(url, params=params)
        except httpx.TimeoutException:
            raise UsageError(
                f"{shown} did not answer within {source.timeout_seconds:g} s ({what})"
            ) from None
        except httpx.TransportError as e:
            if attempt + 1 < ATTEMPTS:
                time.sleep(BACKOFF_SECONDS[attempt])
                continue
            reason = _one_line(str(e)) or type(e).__name__
            raise UsageError(f"{shown} is unreachable: {reason} ({what})") from None
        if response.status_code in _RETRY_STATUS and attempt + 1 < ATTEMPTS:
            time.sleep(BACKOFF_SECONDS[attempt])
            continue
        return _data(response, shown, what)
    raise AssertionError("unreachable")  # the loop returns or raises


def _data(response: httpx.Response, shown: str, what: str) -> dict:
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if response.status_code != 200:
        detail = (
            f"{doc.get('errorType', '')}: {doc.get('error', '')}"
            if isinstance(doc, dict) and "error" in doc
            else response.text
        )
        raise UsageError(
            f"{shown} answered HTTP {response.status_code}: {_one_line(detail)} ({what})"
        )
    if not isinstance(doc, dict) or doc.get("status") != "success" or "data" not in doc:
        raise UsageError(
            f"{shown} answered something that is not its API's JSON: "
            f"{_one_line(response.text) or 'an empty body'} ({what})"
        )
    return doc["data"]


def _one_line(text: str, limit: int = 160) -> str:
    text = redact(" ".join(str(text).split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."
