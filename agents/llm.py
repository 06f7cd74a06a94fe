"""Choosing the model: the offline investigator, or a remote model with it as the fallback.

Providers: openrouter (the default), openai (also any OpenAI-compatible server through
OPENAI_BASE_URL: vLLM, LM Studio), anthropic, google-vertex (Application Default Credentials)
and ollama (OLLAMA_BASE_URL). Each one's credentials are checked when the model is chosen.
"""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import anyio
from pydantic_ai.exceptions import ModelAPIError, ModelHTTPError, UserError
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
    denied: str | None = None  # the provider refused the credentials (401/403): no fallback


class CircuitBreaker(WrapperModel):
    """Passes requests to the remote model until one fails, then fails fast for the rest.

    The FallbackModel around it then goes straight to the offline investigator, instead of
    paying the client's retries and timeouts again on every later request.
    """

    def __init__(self, wrapped: Model, state: FallbackState, timeout: float, provider: "Provider"):
        super().__init__(wrapped)
        self.state = state
        self.timeout = timeout
        self.source = provider  # not "provider": a Model property

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
            if _denied(exc):  # wrong credentials are not an outage: no fallback, exit 2
                self.state.denied = (
                    f"{self.source.name} refused the credentials: HTTP {exc.status_code} "
                    f"(check {self.source.credentials})"
                )
            else:
                self.state.fell_back = True
            self.state.reason = self.state.denied or f"{type(exc).__name__}: {_one_line(str(exc))}"
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


def choose(
    flag: str | None, env: Mapping[str, str] = os.environ, fallback: bool = True
) -> ModelChoice:
    """Decide the model before anything runs; a bad choice is a UsageError (exit 2).

    Every remote model runs behind the offline investigator unless `fallback` is False
    (--no-fallback): then any model failure fails the incident (exit 1).
    """
    from offline import offline_model  # the offline investigator is the fallback of every choice

    name = model_name(flag, env)
    state = FallbackState()
    if name == OFFLINE:
        return ModelChoice(name, state, offline_model)
    prefix, _, model_id = name.partition(":")
    provider = PROVIDERS.get(prefix)
    if provider is None or not model_id:
        raise UsageError(
            f"unknown model {name!r}: use 'offline' or <provider>:<model> with a provider of "
            f"{', '.join(PROVIDERS)}, e.g. {DEFAULT_REMOTE}"
        )
    timeout = _timeout(env)
    try:
        remote = provider.build(model_id, env)
    except UserError as exc:  # pydantic-ai refuses the model name
        raise UsageError(f"model {name!r}: {_one_line(str(exc))}") from None

    def for_agent(agent: str) -> Model:
        guarded = CircuitBreaker(remote, state, timeout, provider)
        if not fallback:
            return guarded
        return FallbackModel(guarded, offline_model(agent), fallback_on=_falls_back)

    return ModelChoice(name, state, for_agent, remote)


def _falls_back(exc: Exception) -> bool:
    """Outages fall back to the offline investigator; refused credentials do not."""
    return isinstance(exc, ModelAPIError) and not _denied(exc)


def _denied(exc: Exception) -> bool:
    return isinstance(exc, ModelHTTPError) and exc.status_code in (401, 403)


def _timeout(env: Mapping[str, str]) -> float:
    try:
        timeout = float(env.get(ENV_TIMEOUT) or REQUEST_TIMEOUT_SECONDS)
    except ValueError:
        raise UsageError(
            f"{ENV_TIMEOUT} must be a number of seconds, got {env[ENV_TIMEOUT]!r}"
        ) from None
    if not 0 < timeout <= 3600:
        raise UsageError(f"{ENV_TIMEOUT} must be between 0 and 3600 seconds, got {timeout:g}")
    return timeout


def _key(env: Mapping[str, str], variable: str, prefix: str) -> str:
    key = env.get(variable)
    if not key:
        raise UsageError(f"model {prefix}:... needs {variable}; or use --model offline")
    return key


def _openai_client(base_url: str | None, key: str):
    from openai import AsyncOpenAI

    return AsyncOpenAI(
        base_url=base_url, api_key=key, timeout=REQUEST_TIMEOUT_SECONDS, max_retries=2
    )


