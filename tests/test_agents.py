"""Every tool of every agent runs (TestModel), and a scripted Commander investigation."""

import json
from dataclasses import replace

import pytest
from pydantic_ai.messages import ModelResponse, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.models.test import TestModel

from agents import commander_agent, logs_agent, metrics_agent
from agents.deps import read_data_block
from models import IncidentContext, LogSummary
from sinks import Delivery
from sinks.files import LocalFiles
from tests.helpers import deps_for


def _tool_returns(messages) -> dict[str, list]:
    out: dict[str, list] = {}
    for m in messages:
        for p in getattr(m, "parts", []):
            if isinstance(p, ToolReturnPart):
                out.setdefault(p.tool_name, []).append(p)
    return out


def _context(deps) -> IncidentContext:
    return IncidentContext(
        triggered_at=deps.triggered_at,
        anomalies=list(deps.anomalies),
        metrics_summary="triage",
        log_summary=LogSummary(summary="logs"),
    )


async def test_metrics_agent_runs_every_tool(now, tmp_path):
    deps = deps_for("default", now, tmp_path)
    # TestModel invents argument values; point it at a real metric name.
    model = TestModel(call_tools=["query_metric", "compare_baseline"])
    with metrics_agent.agent.override(model=model):
        out = await metrics_agent.investigate_metrics(deps, model)
    returns = _tool_returns(out.messages)
    assert set(returns) == {"query_metric", "compare_baseline"}
    assert isinstance(out.output, str) and out.usage.tool_calls >= 2


async def test_logs_agent_runs_every_tool(now, tmp_path):
    deps = deps_for("default", now, tmp_path)
    model = TestModel()
    out = await logs_agent.investigate_logs(deps, model)
    assert {"fetch_logs", "search_logs"} <= set(_tool_returns(out.messages))
    assert isinstance(out.output, LogSummary)


async def test_commander_runs_every_tool_and_writes_the_report(now, tmp_path):
    deps = deps_for("default", now, tmp_path)
    deps = replace(deps, context=_context(deps))
    draft = {
        "root_cause": "r",
        "timeline": [],
        "affected_services": ["checkout-service"],
        "remediation_steps": ["Roll back checkout-service"],
        "confidence": 0.5,
        "findings": [
            {
                "service": "checkout-service",
                "category": "config_change",
                "action": "rollback",
                "summary": "s",
                "evidence": ["e"],
                "confidence": 0.5,
            }
        ],
    }
    out = await commander_agent.investigate_incident(deps, TestModel(custom_output_args=draft))
    names = set(_tool_returns(out.messages))
    assert {
        "get_metric_details",
        "get_log_details",
        "list_recent_deploys",
        "get_code_diff",
    } <= names
    delivery = Delivery(out.output)  # the commander returns the report; the sink writes it
    LocalFiles(tmp_path).deliver(delivery)
    assert delivery.report.incident_id == "INC-20260315-001"
    assert (tmp_path / "incident_INC-20260315-001.json").exists()
    assert (tmp_path / "incident_INC-20260315-001.md").exists()


async def test_scripted_commander_investigation(now, tmp_path):
    """A FunctionModel plays an investigator: reads metrics, logs, deploys and the diff."""
    deps = deps_for("checkout-config-bug", now, tmp_path)
    deps = replace(deps, context=_context(deps))
    seen = {}

    def investigator(messages, info):
        returns = _tool_returns(messages)
        if not returns:
            anomalies = read_data_block(messages[0].parts[-1].content, "anomalies")
            metric = next(a["metric"] for a in anomalies if a["metric"] == "checkout_latency_p99")
            return ModelResponse(
                parts=[
                    ToolCallPart("get_metric_details", {"metric": metric}),
                    ToolCallPart("get_log_details", {"service": "checkout-service"}),
                ]
            )
        if "list_recent_deploys" not in returns:
            comparison = returns["get_metric_details"][0].content.comparison
            seen["shape"] = comparison.shape
            seen["tags"] = returns["get_log_details"][0].content.tag_counts
            return ModelResponse(
                parts=[
                    ToolCallPart(
                        "list_recent_deploys",
                        {"service": "checkout-service", "before": comparison.onset.isoformat()},
                    )
                ]
            )
        if "get_code_diff" not in returns:
            deploys = returns["list_recent_deploys"][0].content
            seen["minutes"] = deploys[0].minutes_before_onset
            return ModelResponse(
                parts=[ToolCallPart("get_code_diff", {"commit": deploys[0].commit})]
            )
        diff = returns["get_code_diff"][0].content
        changed = [f"{s.key} {s.old} -> {s.new}" for s in diff.settings_changed]
        seen["changed"] = changed
        return ModelResponse(
            parts=[
                ToolCallPart(
                    "write_rca",
                    {
                        "root_cause": "Config deploy cut the DB pool",
                        "timeline": [],
                        "affected_services": ["checkout-service"],
                        "remediation_steps": ["Roll back checkout-service-config"],
                        "confidence": 0.9,
                        "findings": [
                            {
                                "service": "checkout-service",
                                "category": "config_change",
                                "action": "rollback",
                                "summary": "pool cut",
                                "evidence": changed,
                                "confidence": 0.9,
                            }
                        ],
                    },
                )
            ]
        )

    out = await commander_agent.investigate_incident(deps, FunctionModel(investigator))
    assert seen["shape"] == "level_shift"
    assert 14 <= seen["minutes"] <= 16  # the config deploy, 15 min before onset
    assert seen["tags"]["pool_exhaustion"] > 100
    assert seen["changed"] == ["pool_size 20 -> 2", "connection_timeout 30s -> 5s"]
    delivery = Delivery(out.output)
    LocalFiles(tmp_path).deliver(delivery)
    written = json.loads(delivery.files[1].read_text())
    assert written["findings"][0]["evidence"] == seen["changed"]


async def test_tools_refuse_unknown_names_with_the_valid_ones(now, tmp_path):
    deps = deps_for("default", now, tmp_path)
    calls = []

    def model(messages, info):
        returns = _tool_returns(messages)
        if not returns:
            return ModelResponse(parts=[ToolCallPart("query_metric", {"metric": "nope"})])
        calls.append(returns["query_metric"][0].content)
        from pydantic_ai.messages import TextPart

        return ModelResponse(parts=[TextPart("done")])

    await metrics_agent.investigate_metrics(deps, FunctionModel(model))
    assert "unknown metric 'nope'" in calls[0] and "heap_usage_mb" in calls[0]


@pytest.mark.parametrize(
    "step", ["kubectl delete namespace prod", "DROP TABLE orders;", "rm -rf /var/lib/postgresql"]
)
async def test_destructive_remediation_is_sent_back(now, tmp_path, step):
    deps = deps_for("checkout-config-bug", now, tmp_path)
    deps = replace(deps, context=_context(deps))
    feedback = []

    def model(messages, info):
        last = messages[-1].parts[-1]
        if isinstance(last, ToolReturnPart) and last.outcome == "retried":
            feedback.append(last.content)
            steps = ["Roll back checkout-service"]
        else:
            steps = [step]
        return ModelResponse(
            parts=[
                ToolCallPart(
                    "write_rca",
                    {
                        "root_cause": "x",
                        "timeline": [],
                        "affected_services": [],
                        "remediation_steps": steps,
                        "confidence": 0.5,
                        "findings": [],
                    },
                )
            ]
        )

    out = await commander_agent.investigate_incident(deps, FunctionModel(model))
    assert feedback and "destructive" in feedback[0]
    assert out.output.remediation_steps == ["Roll back checkout-service"]
