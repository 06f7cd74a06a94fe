"""Unified diffs of code and configuration, and code bugs whose stack traces point into them.

A bug puts its faulty line at a known line of the new file, so the stack frame of the
exception it throws names that file and line, inside a changed hunk of the deploy's diff.
"""

import difflib
from dataclasses import dataclass

from evals.generator.common import Scene


def unified(scene: Scene, path: str, old: list[str], new: list[str]) -> str:
    body = difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", n=3, lineterm="")
    head = f"diff --git a/{path} b/{path}\nindex {scene.hexid(7)}..{scene.hexid(7)} 100644\n"
    return head + "\n".join(body) + "\n"


def harmless_diff(scene: Scene, service: str) -> str:
    """An unrelated change: docs, a stylesheet, a dependency bump, a test."""
    kind = scene.pick(("docs", "css", "bump", "test"))
    if kind == "docs":
        old = ["# API", "", "Returns 200 with the resource.", "", "## Errors", "404 when absent."]
        new = old[:3] + ["Returns 304 when unchanged since If-None-Match."] + old[3:]
        return unified(scene, "docs/api.md", old, new)
    if kind == "css":
        old = [".banner {", "  color: #333;", "  padding: 8px 12px;", "}"]
        new = [".banner {", "  color: #222;", "  padding: 8px 16px;", "}"]
        return unified(scene, "web/static/css/site.css", old, new)
    if kind == "bump":
        old = ["[tool.poetry.dependencies]", 'python = "^3.12"', 'structlog = "24.1.0"', ""]
        new = ["[tool.poetry.dependencies]", 'python = "^3.12"', 'structlog = "24.4.0"', ""]
        return unified(scene, "pyproject.toml", old, new)
    old = ["def test_health(client):", '    assert client.get("/health").status_code == 200', ""]
    new = old[:2] + ["", "def test_ready(client):", '    assert client.get("/ready").ok', ""]
    return unified(scene, "tests/test_health.py", old, new)


@dataclass(frozen=True)
class Bug:
    lang: str
    path: str  # the file, relative to the repository root
    old: tuple[str, ...]  # the function before the change
    new: tuple[str, ...]  # after; new[fault] is the faulty line
    fault: int
    func: str
    error: str  # the exception line, as the runtime prints it
    keyword: str  # the exception's name, which any honest summary states


def bugs(pkg: str, cls: str) -> list[Bug]:
    java = f"src/main/java/com/acme/{pkg}/{cls}.java"
    go = f"internal/{pkg}/{cls.lower()}.go"
    py = f"{pkg}/{cls.lower()}.py"
    return [
        Bug(
            "java", java,
            ("    public Money applyDiscount(Cart cart, Promo promo) {",
             "        if (promo == null) {", "            return cart.total();", "        }",
             "        BigDecimal rate = promo.rate();",
             "        return cart.total().multiply(BigDecimal.ONE.subtract(rate));", "    }"),
            ("    public Money applyDiscount(Cart cart, Promo promo) {",
             "        if (promo == null) {", "            return cart.total();", "        }",
             "        String code = promo.getCode().trim().toUpperCase(Locale.ROOT);",
             "        BigDecimal rate = overrides.getOrDefault(code, promo.rate());",
             "        return cart.total().multiply(BigDecimal.ONE.subtract(rate));", "    }"),
            4, "applyDiscount",
            'java.lang.NullPointerException: Cannot invoke "String.trim()" because the return '
            f'value of "com.acme.{pkg}.Promo.getCode()" is null',
            "NullPointerException",
        ),
        Bug(
            "java", java,
            ("    Region regionOf(HttpServletRequest request) {",
             '        String region = request.getHeader("X-Region");',
             "        return Region.parse(region == null ? DEFAULT_REGION : region);", "    }"),
            ("    Region regionOf(HttpServletRequest request) {",
             '        String zone = request.getHeader("X-Zone");',
             '        String region = zone.split("/")[1];',
             "        return Region.parse(region);", "    }"),
            2, "regionOf",
            "java.lang.ArrayIndexOutOfBoundsException: Index 1 out of bounds for length 1",
            "ArrayIndexOutOfBoundsException",
        ),
        Bug(
            "go", go,
            ("func (s *Service) Discount(ctx context.Context, c *Cart, code string) error {",
             "\tcoupon, err := s.coupons.Get(ctx, code)", "\tif err != nil {",
             '\t\treturn fmt.Errorf("get coupon %q: %w", code, err)', "\t}",
             "\tc.Discount = coupon.Amount", "\treturn nil", "}"),
            ("func (s *Service) Discount(ctx context.Context, c *Cart, code string) error {",
             "\tcoupon, err := s.coupons.Get(ctx, code)", "\tif err != nil {",
             '\t\treturn fmt.Errorf("get coupon %q: %w", code, err)', "\t}",
             "\tc.Discount = coupon.Tiers[c.Tier].Amount", "\treturn nil", "}"),
            5, "(*Service).Discount",
            "runtime error: index out of range [2] with length 2", "index out of range",
        ),
        Bug(
            "go", go,
            ("func (s *Service) Allow(ctx context.Context, userID string) bool {",
             "\treturn s.limiter.Allow(userID)", "}"),
            ("func (s *Service) Allow(ctx context.Context, userID string) bool {",
             "\tperUser := s.cfg.Limits.PerUser",
             "\treturn s.limiter.AllowN(userID, perUser)", "}"),
            1, "(*Service).Allow",
            "runtime error: invalid memory address or nil pointer dereference", "nil pointer",
        ),
        Bug(
            "python", py,
            ("def total_for(payload, rates):", '    amount = Decimal(payload["amount"])',
             "    return amount.quantize(CENTS)", ""),
            ("def total_for(payload, rates):", '    amount = Decimal(payload["amount"])',
             '    currency = payload["currency"]',
             "    return (amount * rates[currency]).quantize(CENTS)", ""),
            2, "total_for", "KeyError: 'currency'", "KeyError",
        ),
        Bug(
            "python", py,
            ("def average_weight(batch):", "    if not batch:", "        return 0.0",
             "    return sum(item.weight for item in batch) / len(batch)", ""),
            ("def average_weight(batch):",
             "    billable = [item for item in batch if item.billable]",
             "    return sum(item.weight for item in billable) / len(billable)", ""),
            2, "average_weight", "ZeroDivisionError: division by zero", "ZeroDivisionError",
        ),
    ]  # fmt: skip


