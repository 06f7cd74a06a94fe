"""Secret redaction for untrusted text: every text field of every source.

`redact` replaces a secret with MARKER and keeps the context around it (`password=[REDACTED]`,
`postgres://app:[REDACTED]@db:5432/orders`, `Authorization: Bearer [REDACTED]`, `ghp_[REDACTED]`).
Invisible characters (zero-width, bidi controls) are removed first, so they cannot split a
secret, and lone UTF-16 surrogates become U+FFFD, so no later write can fail on them.
`redact_store_fields` applies it to every text field of a TelemetryStore, and `redact_many`
(`redact_column`) to many texts at once, as log messages: with the same results, faster, by one
scan of all of them for the fixed texts without which no pattern can match.

One compiled regex, one pass (plus rare extra ones for Go DSNs and bare AWS secret keys, only
when the text has their context). Each alternative begins with
a plain literal (`://`, `AKIA`, the `p` of `password`) and checks the character before it with a
lookbehind placed after that literal, so `re` skips every position whose character starts no
alternative. Runs are possessive and never re-enter the run before them, so the scan stays
linear on hostile input. Output never matches again in a way that changes it, so redaction is
idempotent.
"""

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

import numpy as np

try:  # the parsed structure of a pattern, for redact_many's scan (CPython 3.11+)
    from re import _constants, _parser
except ImportError:  # pragma: no cover - another Python: redact_many redacts every text
    _constants = _parser = None

MARKER = "[REDACTED]"

# A value: a JSON string escaped inside another string, a double- or single-quoted string, a
# quote never closed (a truncated line), or a bare word. A bare word never starts with a
# bracket, so `password=[REDACTED]` and `password: <nil>` are left as they are.
_QUOTED_VALUES = r"""
    \\"[^"\\\r\n]++\\"
    |"(?:[^"\\\r\n]|\\.)++"
    |'[^'\r\n]++'
"""
_OPEN_VALUE = r"""["'][^\s"',;&]++"""
_BARE_VALUE = r"""[^\s"'\\,;&<>(){}\[\]][^\s"',;&]*+"""
_VALUE = f"({_QUOTED_VALUES}|{_OPEN_VALUE}|{_BARE_VALUE})"
# A password may hold spaces (`password=correct horse battery staple`): its unquoted value runs
# on over the next words, up to the end of the line, a `,;&` or a word that is the next key.
_MORE_WORDS = r"""(?:[ \t]++(?![\w.-]++[ \t]*+[:=])[^\s"',;&]++)*+"""
_PHRASE_VALUE = f"({_QUOTED_VALUES}|{_OPEN_VALUE}{_MORE_WORDS}|{_BARE_VALUE}{_MORE_WORDS})"

# `=`, `:`, `=>` or `:=` after a key name, with the key's closing quote and an auth scheme.
_SEPARATOR = r"""
    (?:\\?["'])?[ \t]*(?::=?|=>?)[ \t]*(?:(?i:bearer|basic|token|digest)[ \t]+)?+
"""

# Key words that make the value after a separator a secret, wherever they end a key name
# (DB_PASSWORD, db.password, clientSecret, X-Auth-Token, aws_secret_access_key), grouped by
# first letter: each alternative must start with a plain literal, in either case.
_LONG_KEYS = {
    "p": r"rivate[_-]?key(?:[_-]?id)?",
    "s": r"ecret(?:[ _-]?(?:access[ _-]?)?key)?|ession(?:[_-]?(?:id|key|token))?|essid",
    "t": r"oken",
    "a": r"pi[_-]?key|ccess[_-]?key|ccount[_-]?key|uthorization",
    "c": r"lient[_-]?secret|redentials?",
    "d": r"ockerconfigjson|ockercfg",
}
# Password keys: their unquoted values may run over several words (_PHRASE_VALUE).
_PHRASE_KEYS = {"p": r"ass(?:word|wd|phrase)"}
# Short key words count only at a word start or camelCase hump (DB_PASS, basicAuth, PWD), not
# inside bypass, oauth or OLDPWD. The lookbehind spans the word and the character before it.
_SHORT_KEYS = {"a": ("uth",), "s": ("id",)}
_SHORT_PHRASE_KEYS = {"p": ("ass", "wd")}


