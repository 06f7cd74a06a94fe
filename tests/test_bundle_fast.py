"""The loader's fast paths read exactly what its general readers read, and refuse the same way.

metrics.csv is read a block at a time with array arithmetic on the bytes, logs.jsonl of plain
lines likewise, and log messages are redacted after one scan of them all; each falls back to
the general reader (or to redact() itself) for anything else. These tests run both on random
files, valid and broken, and compare results and errors.
"""

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from errors import BundleError
from sources import redact as redaction
from sources.bundle import metrics_csv, reader
from sources.bundle.reader import load_bundle
from sources.files import open_input
from tests.test_bundle import MANIFEST, write_bundle
from tests.test_redaction_corpus import CORPUS

NAMES = ["a", "cpu_pct", "checkout_latency_p99", "exactly_16_bytes", "latência_ms", "x" * 40]
STAMP_FORMS = [
    lambda t: t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    lambda t: t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z",
    lambda t: t.isoformat(timespec="milliseconds"),
    lambda t: t.isoformat(timespec="microseconds"),
    lambda t: t.strftime("%Y-%m-%d %H:%M:%S%z"),
    lambda t: t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:21] + "Z",
]
VALUE_FORMS = [
    lambda r: str(r.randint(-999, 999)),
    lambda r: f"{r.uniform(-1e4, 1e4):.{r.randint(0, 6)}f}",
    lambda r: repr(r.uniform(-1, 1) * 10 ** r.randint(-8, 8)),
    lambda r: r.choice(["5.", ".5", "-.25", "-0", "0.000", "1e-05", "+7", "1E3", "0" * 18 + "1"]),
    lambda r: "".join(r.choice("0123456789") for _ in range(r.randint(14, 22))),
    lambda r: f"{r.randint(0, 99999999)}.{r.randint(0, 9999999)}",
]
MISTAKES = [
    lambda r, s, m, v: f"{s},undeclared,{v}",
    lambda r, s, m, v: f"{s[:-1]},{m},{v}",  # no UTC offset (or a broken one)
    lambda r, s, m, v: f"2026-02-30T00:00:00Z,{m},{v}",
    lambda r, s, m, v: f"3026-01-01T00:00:00Z,{m},{v}",
    lambda r, s, m, v: f"{s},{m},{r.choice(['1.2.3', 'nan', 'inf', '--1', '', '1e999', '0x10'])}",
    lambda r, s, m, v: f"{s},{m},{v},extra",
    lambda r, s, m, v: f"{s},{m}",
    lambda r, s, m, v: "",
    lambda r, s, m, v: f"{s},{m},{v}\0",
    lambda r, s, m, v: f'"{s}",{m},{v}',
]


