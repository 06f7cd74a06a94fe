"""One benchmark figure with its target, and the table and JSON they are reported as."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Result:
    """A measured figure. `passed` is None for figures that have no target of their own."""

    section: str
    name: str
    value: float | None
    unit: str
    target: str = ""
    passed: bool | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        return "" if self.passed is None else "PASS" if self.passed else "FAIL"


def show(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "x":
        return f"{value:,.1f}x" if value < 100 else f"{value:,.0f}x"
    if unit in ("pts/s", "tokens", "points", "lines"):
        return f"{value:,.0f} {unit}"
    if unit == "MiB":
        return f"{value:,.0f} MiB"
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    return f"{value:g} {unit}".strip()


def table(results: list[Result]) -> str:
    rows = [("section", "measurement", "value", "target", "result")]
    rows += [
        (r.section, r.name, show(r.value, r.unit), r.target, r.verdict or "info") for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  [{r.section}] {r.name}: {r.note}" for r in results if r.note]
    return "\n".join(line.rstrip() for line in lines + (["notes:", *notes] if notes else []))


def all_passed(results: list[Result]) -> bool:
    return all(r.passed is not False for r in results)


def write_json(path: Path, machine: dict, results: list[Result], quick: bool) -> None:
    doc = {
        "machine": machine,
        "quick": quick,
        "all_passed": all_passed(results),
        "results": [asdict(r) | {"verdict": r.verdict or "info"} for r in results],
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
