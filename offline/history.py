"""Reading a conversation: the prompt, the tool calls made, and what each returned."""

import json
from dataclasses import dataclass
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_core import to_jsonable_python


def call_key(tool: str, args: dict[str, Any]) -> str:
    return tool + json.dumps(args, sort_keys=True, default=str)


@dataclass
class History:
    prompt: str
    asked: set[str]  # call keys of every tool call made, answered or not
    results: dict[str, Any]  # call key -> JSON-able tool result, successful calls only

    def result(self, tool: str, **args: Any) -> Any:
        return self.results.get(call_key(tool, args))

    def by_tool(self, tool: str) -> list[tuple[dict[str, Any], Any]]:
        out = []
        for key, value in self.results.items():
            if key.startswith(tool + "{"):
                out.append((json.loads(key[len(tool) :]), value))
        return out


def read(messages: list[ModelMessage]) -> History:
    prompt = ""
    calls: dict[str, str] = {}
    asked: set[str] = set()
    results: dict[str, Any] = {}
    for message in messages:
        if isinstance(message, ModelResponse):
            for part in message.parts:
                if isinstance(part, ToolCallPart):
                    key = call_key(part.tool_name, part.args_as_dict())
                    calls[part.tool_call_id] = key
                    asked.add(key)
        elif isinstance(message, ModelRequest):
            for part in message.parts:
                if (
                    isinstance(part, UserPromptPart)
                    and isinstance(part.content, str)
                    and not prompt
                ):
                    prompt = part.content
                elif (
                    isinstance(part, ToolReturnPart)
                    and part.tool_call_id in calls
                    and getattr(part, "outcome", "success") == "success"
                ):
                    results[calls[part.tool_call_id]] = to_jsonable_python(part.content)
    return History(prompt, asked, results)
