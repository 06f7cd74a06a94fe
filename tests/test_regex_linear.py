"""Every regex that reads untrusted text (bundles, logs, diffs) runs in linear time.

Benchmark-style: each case is timed at N and 4N characters in the same run (best of two), and
the 4N time must stay within RATIO times the N time. Linear growth gives about 4, quadratic 16;
nothing here depends on how fast the machine is, and a stall of a loaded one is forgiven by
measuring again (up to three times), which never rescues a quadratic pattern.
"""

import time
from collections.abc import Callable

import pytest

from agents.deps import _TIME as compact_time
from evidence.frames import changed_lines, frames
from evidence.graph import named_peers
from evidence.kinds import exception_names
from evidence.logs import signature, tags
from evidence.mechanisms import mechanism_of
from evidence.statements import one_line
from sources import redact as redact_module
from sources.bundle import metrics_csv, reader
from sources.redact import redact

BIG = 1_000_000  # characters at 4N
RATIO = 9.0
SLACK = 0.02  # seconds: timer noise on cases that take a few milliseconds


def _words(unit: str, tail: str = "") -> Callable[[int], str]:
    """A line of `unit` repeated to about n characters, then `tail`."""
    return lambda n: unit * max(1, n // len(unit)) + tail


def _after(head: str, unit: str, tail: str = "") -> Callable[[int], str]:
    return lambda n: head + unit * max(1, n // len(unit)) + tail


# (id, adversarial line of about n characters) for redact(): runs of what each alternative
# repeats, and runs of the literals alternatives start with.
REDACT_CASES = [
    ("upstream-a-dash", _after("upstream ", "a-")),
    ("letters", _words("a")),
    ("dashes", _words("-")),
    ("spaces", _words(" ")),
    ("url-without-at", _after("://", "a:")),
    ("urls-without-at", _words("://a:b/")),
    ("url-slash-password-no-at", _after("://a:", "b/")),
    ("url-colons", _after("://a:", ":/")),
    ("password-words", _after("password=a", " b")),
    ("password-key-like-words", _after("password=a", " b:")),
    ("password-words-unclosed", _after('password="a', " b")),
    ("env-password-words", _after("PGPASSWORD=a", " b")),
    ("passwords", _words("password=a ")),
    ("separator-spaces", _after("password:", " ")),
    ("flag-prefixes", _after("--", "a-")),
    ("flags", _words("--password ")),
    ("unclosed-quote", _after('password="', 'a\\"b ')),
    ("jwt-starts", _words("eyJ")),
    ("jwt-without-signature", _words("eyJaaaa.bbbb ")),
    ("pem-without-end", _after("-----BEGIN PRIVATE KEY-----\n", "MIIE+/ab\n-")),
    ("pem-begins", _words("-----BEGIN RSA PRIVATE KEY-----")),
    ("dsn-without-at", _after("@tcp( ", "a:")),
    ("dsn-ats", _after("@tcp( a:", "b@")),
    ("bearer-words", _words("Bearer ")),
    ("basic-words", _words("Basic ")),
    ("basic-long-token", _after("Basic ", "QUJD")),
    ("basic-token-no-colon", _after("Basic ", "QUFB", "=")),
    ("mysql-words", _words("mysql ")),
    ("mysql-spaces", _after("mysql", " ")),
    ("mysql-p-dashes", _words("mysql -p-")),
    ("glpat", _words("glpat-")),
    ("sendgrid", _words("SG.")),
    ("sendgrid-dots", _after("SG.", "aaaaaaaaaaaaaaaa.")),
    ("vault", _words("hvs.")),
    ("npm", _words("npm_")),
    ("signed-query", _words("&sig=")),
    ("signed-query-question", _words("?x-amz-signature=")),
    ("slack-hook", _after("hooks.slack.com/services/", "a/")),
    ("cookie-sessions", _after("Cookie: ", "session=a; ")),
    ("sid", _words("sid=")),
    ("aws-context-base64", _after("aws ", "A" * 39 + " ")),
    ("aws-context-run", _after("secret ", "Ab1/")),
    ("aws-40s", _after("aws ", "Ab3/" * 10 + "=")),
    ("zero-width", _words("\u200b")),
    ("zero-width-split", _words("a\u200b")),
    ("surrogates", _words("\ud800")),
    ("github-prefixes", _words("ghp_")),
    ("sk-prefixes", _words("sk-")),
]

# Other patterns of the bundle reader, as they are applied there.
OTHER_CASES = [
    ("number-digits", lambda n: metrics_csv._NUMBER.fullmatch("1" * n + "x")),
    ("number-dots", lambda n: metrics_csv._NUMBER.fullmatch("1." * (n // 2) + "e")),
    ("number-exponent", lambda n: metrics_csv._NUMBER.fullmatch("1e" + "1" * n + "x")),
    ("name", lambda n: reader.NAME_PATTERN.fullmatch("a" * n)),
    ("commit", lambda n: reader.COMMIT_PATTERN.fullmatch("a" * n)),
    ("surrogate-escape", lambda n: reader._SURROGATE_ESCAPE.search("\\u" * (n // 2))),
    ("surrogate", lambda n: reader._SURROGATE.sub("?", "a" * n)),
    ("go-dsn", lambda n: redact_module._GO_DSN.sub("", "a:" + "b@" * (n // 2))),
    ("scheme", lambda n: redact_module._SCHEME.search("bearer" * (n // 6))),
    ("line-prefix", lambda n: redact_module._LINE_PREFIX.match(" " * n)),
    ("aws-secret", lambda n: redact_module._AWS_SECRET.sub("", "Ab1/" * (n // 4))),
    ("user-password", lambda n: redact_module._USER_PASSWORD.fullmatch(b"a" * n)),
    ("invisible", lambda n: redact_module._INVISIBLE.sub("", "a\u200b" * (n // 2))),
    # Evidence read from log lines: signatures, exception names, peers, mechanisms, frames.
    ("signature", lambda n: signature("upstream " + "a-" * (n // 2))),
    ("signature-underscores", lambda n: signature("a_" * (n // 2))),
    ("exception-dotted", lambda n: exception_names("a.b" * (n // 3))),
    ("trace-frames", lambda n: one_line("x\n" + "at a.b(C.java:1)\n" * (n // 17))),
    ("trace-go-paths", lambda n: one_line("x\n" + "/a" * (n // 2) + ".g")),
    ("tags", lambda n: tags("upstream " + "a-" * (n // 2))),
    ("peers", lambda n: named_peers("k=" + "a." * (n // 2), None, "svc", ("svc",))),
    ("mechanism", lambda n: mechanism_of(["x509 " + "a " * (n // 2)] * 2)),
    ("frames", lambda n: frames("at a.b(" + "a" * n)),
    ("compact-time", lambda n: compact_time.fullmatch("2026-03-15T14:29:59." + "0" * n + "x")),
    ("changed-lines", lambda n: changed_lines("+++ b/x.py\n@@ -1 +1 @@\n" + "+a\n" * (n // 3))),
]


def _best_time(run: Callable[[], object], repeats: int = 2) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _assert_linear(run: Callable[[int], object], attempts: int = 3, big: int = BIG) -> None:
    """Linear within RATIO in one of `attempts` measurements.

    A busy machine can stall one timing; a quadratic pattern is 16x slower at 4N every time,
    so a second look only forgives the noise.
    """
    for _ in range(attempts):
        small = _best_time(lambda: run(big // 4))
        large = _best_time(lambda: run(big))
        if large <= RATIO * small + SLACK:
            return
    raise AssertionError(f"{small:.4f}s at N, {large:.4f}s at 4N")


@pytest.mark.parametrize("make", [c[1] for c in REDACT_CASES], ids=[c[0] for c in REDACT_CASES])
def test_redact_is_linear(make):
    _assert_linear(lambda n: redact(make(n)))


@pytest.mark.parametrize("run", [c[1] for c in OTHER_CASES], ids=[c[0] for c in OTHER_CASES])
def test_reader_patterns_are_linear(run):
    _assert_linear(run)


def test_the_check_catches_a_quadratic_pattern():
    """The measurement itself: a backtracking pattern fails it (at sizes that stay quick)."""
    import re

    quadratic = re.compile(r"(?:a|-)+b")  # retried from every start, each scanning to the end
    with pytest.raises(AssertionError, match="at 4N"):
        _assert_linear(lambda n: quadratic.search("a-" * (n // 2)), big=16_000)
