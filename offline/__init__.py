"""The offline investigator: deterministic FunctionModels that drive the agents' real tools.

Each driver reads the conversation so far (the prompt and the tool results), asks for the tool
calls it still needs, and when it has them writes the agent's output from what the tools
returned. It never sees the telemetry directly, so it reasons from exactly what a remote model
would see, and it picks up a conversation a remote model started before falling back.
"""

from pydantic_ai.models.function import FunctionModel

from offline.drivers import DRIVERS

MODEL_NAME = "offline-investigator"


def offline_model(agent: str) -> FunctionModel:
    return FunctionModel(DRIVERS[agent], model_name=MODEL_NAME)
