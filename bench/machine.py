"""The machine a benchmark ran on, from /proc where Linux has it."""

import os
import platform
from pathlib import Path


def _proc_field(path: str, key: str) -> str | None:
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return None


def describe() -> dict:
    mem = _proc_field("/proc/meminfo", "MemTotal")  # "24576000 kB"
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    affinity = getattr(os, "sched_getaffinity", None)  # Linux: the cores this process may use
    return {
        "cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": len(affinity(0)) if affinity else os.cpu_count(),
        "memory_gb": round(int(mem.split()[0]) / 2**20, 1) if mem else None,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "load_1min_at_start": load,
    }


def summary(machine: dict) -> str:
    memory = f", {machine['memory_gb']} GB" if machine["memory_gb"] else ""
    load = machine["load_1min_at_start"]
    busy = f"; load average {load:.2f} at start" if load is not None else ""
    return (
        f"{machine['cpu']}, {machine['cores']} cores{memory}; Python {machine['python']} on "
        f"{machine['platform']}{busy}"
    )