def _key_alternatives(long_keys: dict[str, str], short_keys: dict[str, tuple]) -> list[str]:
    keys = []
    for first, rest in long_keys.items():
        keys += [f"{first}(?i:{rest})", f"{first.upper()}(?i:{rest})"]
    for first, rests in short_keys.items():
        for rest in rests:
            width = "." * (len(rest) + 1)
            keys.append(f"{first}(?i:{rest})(?<![A-Za-z]{width})")
            keys.append(f"{first.upper()}(?i:{rest})(?<![A-Z]{width})")
    return keys


_ALL_LONG_KEYS = {**_LONG_KEYS, "p": _LONG_KEYS["p"] + "|" + _PHRASE_KEYS["p"]}
_ANY_KEY = "(?i:" + "|".join(f"{f}(?:{r})" for f, r in _ALL_LONG_KEYS.items()) + "|pass|pwd|auth)"
_SIGNED_QUERY = r"""(?i:sig|signature|x-amz-signature|x-goog-signature|x-amz-security-token)
    =([^\s&#"'<>]++)"""
# Base64 that decodes to user:password, as after a bare `Basic` (checked in _replace).
_USER_PASSWORD = re.compile(rb"[\x20-\x39\x3b-\x7e]++:[\x20-\x7e]*+")
_BASIC_MAX = 4096  # longer base64 after `Basic` is redacted without decoding it

