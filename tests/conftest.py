import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic_ai import models

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
models.ALLOW_MODEL_REQUESTS = False  # no test may reach a real model

pytest_plugins = ["tests.gcs_emulator"]

NOW = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW
