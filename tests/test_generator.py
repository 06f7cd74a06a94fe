"""The incident generator: deterministic for a seed, every bundle valid by the incident-bundle/v1
spec (checked here by hand, not with the project's loader), ground truth that makes sense."""

import csv
import hashlib
import json
import math
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from evals.generator import CATEGORIES, generate, generate_suite

ROOT = Path(__file__).resolve().parents[1]
LEVELS = {"DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL"}
CATEGORY_SET = {"config_change", "code_regression", "memory_leak", "resource_saturation",
                "traffic_surge", "dependency_failure", "unknown"}  # fmt: skip
ACTIONS = {"rollback", "restart", "scale_out", "failover", "escalate"}
SEEDS = (1, 2)


def digest(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> list[tuple[str, Path]]:
    out = tmp_path_factory.mktemp("generated")
    return [(c, generate(c, seed, out)) for c in CATEGORIES for seed in SEEDS]


def test_same_seed_same_bytes(tmp_path):
    for category in CATEGORIES:
        a = generate(category, 11, tmp_path / "a")
        b = generate(category, 11, tmp_path / "b")
        assert a.name == b.name
        assert digest(a) == digest(b)


def test_same_bytes_whatever_pythonhashseed(tmp_path):
    script = (
        "import sys, pathlib; from evals.generator import generate_suite; "
        "generate_suite(1, 5, pathlib.Path(sys.argv[1]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": str(os.getpid() % 4000 + 7)}  # differs from ours
    there = tmp_path / "there"
    subprocess.run([sys.executable, "-c", script, str(there)], cwd=ROOT, env=env, check=True)
    generate_suite(1, 5, tmp_path / "here")
    assert digest(tmp_path / "here") == digest(there)


def test_different_seeds_differ(tmp_path):
    assert digest(generate("quiet", 1, tmp_path)) != digest(generate("quiet", 2, tmp_path))


def test_unknown_category_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown category"):
        generate("meteor_strike", 1, tmp_path)


def check_bundle(directory: Path) -> dict:
    """Validate one bundle by the spec; returns its parts for further checks."""
    manifest = json.loads((directory / "bundle.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "incident-bundle/v1"
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", manifest["name"])
    assert manifest["name"] == directory.name
    metrics = manifest["metrics"]
    for spec in metrics.values():
        assert isinstance(spec["service"], str) and spec["service"]
        assert spec.get("kind", "gauge") in ("gauge", "counter")
        assert spec.get("bad_when", "rises") in ("rises", "falls")
    with (directory / "metrics.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["timestamp", "metric", "value"]
    seen, per_metric = set(), {}
    for stamp, metric, value in rows[1:]:
        assert datetime.fromisoformat(stamp).tzinfo is not None, stamp
        assert metric in metrics, metric
        assert math.isfinite(float(value)) and re.fullmatch(r"[+-]?[0-9.]+(e[+-]?\d+)?", value)
        assert (metric, stamp) not in seen
        seen.add((metric, stamp))
        per_metric[metric] = per_metric.get(metric, 0) + 1
    assert set(per_metric) == set(metrics)  # every declared metric has points
    assert len(rows) < 8000
    logs = []
    if (directory / "logs.jsonl").exists():
        for line in (directory / "logs.jsonl").read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            assert datetime.fromisoformat(doc["timestamp"]).tzinfo is not None
            assert doc["level"].upper() in LEVELS, doc["level"]
            assert isinstance(doc["service"], str) and isinstance(doc["message"], str)
            logs.append(doc)
        assert len(logs) < 6000
    deploys = []
    if (directory / "deploys.json").exists():
        deploys = json.loads((directory / "deploys.json").read_text(encoding="utf-8"))
        for d in deploys:
            assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", d["commit"])
            assert datetime.fromisoformat(d["deployed_at"]).tzinfo is not None
            assert d["service"] and d["version"]
    diffs = directory / "diffs"
    if diffs.exists():
        commits = {d["commit"] for d in deploys}
        for diff in diffs.iterdir():
            assert diff.suffix == ".diff" and diff.stem in commits
            assert diff.read_text(encoding="utf-8").startswith("diff --git a/")
    expected = json.loads((directory / "expected.json").read_text(encoding="utf-8"))
    for finding in expected["findings"]:
        assert finding["category"] in CATEGORY_SET
        actions = finding["action"] if isinstance(finding["action"], list) else [finding["action"]]
        assert actions and set(actions) <= ACTIONS
        assert all(isinstance(k, str) and k for k in finding["keywords"])
    return {"manifest": manifest, "logs": logs, "deploys": deploys, "expected": expected}


def test_every_bundle_is_valid(bundles):
    for _, directory in bundles:
        check_bundle(directory)


def test_ground_truth_makes_sense(bundles):
    for category, directory in bundles:
        parts = check_bundle(directory)
        expected = parts["expected"]
        services = {s["service"] for s in parts["manifest"]["metrics"].values()}
        named = json.dumps(parts["logs"]) + json.dumps(parts["manifest"])
        if category == "quiet":
            assert expected == {**expected, "incident": False, "findings": []}
            continue
        assert expected["incident"] and len(expected["findings"]) == 1
        finding = expected["findings"][0]
        assert finding["service"] not in expected["forbidden_services"]
        assert finding["service"] in named  # the culprit is named somewhere in the evidence
        if category in CATEGORY_SET - {"dependency_failure"}:
            assert finding["category"] == category
            assert finding["service"] in services
        if category == "dependency_failure":
            callers = {d["service"] for d in parts["logs"] if d["level"].upper() == "ERROR"}
            assert finding["service"] not in callers - {finding["service"]}
        if category == "unknown":
            assert not parts["logs"] and not parts["deploys"]
        if category == "metrics_only":
            assert not parts["logs"]


def test_code_regression_stack_frame_points_into_the_diff(tmp_path):
    found = 0
    for seed in range(8):
        directory = generate("code_regression", seed, tmp_path)
        if "regex" in directory.name:
            continue
        text = (directory / "logs.jsonl").read_text(encoding="utf-8")
        frames = set(re.findall(r"([\w/]+\.(?:java|go|py))\W+(?:line )?(\d+)", text))
        hunks = []
        for diff in (directory / "diffs").iterdir():
            body = diff.read_text(encoding="utf-8")
            path = re.search(r"^\+\+\+ b/(\S+)", body, re.M).group(1)
            for start, count in re.findall(r"^@@ -\d+(?:,\d+)? \+(\d+),(\d+) @@", body, re.M):
                hunks.append((path, int(start), int(start) + int(count)))
        assert any(
            path.endswith(file.split("/")[-1]) and lo <= int(line) < hi
            for file, line in frames
            for path, lo, hi in hunks
        ), directory.name
        found += 1
    assert found >= 3


def test_suite_labels_every_group(tmp_path):
    paths = generate_suite(1, 9, tmp_path)
    assert len(paths) == len(CATEGORIES)
    assert [p.name.split("-")[0] for p in paths] == [c.split("_")[0] for c in CATEGORIES]
