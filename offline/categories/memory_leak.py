"""memory_leak: memory that climbs without a GC sawtooth (or a floor that keeps rising under
one), with OOM kills or GC pressure, or with no deploy to explain it."""

from evidence.metrics import BaselineComparison
from evidence.statements import describe, describe_floor, log_evidence, new_errors, tag
from models import Finding
from offline.categories.base import Hypothesis
from offline.service import ServiceEvidence, deploy_to_blame
from offline.signals import CLASS_NAME as _CLASS_NAME
from offline.signals import confidence as _confidence
from offline.signals import rising, strong
from semantics import is_memory, words

CATEGORY = "memory_leak"


def weigh(ev: ServiceEvidence) -> Hypothesis | None:
    logs, comps = ev.logs, ev.comparisons
    oom, gc = tag(logs, "oom"), tag(logs, "gc_pressure")
    ramps = [c for c in comps if is_memory(c) and c.shape == "ramp" and c.sawtooth_drops == 0]
    if not ramps:
        # Killed for memory (an OOM in the logs, or the climb cut short by a sharp fall at
        # its peak): a sustained memory rise of any shape is the leak that did it, and so is
        # GC time climbing until the restart when the heap itself did not fire.
        ramps = [c for c in comps if is_memory(c) and rising(c) and (oom or c.reset_after_peak)]
        ramps = ramps or [c for c in comps if _gc(c) and rising(c) and c.reset_after_peak]
    if ramps:
        # Without OOM or GC trouble, a deploy just before the climb explains it better.
        # A climb cut short by a sharp fall (killed at its limit) tells it too.
        killed = any(c.reset_after_peak for c in ramps)
        told = oom or gc or killed or deploy_to_blame(ev) is None
        return Hypothesis(_memory_leak(ev, ramps, strong(ev)), 0.9 if told else 0.5)
    # A normal GC sawtooth whose floor keeps rising, with the JVM complaining: a leak too.
    floors = [c for c in comps + ev.context_comparisons if is_memory(c) and c.floor_rising]
    if floors and (oom or gc):
        return Hypothesis(_memory_leak(ev, floors, strong(ev)), 0.88)
    return None


def _gc(c) -> bool:
    return not {"gc", "garbage"}.isdisjoint(words(c.metric))


def why_not(ev: ServiceEvidence) -> str:
    return "no memory metric climbs without a GC sawtooth, and no OOM kill"


def _memory_leak(ev: ServiceEvidence, ramps: list[BaselineComparison], strong: bool) -> Finding:
    logs, comps = ev.logs, ev.comparisons
    oom, gc = tag(logs, "oom"), tag(logs, "gc_pressure")
    hints = sorted(
        {m for s in (logs.new_signatures if logs else []) for m in _CLASS_NAME.findall(s.sample)}
    )
    clean = [c for c in ramps if c.shape == "ramp" and not c.sawtooth_drops]
    evidence = [
        describe_floor(c) if c not in clean and c.floor_rising else describe(c) for c in ramps
    ]
    evidence += [describe(c) for c in comps if c not in ramps]
    evidence += log_evidence(logs, {"oom", "gc_pressure"}) or log_evidence(logs)
    if hints:
        evidence.append("classes named in the new warnings: " + ", ".join(hints[:5]))
    what = ", ".join(c.metric for c in ramps[:2])
    how = "grows steadily with no GC sawtooth" if clean else "keeps a rising floor after each GC"
    summary = (
        f"Memory leak in {ev.service}: {what} {how}"
        + (f", {oom} OOM errors/kills" if oom else "")
        + (f", {gc} GC pause/memory pressure warnings" if gc else "")
        + "."
    )
    return Finding(
        service=ev.service,
        category="memory_leak",
        action="restart",
        summary=summary,
        evidence=evidence,
        confidence=_confidence(1 + strong + bool(oom) + bool(gc) + new_errors(logs)),
    )
