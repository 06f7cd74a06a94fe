"""Score a report against expected.json by the matching rules of the incident-bundle spec.

shared/specs/incident-bundle.md, "expected.json": every expected finding is matched by its own
finding of the report with the same service and category and an acceptable action (`action` may
be a list), whose summary or evidence holds every keyword (case-insensitive); no finding names a
forbidden service; `incident: false` means the report has no findings. A missing report (nothing
fired) has no findings. Findings nobody expected are listed but fail nothing, as in the spec.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models import Finding, RCAReport


@dataclass(frozen=True)
class FindingScore:
    """How close the report came to one expected finding."""

    service: str
    category: str
    actions: tuple[str, ...]
    matched: bool  # a distinct report finding satisfies every rule, keywords included
    service_ok: bool
    category_ok: bool  # service and category
    action_ok: bool  # service, category and an acceptable action
    keywords_found: tuple[str, ...]
    keywords_missing: tuple[str, ...]
    finding: int | None  # index of the report finding it was matched with (or is closest to)


@dataclass(frozen=True)
class ScoreResult:
    incident_expected: bool
    incident_reported: bool
    findings: tuple[FindingScore, ...]
    red_herrings: tuple[str, ...]  # forbidden services that findings named
    unexpected: tuple[str, ...]  # "service/category/action" of findings matched to nothing

    @property
    def incident_ok(self) -> bool:
        return self.incident_expected == self.incident_reported

    @property
    def matched(self) -> int:
        return sum(f.matched for f in self.findings)

    @property
    def keyword_hits(self) -> int:
        return sum(len(f.keywords_found) for f in self.findings)

    @property
    def keyword_total(self) -> int:
        return self.keyword_hits + sum(len(f.keywords_missing) for f in self.findings)

    @property
    def passed(self) -> bool:
        return self.incident_ok and self.matched == len(self.findings) and not self.red_herrings

    def explain(self) -> str:
        """One line on what failed, for test and suite output; "passed" when nothing did."""
        if self.passed:
            return "passed"
        why = []
        if not self.incident_ok:
            why.append("incident " + ("missed" if self.incident_expected else "reported"))
        for f in self.findings:
            if not f.matched:
                part = (
                    "service"
                    if not f.service_ok
                    else "category"
                    if not f.category_ok
                    else (
                        "action" if not f.action_ok else "keywords " + ",".join(f.keywords_missing)
                    )
                )
                why.append(f"{f.service}/{f.category}: wrong {part}")
        if self.red_herrings:
            why.append("blamed " + ", ".join(self.red_herrings))
        if self.unexpected:
            why.append("also reported " + ", ".join(self.unexpected))
        return "; ".join(why)


def score(report: RCAReport | dict[str, Any] | None, expected: dict[str, Any]) -> ScoreResult:
    """Score a report (or its JSON as a dict, or None when nothing fired) against expected."""
    found = _findings(report)
    wanted = expected.get("findings") or []
    assignment = _assign(wanted, found)
    scores = []
    for i, want in enumerate(wanted):
        j = assignment.get(i, _closest(want, found))
        scores.append(_finding_score(want, found[j] if j is not None else None, i in assignment, j))
    forbidden = set(expected.get("forbidden_services") or [])
    used = set(assignment.values())
    return ScoreResult(
        incident_expected=bool(expected["incident"]),
        incident_reported=bool(found),
        findings=tuple(scores),
        red_herrings=tuple(sorted({f.service for f in found} & forbidden)),
        unexpected=tuple(
            f"{f.service}/{f.category}/{f.action}" for j, f in enumerate(found) if j not in used
        ),
    )


def _findings(report: RCAReport | dict[str, Any] | None) -> list[Finding]:
    if report is None:
        return []
    if isinstance(report, dict):
        return [Finding.model_validate(f) for f in report.get("findings") or []]
    return list(report.findings)


def _actions(want: dict) -> tuple[str, ...]:
    action = want["action"]
    return tuple(action) if isinstance(action, list) else (action,)


def _hits(want: dict, finding: Finding | None) -> list[bool]:
    text = " ".join([finding.summary, *finding.evidence]).lower() if finding else ""
    return [k.lower() in text for k in want.get("keywords") or []]


def _closeness(want: dict, finding: Finding) -> tuple[bool, bool, bool, int]:
    same = finding.service == want["service"]
    category = same and finding.category == want["category"]
    action = category and finding.action in _actions(want)
    return same, category, action, sum(_hits(want, finding)) if same else 0


def _satisfies(want: dict, finding: Finding) -> bool:
    return _closeness(want, finding)[2] and all(_hits(want, finding))


def _closest(want: dict, found: Sequence[Finding]) -> int | None:
    if not found:
        return None
    return max(range(len(found)), key=lambda j: _closeness(want, found[j]))


def _assign(wanted: Sequence[dict], found: Sequence[Finding]) -> dict[int, int]:
    """Expected index -> report index, one report finding per expected one (Kuhn's matching)."""
    owner: dict[int, int] = {}  # report index -> expected index

    def claim(i: int, seen: set[int]) -> bool:
        for j, finding in enumerate(found):
            if j in seen or not _satisfies(wanted[i], finding):
                continue
            seen.add(j)
            if j not in owner or claim(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(wanted)):
        claim(i, set())
    return {i: j for j, i in owner.items()}


def _finding_score(
    want: dict, finding: Finding | None, matched: bool, index: int | None
) -> FindingScore:
    same, category, action, _ = _closeness(want, finding) if finding else (False,) * 3 + (0,)
    keywords = want.get("keywords") or []
    hits = _hits(want, finding) if same else [False] * len(keywords)
    return FindingScore(
        service=want["service"],
        category=want["category"],
        actions=_actions(want),
        matched=matched,
        service_ok=same,
        category_ok=category,
        action_ok=action,
        keywords_found=tuple(k for k, hit in zip(keywords, hits, strict=True) if hit),
        keywords_missing=tuple(k for k, hit in zip(keywords, hits, strict=True) if not hit),
        finding=index,
    )
