"""How a dependency fails, in domain words, from what its callers' errors say about it.

Each mechanism is a fixed, linear-time pattern over untrusted log text and a plain phrase a
person reads in the report; the first that a real share of the lines shows wins, in the order
below (an expired certificate also times out its handshakes; it is still the certificate).
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Mechanism:
    name: str
    pattern: re.Pattern[str]
    phrase: str  # what broke and how, completing "<dependency> ..."
    action: str  # the remediation that fits it
    steps: tuple[str, ...]  # remediation steps, {dep} and {callers} filled in


MECHANISMS = (
    Mechanism(
        "certificate",
        re.compile(
            r"x509|certificate (?:has )?expired|certificate verify failed|expired certificate"
            r"|ssl(?:v3)?[_ ]alert[_ ]certificate[_ ]expired|cert(?:ificate)? .{0,20}not valid"
            r"|pkix path|certpathvalidator|certificateexpired|notafter|certificate_expired"
            r"|unable to verify the first certificate|cert_has_expired",
            re.IGNORECASE,
        ),
        "presents an expired TLS certificate, so every TLS handshake with it fails",
        "escalate",
        (
            "Renew and deploy the TLS certificate of {dep} (its owners or the certificate manager)",
            "Confirm TLS handshakes from {callers} succeed again",
            "Alert on certificate expiry well before it (probe_ssl_earliest_cert_expiry)",
        ),
    ),
    Mechanism(
        "failover",
        re.compile(
            r"read[- ]only (?:transaction|option|mode)|--read-only|super_read_only|demot"
            r"|failover|failed over|promot(?:ed|ing)"
            r"|not (?:the )?primary|no primary|primary (?:changed|switched|unavailable|down)"
            r"|terminating connection due to administrator|recovery mode|readonly you can'?t"
            r"|network partition|split.brain|lost (?:quorum|leader)|leader election"
            r"|lost connection to (?:dcs|etcd|zookeeper|consul)",
            re.IGNORECASE,
        ),
        "lost its primary (a failover: connections to the old primary are dropped and writes "
        "refused as read-only)",
        "failover",
        (
            "Point {callers} at the new primary of {dep} (or fail over cleanly) and recycle "
            "their connection pools",
            "Confirm writes succeed and error rates of {callers} return to baseline",
            "Escalate to the owners of {dep} to find why the primary was lost",
        ),
    ),
    Mechanism(
        "down",
        re.compile(
            r"connection refused|econnrefused|connect: connection refused|no route to host"
            r"|crashloopbackoff|back-off restarting|oomkilled|exited with code|unable to connect"
            r"|connection reset by peer|broken pipe|no such host|name resolution"
            r"|can'?t connect to|could not connect to|lost connection to .{0,20}server"
            r"|connection (?:lost|closed unexpectedly)|errno 111|\(111\)",
            re.IGNORECASE,
        ),
        "is down: connections to it are refused",
        "restart",
        (
            "Restart {dep} (check why it crashed: its last logs, OOM kills, exit codes)",
            "Confirm {callers} reconnect and their error rates return to baseline",
        ),
    ),
    Mechanism(
        "slow",
        re.compile(
            r"timed? ?out|timeout|deadline exceeded|took \d{4,}\s?ms|slow (?:response|request)",
            re.IGNORECASE,
        ),
        "answers too slowly: calls to it run into their timeout and hold the callers' workers",
        "escalate",
        (
            "Escalate to the owners (or vendor) of {dep} with the timeouts below",
            "Shed load from {callers}: shorter timeouts, a circuit breaker or a fallback",
            "Confirm the worker pools of {callers} drain and latency returns to baseline",
        ),
    ),
    Mechanism(
        "errors",
        re.compile(r"\b5\d\d\b|unavailable|internal server error|bad gateway", re.IGNORECASE),
        "fails its callers' requests (errors from it)",
        "escalate",
        (
            "Escalate to the owners of {dep} with the errors below",
            "Fail over or route {callers} around {dep} if a healthy replica exists",
        ),
    ),
)
BY_NAME = {m.name: m for m in MECHANISMS}

# A database primary that is down is failed over to its replica; a cache or a stateless
# service is restarted.
DATABASES = {
    "postgresql", "postgres", "mysql", "mariadb", "mongodb", "oracle", "mssql", "cassandra",
    "cockroachdb", "db2",
}  # fmt: skip
DATABASE_DOWN = Mechanism(
    "database-down",
    re.compile("(?!)"),
    "is down: connections to it are refused (a database primary that stopped serving: a "
    "failover to its replica restores writes)",
    "failover",
    (
        "Fail {dep} over to its replica (promote it) and point {callers} at the new primary",
        "Confirm {callers} reconnect and their error rates return to baseline",
        "Escalate to the owners of {dep} to find why the primary went down before restarting it",
    ),
)
MIN_SHARE = 0.2  # of the lines naming the dependency


def mechanism_of(lines: list[str]) -> str | None:
    """The name of the first mechanism a real share of `lines` shows, or None."""
    if not lines:
        return None
    sample = [line[:2000] for line in lines[:500]]
    for m in MECHANISMS:
        hits = sum(1 for line in sample if m.pattern.search(line))
        if hits >= max(2, MIN_SHARE * len(sample)):
            return m.name
    return None
