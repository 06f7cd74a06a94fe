"""The evaluation suite: its scoring on hand-made reports, and the real command on a scenario."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_evals import Case, Dataset

import scenarios
from errors import InvestigationError
from evals.__main__ import main
from evals.cases import scenario_cases
from evals.evaluators import SCORING
from evals.results import write_results
from evals.suite import run_suite
from models import Finding, RCAReport
from scenarios.scoring import score

NOW = "2026-03-15T14:30:00Z"
START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
CHECKOUT = {
    "service": "checkout-service",
    "category": "config_change",
    "action": "rollback",
    "keywords": ["pool", "timeout"],
}
EXPECTED = {"incident": True, "findings": [CHECKOUT], "forbidden_services": ["docs-site"]}
NO_INCIDENT = {"incident": False, "findings": [], "forbidden_services": ["docs-site"]}


def finding(service="checkout-service", category="config_change", action="rollback", **kw):
    return Finding(
        service=service,
        category=category,
        action=action,
        summary=kw.get("summary", "DB Pool cut from 20 to 2"),
        evidence=kw.get("evidence", ["connection_timeout 30s -> 5s"]),
        confidence=0.9,
    )


def report(*findings: Finding) -> RCAReport:
    return RCAReport(
        incident_id="INC-20260315-001",
        root_cause="test",
        timeline=[],
        affected_services=sorted({f.service for f in findings}),
        remediation_steps=[],
        confidence=0.9,
        findings=list(findings),
        triggered_at=datetime(2026, 3, 15, 14, 0, tzinfo=UTC),
        model="test",
        answered_by=["test"],
        anomalies=[],
    )


def evaluate(output: RCAReport | None, expected: dict):
    """Run the scoring evaluators through pydantic-evals, as the suite does."""
    dataset = Dataset(name="t", cases=[Case(name="c", inputs=None, expected_output=expected)])
    dataset.evaluators = list(SCORING)
    case = dataset.evaluate_sync(lambda _: output, progress=False).cases[0]
    return (
        {name: a.value for name, a in case.assertions.items()},
        {name: s.value for name, s in case.scores.items()},
        {name: a.reason for name, a in case.assertions.items() if a.reason},
    )


ALL_PASS = {"findings": True, "keywords": True, "no_red_herrings": True, "incident": True}


@pytest.mark.parametrize(
    "output, expected, failing, scores",
    [
        (report(finding()), EXPECTED, set(), {"matched": 1.0, "keyword_hits": 1.0}),
        # Keywords are case-insensitive and may sit in the summary or in the evidence.
        (report(finding(summary="POOL", evidence=["TimeOut"])), EXPECTED, set(), {}),
        # An action list accepts any of its actions.
        (
            report(finding(action="restart")),
            {**EXPECTED, "findings": [{**CHECKOUT, "action": ["rollback", "restart"]}]},
            set(),
            {},
        ),
        # The right service and category with the wrong action is not a match.
        (
            report(finding(action="restart")),
            EXPECTED,
            {"findings"},
            {"service": 1.0, "category": 1.0, "action": 0.0, "matched": 0.0},
        ),
        (
            report(finding(category="code_regression")),
            EXPECTED,
            {"findings"},
            {"service": 1.0, "category": 0.0},
        ),
        # A missing keyword fails both the match and the keyword evidence.
        (
            report(finding(evidence=["pool_size 20 -> 2"])),
            EXPECTED,
            {"findings", "keywords"},
            {"keyword_hits": 0.5},
        ),
        # Blaming a forbidden service fails even when the real cause is found too.
        (
            report(finding(), finding(service="docs-site", category="code_regression")),
            EXPECTED,
            {"no_red_herrings"},
            {"red_herrings": 1, "matched": 1.0},
        ),
        # The wrong service entirely.
        (report(finding(service="postgres")), EXPECTED, {"findings", "keywords"}, {"service": 0.0}),
        # No report (nothing fired) or a report without findings: no incident.
        (None, NO_INCIDENT, set(), {}),
        (report(), NO_INCIDENT, set(), {}),
        (None, EXPECTED, {"findings", "keywords", "incident"}, {"matched": 0.0}),
        (report(finding()), NO_INCIDENT, {"incident"}, {}),
    ],
)
def test_scoring_evaluators(output, expected, failing, scores):
    assertions, got, reasons = evaluate(output, expected)
    assert assertions == {name: name not in failing for name in ALL_PASS}
    assert set(reasons) == failing  # every failure says why
    for name, value in scores.items():
        assert got[name] == pytest.approx(value), name
    assert score(output, expected).passed == (not failing)


def test_each_expected_finding_needs_its_own_report_finding():
    twice = {**EXPECTED, "findings": [CHECKOUT, {**CHECKOUT, "keywords": ["pool"]}]}
    assert score(report(finding()), twice).matched == 1
    assert score(report(finding(), finding()), twice).passed
    assertions, scores, reasons = evaluate(report(finding()), twice)
    assert not assertions["findings"] and scores["matched"] == 0.5
    assert "unmatched: checkout-service/config_change/rollback" in reasons["findings"]


def test_reasons_name_what_failed():
    bad = report(
        finding(evidence=["pool only"]), finding(service="docs-site", category="code_regression")
    )
    assert evaluate(bad, EXPECTED)[2] == {
        "findings": "unmatched: checkout-service/config_change/rollback",
        "keywords": "missing: checkout-service: timeout",
        "no_red_herrings": "blamed docs-site",
    }


def run_cli(tmp_path: Path, *args: str) -> tuple[int, dict | None]:
    results = tmp_path / "results"
    code = main(["--now", NOW, "--results", str(results), *args])
    files = sorted(results.glob("*.json")) if results.exists() else []
    return code, json.loads(files[-1].read_text()) if files else None


def test_one_scenario_offline_writes_results_and_passes(tmp_path, capsys):
    code, doc = run_cli(tmp_path, "--case", "checkout-config-bug")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Evaluation Summary" in out and "checkout-config-bug" in out
    assert "1/1 passed" in out
    assert doc["model"] == "offline" and doc["seed"] == 42 and doc["now"] == NOW
    assert doc["judge"] is None and doc["passed"] is True
    assert doc["run_id"] and (tmp_path / "results" / f"{doc['run_id']}.json").exists()
    [case] = doc["cases"]
    assert case["case"] == "checkout-config-bug" and case["passed"]
    assert case["assertions"] == ALL_PASS
    assert case["scores"]["matched"] == 1.0 and "judge" not in case["scores"]
    assert case["metrics"]["requests"] > 0 and case["metrics"]["input_tokens"] > 0
    assert case["report"]["findings"] == [
        {"service": "checkout-service", "category": "config_change", "action": "rollback"}
    ]
    assert doc["totals"]["cases"] == 1 and doc["totals"]["passed"] == 1
    assert doc["totals"]["requests"] == case["metrics"]["requests"]
    assert doc["totals"]["by_case"] == {"checkout-config-bug": {"runs": 1, "passed": 1}}

    # A second run never overwrites the first.
    code, _ = run_cli(tmp_path, "--case", "checkout-config-bug")
    assert code == 0 and len(list((tmp_path / "results").glob("*.json"))) == 2


def test_a_bundle_the_report_cannot_satisfy_fails_the_run(tmp_path, capsys):
    from sources.bundle.writer import export_bundle

    telemetry, expected = scenarios.get("checkout-config-bug").build(
        datetime.fromisoformat(NOW), 42
    )
    tampered = {**expected, "forbidden_services": ["checkout-service"]}
    export_bundle(telemetry, tmp_path / "bundle", tampered)
    code, doc = run_cli(tmp_path, "--bundle", str(tmp_path / "bundle"))
    out = capsys.readouterr().out
    assert code == 1, out
    assert "0/1 passed" in out and "FAILED checkout-config-bug: blamed checkout-service" in out
    [case] = doc["cases"]
    assert not case["passed"] and case["assertions"]["no_red_herrings"] is False
    assert case["score"]["red_herrings"] == ["checkout-service"]
    assert doc["passed"] is False and doc["totals"]["failed"] == 1
    assert doc["bundles"] == [str(tmp_path / "bundle")] and doc["seed"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["--case", "nope"], "unknown case 'nope'"),
        (["--model", "openrouter:some/model"], "needs OPENROUTER_API_KEY"),
        (["--model", "gpt-4"], "unknown model 'gpt-4'"),
        (["--repeat", "0"], "must be a whole number >= 1"),
        (["--now", "2026-03-15T14:30:00"], "needs a UTC offset"),
        (["--bundle", "missing-dir"], "no such directory"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    code, doc = run_cli(tmp_path, *args)
    err = capsys.readouterr().err
    assert code == 2 and doc is None
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_a_bundle_without_expected_json_is_a_usage_error(tmp_path, capsys):
    from sources.bundle.writer import export_bundle

    telemetry, _ = scenarios.get("worker-memory-leak").build(datetime.fromisoformat(NOW), 1)
    export_bundle(telemetry, tmp_path / "b")
    code, doc = run_cli(tmp_path, "--bundle", str(tmp_path / "b"))
    err = capsys.readouterr().err
    assert code == 2 and doc is None
    assert "no expected.json" in err and len(err.strip().splitlines()) == 1


def test_list_names_every_scenario(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()] == list(scenarios.SCENARIOS)


def test_the_judge_adds_a_score_but_never_decides(tmp_path):
    def grade(messages, info: AgentInfo) -> ModelResponse:
        args = {"reason": "cites the pool diff", "pass": False, "score": 0.25}
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, args)])

    cases = scenario_cases(datetime.fromisoformat(NOW), 42, ["worker-memory-leak"])
    run = run_suite(cases, "offline", judge_model=FunctionModel(grade))
    [result] = run.results
    assert result.scores["judge"] == 0.25 and result.reasons["judge"] == "cites the pool diff"
    assert result.passed and run.passed  # the deterministic scoring decides


def test_a_failed_investigation_fails_its_case(monkeypatch, tmp_path):
    async def broken(inv, sinks, progress=None):
        raise InvestigationError("investigation failed: boom; partial report: x.md")

    monkeypatch.setattr("evals.suite.run_investigation", broken)
    cases = scenario_cases(datetime.fromisoformat(NOW), 42, ["worker-memory-leak"])
    run = run_suite(cases, "offline")
    [result] = run.results
    assert not run.passed and not result.passed and "boom" in result.error
    doc = json.loads(write_results(run, tmp_path, {"model": "offline"}, START).read_text())
    assert doc["passed"] is False and doc["cases"][0]["error"] == result.error
    assert doc["totals"]["failed"] == 1 and doc["totals"]["averages"]["duration_s"] is None
    again = write_results(run, tmp_path, {"model": "openrouter:a/b"}, START)
    third = write_results(run, tmp_path, {"model": "openrouter:a/b"}, START)
    assert [again.name, third.name] == [
        "20261101T090000Z-openrouter-a-b.json",
        "20261101T090000Z-openrouter-a-b-2.json",
    ]
    assert json.loads(third.read_text())["run_id"] == "20261101T090000Z-openrouter-a-b-2"


@pytest.mark.slow
def test_full_suite_offline_passes(tmp_path, capsys):
    code, doc = run_cli(tmp_path)
    assert code == 0, capsys.readouterr().out
    assert [c["case"] for c in doc["cases"]] == list(scenarios.SCENARIOS)
    assert all(c["passed"] for c in doc["cases"])


@pytest.mark.slow
def test_the_held_out_incidents_pass(tmp_path):
    # 15 bundles written from the bundle spec alone, by authors who never read this code.
    from evals.cases import bundle_cases
    from evals.holdout import generate

    bundles = generate(tmp_path)
    assert len(bundles) == 15
    run = run_suite(bundle_cases(bundles), "offline", concurrency=2)
    failed = [f"{r.case}: {r.reasons}" for r in run.results if not r.passed]
    assert not failed