# (kind, pattern): each pattern starts with a literal and has exactly one capturing group, the
# secret itself; the rest of the match is kept.
_ALTERNATIVES: list[tuple[str, str]] = [
    *(
        ("phrase", key + _SEPARATOR + _PHRASE_VALUE)
        for key in _key_alternatives(_PHRASE_KEYS, _SHORT_PHRASE_KEYS)
    ),
    *(("kv", key + _SEPARATOR + _VALUE) for key in _key_alternatives(_LONG_KEYS, _SHORT_KEYS)),
    # --password hunter2, --db-password hunter2 (the `=` form is a key=value above)
    ("flag", rf"--(?<![\w-]--)(?:[A-Za-z0-9]++[-_])*?{_ANY_KEY}[ \t]+(?!-){_VALUE}"),
    # scheme://user:pass@host; the password may itself contain @, so the last @ wins
    ("url", r"""://[^:/@\s"'<>]*+:([^\s/"'<>]+)@"""),
    # ... or a `/` (unencoded, as people write it), though never a port (host:8080/path@x).
    # The password stops before the next `://`, so overlapping attempts never rescan a run.
    ("url", r"""://[^:/@\s"'<>]*+:(?![0-9]*+/)((?:[^\s"'<>@:/]|/(?!/)|:(?!//))++)@"""),
    ("bearer", r"Bearer(?<![\w-]Bearer)[ \t]+(?![a-z]++(?![\w.~+/=-]))([\w.~+/-]{8,}+=*+)"),
    ("bearer", r"bearer(?<![\w-]bearer)[ \t]+(?![a-z]++(?![\w.~+/=-]))([\w.~+/-]{8,}+=*+)"),
    ("jwt", r"eyJ(?<![\w-]eyJ)([\w-]{4,}+\.[\w-]{4,}+\.[\w-]*+)"),
    ("aws", r"A(?:KIA|SIA)(?<![A-Za-z0-9]....)([A-Z0-9]{16})(?![A-Za-z0-9])"),
    # OpenAI / Anthropic (sk-, sk-proj-, sk-ant-api03-) and Stripe (sk_live_, rk_test_) keys
    ("token", r"sk-(?<![\w-]sk-)(?:proj-|ant-(?:api\d\d-|admin\d\d-)?|svcacct-)?([\w-]{16,}+)"),
    ("token", r"sk_(?<![\w-]sk_)(?:live|test)_([\w-]{16,}+)"),
    ("token", r"rk_(?<![\w-]rk_)(?:live|test)_([\w-]{16,}+)"),
    ("token", r"gh[pousr]_(?<!\w....)(\w{20,}+)"),
    ("token", r"github_pat_(?<!\wgithub_pat_)(\w{20,}+)"),
    ("token", r"xox[abposr]-(?<![\w-]....-)([A-Za-z0-9-]{10,}+)"),
    ("token", r"xapp-(?<![\w-]xapp-)([A-Za-z0-9-]{10,}+)"),
    ("token", r"AIza(?<![\w-]AIza)([\w-]{30,}+)"),
    ("token", r"xoxe\.xox[bp]-(?<![\w-]....\.....-)([A-Za-z0-9-]{10,}+)"),
    # GitLab (glpat-, glrt-...), SendGrid, Vault, npm, PyPI, Hugging Face, Stripe webhook,
    # DigitalOcean and Shopify tokens
    ("token", r"g(?<![\w-]g)l(?:pat|dt|rt|ptt|soat|cbt|ft|imt)-([\w-]{20,}+)"),
    ("token", r"SG\.(?<![\w.-]SG\.)([\w-]{16,}+\.[\w-]{16,}+)"),
    ("token", r"hv[sbr]\.(?<![\w.-]hv.\.)([\w-]{20,}+)"),
    ("token", r"npm_(?<![\w-]npm_)([A-Za-z0-9]{30,}+)"),
    ("token", r"pypi-(?<![\w-]pypi-)(AgE[\w-]{30,}+)"),
    ("token", r"hf_(?<![\w-]hf_)([A-Za-z0-9]{30,}+)"),
    ("token", r"whsec_(?<![\w-]whsec_)([A-Za-z0-9+/=]{20,}+)"),
    ("token", r"do[por]_v1_(?<![\w-]do._v1_)([a-f0-9]{40,}+)"),
    ("token", r"shp(?:at|ss|ca|pa)_(?<![\w-]shp.._)([a-fA-F0-9]{20,}+)"),
    # Slack and Discord webhook URLs: the path is the credential
    ("token", r"hooks\.slack\.com/(?:services|workflows|triggers)/([\w/-]{8,}+)"),
    ("token", r"discord(?:app)?\.com/api/webhooks/([\w/-]{8,}+)"),
    # Signed URLs: Azure SAS (sig=), S3 and GCS presigned URLs. Literal first: `&`, then `?`.
    *(("token", first + _SIGNED_QUERY) for first in ("&", r"\?")),
    # `Basic <base64 of user:password>` without a header name; _replace checks the decoding
    ("basic", r"Basic(?<![\w-]Basic)[ \t]++([A-Za-z0-9+/]{8,}+=*+)"),
    ("basic", r"basic(?<![\w-]basic)[ \t]++([A-Za-z0-9+/]{8,}+=*+)"),
    # mysql -pSECRET (and mysqldump, mariadb...): up to 12 words after the command
    (
        "token",
        r"""m(?<![\w-]m)(?:ysql(?:dump|admin|import|check|sh)?|ariadb(?:-dump|-admin)?)(?![\w-])
            (?:[ \t]++(?!-p)\S++){0,12}+[ \t]++-p([^\s"'-][^\s"']*+|"[^"\n]*+"|'[^'\n]*+')""",
    ),
    # PEM private key. The body runs up to the next run of five dashes, so it stops at the END
    # line (with its diff prefix, + or -) or, when the block is cut off, at the end of the text.
    (
        "pem",
        r"""-----BEGIN[A-Z0-9 ]{0,40}PRIVATE[ ]KEY(?:[ ]BLOCK)?-----
            ((?:[^-]|-(?!----))*+)
            (?:-?-----END[A-Z0-9 ]{0,40}PRIVATE[ ]KEY(?:[ ]BLOCK)?-----)?""",
    ),
]
_SECRET = re.compile("|".join(p for _, p in _ALTERNATIVES), re.VERBOSE | re.ASCII)
_KIND = {group: kind for group, (kind, _) in enumerate(_ALTERNATIVES, start=1)}
assert _SECRET.groups == len(_ALTERNATIVES), "one capturing group per alternative"

