"""config_change: a deploy of the service shortly before its symptoms that changes settings
(pool sizes, timeouts, limits, flags) rather than code."""

from offline.categories.base import Hypothesis
from offline.categories.deploy import weigh_deploy
from offline.service import ServiceEvidence, deploy_to_blame

CATEGORY = "config_change"


def weigh(ev: ServiceEvidence) -> Hypothesis | None:
    return weigh_deploy(ev, CATEGORY)


def why_not(ev: ServiceEvidence) -> str:
    if deploy_to_blame(ev) is not None:
        return "the deploy before onset changed code, not configuration"
    return "no deploy of the service in the 30 min before onset changes a setting"
