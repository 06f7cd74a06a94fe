"""How the offline investigator reads evidence: plain functions from tool results to findings.

`diagnose` weighs every root-cause category (offline/categories/, one module each) against
one service's evidence; the shared judgements live in offline/signals.py. Nothing here knows a
scenario, service or metric by name.
"""

from evidence.statements import describe
from offline.hypotheses import diagnose
from offline.service import ServiceEvidence, deploy_to_blame, failing_dependency
from offline.signals import saturated

__all__ = [
    "ServiceEvidence",
    "deploy_to_blame",
    "describe",
    "diagnose",
    "failing_dependency",
    "saturated",
]