# Go MySQL DSN, app:pass@tcp(db:3306)/orders. It starts with a bare user name, not a literal,
# so it runs as its own pass, only when the text has such a DSN in it.
_GO_DSN = re.compile(r"""(?<![^\s"'=])[\w.-]++:([^\s"'=]+)@(?=(?:tcp|unix)\()""", re.ASCII)
_SCHEME = re.compile(r"(?i)(?:bearer|basic|token|digest)[ \t]+")
_LINE_PREFIX = re.compile(r"[+\- ]?[ \t]*")  # a diff marker, then indentation

# A bare AWS secret access key: 40 base64 characters, not part of a longer run, redacted when
# "aws", "amazon" or "secret" is written within _CONTEXT characters of it.
_AWS_WORDS = ("aws", "amazon", "secret")
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_CONTEXT = 200
_HEX = re.compile(r"[0-9a-fA-F]*+")

# Characters that show as nothing: zero-width spaces and joiners, soft hyphen, bidi controls,
# word joiners, variation selectors, BOM, tag characters. Removed before matching so that a
# secret split by one is still a secret. A lone surrogate cannot be encoded: U+FFFD instead.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")


_DSN_MARKS = ("@tcp(", "@unix(")  # the only texts _GO_DSN can match in


def redact(text: str) -> str:
    """`text` with every secret it contains replaced by MARKER, invisible characters removed
    and lone surrogates replaced; anything else is unchanged."""
    text = normalize(text)
    text = _SECRET.sub(_replace, text)
    if _DSN_MARKS[0] in text or _DSN_MARKS[1] in text:
        text = _GO_DSN.sub(_replace_plain, text)
    if _has_aws_context(text):
        text = _AWS_SECRET.sub(_replace_aws_secret, text)
    return text


def _has_aws_context(text: str) -> bool:
    lower = text.lower()
    return any(word in lower for word in _AWS_WORDS)


def redact_many(texts: Sequence[str]) -> list[str]:
    """[redact(t) for t in texts], the same strings, faster for many texts with few secrets.

    Every match of _SECRET contains one of the strings _required_literals derives from its
    pattern (and _GO_DSN's and the AWS check's texts are fixed words), so an ASCII text that
    contains none of them (ignoring case) has nothing redact() would change. A scan of all the
    texts at once for three bytes of each such string finds the texts that may; only those,
    and the texts that are not ASCII, go through redact().
    """
    texts = list(texts)
    out = texts.copy()
    for i in _may_change(texts).tolist():
        out[i] = redact(texts[i])
    return out


def redact_column(texts: np.ndarray) -> np.ndarray:
    """redact_many for an object array of str: a redacted copy of it."""
    out = texts.copy()
    for i in _may_change(texts).tolist():
        out[i] = redact(texts[i])
    return out


def _may_change(texts: Sequence[str]) -> np.ndarray:
    """Indices of the texts redact() may change (a superset)."""
    table = _literal_table()
    if table is None or not len(texts):
        return np.arange(len(texts))
    joined = "\n".join(texts.tolist() if isinstance(texts, np.ndarray) else texts)
    if joined.isascii():
        scanned = np.arange(len(texts))
        others = np.zeros(0, np.int64)
    else:  # invisible characters, Unicode case rules: redact() checks these texts itself
        plain = np.fromiter(map(str.isascii, texts), bool, len(texts))
        scanned, others = np.flatnonzero(plain), np.flatnonzero(~plain)
        joined = "\n".join([texts[i] for i in scanned.tolist()])
    data = np.frombuffer(joined.encode("ascii"), np.uint8)
    breaks = np.flatnonzero(data == ord("\n"))
    if len(breaks) == len(scanned) - 1:  # no line breaks in the texts: the joins part them
        starts = np.concatenate([[0], breaks + 1])
    else:
        ascii_texts = [texts[i] for i in scanned.tolist()]
        lengths = np.fromiter(map(len, ascii_texts), np.int64, len(scanned))
        starts = np.cumsum(lengths + 1) - (lengths + 1)
    hashed, exact = table
    hits = []
    for lo in range(0, max(len(data) - 2, 0), _SCAN_BYTES):
        # Three bytes' low five bits (ASCII letters of either case alike): a cached table.
        part = (data[lo : lo + _SCAN_BYTES + 2] & np.uint8(31)).astype(np.uint16)
        codes = part[:-2] << np.uint16(10)
        codes |= part[1:-1] << np.uint16(5)
        codes |= part[2:]
        at = np.flatnonzero(hashed.take(codes)) + lo
        # Then the three bytes themselves, in lower case, at the few places found.
        lower = _LOWER[data[np.minimum(at[:, None] + np.arange(3), len(data) - 1)]]
        words = lower[:, 0].astype(np.int64) << 16 | lower[:, 1].astype(np.int64) << 8 | lower[:, 2]
        hits.append(at[np.isin(words, exact)])
    found = np.searchsorted(starts, np.concatenate([np.zeros(0, np.int64), *hits]), "right") - 1
    return np.union1d(scanned[np.unique(found)], others)


