"""What the model is shown in the default investigation, in estimated tokens per agent.

The pipeline runs in-process with the offline investigator, whose FunctionModel drivers are
wrapped to record what each request hands the model: the instructions, the tool definitions
(after the agents' `prepare` hooks add their enums) and the message history. Every request
resends the whole history, so an agent's input is the sum over its requests.

Estimate: ~4 characters per token over the text a provider would serialise: instructions,
tool definitions as JSON (name, description, parameter schema), prompts, tool results as the
model reads them (`model_response_str`), retry prompts, and the model's own earlier replies
(text and tool calls), which are sent back as context.
"""

import asyncio
import json
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic_ai.messages import (
    ModelMessage,
    RetryPromptPart,
    SystemPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.tools import ToolDefinition

import scenarios
from agents.llm import FallbackState, ModelChoice
from bench.results import Result
from offline import offline_model
from pipeline.investigate import Investigation, run_investigation
from sinks.files import LocalFiles

SECTION = "context"
NOW = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)
CHARS_PER_TOKEN = 4
TARGET_TOKENS = 25_000  # issue 17; was 40,000
AGENTS = ("metrics", "logs", "commander")
CATEGORIES = ("instructions", "tool definitions", "prompts", "tool results", "model replies")


def tokens(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


def tool_chars(tools: list[ToolDefinition]) -> int:
    """Tool definitions as JSON, in the shape function-calling APIs send them."""
    return sum(
        len(json.dumps({"name": t.name, "description": t.description, "parameters": schema}))
        for t in tools
        if (schema := t.parameters_json_schema) is not None
    )


def request_chars(messages: list[ModelMessage], info: AgentInfo) -> dict[str, int]:
    """Characters of one request, by category."""
    chars = dict.fromkeys(CATEGORIES, 0)
    chars["instructions"] = len(info.instructions or "")
    chars["tool definitions"] = tool_chars([*info.function_tools, *info.output_tools])
    for message in messages:
        for part in message.parts:
            if isinstance(part, UserPromptPart | SystemPromptPart):
                text = part.content if isinstance(part.content, str) else str(part.content)
                chars["prompts"] += len(text)
            elif isinstance(part, ToolReturnPart):
                chars["tool results"] += len(part.model_response_str())
            elif isinstance(part, RetryPromptPart):
                chars["tool results"] += len(part.model_response())
            elif isinstance(part, TextPart):
                chars["model replies"] += len(part.content)
            elif isinstance(part, ToolCallPart):
                chars["model replies"] += len(part.tool_name) + len(part.args_as_json_str())
    return chars


@dataclass
class AgentContext:
    requests: list[dict[str, int]] = field(default_factory=list)

    def total(self, category: str | None = None) -> int:
        """Estimated input tokens over all requests (of one category, if given)."""
        keys = [category] if category else CATEGORIES
        return tokens(sum(r[k] for r in self.requests for k in keys))

    def largest(self) -> int:
        """Estimated tokens of the largest single request: the context window it needs."""
        return max((tokens(sum(r.values())) for r in self.requests), default=0)


def recording(contexts: dict[str, AgentContext]) -> Callable[[str], FunctionModel]:
    """A ModelChoice.for_agent that records every request of the offline investigator."""

    def for_agent(agent: str) -> FunctionModel:
        model = offline_model(agent)
        driver = model.function
        assert driver is not None

        def record(messages: list[ModelMessage], info: AgentInfo):
            contexts.setdefault(agent, AgentContext()).requests.append(
                request_chars(messages, info)
            )
            return driver(messages, info)

        return FunctionModel(record, model_name=model.model_name)

    return for_agent


def measure(scenario: str = scenarios.DEFAULT, seed: int = 42):
    """Run the investigation; (contexts per agent, pydantic-ai's own usage per agent)."""
    telemetry, _ = scenarios.get(scenario).build(NOW, seed)
    contexts: dict[str, AgentContext] = {}
    choice = ModelChoice("offline", FallbackState(), recording(contexts))
    with tempfile.TemporaryDirectory() as out:
        inv = Investigation(telemetry, NOW, choice)
        delivery = asyncio.run(run_investigation(inv, [LocalFiles(Path(out))]))
    return contexts, delivery.report.usage


def run() -> list[Result]:
    contexts, usage = measure()
    results = []
    for agent in AGENTS:
        ctx = contexts.get(agent, AgentContext())
        parts = ", ".join(f"{c} {ctx.total(c):,}" for c in CATEGORIES)
        u = usage.get(agent)
        results.append(
            Result(
                SECTION,
                f"{agent}: input over {len(ctx.requests)} requests",
                ctx.total(),
                "tokens",
                note=f"largest request {ctx.largest():,}; {parts}; pydantic-ai FunctionModel "
                f"estimate {u.input_tokens if u else 0:,}",
            )
        )
    total = sum(c.total() for c in contexts.values())
    results.append(
        Result(
            SECTION,
            "all agents: input tokens (~4 chars/token)",
            total,
            "tokens",
            f"<= {TARGET_TOKENS:,}",
            total <= TARGET_TOKENS,
            "sum over every request of instructions + tool definitions + message history; "
            "the FunctionModel estimate counts words and leaves out instructions and tool schemas",
        )
    )
    return results
