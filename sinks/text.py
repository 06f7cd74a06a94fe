"""Text from the systems under investigation, made inert for where it is shown.

Log lines, service names, versions, diffs and a model's answers are untrusted. Each sink
neutralises them once, with the function for its target, just before it shows them:

- `markdown`: one line of inert markdown. No heading, list, quote, table cell break, link,
  autolink, image, HTML or emoji shortcode can start in it; characters are escaped only where
  they would otherwise start structure, so ordinary text (`heap_usage_mb`, `20 -> 2`) stays as
  it is.
- `console`: one line for a terminal, printed with `markup=False, emoji=False`.
- `slack`: one line for a Block Kit `plain_text` object (sent with `"emoji": false`).

All three first `clean` the text: control characters (ESC, OSC 52, BEL, NUL...) and format
characters (bidi overrides, zero-width characters) go, a lone surrogate becomes U+FFFD, and
whitespace collapses to single spaces.
"""

import re
import unicodedata

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"[\t\n\r\v\f\x85\u2028\u2029]")
# Characters that would start markdown structure anywhere on a line.
_INLINE = re.compile(r"[`|\[\]*~]|<(?=[A-Za-z/!?])")
_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~])")  # a backslash that would escape the next char
_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # intraword _ is plain text
_SCHEME = re.compile(r"(?i)\b(https?|ftp|file|mailto|xmpp|javascript|data):")
_WWW = re.compile(r"(?i)\bwww\.")
# Renderers with fuzzy linkify (markdown-it, VS Code) link bare evil.com or discounts.py.
_FUZZY_DOMAIN = re.compile(
    r"(?<=[A-Za-z0-9])\.(?=(?:[a-z]{2}|com|net|org|io|dev|app|info|xyz|site|online|cloud|ai)\b)"
)
_EMAIL_AT = re.compile(r"(?<=[A-Za-z0-9._+-])@(?=[A-Za-z0-9-]+\.)")
# :fire: but not the 05 of 14:05:30
_SHORTCODE = re.compile(r"(?<![A-Za-z0-9]):(?=[a-z0-9_+-]{0,40}[a-z])[a-z0-9_+-]{1,40}:")
# What opens a block at the start of a line: a heading, quote, list item or thematic break.
_LEADING = re.compile(r"^(?:#{1,6}(?=\s|$)|>|[-+=_](?=[\s+=_-]|$))")
_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")


def clean(text: str) -> str:
    """One line with no control, bidi or zero-width character; never raises on bad Unicode."""
    text = _SURROGATE.sub("\ufffd", str(text))
    text = _SPACES.sub(" ", text)
    if not text.isascii() or not text.isprintable():
        text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(text.split())


def markdown(text: str) -> str:
    """Inert markdown for a paragraph, a list item, a heading or a table cell."""
    text = clean(text)
    text = _BACKSLASH.sub(r"\\\\", text)
    text = _ENTITY.sub("&amp;", text)
    text = _INLINE.sub(lambda m: "&lt;" if m.group() == "<" else "\\" + m.group(), text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _SCHEME.sub(r"\1\\:", text)  # no autolink: http\://... renders as http://...
    text = _WWW.sub(r"www\\.", text)
    text = _FUZZY_DOMAIN.sub(r"\\.", text)
    text = _EMAIL_AT.sub(r"\\@", text)
    # Emoji filters skip code spans, so a shortcode shows as the text it is.
    text = _SHORTCODE.sub(lambda m: f"`{m.group()}`", text)
    if _LEADING.match(text):
        text = "\\" + text
    return _ORDERED.sub(r"\1\\\2", text)


def console(text: str) -> str:
    """A line for the terminal; print it with markup=False and emoji=False."""
    return clean(text)


def slack(text: str, limit: int = 2900) -> str:
    """Text for a Block Kit plain_text object: Slack's three escapes, within its length limit."""
    text = cut(clean(text), limit)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:-") + "…"


_BINARY = ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))
_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"))


def number(value: float, metric: str = "") -> str:
    """A value as people read it: 2.0 GiB for bytes, 48,830 and 3.2M, never 2.103e+09."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    size = abs(value)
    if "bytes" in metric.lower():
        for scale, unit in _BINARY:
            if size >= scale:
                return f"{value / scale:.3g} {unit}"
        return f"{value:.0f} B"
    for scale, unit in _SI:
        if size >= scale:
            return f"{value / scale:.3g}{unit}"
    if size >= 1000:
        return f"{value:,.0f}"
    if size == 0 or size >= 0.001:
        return f"{value:.4g}"
    return f"{value:.2g}"