_SCAN_BYTES = 1 << 20
_LOWER = np.frombuffer(bytes(range(256)).lower(), np.uint8)  # ASCII letters to lower case


@lru_cache(maxsize=1)
def _literal_table() -> tuple[np.ndarray, np.ndarray] | None:
    """Three bytes (in lower case) of each string one of which is in every text redact() may
    change: a table of their hashes (low five bits of each) and their codes; None if unknown."""
    literals = _required_literals(_SECRET)
    if literals is None:
        return None
    hashed, exact = np.zeros(1 << 15, bool), set()
    for literal in (*literals, *_DSN_MARKS, *_AWS_WORDS):
        data = literal.lower().encode()
        rarest = max(range(len(data) - 2), key=lambda i: sum(map(_rarity, data[i : i + 3])))
        a, b, c = data[rarest : rarest + 3]
        hashed[(a & 31) << 10 | (b & 31) << 5 | (c & 31)] = True
        exact.add(a << 16 | b << 8 | c)
    return hashed, np.array(sorted(exact), np.int64)


def _rarity(byte: int) -> int:
    """How rare a byte is in log text, roughly: the choice of bytes to scan for is any."""
    common = b" etaoinsrhldcu.:=-_/pmfg0123456789"  # the most common first
    char = bytes([byte]).lower()
    return common.index(char) if char in common else len(common)


def _required_literals(pattern: re.Pattern) -> frozenset[str] | None:
    """Strings of 3+ characters one of which (ignoring ASCII case) every match of `pattern`
    contains; None when the pattern's structure shows none (or could not be read)."""
    if _parser is None or not pattern.flags & re.ASCII:  # Unicode case: 'k' matches KELVIN SIGN
        return None
    try:
        return _required(list(_parser.parse(pattern.pattern, pattern.flags)))
    except Exception:  # a parser of another Python version: redact() every text
        return None


def _ops(*names: str) -> tuple:
    """The parser's codes of these operations (none without the parser)."""
    return tuple(getattr(_constants, name) for name in names) if _constants else ()


