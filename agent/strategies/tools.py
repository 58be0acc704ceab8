"""REST APIs and other MCP servers: native tool calling with that source's tools.

The first step picks and runs tools here, with one repair round. Further steps
(up to ``max_tool_steps`` in all) happen in the answer call, which is offered the
same tools: a model that needs more calls makes them there, so the common case
costs two LLM calls, not three.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from agent.context import Citation, ContextBlock
from agent.llm import ChatMessage, ToolCall
from agent.mcp_hub import RemoteTool
from agent.run import Run
from agent.sources import Source
from agent.strategies.base import Strategy
from agent.strategies.tool_calls import CheckedCall, calls_in_reply, check_call, tool_specs
from agent.unfence import unfence

__all__ = ["ToolsStrategy", "run_calls"]

_SYSTEM = "Call the tool that fetches what the question needs. Use only the listed tools and their argument schemas."


def run_calls(calls: Sequence[CheckedCall], source: Source, run: Run) -> tuple[list[ContextBlock], list[str]]:
    """Run checked calls; the blocks they give, and the errors the servers returned."""
    blocks: list[ContextBlock] = []
    errors: list[str] = []
    for call in calls:
        result = run.catalog.call_tool(call.tool.name, call.arguments)
        text = unfence(result.text) if result.text else json.dumps(result.structured, ensure_ascii=False)
        if result.is_error:
            errors.append(f"{call.tool.name} failed: {text[:500]}")
            continue
        limit = run.settings.max_block_chars
        if len(text) > limit:
            text = text[:limit] + f"\n[cut at {limit} characters]"
        kind = "api" if source.kind == "api" else "tool"
        blocks.append(ContextBlock(text=text, citation=Citation(
            source=source.name, kind=kind, tool=call.tool.remote_name, arguments=call.arguments)))
    return blocks, errors


def check_calls(calls: Sequence[ToolCall], tools: Sequence[RemoteTool], run: Run) -> tuple[list[CheckedCall], list[str]]:
    checked: list[CheckedCall] = []
    problems: list[str] = []
    for call in calls:
        outcome = check_call(call, tools)
        if isinstance(outcome, str):
            problems.append(outcome)
            run.trace.add("tool_call_rejected", tool=call.name, problem=outcome)
        else:
            checked.append(outcome)
    return checked, problems


class ToolsStrategy(Strategy):
    """One tool-calling step, retried once with the validation or server error."""

    def gather(self, question: str, source: Source, run: Run) -> list[ContextBlock]:
        tools = run.catalog.tools(source.name)
        if not tools:
            run.trace.add("no_tools", source=source.name)
            return []
        specs = tool_specs(tools)
        messages = [ChatMessage(role="system", content=_SYSTEM), ChatMessage(role="user", content=question)]
        for purpose in ("tool", "tool_repair"):
            reply = run.chat(purpose, messages, tools=specs)
            calls = calls_in_reply(reply)
            if not calls and "{" not in reply.text:
                run.trace.add("no_tool_call", text=reply.text[:200])
                return []
            checked, problems = check_calls(calls, tools, run)
            if not calls:  # it tried to write a call, but not as JSON we can read
                problems = ["Your tool call was not valid JSON."]
                run.trace.add("tool_call_rejected", problem=problems[0], text=reply.text[:200])
            blocks, failures = run_calls(checked, source, run)
            if blocks:
                return blocks
            said = reply.text or json.dumps([{"name": c.name, "arguments": c.arguments} for c in calls])
            messages = [*messages, ChatMessage(role="assistant", content=said[:2000]),
                        ChatMessage(role="user", content=" ".join(problems + failures) + " Call a tool again, correctly.")]
        return []
