"""How the offline investigator reads evidence: plain functions from tool results to findings.

Nothing here knows a scenario, service or metric by name. Metrics are recognised by generic
words and units (heap/memory, request rate, latency, CPU), log errors by the fixed tags of
evidence.logs, deploys by timing, diffs by the kind of files they touch.
"""

import re
from pathlib import PurePosixPath

from evidence.deploys import TOUCHES, DeployView
from evidence.kinds import resource
from evidence.metrics import BaselineComparison
from evidence.statements import (
    describe,
    describe_floor,
    log_evidence,
    new_errors,
    new_exceptions,
    tag,
    value,
)
from models import Finding
from offline.service import (
    ServiceEvidence,
    deploy_note,
    deploy_to_blame,
    failing_dependency,
    troubled_dependencies,
)
from semantics import (
    headroom_gone,
    headroom_left,
    is_cpu_throttled,
    is_error_rate,
    is_harm,
    is_latency,
    is_memory,
    is_pinned,
    is_rejection,
    is_replicas,
    is_request_rate,
)

_CLASS_NAME = re.compile(r"\b([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+)\b")


def rising(c: BaselineComparison) -> bool:
    return c.shape in ("ramp", "level_shift") and (c.change_ratio or 0) > 1


def _confidence(signals: int) -> float:
    return round(min(0.95, 0.35 + 0.12 * signals), 2)


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


def _bad_deploy(ev: ServiceEvidence, d: DeployView, strong: bool) -> Finding:
    logs = ev.logs
    diff = ev.diffs.get(d.commit)
    deploy_line = (
        f"deploy {d.service} {d.version} ({d.commit}) at {d.deployed_at:%H:%M}Z, "
        f"{d.minutes_before_onset:.0f} min before onset"
        + (f": {d.description[:100]}" if d.description else "")
    )
    settings = [
        f"diff: {s.key} {s.old} -> {s.new} ({s.file})"
        for s in (diff.settings_changed if diff else [])
    ]
    exceptions = tag(logs, "exception")
    if diff is not None:
        config = diff.kind == "config" or (
            diff.kind == "mixed" and bool(settings) and not exceptions
        )
    else:
        config = not exceptions and "config" in (d.description or "").lower()
    code_files = [f.path for f in diff.files if f.kind == "code"][:3] if diff else []
    if not config and code_files:
        settings.append(f"diff changes code: {', '.join(code_files)}")
    raised = new_exceptions(logs)
    if raised:
        settings.append("new exceptions after the deploy: " + ", ".join(raised[:3]))
    if diff is not None and not config:
        settings += [f"diff adds: {line}" for line in diff.added_code[:3]]
    evidence = [
        deploy_line,
        *settings,
        *(describe(c) for c in ev.comparisons),
        *log_evidence(logs),
    ]
    pool = " The DB connection pool is exhausted." if tag(logs, "pool_exhaustion") else ""
    if config:
        changed = "; ".join(
            f"{s.key} {s.old} -> {s.new}" for s in (diff.settings_changed if diff else [])[:3]
        )
        what = f"changed configuration{': ' + changed if changed else ''}"
    else:
        where = f" ({', '.join(code_files)})" if code_files else ""
        what = f"changed code{where}" + (f"; new {', '.join(raised[:2])} errors" if raised else "")
        what += _code_mechanism(ev, diff)
    summary = (
        f"{d.service} {d.version} deployed {d.minutes_before_onset:.0f} min before onset "
        f"{what}.{pool} Roll it back."
    )
    return Finding(
        service=ev.service,
        category="config_change" if config else "code_regression",
        action="rollback",
        summary=summary,
        evidence=evidence,
        confidence=_confidence(2 + strong + new_errors(logs) + bool(settings)),
    )


