"""The detection stage on the Numenta Anomaly Benchmark (NAB), scored by NAB's own scorer.

    uv run python -m bench.nab --nab /work/nab --results /tmp/nab-results \\
        --scorer-python /work/nab-venv/bin/python

Runs `score_series` at its default settings (one setting for every file, causal) over NAB's
58 series, writes NAB's result files (OUT/<detector>/<folder>/<detector>_<file>.csv with
timestamp, value, anomaly_score, label), then runs NAB's optimizer, scorer and normalizer and
prints the three profile scores beside the published ones.

NAB is not part of this repository. Get a copy and a venv for its scorer (pandas is not a
dependency of this project) once:

    git clone https://github.com/numenta/NAB /work/nab    # or any snapshot of it
    python3 -m venv /work/nab-venv
    /work/nab-venv/bin/pip install numpy pandas==2.3.3 simplejson python-dateutil

The scorer is imported as `nab.runner.Runner` (NAB's run.py would import every detector's
dependencies). Without `--scorer-python` only the result files are written.
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from detection import DEFAULT_SETTINGS, EpisodeSettings, score_series
from triggers import WindowTrigger

DETECTOR = "incidentcommander"  # NAB splits names on "_" and "."
PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")

# Run by the scorer's Python: optimize a threshold per profile, score, normalize (run.py's steps).
SCORER = """
import json, os, sys
nab, out, name = sys.argv[1:4]
sys.path.insert(0, nab)
from nab.runner import Runner
if __name__ == "__main__":
    runner = Runner(
        dataDir=os.path.join(nab, "data"),
        labelPath=os.path.join(nab, "labels", "combined_windows.json"),
        resultsDir=out,
        profilesPath=os.path.join(nab, "config", "profiles.json"),
        thresholdPath=os.path.join(out, "thresholds.json"),
    )
    runner.initialize()
    thresholds = runner.optimize([name])
    runner.score([name], thresholds)
    runner.normalize()
"""


def read_series(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """NAB's raw timestamp strings, their datetime64[ms] and the values of one data file."""
    with path.open() as f:
        rows = list(csv.reader(f))[1:]
    stamps = [r[0] for r in rows]
    t = np.array([s.replace(" ", "T") for s in stamps], dtype="datetime64[ms]")
    return stamps, t, np.array([float(r[1]) for r in rows])


def labels(t: np.ndarray, windows: list[list[str]]) -> np.ndarray:
    """1 inside NAB's labelled anomaly windows, else 0."""
    inside = np.zeros(len(t), dtype=np.int8)
    for start, end in windows:
        lo, hi = (np.datetime64(s.replace(" ", "T"), "ms") for s in (start, end))
        inside[(t >= lo) & (t <= hi)] = 1
    return inside


def write_results(
    nab: Path, out: Path, trigger: WindowTrigger, settings: EpisodeSettings = DEFAULT_SETTINGS
) -> int:
    """Score every NAB data file and write its result file; the number of points scored."""
    windows = json.loads((nab / "labels" / "combined_windows.json").read_text())
    total = 0
    for rel in sorted(windows):
        stamps, t, x = read_series(nab / "data" / rel)
        score = score_series(t, x, trigger, settings=settings)  # bad_when unknown: both ways
        folder, name = rel.split("/")
        dest = out / DETECTOR / folder / f"{DETECTOR}_{name}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        with dest.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["timestamp", "value", "anomaly_score", "label"])
            inside = labels(t, windows[rel])
            w.writerows(zip(stamps, x.tolist(), score.round(6).tolist(), inside, strict=True))
        total += len(x)
    return total


def run_scorer(python: str, nab: Path, out: Path) -> dict[str, float]:
    """NAB's normalized scores of this detector, per profile."""
    # Normalization needs the null detector's scores; the optimizer writes a thresholds file.
    shutil.copytree(nab / "results" / "null", out / "null", dirs_exist_ok=True)
    shutil.copy(nab / "config" / "thresholds.json", out / "thresholds.json")
    final = out / "final_results.json"
    final.unlink(missing_ok=True)
    cmd = [python, "-c", SCORER, str(nab.resolve()), str(out.resolve()), DETECTOR]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}  # pandas' date-format chatter
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return json.loads(final.read_text())[DETECTOR]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nab", type=Path, required=True, help="a copy of the NAB repository")
    parser.add_argument("--results", type=Path, required=True, help="where results go")
    parser.add_argument("--scorer-python", help="a Python with pandas (see the docstring)")
    args = parser.parse_args(argv)
    if not (args.nab / "labels" / "combined_windows.json").is_file():
        print(f"error: {args.nab} is not a NAB checkout", file=sys.stderr)
        return 2
    start = time.perf_counter()
    points = write_results(args.nab, args.results, WindowTrigger())
    print(f"scored {points:,} points in {time.perf_counter() - start:.1f}s")
    if not args.scorer_python:
        print(f"results in {args.results / DETECTOR}; pass --scorer-python to score them")
        return 0
    ours = run_scorer(args.scorer_python, args.nab, args.results)
    published = json.loads((args.nab / "results" / "final_results.json").read_text())
    names = [DETECTOR, "numenta", "relativeEntropy", "twitterADVec", "windowedGaussian"]
    print(f"{'detector':<18}" + "".join(f"{p:>20}" for p in PROFILES))
    for name in names:
        scores = ours if name == DETECTOR else published.get(name, {})
        cells = "".join(f"{scores.get(p, float('nan')):>20.2f}" for p in PROFILES)
        print(f"{name:<18}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
