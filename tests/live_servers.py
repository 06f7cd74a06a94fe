"""Real servers for the live-source tests: Prometheus, Alertmanager, and small local HTTP servers.

Prometheus and Alertmanager are the Debian packages (.ci/run installs them); a test that needs
one skips, naming the package, when its binary is absent. Prometheus is loaded by promtool
backfill into a temp dir before it starts. No Loki binary exists here, so `LokiStandIn`
implements Loki's documented query_range (limit, direction, [start, end), nanosecond stamps)
over a logs.jsonl, capping each answer as a real server does.

Register with `pytest_plugins = ["tests.live_servers"]` in a test module.
"""

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
ALERTMANAGER = shutil.which("alertmanager") or shutil.which("prometheus-alertmanager")
NO_PROMETHEUS = "prometheus/promtool not installed (apt-get install prometheus; .ci/run does it)"
NO_ALERTMANAGER = (
    "alertmanager not installed (apt-get install prometheus-alertmanager; .ci/run does it)"
)


def require_prometheus() -> None:
    if not (PROMETHEUS and PROMTOOL):
        pytest.skip(NO_PROMETHEUS)


def require_alertmanager() -> None:
    if not ALERTMANAGER:
        pytest.skip(NO_ALERTMANAGER)


Points = dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[float, float]]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openmetrics(points: Points) -> str:
    """OpenMetrics text for promtool: one family at a time, `# EOF` last."""
    families: dict[str, list[str]] = {}
    for (name, labels), samples in points.items():
        shown = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
        lines = families.setdefault(name, [f"# TYPE {name} gauge"])
        lines += [f"{name}{{{shown}}} {v!r} {t:.3f}" for t, v in sorted(samples)]
    return "\n".join(line for lines in families.values() for line in lines) + "\n# EOF\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.03)
    raise RuntimeError(f"{url} not ready after {timeout} s: {log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen | None = None


@contextmanager
def prometheus(directory: Path, points: Points) -> Iterator[Server]:
    """A real Prometheus on 127.0.0.1 serving `points`, backfilled before it starts."""
    tsdb = directory / "tsdb"
    tsdb.mkdir(parents=True)
    data = directory / "data.om"
    data.write_text(openmetrics(points))
    subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=24h"]
        + [str(data), str(tsdb)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    config = directory / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\nscrape_configs: []\n")
    port = free_port()
    log = directory / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={tsdb}",
                "--storage.tsdb.retention.time=100y",  # retention counts from the newest block
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{url}/-/ready", process, log)
        yield Server(url, process)
    finally:
        _stop(process)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: every POSTed body lands in `payloads`."""

    url: str
    payloads: "queue.Queue[bytes]" = field(default_factory=queue.Queue)


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    received: queue.Queue[bytes] = queue.Queue()

    def handle(request: BaseHTTPRequestHandler) -> tuple[int, dict, bytes]:
        length = int(request.headers.get("Content-Length") or 0)
        received.put(request.rfile.read(length))
        return 200, {}, b"ok"

    with http_server(post=handle) as url:
        yield Receiver(f"{url}/hook", received)


@contextmanager
def alertmanager(directory: Path, webhook: str) -> Iterator[Server]:
    """A real Alertmanager on 127.0.0.1 whose one route posts to `webhook` at once."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "alertmanager.yml"
    config.write_text(
        "route:\n  receiver: test\n  group_by: ['alertname']\n  group_wait: 0s\n"
        "  group_interval: 1s\n  repeat_interval: 1h\n"
        f"receivers:\n  - name: test\n    webhook_configs:\n      - url: '{webhook}'\n"
        "        send_resolved: true\n"
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = directory / "alertmanager.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                ALERTMANAGER,
                f"--config.file={config}",
                f"--storage.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",  # else it opens 0.0.0.0:9094
                f"--web.external-url={url}",  # else the payload carries the host name
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(f"{url}/-/ready", process, log)
        yield Server(url, process)
    finally:
        _stop(process)


Handler = Callable[[BaseHTTPRequestHandler], tuple[int, dict, bytes]]


@contextmanager
def http_server(get: Handler | None = None, post: Handler | None = None) -> Iterator[str]:
    """A threaded HTTP server on 127.0.0.1 answering with the given handlers; yields its URL."""

    class _Handler(BaseHTTPRequestHandler):
        def _answer(self, handler: Handler | None) -> None:
            if handler is None:
                self.send_error(405)
                return
            try:
                status, headers, body = handler(self)
            except (BrokenPipeError, ConnectionResetError):
                return
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self._answer(get)

        def do_POST(self) -> None:  # noqa: N802
            self._answer(post)

        def log_message(self, *args) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def query_of(request: BaseHTTPRequestHandler) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(request.path).query).items()}


@dataclass
class LokiStandIn:
    """Loki's query_range over a logs.jsonl: selector {service="x"}, capped pages, tenant check."""

    lines: list[dict]
    max_entries: int = 100  # the server's cap on each answer, like max_entries_limit_per_query
    tenant: str | None = None
    refuse_over_cap: bool = False  # answer 400 to a limit above the cap, as Loki does
    requests: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)

    def __call__(self, request: BaseHTTPRequestHandler) -> tuple[int, dict, bytes]:
        if urlsplit(request.path).path != "/loki/api/v1/query_range":
            return 404, {}, b"404 page not found"
        params = query_of(request)
        self.requests.append(params)
        self.headers.append(dict(request.headers))
        if self.tenant is not None and request.headers.get("X-Scope-OrgID") != self.tenant:
            return 401, {}, b"no org id"
        selector = params["query"].strip()
        if not (selector.startswith("{") and selector.endswith("}")):
            return 400, {}, b"parse error: not a stream selector"
        wanted = dict(
            (k.strip(), v.strip().strip('"'))
            for k, v in (p.split("=", 1) for p in selector[1:-1].split(","))
        )
        start, end = _ns_param(params.get("start")), _ns_param(params.get("end"))
        asked = int(params.get("limit", 100))
        if self.refuse_over_cap and asked > self.max_entries:
            text = "max entries limit per query exceeded, limit > max_entries_limit_per_query"
            return 400, {}, f"{text} ({asked} > {self.max_entries})".encode()
        limit = min(asked, self.max_entries)
        chosen = [
            line
            for line in self.lines
            if start <= line["ns"] < end
            and all(line["labels"].get(k) == v for k, v in wanted.items())
        ]
        chosen.sort(key=lambda line: line["ns"], reverse=params.get("direction") != "forward")
        streams: dict[str, dict] = {}
        for line in chosen[:limit]:
            key = json.dumps(line["labels"], sort_keys=True)
            entry = [str(line["ns"]), line["line"]] + ([line["meta"]] if line.get("meta") else [])
            streams.setdefault(key, {"stream": line["labels"], "values": []})["values"].append(
                entry
            )
        body = {
            "status": "success",
            "data": {"resultType": "streams", "result": list(streams.values())},
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _ns_param(text: str | None) -> int:
    if text is None:
        return 0
    if text.isdigit():
        return int(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return int(moment.timestamp() * 1e9)


def loki_lines_from_jsonl(path: Path, label: str = "app") -> list[dict]:
    """A bundle logs.jsonl as stand-in entries: service as a label, level as a label."""
    out = []
    for raw in path.read_text().splitlines():
        if raw.strip():
            doc = json.loads(raw)
            moment = datetime.fromisoformat(doc["timestamp"].replace("Z", "+00:00"))
            out.append(
                {
                    "ns": int(round(moment.timestamp() * 1000)) * 1_000_000,
                    "labels": {label: doc["service"], "level": doc["level"].lower()},
                    "line": doc["message"],
                }
            )
    return out


@pytest.fixture
def prometheus_server(tmp_path) -> Callable[[Points], Server]:
    """Start a real Prometheus loaded with the given points (skips when not installed)."""
    require_prometheus()
    stack = []

    def start(points: Points) -> Server:
        manager = prometheus(tmp_path / f"prom{len(stack)}", points)
        stack.append(manager)
        return manager.__enter__()

    yield start
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


def environment_without_live() -> dict[str, str]:
    """os.environ without the live-mode variables, for subprocess runs of the CLI."""
    return {
        k: v
        for k, v in os.environ.items()
        if k not in ("INCIDENT_COMMANDER_CONFIG", "INCIDENT_COMMANDER_ALERT")
    }


def bundle_points(bundle: Path) -> Points:
    """A bundle's metrics.csv as Prometheus points: `<metric>{service="<its service>"}`."""
    manifest = json.loads((bundle / "bundle.json").read_text())
    points: Points = {}
    for row in (bundle / "metrics.csv").read_text().splitlines()[1:]:
        stamp, metric, value = row.split(",")
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        key = (metric, (("service", manifest["metrics"][metric]["service"]),))
        points.setdefault(key, []).append((moment.timestamp(), float(value)))
    return points


def bundle_config(bundle: Path, prometheus_url: str, extra: str = "") -> str:
    """A live-sources config reading `bundle`'s incident from Prometheus, its logs and deploys."""
    manifest = json.loads((bundle / "bundle.json").read_text())
    lines = [
        f'[prometheus]\nurl = "{prometheus_url}"\n',
        f'[logs]\nfile = "{bundle / "logs.jsonl"}"\n',
        f'[deploys]\nfile = "{bundle / "deploys.json"}"\ndiffs_dir = "{bundle / "diffs"}"\n',
    ]
    if manifest.get("trigger"):
        pairs = "\n".join(f"{k} = {v!r}" for k, v in manifest["trigger"].items())
        lines.append(f"[trigger]\n{pairs}\n")
    for name, spec in manifest["metrics"].items():
        entry = [
            "[[metrics]]",
            f'name = "{name}"',
            f'service = "{spec["service"]}"',
            f"query = '{name}{{service=\"{spec['service']}\"}}'",
        ]
        entry += [f"{k} = {json.dumps(spec[k])}" for k in spec if k != "service"]
        lines.append("\n".join(entry) + "\n")
    return "\n".join(lines) + extra