def _openrouter(model_id: str, env: Mapping[str, str]) -> Model:
    from pydantic_ai.models.openrouter import OpenRouterModel
    from pydantic_ai.providers.openrouter import OpenRouterProvider

    key = _key(env, "OPENROUTER_API_KEY", "openrouter")
    if base_url := env.get(ENV_BASE_URL):
        provider = OpenRouterProvider(openai_client=_openai_client(base_url, key))
    else:
        provider = OpenRouterProvider(api_key=key)
    return OpenRouterModel(model_id, provider=provider, settings=_SETTINGS)


def _openai(model_id: str, env: Mapping[str, str]) -> Model:
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    base_url = env.get("OPENAI_BASE_URL")
    # An OpenAI-compatible server of your own (vLLM, LM Studio) may need no key.
    key = (
        env.get("OPENAI_API_KEY") or (base_url and "none") or _key(env, "OPENAI_API_KEY", "openai")
    )
    client = _openai_client(base_url, key)
    return OpenAIChatModel(
        model_id, provider=OpenAIProvider(openai_client=client), settings=_SETTINGS
    )


def _ollama(model_id: str, env: Mapping[str, str]) -> Model:
    from pydantic_ai.models.ollama import OllamaModel
    from pydantic_ai.providers.ollama import OllamaProvider

    base_url = env.get("OLLAMA_BASE_URL") or OLLAMA_DEFAULT_URL
    client = _openai_client(base_url, env.get("OLLAMA_API_KEY") or "ollama")
    return OllamaModel(model_id, provider=OllamaProvider(openai_client=client), settings=_SETTINGS)


def _anthropic(model_id: str, env: Mapping[str, str]) -> Model:
    from anthropic import AsyncAnthropic
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    client = AsyncAnthropic(
        api_key=_key(env, "ANTHROPIC_API_KEY", "anthropic"),
        base_url=env.get("ANTHROPIC_BASE_URL"),
        timeout=REQUEST_TIMEOUT_SECONDS,
        max_retries=2,
    )
    provider = AnthropicProvider(anthropic_client=client)
    return AnthropicModel(model_id, provider=provider, settings=_SETTINGS)


def _google_vertex(model_id: str, env: Mapping[str, str]) -> Model:
    """Vertex AI with Application Default Credentials: on Cloud Run, the job's service account."""
    import google.auth
    from google.auth.exceptions import GoogleAuthError
    from pydantic_ai.models.google import GoogleModel
    from pydantic_ai.providers.google_cloud import GoogleCloudProvider

    try:
        credentials, project = google.auth.default(
            scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
    except GoogleAuthError as exc:
        raise UsageError(
            "model google-vertex:... needs Application Default Credentials (the service "
            "account on Cloud Run, GOOGLE_APPLICATION_CREDENTIALS or gcloud auth "
            f"application-default login): {type(exc).__name__}"
        ) from None
    project = env.get("GOOGLE_CLOUD_PROJECT") or project
    if not project:
        raise UsageError("model google-vertex:... needs GOOGLE_CLOUD_PROJECT")
    provider = GoogleCloudProvider(
        credentials=credentials,
        project=project,
        location=env.get("GOOGLE_CLOUD_LOCATION") or "global",
    )
    return GoogleModel(model_id, provider=provider, settings=_SETTINGS)


@dataclass(frozen=True)
class Provider:
    name: str
    build: Callable[[str, Mapping[str, str]], Model]  # model id, environment -> the model
    credentials: str  # what to check when the provider refuses them


_SETTINGS: ModelSettings = {"timeout": REQUEST_TIMEOUT_SECONDS}
OLLAMA_DEFAULT_URL = "http://localhost:11434/v1"
PROVIDERS = {
    p.name: p
    for p in (
        Provider("openrouter", _openrouter, "OPENROUTER_API_KEY"),
        Provider("openai", _openai, "OPENAI_API_KEY"),
        Provider("anthropic", _anthropic, "ANTHROPIC_API_KEY"),
        Provider("google-vertex", _google_vertex, "the service account's Vertex AI role"),
        Provider("ollama", _ollama, "OLLAMA_API_KEY"),
    )
}