_REPEATS = _ops("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
_ZERO_WIDTH = _ops("ASSERT", "ASSERT_NOT", "AT")  # match no text: a run goes on across them
_MAX_TEXTS = 64  # fixed texts a run of the pattern may spell, at most


def _required(items: list) -> frozenset[str] | None:
    """Strings of 3+ characters one of which every match of the parsed sequence `items`
    contains; None if there are none to tell."""
    options: list[frozenset[str]] = []  # each: a set one of whose strings every match contains
    run = {""}  # the texts the characters matched one after another so far may be

    def end_run() -> None:
        nonlocal run
        if min(map(len, run)) >= 3:
            options.append(frozenset(run))
        run = {""}

    for op, av in _flat(items):
        if op in _ZERO_WIDTH:  # the texts before and after it are one run
            continue
        texts = _texts(op, av)
        if texts is not None and len(run) * len(texts) <= _MAX_TEXTS:
            run = {a + b for a in run for b in texts}
            continue
        end_run()
        if op is _constants.BRANCH:
            alternatives = [_required(list(branch)) for branch in av[1]]
            if all(a is not None for a in alternatives):
                options.append(frozenset().union(*alternatives))
        elif op in _REPEATS and av[0] >= 1:  # matched at least once
            if (inside := _required(list(av[2]))) is not None:
                options.append(inside)
    end_run()
    # Any option is right; the one of the longest strings, then the fewest, is the rarest.
    return max(options, key=lambda o: (min(map(len, o)), -len(o)), default=None)


def _texts(op, av) -> set[str] | None:
    """The few fixed texts one parsed item matches (a character, a small class, alternatives
    of fixed texts); None for anything else."""
    if op is _constants.LITERAL:
        return {chr(av)}
    if op is _constants.IN:
        if all(kind is _constants.LITERAL for kind, _ in av):
            return {chr(code) for _, code in av}
        return None
    if op is _constants.BRANCH:
        texts: set[str] = set()
        for branch in av[1]:
            run = {""}
            for item in _flat(list(branch)):
                if item[0] in _ZERO_WIDTH:
                    continue
                inner = _texts(*item)
                if inner is None or len(run) * len(inner) > _MAX_TEXTS:
                    return None
                run = {a + b for a in run for b in inner}
            texts |= run
        return texts if len(texts) <= _MAX_TEXTS else None
    return None


def _flat(items: list):
    """The items of a parsed sequence with groups opened: their contents match in place."""
    for op, av in items:
        if op is _constants.SUBPATTERN:
            yield from _flat(list(av[3]))
        elif op is _constants.ATOMIC_GROUP:
            yield from _flat(list(av))
        else:
            yield op, av


def normalize(text: str) -> str:
    """`text` without invisible characters, and with U+FFFD for each lone surrogate."""
    if text.isascii():  # the usual case, and nothing to do
        return text
    return _SURROGATE.sub("\ufffd", _INVISIBLE.sub("", text))


def _replace(m: re.Match[str]) -> str:
    group = m.lastindex or 0
    start, end = m.span(group)
    before, secret, after = m.string[m.start() : start], m[group], m.string[end : m.end()]
    kind = _KIND[group]
    if kind == "kv":
        return before + _redacted_value(before, secret)
    if kind == "phrase":
        return before + _redacted_phrase(before, secret)
    if kind == "pem":
        return before + _redacted_pem_body(secret, after)
    if kind == "basic" and not _is_user_password(secret):
        return m[0]  # `Basic Auth`, `basic LoadBalancer`: words, not a credential
    return before + MARKER + after


def _redacted_phrase(key: str, value: str) -> str:
    """MARKER for a password's value, which may run over several words."""
    first, space, rest = value.partition(" ")
    if space and "=" in key and ":" not in key and key.isupper():
        # An environment variable (PGPASSWORD=x psql -h db): the shell ends it at a space.
        return _redacted_value(key, first) + space + redact(rest)
    return _redacted_value(key, value)


def _is_user_password(text: str) -> bool:
    """Whether base64 `text` decodes to printable `user:password` (or is too long to check)."""
    if len(text) > _BASIC_MAX:
        return True
    try:
        decoded = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return _USER_PASSWORD.fullmatch(decoded) is not None


def _replace_aws_secret(m: re.Match[str]) -> str:
    key = m[0]
    mixed = any(c.isupper() for c in key) and any(c.islower() for c in key)
    if not mixed or _HEX.fullmatch(key):  # a word run, a commit hash: not a key
        return key
    text, start, end = m.string, m.start(), m.end()
    if not _has_aws_context(text[max(0, start - _CONTEXT) : end + _CONTEXT]):
        return key
    return MARKER


def _replace_plain(m: re.Match[str]) -> str:
    start, end = m.span(1)
    return m.string[m.start() : start] + MARKER + m.string[end : m.end()]


def _redacted_value(key: str, value: str) -> str:
    """MARKER for the value after `key`, in the quotes it had and keeping an auth scheme."""
    if value[0] == "/" and key.rstrip(" \t:=\"'\\").lower().endswith("pwd"):
        return value  # the shell's PWD=/srv/app is a directory, not a password
    quote = '\\"' if value.startswith('\\"') else value[0] if value[0] in "\"'" else ""
    if not quote:
        return MARKER
    scheme = _SCHEME.match(value, len(quote))
    return quote + (scheme[0] if scheme else "") + MARKER + quote


def _redacted_pem_body(body: str, end: str) -> str:
    """MARKER for a key block's body and its END line, keeping the block's diff prefix."""
    if "\n" not in body:  # one line, e.g. a JSON service-account key with \n escapes
        return MARKER + end
    prefix = _LINE_PREFIX.match(body, body.index("\n") + 1)[0]
    if end.startswith("------"):  # a removed END line: the diff's - is already in prefix
        end = end[1:]
    return f"\n{prefix}{MARKER}" + (f"\n{prefix}{end}" if end else "")


def redact_json(value):
    """A copy of a JSON value (dicts, lists, scalars) with every secret in it redacted."""
    return _redacted_json(value, secret=False)


def _redacted_json(value, secret: bool):
    """A copy of a JSON value with its text redacted; under a secret's key, MARKER instead.

    A key names a secret (password, api_key, token...) when redact() would hide what follows it.
    """
    # Structure hides what redact() relies on: {"password": "hunter2"} holds a secret that
    # neither "password" nor "hunter2" shows on its own.
    if type(value) is str:  # the usual case first: this runs for every value of every line
        return MARKER if secret else redact(value)
    if isinstance(value, dict):
        copy = {}
        for key, item in value.items():
            text, names_secret = _key(key)
            copy[text] = _redacted_json(item, secret or names_secret)
        return copy
    if isinstance(value, list | tuple):
        return [_redacted_json(item, secret) for item in value]
    if isinstance(value, bool) or value is None:
        return value  # no secret fits in true, false or null
    if isinstance(value, str):
        return MARKER if secret else redact(value)
    if isinstance(value, int | float):
        return MARKER if secret else value
    raise TypeError(f"log attributes must hold JSON values, got {value!r}")


@lru_cache(maxsize=4096)  # a bundle repeats a few keys on every line
def _key(key: str) -> tuple[str, bool]:
    """The key redacted, and whether redact() treats what follows it as a secret."""
    if not isinstance(key, str):
        raise TypeError(f"log attribute keys must be str, got {key!r}")
    probe = f"{normalize(key)}=x"
    return redact(key), redact(probe) != probe


def redact_store_fields(store) -> dict[str, object]:
    """Every text field of a TelemetryStore redacted: {field name: new value} for its constructor.

    Covers the description, each metric's service, unit and description, each deploy's
    service, version, commit, author and description, the diffs, and the log table's service
    names. Log messages and attributes are redacted where the LogTable is built. Metric names
    are keys that metrics.csv must match exactly, so they are left as they are.
    """
    info = {
        name: replace(
            metric,
            service=redact(metric.service),
            unit=_redact_optional(metric.unit),
            description=_redact_optional(metric.description),
        )
        for name, metric in store.metric_info.items()
    }
    series = {
        name: replace(s, info=info[name]) if name in info else s
        for name, s in store.metric_series.items()
    }
    deploys = [
        replace(
            d,
            service=redact(d.service),
            version=redact(d.version),
            commit=redact(d.commit),
            author=_redact_optional(d.author),
            description=redact(d.description) if d.description else None,
        )
        for d in sorted(store.deploy_events, key=lambda d: d.deployed_at)
    ]
    return {
        "description": redact(store.description),
        "metric_info": info,
        "metric_series": series,
        "deploy_events": deploys,
        "diffs": {redact(commit): redact(text) for commit, text in store.diffs.items()},
        "log_table": _redacted_services(store.log_table),
    }


def _redact_optional(text: str | None) -> str | None:
    return None if text is None else redact(text)


def _redacted_services(table):
    """The log table with its service names redacted; names that redact alike are merged."""
    names = [redact(name) for name in table.service_names]
    if names == list(table.service_names):
        return table
    merged = sorted(set(names))
    recode = np.array([merged.index(name) for name in names], dtype=table.services.dtype)
    return replace(table, services=recode[table.services], service_names=tuple(merged))
