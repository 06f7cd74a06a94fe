"""Process start-up: the CLI's own import cost over a bare `import pydantic_ai`."""

import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.results import Result

SECTION = "start-up"
ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 1.0
TARGET_RATIO = 0.3  # issue 17: the CLI's own start-up at most 0.3x of importing pydantic_ai
BARE = [sys.executable, "-c", "import pydantic_ai"]
CLI = [sys.executable, str(ROOT / "main.py"), "--list-scenarios"]
HELP = [sys.executable, str(ROOT / "main.py"), "--help"]


def _wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def run(repeats: int, warm_up: bool = True) -> list[Result]:
    if warm_up:  # the page cache and the bytecode caches
        _wall(BARE), _wall(CLI), _wall(HELP)
    bare, cli, help_ = [], [], []
    for _ in range(repeats):  # interleaved, so a busy spell hits all alike
        bare.append(_wall(BARE))
        cli.append(_wall(CLI))
        help_.append(_wall(HELP))
    b, c, h = (statistics.median(x) for x in (bare, cli, help_))
    note = f"median of {repeats}"
    return [
        Result(SECTION, 'python -c "import pydantic_ai"', b, "s", note=note),
        Result(SECTION, "python main.py --list-scenarios", c, "s", note=note),
        Result(SECTION, "CLI overhead over pydantic_ai", c - b, "s", "<= 1 s", c - b <= TARGET_S),
        Result(
            SECTION,
            "--list-scenarios / import pydantic_ai",
            c / b,
            "x",
            f"<= {TARGET_RATIO:g}x",
            c / b <= TARGET_RATIO,
        ),
        Result(
            SECTION,
            "--help / import pydantic_ai",
            h / b,
            "x",
            f"<= {TARGET_RATIO:g}x",
            h / b <= TARGET_RATIO,
            f"--help {h:.2f} s, {note}",
        ),
    ]