def _metrics(rng: random.Random, rows: int, mistake: bool) -> tuple[str, list[str]]:
    """A metrics.csv text of random rows in random forms (and the names it uses)."""
    names = rng.sample(NAMES, rng.randint(1, len(NAMES)))
    start = datetime(2026, 3, 15, tzinfo=UTC) + timedelta(seconds=rng.randint(-(10**9), 10**8))
    lines = ["timestamp,metric,value"]
    moment = start
    grouped = rng.random() < 0.5  # metric by metric, or interleaved
    stamp_forms = rng.sample(STAMP_FORMS, rng.randint(1, 3))
    value_forms = rng.sample(VALUE_FORMS, rng.randint(1, 3))
    for i in range(rows):
        metric = names[i * len(names) // rows] if grouped else rng.choice(names)
        moment += timedelta(milliseconds=rng.choice([1000, 1250, 61_001, 3_600_000]))
        zone = timezone(timedelta(minutes=rng.choice([0, 0, 60, -330, 845])))
        stamp = rng.choice(stamp_forms)(moment.astimezone(zone))
        lines.append(f"{stamp},{metric},{rng.choice(value_forms)(rng)}")
    if mistake:
        at = rng.randint(1, len(lines) - 1)
        stamp, metric, value = lines[at].split(",")
        lines[at] = rng.choice(MISTAKES)(rng, stamp, metric, value)
    if rng.random() < 0.1 and len(lines) > 3:  # a repeated point
        lines.insert(rng.randint(2, len(lines)), lines[rng.randint(1, len(lines) - 1)])
    ending = rng.choice(["\n", "\n", "\r\n"])
    return ending.join(lines) + rng.choice([ending, ""]), names


def _load(directory: Path):
    try:
        return load_bundle(directory)
    except BundleError as e:
        return str(e)


def _general_only(monkeypatch) -> None:
    monkeypatch.setattr(metrics_csv, "_read_streamed", lambda *args: None)
    monkeypatch.setattr(
        metrics_csv._FastRows, "read_all", lambda self, buf, blocks: [None] * len(blocks)
    )
    monkeypatch.setattr(reader._PlainLines, "table", lambda self, workers=None: None)


def _same(fast, general) -> None:
    if isinstance(general, str) or isinstance(fast, str):
        assert fast == general
        return
    for name, series in general.metric_series.items():
        assert np.array_equal(fast.series(name).timestamps, series.timestamps), name
        assert fast.series(name).values.tobytes() == series.values.tobytes(), name
    for column in ("timestamps", "services", "levels", "messages"):
        assert np.array_equal(getattr(fast.logs(), column), getattr(general.logs(), column))
    assert fast.logs().service_names == general.logs().service_names


@pytest.mark.parametrize("seed", range(40))
def test_metrics_read_as_the_general_reader_reads_them(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    # Small blocks, so lines cross block boundaries and files hold many blocks.
    monkeypatch.setattr(metrics_csv, "_FAST_BYTES", rng.choice([256, 1000, 1 << 20]))
    text, names = _metrics(rng, rng.randint(1, 400), mistake=seed % 2 == 1)
    doc = MANIFEST | {"metrics": {n: {"service": "svc"} for n in names}}
    directory = write_bundle(tmp_path, {"bundle.json": json.dumps(doc), "metrics.csv": text})
    with metrics_csv.block_workers() as workers:
        encoded = [n.encode() for n in names]
        streamed = metrics_csv._read_streamed(directory / "metrics.csv", encoded, workers)
    if seed % 4 == 0:  # valid rows: the fast path reads them all
        assert streamed is not None
    fast = _load(directory)
    monkeypatch.undo()
    _general_only(monkeypatch)
    _same(fast, _load(directory))


def _log_line(rng: random.Random, moment: datetime, ascii_only: bool) -> str:
    line = {
        "timestamp": rng.choice(STAMP_FORMS[:4])(moment),
        "service": rng.choice(["checkout-service", "db", "a-very-long-service-name-for-a-test"]),
        "level": rng.choice(["INFO", "ERROR", "warn", "WARNING", "Debug", "FATAL"]),
        "message": rng.choice([m for m in MESSAGES if m.isascii() or not ascii_only]),
    }
    return json.dumps(line, ensure_ascii=False)


# Messages a plain line can hold (no quotes or backslashes once written), secrets among them.
MESSAGES = [
    "GET /api/v1/cart/42 200",
    "Timeout acquiring connection from pool after 5000ms",
    "über-service said ok",
    "",
    *[planted for planted, _ in CORPUS if "\\" not in json.dumps(planted)],
]


LOG_MISTAKES = [
    lambda line: line.replace('"INFO"', '"LOUD"').replace('"ERROR"', '"LOUD"'),
    lambda line: line.replace("2026-", "2026/", 1),
    lambda line: line.replace("2026-", "1850-", 1),
    lambda line: line[:-1] + ', "trace": "abc"}',
    lambda line: line.replace('"message": "', '"message": "tab\\there ', 1),
    lambda line: line + "\r",
    lambda line: "",
    lambda line: line[:-1],
    lambda line: line.replace('"service": "', '"service": "\\u00e9', 1),
]


@pytest.mark.parametrize("seed", range(40))
def test_plain_logs_read_as_the_text_readers_read_them(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    monkeypatch.setattr(reader._PlainLines, "_BLOCK", rng.choice([200, 4096, 1 << 20]))
    longest = rng.choice([150, 1 << 23])  # longer lines go to the text readers
    monkeypatch.setattr(reader._PlainLines, "_LONGEST", longest)
    start = datetime(2026, 3, 15, 12, tzinfo=UTC)
    ascii_only = rng.random() < 0.5
    lines = [
        _log_line(rng, start + timedelta(milliseconds=rng.randint(0, 10**7)), ascii_only)
        for _ in range(rng.randint(1, 300))
    ]
    if seed % 2:
        at = rng.randrange(len(lines))
        lines[at] = rng.choice(LOG_MISTAKES)(lines[at])
    text = "\n".join(lines) + rng.choice(["\n", ""])
    directory = write_bundle(tmp_path, {"logs.jsonl": text})
    if seed % 2 == 0 and longest > len(text):  # plain lines only: the fast path reads them
        with open_input(directory, directory / "logs.jsonl", "logs") as file:
            assert reader._PlainLines(file).table() is not None
    fast = _load(directory)
    monkeypatch.undo()
    _general_only(monkeypatch)
    _same(fast, _load(directory))


def test_every_alternative_of_the_secret_pattern_has_required_text():
    """Else redact_many would redact every text one by one: correct, but slow."""
    literals = redaction._required_literals(redaction._SECRET)
    assert literals is not None and min(map(len, literals)) >= 3
    assert redaction._literal_table() is not None


def _texts(rng: random.Random) -> list[str]:
    pieces = [planted for planted, _ in CORPUS] + [
        "GET /api/v1/cart/42 200",
        "token",
        "TOKEN: abc",
        "Authorization",
        " pass",
        "AWS",
        "amazon",
        "@tcp(",
        "\u200b",
        "ü",
        "\n",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n",
        "=",
        ":",
        "sk-",
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH",
    ]
    texts = []
    for _ in range(400):
        parts = rng.choices(pieces, k=rng.randint(0, 4))
        text = "".join(parts)
        if text and rng.random() < 0.3:  # cut one up: partial keys and tokens
            cut = rng.randrange(len(text))
            text = text[cut:] if rng.random() < 0.5 else text[:cut]
        texts.append(text)
    return texts


@pytest.mark.parametrize("seed", range(10))
def test_redact_many_redacts_as_redact_does(seed):
    texts = _texts(random.Random(seed))
    expected = [redaction.redact(t) for t in texts]
    assert redaction.redact_many(texts) == expected
    column = np.array(texts, dtype=object)
    assert redaction.redact_column(column).tolist() == expected
    assert column.tolist() == texts  # a copy: the input is left as it was


def test_redact_many_finds_every_planted_secret_in_a_crowd():
    crowd = ["GET /api/v1/cart/42 200"] * 5000
    for i, (planted, _) in enumerate(CORPUS):
        crowd[i * 97 + 13] = f"note {planted} end"
    out = redaction.redact_many(crowd)
    for i, (_, secret) in enumerate(CORPUS):
        assert secret not in out[i * 97 + 13]
        assert out[i * 97 + 13] == redaction.redact(crowd[i * 97 + 13])
