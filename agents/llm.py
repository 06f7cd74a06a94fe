"""Choosing the model: the offline investigator, or a remote model with it as the fallback."""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import anyio
from pydantic_ai.exceptions import ModelAPIError
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings, merge_model_settings

from errors import UsageError

OFFLINE = "offline"
DEFAULT_REMOTE = "openrouter:anthropic/claude-sonnet-4-5"
ENV_MODEL = "INCIDENT_COMMANDER_MODEL"
# For a proxy, or a local fake server in the fault tests.
ENV_BASE_URL = "INCIDENT_COMMANDER_OPENROUTER_BASE_URL"
ENV_TIMEOUT = "INCIDENT_COMMANDER_REQUEST_TIMEOUT"  # seconds per model request
REQUEST_TIMEOUT_SECONDS = 60.0


@dataclass
class FallbackState:
    """Shared by every agent of one incident: once the remote model fails, stay offline."""

    fell_back: bool = False
    reason: str | None = None


class CircuitBreaker(WrapperModel):
    """Passes requests to the remote model until one fails, then fails fast for the rest.

    The FallbackModel around it then goes straight to the offline investigator, instead of
    paying the client's retries and timeouts again on every later request.
    """

    def __init__(self, wrapped: Model, state: FallbackState, timeout: float):
        super().__init__(wrapped)
        self.state = state
        self.timeout = timeout

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        if self.state.fell_back:
            raise ModelAPIError(self.model_name, f"not retried after: {self.state.reason}")
        # FallbackModel does not merge an inner model's own settings; do it here.
        settings = merge_model_settings(self.wrapped.settings, model_settings)
        try:
            # One deadline over the request and all the SDK's retries of it.
            with anyio.fail_after(self.timeout):
                return await self.wrapped.request(messages, settings, model_request_parameters)
        except TimeoutError:
            self.state.fell_back = True
            self.state.reason = f"ModelTimeoutError: no answer within {self.timeout:g} s"
            raise ModelAPIError(self.model_name, self.state.reason) from None
        except ModelAPIError as exc:
            self.state.fell_back = True
            self.state.reason = f"{type(exc).__name__}: {_one_line(str(exc))}"
            raise


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class ModelChoice:
    name: str
    state: FallbackState
    for_agent: Callable[[str], Model]  # agent name (metrics, logs, commander) -> model
    remote_model: Model | None = None  # the remote model alone, e.g. for an evaluation judge

    @property
    def remote(self) -> bool:
        return self.name != OFFLINE


def model_name(flag: str | None, env: Mapping[str, str]) -> str:
    if flag:
        return flag
    if env.get(ENV_MODEL):
        return env[ENV_MODEL]
    return DEFAULT_REMOTE if env.get("OPENROUTER_API_KEY") else OFFLINE


def choose(flag: str | None, env: Mapping[str, str] = os.environ) -> ModelChoice:
    """Decide the model before anything runs; a bad choice is a UsageError (exit 2)."""
    from offline import offline_model  # the offline investigator is the fallback of every choice

    name = model_name(flag, env)
    state = FallbackState()
    if name == OFFLINE:
        return ModelChoice(name, state, offline_model)
    provider, _, model_id = name.partition(":")
    if provider != "openrouter" or not model_id:
        raise UsageError(
            f"unknown model {name!r}: use 'offline' or 'openrouter:<model>', e.g. {DEFAULT_REMOTE}"
        )
    key = env.get("OPENROUTER_API_KEY")
    if not key:
        raise UsageError(f"model {name!r} needs OPENROUTER_API_KEY; or use --model offline")
    try:
        timeout = float(env.get(ENV_TIMEOUT) or REQUEST_TIMEOUT_SECONDS)
    except ValueError:
        raise UsageError(
            f"{ENV_TIMEOUT} must be a number of seconds, got {env[ENV_TIMEOUT]!r}"
        ) from None
    if not 0 < timeout <= 3600:
        raise UsageError(f"{ENV_TIMEOUT} must be between 0 and 3600 seconds, got {timeout:g}")
    remote = _openrouter(model_id, key, env.get(ENV_BASE_URL), timeout)

    def for_agent(agent: str) -> Model:
        return FallbackModel(
            CircuitBreaker(remote, state, timeout),
            offline_model(agent),
            fallback_on=(ModelAPIError,),
        )

    return ModelChoice(name, state, for_agent, remote)


def _openrouter(model_id: str, key: str, base_url: str | None, timeout: float) -> Model:
    from openai import AsyncOpenAI
    from pydantic_ai.models.openrouter import OpenRouterModel
    from pydantic_ai.providers.openrouter import OpenRouterProvider

    if base_url:
        client = AsyncOpenAI(
            base_url=base_url, api_key=key, timeout=REQUEST_TIMEOUT_SECONDS, max_retries=2
        )
        provider = OpenRouterProvider(openai_client=client)
    else:
        provider = OpenRouterProvider(api_key=key)
    return OpenRouterModel(
        model_id, provider=provider, settings={"timeout": REQUEST_TIMEOUT_SECONDS}
    )
