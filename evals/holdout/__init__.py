"""Held-out incidents: 15 bundles written from the bundle spec alone, by helpers who never read
this project's code, to check that verdicts hold on incidents nobody here wrote.

Three sets, one generator each, kept as their authors wrote them (so ruff leaves them alone):
set_a (Kubernetes + JVM, 15 s scrapes, Java traces), set_b (Python and Go, 30-60 s scrapes,
logfmt, tracebacks), set_c (Node.js behind Envoy, mixed naming, pino JSON). The truth of each
case is in the set's .md file and each bundle's expected.json.

    uv run python -m evals.holdout DIR          # writes DIR/<bundle>/... (about 10 s)
    uv run python -m evals --bundles DIR        # evaluates all 15

When these pass, write new ones: once a set has been fixed against, it is no longer held out.
"""

import subprocess
import sys
from pathlib import Path

SETS = ("set_a", "set_b", "set_c")
HERE = Path(__file__).resolve().parent


def generate(directory: Path) -> list[Path]:
    """Write every set's bundles under `directory` (their names differ); returns them."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in SETS:
        subprocess.run(
            [sys.executable, str(HERE / f"{name}.py"), str(directory)],
            check=True,
            capture_output=True,
            text=True,
        )
    return sorted(p.parent for p in directory.glob("*/bundle.json"))