def _latent_bug(ev: ServiceEvidence, strong: bool) -> Finding:
    """The new errors' stack trace runs through a line a deploy of this service changed."""
    m = ev.code_matches[0]
    fr = m.frame
    where = (
        f"{fr.function} ({PurePosixPath(fr.file).name}:{fr.line})"
        if fr.function
        else (f"{fr.file}:{fr.line}")
    )
    thrown = f"the new {m.exception} is thrown" if m.exception else "the new errors are raised"
    when = f"{m.deployed_at:%H:%M}Z, {m.minutes_before_onset:.0f} min before onset"
    summary = (
        f"{ev.service} {m.version} (deployed {when}) introduced a bug: {thrown} at {where}, "
        f"a line this deploy changed: `{m.changed_line[:120]}`. Roll it back."
    )
    evidence = [
        f"deploy {ev.service} {m.version} ({m.commit}) at {when}",
        f"stack frame {where} falls in the hunk of {m.file} changed by {m.commit}: "
        f"+ {m.changed_line[:160]}",
        *(f"also: {x.frame.file}:{x.frame.line} in {x.file}" for x in ev.code_matches[1:3]),
        *(describe(c) for c in ev.comparisons),
        *log_evidence(ev.logs),
    ]
    return Finding(
        service=ev.service,
        category="code_regression",
        action="rollback",
        summary=summary,
        evidence=evidence,
        confidence=_confidence(3 + strong + new_errors(ev.logs)),
    )


def _code_mechanism(ev: ServiceEvidence, diff) -> str:
    """What the changed code works with, and how that fits the symptoms."""
    touches = diff.touches if diff else []
    if not touches:
        return ""
    cpu_bound = any(is_pinned(c) or "cpu" in c.metric.lower() for c in ev.comparisons)
    line = next((x for x in diff.added_code if TOUCHES[touches[0]].search(x)), "")
    shown = f" (`{line[:100]}`)" if line else ""
    if touches[0] == "a regular expression" and cpu_bound:
        return (
            f"; it changed a regular expression{shown}, and CPU pinned right after: a regex "
            "that backtracks catastrophically on some inputs"
        )
    return f"; it changes {touches[0]}{shown}"


def saturated(ev: ServiceEvidence) -> tuple[list[BaselineComparison], str | None]:
    """The metrics pinned at their limit, and what ran out, from metric names and new logs."""
    samples = [
        s.sample
        for s in (ev.logs.new_signatures if ev.logs else [])
        if {"saturation", "pool_exhaustion"} & set(s.tags)
    ]
    told = bool(tag(ev.logs, "saturation") + tag(ev.logs, "pool_exhaustion"))
    pinned = [
        c
        for c in ev.comparisons
        if is_pinned(c) or headroom_gone(c, told) or (is_cpu_throttled(c) and rising(c))
    ]
    return pinned, resource([c.metric for c in pinned] + samples)


SURGE_RISE_MINUTES = 90  # a surge reaches its new level in minutes; a diurnal ramp in hours
SURGE_MIN_RATIO = 1.5
SURGE_MIN_RATIO_SCALED = 1.3  # with the autoscaler adding replicas
SURGE_ERROR_EXCESS = 3  # errors growing this many times faster than load: something broke
SURGE_ERROR_SHARE = 0.15  # ... and failing this share of requests: overload sheds less


def surge_symptoms(ev: ServiceEvidence) -> list[str]:
    """What hurts besides the load itself: latency, errors, a pinned resource, rejections."""
    found = [
        f"{c.metric} up" for c in ev.comparisons if is_latency(c) and (c.change_ratio or 2) >= 1.2
    ]
    found += [f"{c.metric} up" for c in ev.comparisons if is_error_rate(c)]
    found += [f"{c.metric} pinned" for c in ev.comparisons if is_pinned(c)]
    found += [f"{n} '{t}' log lines" for t in ("traffic", "saturation") if (n := tag(ev.logs, t))]
    return found


def _per_second(c: BaselineComparison) -> float:
    """A rate's median after onset in events per second (units per minute are converted)."""
    per_minute = "min" in (c.unit or "").lower() or "per_minute" in c.metric.lower()
    return (c.after_median or 0) / (60 if per_minute else 1)


