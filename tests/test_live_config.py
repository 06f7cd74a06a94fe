"""The live-sources config and flags: each mistake is one UsageError line naming key and value."""

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from errors import UsageError
from sources.live import add_arguments, window_from_args
from sources.live.config import load_config

NOW = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)
METRIC = '[[metrics]]\nname = "latency"\nservice = "checkout"\nquery = "up"\n'
GOOD = f'[prometheus]\nurl = "http://prometheus:9090"\n\n{METRIC}'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "live.toml"
    path.write_text(text)
    return path


def error_of(path: Path, env: dict | None = None) -> str:
    with pytest.raises(UsageError) as caught:
        load_config(path, env or {})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message


def test_a_good_config_reads_with_defaults(tmp_path):
    (tmp_path / "logs.jsonl").write_text("")
    text = GOOD.replace(
        "[[metrics]]", '[logs]\nfile = "logs.jsonl"\n[trigger]\nwindow_seconds = 120\n[[metrics]]'
    )
    config = load_config(write(tmp_path, text), {})
    assert config.prometheus.url == "http://prometheus:9090"
    assert config.prometheus.timeout_seconds == 30
    assert config.logs_file == tmp_path / "logs.jsonl"  # relative to the config file
    assert config.trigger == {"window_seconds": 120}
    assert config.alerts.service_labels == ("service", "job", "app")
    assert config.alerts.lookback == timedelta(hours=2)
    assert [m.name for m in config.metrics] == ["latency"]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            GOOD.replace("url =", "ulr ="),
            "[prometheus] ulr = 'http://prometheus:9090': unknown key",
        ),
        (GOOD + "[extra]\nx = 1\n", "extra = {'x': 1}: unknown section"),
        (GOOD + "unit = 3\n", "[[metrics]] #1 unit = 3: must be a string"),
        (GOOD + 'kind = "histogram"\n', "kind = 'histogram': must be one of gauge, counter"),
        (GOOD.replace('"up"', '""'), "[[metrics]] #1 query = '': is required"),
        (GOOD + METRIC, "[[metrics]] name = 'latency': appears twice"),
        ('[prometheus]\nurl = "http://p:9090"\n', "at least one [[metrics]] entry is required"),
        (METRIC, "[prometheus] is required"),
        (GOOD.replace("http://prometheus:9090", "ftp://p"), "url = 'ftp://p': must be an http(s)"),
        (GOOD.replace("[[metrics]]", "[trigger]\nwindow_seconds = -5\n[[metrics]]"), "-5"),
        (GOOD.replace("[[metrics]]", '[alerts]\nlookback = "2 hours"\n[[metrics]]'), "2 hours"),
        (GOOD.replace("[[metrics]]", '[logs]\nfile = "nope.jsonl"\n[[metrics]]'), "nope.jsonl"),
        (GOOD.replace("[[metrics]]", "[prometheus.x]\n[[metrics]]"), "x = {}: unknown key"),
        ('[prometheus\nurl = "x"', "invalid TOML"),
    ],
    ids=lambda v: v[:30] if isinstance(v, str) else None,
)
def test_mistakes_are_one_line_naming_key_and_value(tmp_path, text, expected):
    assert expected in error_of(write(tmp_path, text))


def test_a_missing_variable_is_named(tmp_path):
    text = GOOD.replace("\n\n", '\nbearer_token_env = "PROM_TOKEN"\n\n', 1)
    message = error_of(write(tmp_path, text))
    assert "bearer_token_env = 'PROM_TOKEN'" in message and "PROM_TOKEN is not set" in message
    config = load_config(write(tmp_path, text), {"PROM_TOKEN": "s3cr3t-value"})
    assert config.prometheus.auth.bearer_token == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(config)


