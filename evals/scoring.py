"""Score a report against expected.json, by the matching rules of the bundle spec.

shared/specs/incident-bundle.md, "expected.json": every expected finding is matched by its own
finding of the report with the same service, category and an acceptable action, whose summary or
evidence holds every keyword (case-insensitive); no finding names a forbidden service; a report
with no findings means "no incident". A missing report (nothing fired) has no findings.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from models import Finding, RCAReport


@dataclass(frozen=True)
class FindingScore:
    """How close the report came to one expected finding."""

    service: str
    category: str
    actions: tuple[str, ...]
    matched: bool  # a distinct report finding satisfies every rule
    service_ok: bool
    category_ok: bool  # service and category
    action_ok: bool  # service, category and an acceptable action
    keywords_found: tuple[str, ...]
    keywords_missing: tuple[str, ...]


@dataclass(frozen=True)
class ScoreResult:
    incident_expected: bool
    incident_reported: bool
    findings: tuple[FindingScore, ...]
    red_herrings: tuple[str, ...]  # forbidden services that findings named

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


def score(report: RCAReport | None, expected: dict) -> ScoreResult:
    found = list(report.findings) if report is not None else []
    wanted = expected.get("findings") or []
    assignment = _assign(wanted, found)
    scores = []
    for i, want in enumerate(wanted):
        best = found[assignment[i]] if i in assignment else _closest(want, found)
        scores.append(_finding_score(want, best, matched=i in assignment))
    forbidden = set(expected.get("forbidden_services") or [])
    return ScoreResult(
        incident_expected=bool(expected["incident"]),
        incident_reported=bool(found),
        findings=tuple(scores),
        red_herrings=tuple(sorted({f.service for f in found} & forbidden)),
    )


def _actions(want: dict) -> tuple[str, ...]:
    action = want["action"]
    return tuple(action) if isinstance(action, list) else (action,)


def _text(finding: Finding) -> str:
    return " ".join([finding.summary, *finding.evidence]).lower()


def _hits(want: dict, finding: Finding | None) -> list[bool]:
    text = _text(finding) if finding else ""
    return [k.lower() in text for k in want.get("keywords") or []]


def _closeness(want: dict, finding: Finding) -> tuple[bool, bool, bool, int]:
    same = finding.service == want["service"]
    category = same and finding.category == want["category"]
    action = category and finding.action in _actions(want)
    return same, category, action, sum(_hits(want, finding)) if same else 0


def _satisfies(want: dict, finding: Finding) -> bool:
    return _closeness(want, finding)[2] and all(_hits(want, finding))


def _closest(want: dict, found: Sequence[Finding]) -> Finding | None:
    return max(found, key=lambda f: _closeness(want, f), default=None)


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


def _finding_score(want: dict, finding: Finding | None, matched: bool) -> FindingScore:
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
    )
