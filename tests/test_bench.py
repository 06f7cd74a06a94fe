"""The benchmark: its reference agrees with WindowTrigger, and `python -m bench --quick` runs.

No timing is asserted: the figures depend on the machine.
"""

import json
import subprocess
import sys

import numpy as np
import pytest
from pydantic_ai.messages import ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo
from pydantic_ai.tools import ToolDefinition

from bench.context_size import request_chars, tokens
from bench.results import Result, all_passed, table
from bench.trigger_speed import make_series, reference_fired
from tests.helpers import ROOT
from triggers import WindowTrigger

START = np.datetime64("2026-03-15T00:00:00", "ms")


def _at(seconds) -> np.ndarray:
    return START + (np.asarray(seconds, dtype=np.float64) * 1000).astype("timedelta64[ms]")


def _flat_then_rise():
    values = np.full(200, 7.0)
    values[150:] = 7.5
    return _at(np.arange(200)), values


def _gappy():
    rng = np.random.default_rng(3)
    seconds = np.cumsum(rng.choice([1, 2, 60], size=600, p=[0.97, 0.02, 0.01]))  # a few gaps
    values = 50 + rng.standard_normal(600)
    values[::50] += 6  # spikes
    return _at(seconds), values


def _duplicated_timestamps():
    rng = np.random.default_rng(4)
    seconds = np.repeat(np.arange(300), 2)  # two points per timestamp
    values = 10 + rng.standard_normal(600)
    values[500:] += 5
    return _at(seconds), values


@pytest.mark.parametrize(
    ("data", "trigger"),
    [
        (make_series(3_000), WindowTrigger(window_seconds=30)),
        (make_series(5_000), WindowTrigger(window_seconds=3000)),
        (make_series(2_000), WindowTrigger(window_seconds=60, guard_seconds=0)),
        (make_series(2_000), WindowTrigger(window_seconds=25, min_points=25)),
        (make_series(2_000), WindowTrigger(window_seconds=45, threshold_multiplier=1.5)),
        (_flat_then_rise(), WindowTrigger(window_seconds=20)),
        (_gappy(), WindowTrigger(window_seconds=30)),
        (_duplicated_timestamps(), WindowTrigger(window_seconds=40)),
    ],
    ids=[
        "30-pt",
        "3000-pt",
        "no-guard",
        "min-points",
        "low-threshold",
        "flat-baseline",
        "gaps",
        "duplicate-times",
    ],
)
def test_reference_fires_where_window_trigger_fires(data, trigger):
    timestamps, values = data
    fired = trigger.fired(timestamps, values)
    assert fired.any()
    assert reference_fired(timestamps, values, trigger) == fired.tolist()


def test_request_chars_counts_every_part_the_model_sees():
    tool = ToolDefinition(
        name="t", description="d", parameters_json_schema={"type": "object", "properties": {}}
    )
    info = AgentInfo(
        function_tools=[tool],
        allow_text_output=True,
        output_tools=[],
        model_settings=None,
        model_request_parameters=None,
        instructions="abcd" * 10,
    )
    messages = [
        ModelRequest.user_text_prompt("hello"),
        ModelResponse(parts=[ToolCallPart("t", {"a": 1}, tool_call_id="1")]),
        ModelRequest(parts=[ToolReturnPart("t", {"n": 12}, tool_call_id="1")]),
    ]
    chars = request_chars(messages, info)
    assert chars["instructions"] == 40
    assert chars["prompts"] == len("hello")
    assert chars["model replies"] == len("t") + len('{"a":1}')
    assert chars["tool results"] == len('{"n":12}')
    assert chars["tool definitions"] > len("td")
    assert [tokens(n) for n in (0, 1, 4, 5)] == [0, 1, 1, 2]


def test_table_marks_failures_and_informational_rows():
    results = [
        Result("s", "fast", 2.0, "s", "<= 1 s", False),
        Result("s", "info only", 3.0, "x"),
    ]
    text = table(results)
    assert "FAIL" in text and "info" in text and "<= 1 s" in text
    assert not all_passed(results)
    assert all_passed(results[1:])


# Slow (about 25 s: every benchmark section); CI runs it (`pytest -m slow`).
@pytest.mark.slow
def test_quick_run_reports_every_section(tmp_path):
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr  # --quick: targets are informational
    text = run.stdout
    for heading in (
        "Machine: ",
        "1. WindowTrigger throughput",
        "2. End-to-end offline runs",
        "3. Model-visible context",
        "4. Process start-up",
        "Results (",
    ):
        assert heading in text, heading
    assert text.count("reference and WindowTrigger give the same fired mask") == 3
    doc = json.loads(out.read_text())
    assert doc["quick"] is True
    assert {"cpu", "cores", "python"} <= doc["machine"].keys()
    by_section: dict[str, list[dict]] = {}
    for r in doc["results"]:
        by_section.setdefault(r["section"], []).append(r)
    assert by_section.keys() == {"trigger", "end-to-end", "context", "start-up", "ratios"}
    assert all(r["name"] != "section error" for r in doc["results"])
    agreement = [r for r in by_section["trigger"] if r["name"].startswith("fired masks agree")]
    assert len(agreement) == 3 and all(r["passed"] for r in agreement)
    names = " | ".join(r["name"] for r in doc["results"])
    for name in (
        "speed-up per point, 30-pt window",
        "speed-up per point, 3000-pt window",
        "time 3000-pt / 30-pt window",
        "default scenario: wall time",
        "default scenario: peak RSS",
        "logs: wall time",
        "logs: peak RSS",
        "all agents: input tokens",
        "CLI overhead over pydantic_ai",
        "--list-scenarios / import pydantic_ai",
        "--help / import pydantic_ai",
        "WindowTrigger.detect / fired",
        "load_bundle / pyarrow csv+json parse",
    ):
        assert name in names, name
    for r in doc["results"]:
        assert r["verdict"] in ("PASS", "FAIL", "info")
        assert r["section"] in text and r["name"] in text
