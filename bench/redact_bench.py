"""Throughput of `redact` on synthetic log lines (~100 chars, ~1% carrying a secret).

Run: uv run python -c "from bench.redact_bench import redact_throughput; print(redact_throughput())"
"""

import random
import time

from sources.redact import redact

_BENIGN = [
    "GET /api/v1/orders/{n} 200 {ms}ms request_id={uuid} user_id={n}",
    "checkout-svc pool_size=20 active={n} idle=3 wait_ms={ms} max_connections=20",
    "token bucket refill rate=100/s tokens_available={n} client=frontend-{n}",
    "password reset email sent for user {n} template=reset_v2 provider=ses",
    "auth middleware: session valid for user {n} (ttl {ms}s) trace={uuid}",
    "deploy {sha} rolled out to 3/3 pods in {ms}ms, image=registry/app:{sha}",
    "ERROR upstream timeout after 30s calling http://inventory:8080/items/{n}",
    "secret rotation scheduled at 2024-05-01T12:00:00Z for key-id {uuid}",
    "Retrying (attempt {n}/5) after ConnectionResetError: [Errno 104] Connection reset",
    "kafka consumer lag partition={n} offset={ms} topic=orders.created group=billing",
]
_SECRET = [
    "connecting to postgres://app:S3cretPw{n}@db:5432/orders timeout=30s",
    "env DB_PASSWORD=hunter{n} DB_USER=app DB_HOST=db",
    "outbound call with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig{n}",
    "loaded key AKIAIOSFODNN7EXAMPLE for region us-east-1 request_id={uuid}",
    'config {{"api_key": "sk-proj-abcdefghijklmnopqrstuv{n}", "model": "m"}}',
]


def _lines(n: int, secret_share: float, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        templates = _SECRET if rng.random() < secret_share else _BENIGN
        out.append(
            rng.choice(templates).format(
                n=rng.randrange(100_000),
                ms=rng.randrange(10_000),
                uuid=f"{rng.getrandbits(128):032x}",
                sha=f"{rng.getrandbits(160):040x}",
            )
        )
    return out


def redact_throughput(n: int = 300_000) -> float:
    """Lines per second `redact` handles on `n` synthetic log lines, ~1% with a secret."""
    lines = _lines(n, secret_share=0.01)
    start = time.perf_counter()
    for line in lines:
        redact(line)
    return n / (time.perf_counter() - start)