def error_share(errors: BaselineComparison, rates: list[BaselineComparison]) -> float:
    """Errors after onset as a share of requests after onset (1.0 when it can't be told).

    From a near-zero baseline an overloaded service's errors grow many times faster than its
    load, yet stay a small share of it; a bug fails a large share of what it serves.
    """
    total = max(_per_second(r) for r in rates)
    return _per_second(errors) / total if total else 1.0


def surge_rates(ev: ServiceEvidence) -> list[BaselineComparison]:
    """Request rates that rose to a new level first, while something else hurt after them.

    Not a surge: a multi-hour smooth ramp (the time of day) with latency and errors flat;
    errors growing far faster than the load (a bug or a failing dependency); or a resource
    that was exhausted before the load moved (the load did not cause it). An autoscaler
    adding replicas is the platform's own word that load grew: a smaller or slower rise
    counts then.
    """
    scaled = any(is_replicas(c) and rising(c) for c in ev.comparisons)
    least = SURGE_MIN_RATIO_SCALED if scaled else SURGE_MIN_RATIO
    slowest = SURGE_RISE_MINUTES * (2 if scaled else 1)
    rates = [
        c
        for c in ev.comparisons
        if is_request_rate(c)
        and c.shape in ("level_shift", "spike", "ramp")
        and (c.change_ratio or 0) >= least
        and (c.rise_minutes or 0) <= slowest
    ]
    if not rates or not surge_symptoms(ev):
        return []
    load = max(c.change_ratio or 1 for c in rates)
    runaway = [
        c
        for c in ev.comparisons
        if is_error_rate(c)
        and not is_rejection(c)
        and (c.change_ratio or 0) > SURGE_ERROR_EXCESS * load
        and error_share(c, rates) >= SURGE_ERROR_SHARE
    ]
    started = min(c.onset for c in rates if c.onset)
    exhausted_first = [c for c in ev.comparisons if is_pinned(c) and c.onset and c.onset < started]
    return [] if runaway or exhausted_first else rates


_REPEATED = re.compile(r"repeated (\d{1,12}) times")


def log_flood(logs) -> str | None:
    """The new log line that floods: by far the most frequent new signature, with its count."""
    sigs = [s for s in (logs.new_signatures if logs else []) if "saturation" not in s.tags]
    if not sigs:
        return None
    top = max(sigs, key=lambda s: s.count)
    repeated = sum(int(n) for n in _REPEATED.findall(top.sample)) or 0
    if top.count < 50 and repeated < 1000:
        return None
    times = f"{top.count} lines" + (f" (one repeated {repeated} times)" if repeated else "")
    return f"'{top.sample[:100]}' from {top.first_seen:%H:%M}Z, {times}"


def _at_limit(c: BaselineComparison) -> str:
    if (left := headroom_left(c)) is not None:
        return f"{c.metric} down to {value(c.after_max, c.unit)}, {left:.0%} of its baseline"
    return f"{c.metric} at {value(c.after_max, c.unit)}"