FILLER = {
    "java": ("    private final {T}Repository {v}Repository;", "", "    /** {T} lookups. */",
             "    public Optional<{T}> find{T}(String id) {",
             "        return {v}Repository.findById(id);",
             "    }", ""),
    "go": ("// {T} returns the {v} with the given id.",
           "func (s *Service) {T}(ctx context.Context, id string) (*{T}, error) {",
           "\treturn s.store.Get{T}(ctx, id)", "}", ""),
    "python": ("def load_{v}(session, {v}_id):", "    return session.get({T}, {v}_id)", "", ""),
}  # fmt: skip
HEADERS = {
    "java": ("package com.acme.{pkg};", "", "import java.math.BigDecimal;", "import java.util.*;",
             "", "@Service", "public class {cls} {{"),
    "go": ("package {pkg}", "", "import (", '\t"context"', '\t"fmt"', ")", ""),
    "python": ('"""{cls} rules."""', "", "from decimal import Decimal", "",
               "CENTS = Decimal('0.01')",
               ""),
}  # fmt: skip
NOUNS = ("Order", "Item", "Invoice", "Customer", "Address", "Shipment", "Rate", "Voucher")


def bug_diff(scene: Scene, bug: Bug, pkg: str, cls: str) -> tuple[str, int]:
    """The diff that ships `bug`, and the 1-based line of its faulty line in the new file."""
    head = [line.format(pkg=pkg, cls=cls) for line in HEADERS[bug.lang]]
    for _ in range(int(scene.rng.integers(2, 9))):
        noun = scene.pick(NOUNS)
        lines = FILLER[bug.lang]
        head += [f.replace("{T}", noun).replace("{v}", noun.lower()) for f in lines]
    tail = ["}"] if bug.lang == "java" else []
    old = head + list(bug.old) + tail
    new = head + list(bug.new) + tail
    return unified(scene, bug.path, old, new), len(head) + bug.fault + 1


def stack_trace(scene: Scene, bug: Bug, pkg: str, cls: str, line: int) -> str:
    """The message of the line that reports the exception, with a stack trace in the
    language's own form; its top frame is the faulty line."""
    if bug.lang == "java":
        return (
            f"Servlet.service() for servlet [dispatcherServlet] threw exception\n{bug.error}\n"
            f"\tat com.acme.{pkg}.{cls}.{bug.func}({cls}.java:{line})\n"
            f"\tat com.acme.{pkg}.{cls}Controller.handle({cls}Controller.java:"
            f"{scene.rng.integers(30, 120)})\n"
            "\tat org.springframework.web.servlet.FrameworkServlet.service("
            "FrameworkServlet.java:885)\n"
            "\tat jakarta.servlet.http.HttpServlet.service(HttpServlet.java:658)\n"
            f"\t... {scene.rng.integers(30, 60)} common frames omitted"
        )
    if bug.lang == "go":
        return (
            f"panic recovered: {bug.error}\n\ngoroutine {scene.rng.integers(100, 99999)} "
            f"[running]:\ngithub.com/acme/{pkg}/internal/{pkg}.{bug.func}(0xc000{scene.hexid(6)}"
            f", {{0x1a2b3c0, 0xc000{scene.hexid(6)}}})\n"
            f"\t/src/{bug.path}:{line} +0x{scene.hexid(3)}"
            f"\ngithub.com/acme/{pkg}/internal/http.(*Handler).serve(...)\n\t/src/internal/http/"
            f"handler.go:{scene.rng.integers(40, 200)} +0x1c5\nnet/http.HandlerFunc.ServeHTTP(...)"
            "\n\t/usr/local/go/src/net/http/server.go:2166 +0x29"
        )
    return (
        "Exception on /api/v1/orders [POST]\nTraceback (most recent call last):\n"
        '  File "/usr/local/lib/python3.12/site-packages/flask/app.py", line 1511, in wsgi_app\n'
        "    response = self.full_dispatch_request()\n"
        f'  File "/app/{pkg}/views.py", line {scene.rng.integers(20, 90)}, in create_order\n'
        f"    totals = {bug.func}(payload, rates)\n"
        f'  File "/app/{bug.path}", line {line}, in {bug.func}\n'
        f"    {bug.new[bug.fault].strip()}\n{bug.error}"
    )
