"""The diff of a deployed commit: `<diffs_dir>/<commit>.diff`, else `git show` on a local clone.

A commit id comes from deploy events, which come from files and labels: untrusted. It must match
the bundle's commit pattern and must not start with `-` before it is used as a file name or
reaches git, and git gets it after `--end-of-options`, run without a shell and with a timeout.
"""

import os
import subprocess
from pathlib import Path

from errors import UsageError
from sources.bundle.reader import valid_commit

GIT_TIMEOUT_SECONDS = 20
MAX_DIFF_BYTES = 2_000_000  # a diff beyond this is cut: the tools read summaries anyway


def check_commit(commit: str) -> str:
    """`commit` when it is a safe id (^[A-Za-z0-9._-]{1,64}$, no leading '-'); else UsageError."""
    if not isinstance(commit, str) or not valid_commit(commit) or commit.startswith("-"):
        raise UsageError(
            f"commit id {commit!r} refused: it must match ^[A-Za-z0-9._-]{{1,64}}$ "
            "and not start with '-'"
        )
    return commit


def read_diff(commit: str, diffs_dir: Path | None, repo: Path | None) -> str | None:
    """The unified diff of `commit`, or None when neither source has it."""
    check_commit(commit)
    if diffs_dir is not None:
        path = diffs_dir / f"{commit}.diff"
        if path.is_file() and path.resolve().is_relative_to(diffs_dir.resolve()):
            return path.read_text(encoding="utf-8", errors="replace")
    if repo is None:
        return None
    return git_show(repo, commit)


def git_show(repo: Path, commit: str) -> str | None:
    """`git -C repo show --format= <commit>`; None when git does not know the commit."""
    check_commit(commit)
    args = [
        "git", "-C", str(repo),
        "-c", "core.fsmonitor=false",  # a clone's config must not run programs for us
        "-c", f"safe.directory={repo.resolve()}",  # a mounted clone owned by another user
        "show", "--format=", "--no-color", "--no-ext-diff", "--no-textconv",
        "--end-of-options", commit,
    ]  # fmt: skip
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
            env={"GIT_TERMINAL_PROMPT": "0", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise UsageError(
            f"git is not installed, but [[services]] repo = {str(repo)!r} needs it"
        ) from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"git show {commit} in {repo} took over {GIT_TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        error = done.stderr.decode("utf-8", errors="replace")
        if any(s in error for s in ("unknown revision", "bad object", "bad revision")):
            return None  # a commit the clone lacks: a deploy without a diff is allowed
        first = (error.strip().splitlines() or ["no message"])[0][:200]
        raise UsageError(f"git show {commit} in {repo} failed: {first}")
    return done.stdout[:MAX_DIFF_BYTES].decode("utf-8", errors="replace")
