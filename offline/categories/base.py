"""What a category module returns: the finding it would report, and how strongly it holds."""

from dataclasses import dataclass

from models import Finding


@dataclass
class Hypothesis:
    finding: Finding
    strength: float
