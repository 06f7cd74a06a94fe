"""Secret redaction (placeholder until the corpus-tested version lands)."""


def redact(text: str) -> str:
    return text
