"""python -m evals.holdout DIR: write the held-out bundles under DIR (see evals/holdout)."""

import sys
from pathlib import Path

from evals.holdout import generate

if len(sys.argv) != 2:
    sys.exit("usage: python -m evals.holdout DIR")
for bundle in generate(Path(sys.argv[1])):
    print(bundle)
