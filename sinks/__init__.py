"""Where a finished report goes: local files first, then GCS and Slack.

A sink takes the delivery so far (the report, the files written, the links made) and adds to
it. The pipeline calls every sink after the agents, in order, for complete and partial reports
alike; the local files sink comes first, since it gives the report its id and its files.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # a type only: `from sinks import text` stays free of pydantic
    from models import RCAReport


@dataclass
class Delivery:
    report: "RCAReport"
    files: list[Path] = field(default_factory=list)  # written locally, .md first
    links: list[str] = field(default_factory=list)  # where the files went (gs:// URIs)


class Sink(Protocol):
    def deliver(self, delivery: Delivery) -> None: ...
