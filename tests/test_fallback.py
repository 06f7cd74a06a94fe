"""Model choice, and the fallback proven against a real local HTTP server that misbehaves."""

import json
import re
import time

import pytest
from pydantic_ai.messages import ToolReturnPart

from agents.llm import DEFAULT_REMOTE, OFFLINE, choose
from errors import UsageError
from tests.fake_model_server import FakeModelServer
from tests.helpers import NOW_TEXT as NOW
from tests.helpers import cli, reports


@pytest.mark.parametrize(
    "flag, env, expected",
    [
        (None, {}, OFFLINE),
        (None, {"OPENROUTER_API_KEY": "k"}, DEFAULT_REMOTE),
        (None, {"OPENROUTER_API_KEY": "k", "INCIDENT_COMMANDER_MODEL": "offline"}, OFFLINE),
        ("openrouter:openai/gpt-5", {"OPENROUTER_API_KEY": "k"}, "openrouter:openai/gpt-5"),
        ("offline", {"OPENROUTER_API_KEY": "k"}, OFFLINE),
    ],
)
def test_model_choice(flag, env, expected):
    assert choose(flag, env).name == expected


@pytest.mark.parametrize(
    "flag, env",
    [
        ("no-such-provider:foo", {}),
        ("openrouter:", {"OPENROUTER_API_KEY": "k"}),
        ("openrouter:anthropic/claude-sonnet-4-5", {}),
        ("openrouter:x", {"OPENROUTER_API_KEY": "k", "INCIDENT_COMMANDER_REQUEST_TIMEOUT": "soon"}),
    ],
)
def test_bad_model_choices_are_usage_errors(flag, env):
    with pytest.raises(UsageError):
        choose(flag, env)


def _remote_env(server: FakeModelServer, timeout: str = "2") -> dict:
    return {
        "OPENROUTER_API_KEY": "sk-or-fake",
        "INCIDENT_COMMANDER_REQUEST_TIMEOUT": timeout,
        "INCIDENT_COMMANDER_OPENROUTER_BASE_URL": server.base_url,
    }


# A 500 and a dropped connection take the same path as a 429: those two run with the long runs.
@pytest.mark.parametrize(
    "mode",
    [
        "429",
        pytest.param("500", marks=pytest.mark.slow),
        pytest.param("drop", marks=pytest.mark.slow),
    ],
)
def test_remote_failure_falls_back_to_the_offline_investigator(tmp_path, mode):
    with FakeModelServer(mode) as server:
        run = cli(tmp_path, "--now", NOW, env=_remote_env(server))
    assert run.returncode == 0, run.stdout + run.stderr
    (json_path,) = [p for p in reports(tmp_path / "rca_reports") if p.suffix == ".json"]
    report = json.loads(json_path.read_text())
    assert report["model"] == DEFAULT_REMOTE
    assert report["fell_back"] is True and report["fallback_reason"]
    assert report["answered_by"] == ["offline-investigator"]
    assert {(f["service"], f["category"]) for f in report["findings"]} == {
        ("checkout-service", "config_change"),
        ("worker-service", "memory_leak"),
    }
    md = json_path.with_suffix(".md").read_text()
    assert "**Fell back:** yes" in md
    assert "fell back to the offline investigator" in run.stdout
    # The circuit breaker: one failed request (plus the client's 2 retries), then offline.
    assert 1 <= len(server.requests) <= 3


def test_slow_answers_time_out_and_fall_back(tmp_path):
    with FakeModelServer("slow", delay=5) as server:
        start = time.monotonic()
        run = cli(tmp_path, "--now", NOW, env=_remote_env(server, timeout="0.5"))
        elapsed = time.monotonic() - start
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(next((tmp_path / "rca_reports").glob("*.json")).read_text())
    assert report["fell_back"] and "Timeout" in report["fallback_reason"]
    assert elapsed < 60


def test_garbage_tool_arguments_end_in_a_bounded_failure_with_a_partial_report(tmp_path):
    with FakeModelServer("garbage") as server:
        run = cli(tmp_path, "--now", NOW, env=_remote_env(server))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "investigation failed" in run.stderr and "Traceback" not in run.stderr
    assert len(server.requests) <= 10  # retries are bounded
    (json_path,) = [p for p in reports(tmp_path / "rca_reports") if p.suffix == ".json"]
    report = json.loads(json_path.read_text())
    assert report["status"] == "incomplete" and report["failure"]
    assert len(report["anomalies"]) == 5  # what was gathered is kept


async def test_remote_model_sees_the_evidence_the_offline_rules_used(now, tmp_path):
    """Everything the offline findings rest on reached the model as prompt or tool result."""
    import agents.deps as agent_deps
    from tests.helpers import deps_for, investigate_async

    seen: list = []
    original = agent_deps.run_agent

    async def recording(*args, **kwargs):
        outcome = await original(*args, **kwargs)
        seen.extend(outcome.messages)
        return outcome

    deps = deps_for("default", now, tmp_path)
    with pytest.MonkeyPatch.context() as mp:
        for module in ("agents.metrics_agent", "agents.logs_agent", "agents.commander_agent"):
            mp.setattr(f"{module}.run_agent", recording)
        report = await investigate_async(deps.telemetry, now, tmp_path)
    sent = []
    for message in seen:
        for part in message.parts:
            if isinstance(part, ToolReturnPart):
                sent.append(part.model_response_str())
            elif hasattr(part, "content") and isinstance(part.content, str):
                sent.append(part.content)
    transcript = "\n".join(sent)
    for fact in [
        '"key":"pool_size","old":"20","new":"2"',
        '"old":"30s","new":"5s"',
        '"shape":"ramp"',
        '"sawtooth_drops":0',
        "OOMKilled",
        "OutOfMemoryError",
        "GC pause",
        '"kind":"config"',
    ]:
        assert fact in transcript, fact
    assert re.search(r'"minutes_before_onset":15\.\d', transcript)
    assert report.findings