@pytest.mark.parametrize(
    "auth, expected",
    [
        ('bearer_token_env = "T"\nbasic_user = "ic"\nbasic_password_env = "P"', "conflicts with"),
        ('bearer_token_env = "T"\ngoogle = true', "google = True: conflicts with bearer_token_env"),
        ('basic_user = "ic"', "basic_user = 'ic': needs basic_password_env"),
        ('basic_password_env = "P"', "needs basic_user"),
        ('bearer_token = "hunter2"', "bearer_token = '***': unknown key"),
    ],
)
def test_auth_conflicts(tmp_path, auth, expected):
    text = GOOD.replace("\n\n", f"\n{auth}\n\n", 1)
    message = error_of(write(tmp_path, text), {"T": "t", "P": "p"})
    assert expected in message
    assert "hunter2" not in message


def test_credentials_in_the_url_are_refused_without_showing_them(tmp_path):
    text = GOOD.replace("http://prometheus", "http://ic:hunter2@prometheus")
    message = error_of(write(tmp_path, text))
    assert "must not hold credentials" in message and "hunter2" not in message


def test_loki_and_logs_file_conflict(tmp_path):
    (tmp_path / "l.jsonl").write_text("")
    text = GOOD + '[loki]\nurl = "http://loki:3100"\n[logs]\nfile = "l.jsonl"\n'
    assert "[loki] and [logs] both given" in error_of(write(tmp_path, text))


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--since", "3h"], "--since needs --config"),
        (["--config", "c.toml"], "needs a window: --from, --since or --alert"),
        (["--config", "c.toml", "--since", "3h", "--from", "2026-03-15T10:00:00Z"], "conflicts"),
        (["--config", "c.toml", "--since", "3h", "--to", "2026-03-15T10:00:00Z"], "conflicts"),
        (["--config", "c.toml", "--since", "3 hours"], "--since: not a duration"),
        (["--config", "c.toml", "--from", "yesterday"], "--from 'yesterday': not an ISO 8601"),
        (["--config", "c.toml", "--from", "2026-03-15T10:00:00"], "needs a UTC offset"),
        (["--config", "c.toml", "--from", "2026-03-15T15:00:00Z"], "is not before"),
        (["--config", "c.toml", "--alert", "a.json", "--from", "2026-03-15T10:00:00Z"], "alert"),
        (["--config", "c.toml", "--alert", "/nonexistent/a.json"], "cannot read the payload"),
    ],
)
def test_flag_combinations(argv, expected):
    with pytest.raises(UsageError, match=None) as caught:
        window_from_args(parse(*argv), NOW, environ={})
    assert expected in str(caught.value)


def test_windows_from_flags(tmp_path):
    since = window_from_args(parse("--config", "c.toml", "--since", "90m"), NOW, environ={})
    assert (since.start, since.end) == (NOW - timedelta(minutes=90), NOW)
    span = parse(
        "--config", "c.toml", "--from", "2026-03-15T12:00:00+01:00", "--to", "2026-03-15T12:30:00Z"
    )
    request = window_from_args(span, NOW, environ={})
    assert request.start == datetime(2026, 3, 15, 11, tzinfo=UTC)
    assert request.end == datetime(2026, 3, 15, 12, 30, tzinfo=UTC)
    from_env = window_from_args(
        parse("--config", "c.toml"), NOW, environ={"INCIDENT_COMMANDER_ALERT": '{"version": "4"}'}
    )
    assert from_env.alert == ('{"version": "4"}', "$INCIDENT_COMMANDER_ALERT")
    assert window_from_args(parse(), NOW, environ={}) is None  # live mode off


def test_the_config_variable_and_an_explicit_bundle():
    env = {"INCIDENT_COMMANDER_CONFIG": "/etc/ic/live.toml"}
    request = window_from_args(parse("--since", "1h"), NOW, environ=env)
    assert request.config == Path("/etc/ic/live.toml")
    parsed = parse()
    parsed.bundle = Path("incident")  # main.py's --bundle: it wins over the variable
    assert window_from_args(parsed, NOW, environ=env) is None
    explicit = parse("--config", "c.toml", "--since", "1h")
    explicit.bundle = Path("incident")
    with pytest.raises(UsageError, match="--config conflicts with --bundle"):
        window_from_args(explicit, NOW, environ={})