def diagnose(ev: ServiceEvidence) -> Finding | None:
    """The root cause one service's evidence supports, or None when it supports none."""
    logs, comps = ev.logs, ev.comparisons
    metric_lines = [describe(c) for c in comps]
    strong = any((c.robust_z or 0) >= 6 for c in comps)
    errors = new_errors(logs)
    oom = tag(logs, "oom")  # rare and decisive: one OOM kill counts, unlike ordinary errors
    if not comps and not errors and not oom:
        return None

    ramps = [c for c in comps if is_memory(c) and c.shape == "ramp" and c.sawtooth_drops == 0]
    if oom and not ramps:
        # Killed for memory: a sustained memory rise of any shape is the leak that did it.
        ramps = [c for c in comps if is_memory(c) and rising(c)]
    if ev.code_matches:
        return _latent_bug(ev, strong)
    deploy = deploy_to_blame(ev)
    if ramps and (oom or tag(logs, "gc_pressure") or deploy is None):
        return _memory_leak(ev, ramps, strong)
    # A normal GC sawtooth whose floor keeps rising, with the JVM complaining: a leak too.
    floors = [c for c in comps + ev.context_comparisons if is_memory(c) and c.floor_rising]
    if floors and (oom or tag(logs, "gc_pressure")):
        return _memory_leak(ev, floors, strong)
    if deploy is not None:
        return _bad_deploy(ev, deploy, strong)

    rates = surge_rates(ev)
    if rates:
        others = [c for c in comps if c not in rates]
        evidence = [
            *(describe(c) for c in rates),
            *(describe(c) for c in others),
            deploy_note(ev),
            *log_evidence(logs),
        ]
        return Finding(
            service=ev.service,
            category="traffic_surge",
            action="scale_out",
            summary=f"Traffic surge on {ev.service}: request rate x"
            f"{rates[0].change_ratio:g} within {rates[0].rise_minutes:.0f} min, with "
            f"{surge_symptoms(ev)[0]} following; no deploy explains it. Scale out.",
            evidence=evidence,
            confidence=_confidence(1 + strong + bool(others) + errors),
        )

    deps = logs.dependencies_named if logs else {}
    troubled = troubled_dependencies(ev)
    if deps and errors and (troubled or tag(logs, "dependency") or tag(logs, "timeout")):
        dep = failing_dependency(ev) or next(iter(deps))
        evidence = [
            f"errors name {dep} {deps[dep]} times after onset",
            *log_evidence(logs),
            *troubled.get(dep, []),
            *metric_lines,
            deploy_note(ev),
        ]
        return Finding(
            service=ev.service,
            category="dependency_failure",
            action="failover",
            summary=f"{ev.service} fails because its dependency {dep} is failing "
            "(connection errors/timeouts); the service itself is unchanged.",
            evidence=evidence,
            confidence=_confidence(1 + errors + strong + bool(troubled.get(dep))),
        )

    pinned, what = saturated(ev)
    saturation = tag(logs, "saturation") + tag(logs, "pool_exhaustion")
    if saturation or pinned:
        evidence = [
            *(describe(c) for c in pinned),
            *(describe(c) for c in comps if c not in pinned),
            *log_evidence(logs),
            deploy_note(ev) + "; no request-rate increase either",
        ]
        limit = f" ({_at_limit(pinned[0])})" if pinned else ""
        disk = what == "disk space"
        flood = log_flood(logs) if disk else None
        if disk:
            # More replicas do not free a disk: someone must free space and stop the writer.
            cause = f" A log flood filled it: {flood}." if flood else ""
            summary = (
                f"{ev.service} ran out of disk space{limit}: writes fail (no space left on "
                f"device).{cause} Free space now, then stop what fills it."
            )
        else:
            summary = (
                f"{ev.service} ran out of {what or 'a resource'}{limit} with no deploy or "
                "traffic change that explains it. Add capacity, then find what holds it."
            )
        return Finding(
            service=ev.service,
            category="resource_saturation",
            action="escalate" if disk else "scale_out",
            summary=summary,
            evidence=evidence + ([f"log flood: {flood}"] if flood else []),
            confidence=_confidence(bool(saturation) + bool(pinned) + strong + errors),
        )

    harm = [c for c in comps if is_harm(c) and (c.robust_z or 0) >= 6]
    if harm:
        # A clear sustained change that hurts and that nothing explains is still an incident:
        # say what moved and hand it to the owners, rather than calling it quiet.
        worst = max(harm, key=lambda c: abs(c.robust_z or 0))
        seen = "new errors in its logs" if errors else "no error logs"
        return Finding(
            service=ev.service,
            category="unknown",
            action="escalate",
            summary=f"{ev.service}: {describe(worst)}, sustained, with {seen}; no deploy, load "
            "change, leak, saturation or failing dependency explains it. Escalate to the "
            "owning team.",
            evidence=[*metric_lines, *log_evidence(logs), deploy_note(ev)],
            confidence=0.3,
        )
    return None
