"""Diffs from real git repositories made in temp dirs; hostile commit ids never reach git."""

import shutil
import subprocess
from pathlib import Path

import pytest

from errors import UsageError
from sources.live.git import check_commit, git_show, read_diff

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "ci",
        "GIT_AUTHOR_EMAIL": "ci@example.invalid",
        "GIT_COMMITTER_NAME": "ci",
        "GIT_COMMITTER_EMAIL": "ci@example.invalid",
        "PATH": "/usr/bin:/bin",
        "HOME": str(repo),
    }
    done = subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True)
    return done.stdout.decode().strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> tuple[Path, str, str]:
    """A repository whose second commit cuts the DB pool; returns (path, first, second)."""
    path = tmp_path_factory.mktemp("git") / "checkout"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "config.yaml").write_text("db:\n  pool_size: 20\n  timeout_s: 30\n")
    git(path, "add", "config.yaml")
    git(path, "commit", "-q", "-m", "initial config")
    first = git(path, "rev-parse", "HEAD")
    (path / "config.yaml").write_text("db:\n  pool_size: 2\n  timeout_s: 5\n")
    git(path, "commit", "-q", "-am", "tune the pool")
    return path, first, git(path, "rev-parse", "HEAD")


def test_git_show_gives_the_unified_diff(repo):
    path, _, second = repo
    diff = git_show(path, second)
    assert diff.startswith("diff --git a/config.yaml b/config.yaml")
    assert "-  pool_size: 20\n" in diff and "+  pool_size: 2\n" in diff
    assert git_show(path, second[:7]) == diff  # a short id is fine


def test_an_unknown_commit_has_no_diff(repo):
    assert git_show(repo[0], "0" * 40) is None


def test_the_diffs_dir_wins_over_git(repo, tmp_path):
    path, _, second = repo
    (tmp_path / f"{second}.diff").write_text("from the diffs dir\n")
    assert read_diff(second, tmp_path, path) == "from the diffs dir\n"
    assert read_diff(repo[1], tmp_path, path).startswith("diff --git")  # not there: git
    assert read_diff(repo[1], tmp_path, None) is None


@pytest.mark.parametrize(
    "commit",
    ["--output=/tmp/x", "../x", "-x", "--help", "..", ".", "a b", "HEAD~1", "a;rm", "", "x" * 65],
)
def test_hostile_commit_ids_are_refused_before_git_runs(repo, tmp_path, monkeypatch, commit):
    def no_git(*args, **kwargs):
        raise AssertionError(f"git ran with {args}")

    monkeypatch.setattr(subprocess, "run", no_git)
    with pytest.raises(UsageError, match="refused"):
        read_diff(commit, tmp_path, repo[0])
    with pytest.raises(UsageError, match="refused"):
        check_commit(commit)
    assert not Path("/tmp/x").exists() or commit != "--output=/tmp/x"


def test_a_directory_that_is_not_a_repository_is_one_line(tmp_path):
    with pytest.raises(UsageError, match="not a git repository") as caught:
        git_show(tmp_path, "abc123")
    assert "\n" not in str(caught.value)
