"""The live path: investigating a 6-hour window of 50 series from a local Prometheus, against the
same incident as a bundle (target: at most 2x the bundle's wall time).

Both runs are the real CLI in a subprocess (bench.end_to_end.run_child), offline. Prometheus is
the Debian package, backfilled with the bundle's points by promtool before it starts; its
start-up is not counted. Without prometheus/promtool the section reports why and passes nothing.
"""

import json
from pathlib import Path

import numpy as np

from bench.end_to_end import ROOT, run_child
from bench.large_bundle import DIFF, EXPECTED, METRICS
from bench.results import Result
from sources.bundle.writer import export_bundle
from sources.telemetry import Deploy, LogTable, MetricInfo, Series, TelemetryStore, to_datetime

SECTION = "live"
START = np.datetime64("2026-03-15T08:00:00", "ms")
HOURS = 6
STEP_S = 10
ONSET_S = 4 * 3600
N_SERIES = 50
N_LOGS = 20_000
RATIO_TARGET = 2.0


def run() -> list[Result]:
    """Time the bundle and the live investigation of one incident; their ratio is the figure."""
    import tempfile

    from tests.live_servers import PROMETHEUS, PROMTOOL, bundle_config, bundle_points, prometheus

    if not (PROMETHEUS and PROMTOOL):
        note = "prometheus/promtool not installed (apt-get install prometheus)"
        return [Result(SECTION, "live / bundle wall time", None, "x", "", None, note)]
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        work = Path(tmp)
        bundle = work / "bundle"
        write_incident(bundle)
        (work / "b").mkdir()
        by_bundle = run_child(
            [str(ROOT / "main.py"), "--bundle", str(bundle), "--output-dir", "reports"], work / "b"
        )
        with prometheus(work / "prometheus", bundle_points(bundle)) as server:
            config = work / "live.toml"
            config.write_text(bundle_config(bundle, server.url))
            (work / "l").mkdir()
            end = START + np.timedelta64(HOURS * 3600, "s")
            by_live = run_child(
                [str(ROOT / "main.py"), "--config", str(config), "--output-dir", "reports"]
                + ["--from", f"{START}Z", "--to", f"{end}Z"],
                work / "l",
            )
        same = _findings(work / "b" / "reports") == _findings(work / "l" / "reports")
    ok = by_bundle.returncode == 0 and by_live.returncode == 0
    ratio = by_live.wall_s / by_bundle.wall_s if ok else None
    failed = "; ".join(r.failure() for r in (by_bundle, by_live) if r.returncode)
    label = f"{HOURS} h x {N_SERIES} series"
    return [
        Result(SECTION, f"bundle, {label}: wall time", by_bundle.wall_s, "s"),
        Result(SECTION, f"live Prometheus, {label}: wall time", by_live.wall_s, "s"),
        Result(
            SECTION,
            "live / bundle wall time",
            ratio,
            "x",
            f"<= {RATIO_TARGET:.0f}x",
            ok and ratio <= RATIO_TARGET,
            failed or ("same findings" if same else "findings DIFFER between live and bundle"),
        ),
    ]


def write_incident(directory: Path, seed: int = 0) -> None:
    """The large bundle's incident on a 10 s grid over 6 h, padded to 50 series with bystanders."""
    rng = np.random.default_rng(seed)
    offsets = np.arange(0, HOURS * 3600 + 1, STEP_S, dtype=np.int64)
    stamps = START + offsets.astype("timedelta64[s]")
    specs = dict(METRICS)
    for i in range(N_SERIES - len(specs)):
        specs[f"node_{i:02d}_cpu_percent"] = (f"node-{i % 8}", "%", 30.0 + i, 3.0, 1.0)
    info, series = {}, {}
    for name, (service, unit, base, noise, surge) in specs.items():
        ramp = np.clip((offsets - ONSET_S) / 300, 0, 1)
        values = base + rng.normal(0, noise, len(offsets))
        values = np.round(np.abs(values * (1 + (surge - 1) * ramp)), 3)
        if name == "db_connections_in_use":
            values = np.where(offsets >= ONSET_S, 2.0, np.clip(values, 0, 20))
        info[name] = MetricInfo(name, service, unit or None)
        series[name] = Series(info[name], stamps, values)
    export_bundle(
        TelemetryStore(
            name="live-bench",
            description="6 h, 50 series: a config deploy starves checkout's DB pool",
            metric_info=info,
            metric_series=series,
            log_table=_logs(rng),
            deploy_events=[
                Deploy("checkout-service", "v2.4.1", "a1b2c3d", _at(ONSET_S - 900), "ci-bot"),
                Deploy("docs-site", "v0.9.3", "0d0c5e1", _at(ONSET_S - 300), "docs-bot"),
            ],
            diffs={"a1b2c3d": DIFF},
            trigger={"window_seconds": 300, "threshold_multiplier": 2.5},
        ),
        directory,
        expected=EXPECTED,
    )


def _logs(rng: np.random.Generator) -> LogTable:
    offsets = np.sort(rng.integers(0, HOURS * 3600, N_LOGS))
    services = ("checkout-service", "docs-site", "search-service")
    which = rng.integers(0, len(services), N_LOGS)
    failing = (offsets >= ONSET_S) & (which == 0) & (rng.random(N_LOGS) < 0.5)
    rows = [
        (
            _at(int(t)),
            services[s],
            "ERROR" if bad else "INFO",
            "Timeout acquiring connection from pool (pool size 2) after 5000ms"
            if bad
            else f"GET /api/v1/item/{t % 997} 200",
        )
        for t, s, bad in zip(offsets.tolist(), which.tolist(), failing.tolist(), strict=True)
    ]
    return LogTable.from_rows(rows)


def _at(offset_s: int):
    return to_datetime(START + np.timedelta64(offset_s, "s"))


def _findings(reports: Path) -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(reports.glob("incident_*.json")):
        doc = json.loads(path.read_text())
        found += [(f["service"], f["category"], f["action"]) for f in doc.get("findings", [])]
    return sorted(found)
