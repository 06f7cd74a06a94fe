"""The installed command: the console script and the project's main.py work from any directory."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT


def _env() -> dict:
    return {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_OFFLINE": "1"}


def test_the_console_script_works_from_another_directory(tmp_path):
    script = Path(sys.executable).parent / "incident-commander"
    assert script.exists(), "pyproject's [project.scripts] entry point is not installed"
    run = subprocess.run(
        [str(script), "--list-scenarios"], cwd=tmp_path, capture_output=True, text=True,
        env=_env(), timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("default ")


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH")
@pytest.mark.parametrize(
    "command",
    [
        ["incident-commander", "--list-scenarios"],
        ["python", str(ROOT / "main.py"), "--list-scenarios"],
    ],
)
def test_uv_runs_the_project_from_another_directory(tmp_path, command):
    run = subprocess.run(
        ["uv", "run", "--frozen", "--project", str(ROOT), *command],
        cwd=tmp_path, capture_output=True, text=True, env=_env(), timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "checkout-config-bug" in run.stdout
