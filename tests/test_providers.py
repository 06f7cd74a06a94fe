"""Every provider: credentials checked up front, refused credentials never fall back, outages do.

The real CLI talks to the local fake server (tests/fake_model_server.py) through each
provider's base URL.
"""

import json
from http.server import BaseHTTPRequestHandler

import pytest

from agents.llm import PROVIDERS, choose
from errors import UsageError
from tests.fake_model_server import FakeModelServer
from tests.helpers import NOW_TEXT, cli, reports

SCENARIO = ("--scenario", "checkout-config-bug", "--now", NOW_TEXT)


class DenyingServer(FakeModelServer):
    """Answers every request with 401 or 403, as a provider does for a wrong key."""

    def answer(self, h: BaseHTTPRequestHandler, request: dict) -> None:
        body = json.dumps({"error": {"message": "invalid x-api-key", "type": "auth"}}).encode()
        h.send_response(int(self.mode))
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)


@pytest.mark.parametrize(
    "model, env",
    [
        ("openai:gpt-test", {}),
        ("anthropic:claude-test", {}),
        ("openrouter:anthropic/claude-sonnet-4-5", {}),
    ],
)
def test_a_missing_key_is_refused_naming_the_variable(model, env):
    variable = PROVIDERS[model.split(":")[0]].credentials
    with pytest.raises(UsageError, match=variable):
        choose(model, env)


def test_google_vertex_needs_application_default_credentials(monkeypatch, tmp_path):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(UsageError, match="Application Default Credentials"):
        choose("google-vertex:gemini-2.5-pro", {})


def test_local_openai_compatible_servers_need_no_key():
    assert choose("openai:llama3", {"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}).remote
    assert choose("ollama:llama3", {}).remote


@pytest.mark.parametrize(
    "model, status, env_of",
    [
        ("openrouter:anthropic/claude-sonnet-4-5", "401",
         lambda url: {"OPENROUTER_API_KEY": "sk-or-wrong",
                      "INCIDENT_COMMANDER_OPENROUTER_BASE_URL": url}),
        pytest.param("anthropic:claude-sonnet-4-5", "403",
         lambda url: {"ANTHROPIC_API_KEY": "sk-ant-wrong", "ANTHROPIC_BASE_URL": url[:-3]},
         marks=pytest.mark.slow),  # another provider, the same path: with the long runs
    ],
)  # fmt: skip
def test_refused_credentials_are_exit_2_in_one_line_without_fallback(
    tmp_path, model, status, env_of
):
    with DenyingServer(status) as server:
        run = cli(tmp_path, *SCENARIO, "--model", model, env=env_of(server.base_url))
    assert run.returncode == 2, run.stdout + run.stderr
    provider = model.split(":")[0]
    assert run.stderr.strip() == (
        f"error: {provider} refused the credentials: HTTP {status} "
        f"(check {PROVIDERS[provider].credentials})"
    )
    assert "offline-investigator" not in run.stdout  # no offline answer
    assert len(server.requests) == 1  # not retried either


def _ollama(server: FakeModelServer) -> dict:
    return {"OLLAMA_BASE_URL": server.base_url, "INCIDENT_COMMANDER_REQUEST_TIMEOUT": "5"}


def test_no_fallback_makes_an_outage_exit_1(tmp_path):
    with FakeModelServer("500") as server:
        run = cli(tmp_path, *SCENARIO, "--model", "ollama:llama3", "--no-fallback",
                  env=_ollama(server))  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert "investigation failed" in run.stderr and "500" in run.stderr
    report = json.loads(next((tmp_path / "rca_reports").glob("*.json")).read_text())
    assert report["status"] == "incomplete" and "offline-investigator" not in report["answered_by"]


@pytest.mark.slow  # the twin of test_fallback's 429 through the OpenRouter provider
def test_an_outage_of_a_local_server_falls_back_to_the_offline_investigator(tmp_path):
    with FakeModelServer("500") as server:
        run = cli(tmp_path, *SCENARIO, "--model", "ollama:llama3", env=_ollama(server))
    assert run.returncode == 0, run.stdout + run.stderr
    (path,) = [p for p in reports(tmp_path / "rca_reports") if p.suffix == ".json"]
    report = json.loads(path.read_text())
    assert report["model"] == "ollama:llama3" and report["fell_back"] is True
    assert [f["category"] for f in report["findings"]] == ["config_change"]
