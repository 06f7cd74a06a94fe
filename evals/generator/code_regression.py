"""code_regression: a deployed code change breaks the service. A new exception whose stack
frame points into the deploy's diff; a latent bug shipped in an older deploy and reached only
now (the nearest deploy is innocent); a catastrophically backtracking regex pinning CPU."""

from evals.generator.backdrop import red_herring_deploy, surroundings
from evals.generator.code import Bug, bug_diff, bugs, harmless_diff, stack_trace, unified
from evals.generator.common import Scene, step_up
from evals.generator.logs import chatter, log, stream
from evals.generator.naming import EDGES, app_name, cpu_metric, http_service

PACKAGES = ("pricing", "orders", "cart", "billing", "shipping", "promo")
CLASSES = ("DiscountService", "PriceCalculator", "OrderRules", "TaxPolicy", "RegionRouter")


def build(scene: Scene, logs: bool = True) -> tuple[str, dict]:
    variant = scene.pick(("exception", "exception", "latent", "regex"))
    service = app_name(scene)
    onset = scene.at(scene.uniform(0.5, 0.75))
    herrings = []
    if variant == "regex":
        keywords, actions = ["regex"], "rollback"
        _regex(scene, service, onset)
    else:
        pkg, cls = scene.pick(PACKAGES), scene.pick(CLASSES)
        bug: Bug = scene.pick(bugs(pkg, cls))
        diff, line = bug_diff(scene, bug, pkg, cls)
        if variant == "exception":
            deployed = float(round(onset - scene.uniform(60, 1200)))
            scene.deploy(service, deployed, diff)
            actions = "rollback"
        else:  # shipped hours ago, reached when a customer's valid config takes the new path
            deployed = scene.at(scene.uniform(0.03, 0.2))
            scene.deploy(service, deployed, diff)
            nearest = float(round(onset - scene.uniform(120, 1200)))
            if scene.chance(0.5):
                scene.deploy(service, nearest, harmless_diff(scene, service))
            else:
                herrings.append(red_herring_deploy(scene, nearest + 600))
            log(scene, onset - 20, service, "INFO", _customer_change(scene))
            actions = ["rollback", "escalate"]
        rate = scene.uniform(0.05, 0.4)
        http_service(scene, service, errors=lambda t: rate * step_up(onset)(t))
        trace = stack_lines(scene, bug, pkg, cls, line)
        stream(scene, service, onset, scene.end, scene.uniform(2, 8), "ERROR", trace)
        keywords = [bug.keyword]
    chatter(scene, service, scene.uniform(1, 3))
    if scene.chance(0.5):
        edge = scene.service(EDGES)
        http_service(scene, edge, errors=lambda t: 0.05 * step_up(onset)(t))
        stream(
            scene, edge, onset + 20, scene.end, scene.uniform(1, 3), "ERROR",
            (f"upstream {service} returned 500 Internal Server Error",),
        )  # fmt: skip
    herrings += surroundings(scene, onset)
    scene.description = f"Errors in {service} after a code deploy."
    finding = {"service": service, "category": "code_regression", "action": actions}
    finding["keywords"] = keywords
    return variant, {"incident": True, "findings": [finding], "forbidden_services": herrings}


def stack_lines(scene, bug, pkg, cls, line) -> tuple[str, ...]:
    return tuple(stack_trace(scene, bug, pkg, cls, line) for _ in range(3))


def _customer_change(scene: Scene) -> str:
    tenant = f"tenant-{scene.rng.integers(100, 999)}"
    return scene.pick(
        (
            f"reloaded tenant settings for {tenant}: zone routing enabled",
            f"customer {tenant} enabled multi-currency invoices",
            f"new price list published by {tenant} (2,314 rows)",
        )
    )


REGEXES = {
    "python": (
        "validation/email.py",
        'EMAIL_RE = re.compile(r"^[\\w.+-]+@[\\w-]+\\.[\\w.-]+$")',
        'EMAIL_RE = re.compile(r"^([\\w.+-]+)*@([\\w-]+\\.?)+[\\w.-]+$")',
    ),
    "java": (
        "src/main/java/com/acme/web/InputFilter.java",
        '    private static final Pattern XSS = Pattern.compile("<script[^>]*>");',
        '    private static final Pattern XSS = Pattern.compile("(?:.*=.*)*(?:<|%3C)script");',
    ),
    "waf": (
        "waf/rules/942-sqli.lua",
        "local rule_942 = [[(?i)union\\s+select]]  -- regex",
        "local rule_942 = [[(?i)(?:\"|'|\\d|\\s|-|\\+)+[)]*;?((?:\\s|-|~)*.*(?:.*=.*))]]  -- regex",
    ),
}


def _regex(scene: Scene, service: str, onset: float) -> None:
    kind = scene.pick(("python", "java", "waf"))
    path, old, new = REGEXES[kind]
    context = ["", "# input validation rules" if kind != "java" else "    // input filters", ""]
    diff = unified(scene, path, context + [old] + context, context + [new] + context)
    scene.deploy(service, float(round(onset - scene.uniform(30, 400))), diff)
    limit = float(scene.pick((2, 4, 8)))
    bad = step_up(onset, rise=30)
    cpu_metric(scene, service, lambda t: limit * (0.3 + 0.8 * bad(t)), limit)
    http_service(
        scene, service, slow=lambda t: 1 + 25 * bad(t), errors=lambda t: 0.3 * bad(t),
        load=lambda t: 1 - 0.6 * bad(t),
    )  # fmt: skip
    lines = (
        f"[CRITICAL] WORKER TIMEOUT (pid:{scene.rng.integers(20, 90)})",
        "request exceeded 30s deadline: POST /api/v1/signup",
        'liveness probe failed: Get "http://10.0.4.12:8080/healthz": context deadline exceeded',
    )
    stream(scene, service, onset, scene.end, scene.uniform(1, 4), "ERROR", lines)
