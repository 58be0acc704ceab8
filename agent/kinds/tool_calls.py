"""Checking and repairing the tool calls a (small) model makes.

Small models often write the call as JSON in their text, use the server's bare
tool name, or quote a number. What can be fixed without asking again is fixed
here; what cannot becomes an error message for one retry. A tool that is not in
the list is never called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from agent.json_reply import extract_json_object
from agent.llm import ChatReply, ToolCall, ToolSpec
from agent.mcp_hub import RemoteTool

__all__ = ["CheckedCall", "check_call", "calls_in_reply", "tool_specs"]


@dataclass(frozen=True, kw_only=True)
class CheckedCall:
    tool: RemoteTool
    arguments: dict[str, Any]


def tool_specs(tools: Sequence[RemoteTool]) -> list[ToolSpec]:
    return [ToolSpec(name=t.name, description=t.description, parameters=t.input_schema) for t in tools]


def calls_in_reply(reply: ChatReply) -> list[ToolCall]:
    """Native tool calls, else one call written as JSON in the text."""
    if reply.tool_calls:
        return list(reply.tool_calls)
    value = extract_json_object(reply.text) if "{" in reply.text else None
    if not value:
        return []
    value = value.get("function", value) if isinstance(value.get("function"), dict) else value
    name = value.get("name") or value.get("tool")
    if not isinstance(name, str):
        return []
    arguments = value.get("arguments", value.get("parameters", {}))
    return [ToolCall(name=name, arguments=arguments if isinstance(arguments, (dict, str)) else {})]


def _find(name: str, tools: Sequence[RemoteTool]) -> RemoteTool | None:
    exact = [t for t in tools if t.name == name]
    bare = [t for t in tools if t.remote_name == name]
    found = exact or bare
    return found[0] if len(found) == 1 else None


def _coerce(arguments: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Quoted numbers and booleans become what the schema says, when that is exact."""
    properties = schema.get("properties") or {}
    fixed = dict(arguments)
    for key, value in arguments.items():
        prop = properties.get(key) or {}
        types = {prop.get("type")} | {o.get("type") for o in prop.get("anyOf", []) if isinstance(o, dict)}
        if not isinstance(value, str):
            continue
        if "integer" in types and value.strip().lstrip("-").isdigit():
            fixed[key] = int(value)
        elif "number" in types:
            try:
                fixed[key] = float(value)
            except ValueError:
                pass
        elif "boolean" in types and value.lower() in ("true", "false"):
            fixed[key] = value.lower() == "true"
    return fixed


def check_call(call: ToolCall, tools: Sequence[RemoteTool]) -> CheckedCall | str:
    """The call made valid, or what is wrong with it in words the model can act on."""
    tool = _find(call.name, tools)
    if tool is None:
        names = ", ".join(t.name for t in tools)
        return f"There is no tool '{call.name}'. Use one of: {names}."
    arguments = call.arguments
    if isinstance(arguments, str):
        arguments = extract_json_object(arguments) if arguments.strip() else {}
        if arguments is None:
            return f"The arguments for {tool.name} are not a JSON object."
    arguments = _coerce(arguments, tool.input_schema)
    errors = sorted(Draft202012Validator(tool.input_schema).iter_errors(arguments), key=lambda e: list(e.path))
    if errors:
        problems = "; ".join(
            (f"'{'.'.join(map(str, e.path))}': " if e.path else "") + e.message for e in errors[:5]
        )
        return f"Invalid arguments for {tool.name}: {problems}."
    return CheckedCall(tool=tool, arguments=arguments)
