import pytest
from pydantic_ai import models

from tests.helpers import NOW

models.ALLOW_MODEL_REQUESTS = False  # no test may reach a real model

pytest_plugins = ["tests.gcs_emulator"]


@pytest.fixture
def now():
    return NOW
