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
BARE = [sys.executable, "-c", "import pydantic_ai"]
CLI = [sys.executable, str(ROOT / "main.py"), "--list-scenarios"]


def _wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def run(repeats: int, warm_up: bool = True) -> list[Result]:
    if warm_up:  # the page cache and the bytecode caches
        _wall(BARE), _wall(CLI)
    bare, cli = [], []
    for _ in range(repeats):  # interleaved, so a busy spell hits both alike
        bare.append(_wall(BARE))
        cli.append(_wall(CLI))
    b, c = statistics.median(bare), statistics.median(cli)
    return [
        Result(SECTION, 'python -c "import pydantic_ai"', b, "s", note=f"median of {repeats}"),
        Result(SECTION, "python main.py --list-scenarios", c, "s", note=f"median of {repeats}"),
        Result(SECTION, "CLI overhead over pydantic_ai", c - b, "s", "<= 1 s", c - b <= TARGET_S),
    ]
