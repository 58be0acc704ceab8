"""REST APIs and other MCP servers: native tool calling with that source's tools.

The first step picks and runs tools here, with one repair round. For other MCP
servers, further steps (up to ``max_tool_steps`` in all) happen in the answer call,
which is offered the same tools: a model that needs more calls makes them there, so
the common case costs two LLM calls, not three. An API's operation answers in one
call, and its answer call is offered no tools (see :class:`ApiKind`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from agent.catalog import Catalog
from agent.context import Citation, ContextBlock
from agent.errors import SourceError
from agent.kinds.base import SourceKind
from agent.json_lines import maybe_json_lines
from agent.kinds.tool_calls import CheckedCall, calls_in_reply, check_call, tool_specs
from agent.llm import ChatMessage, ToolCall
from agent.mcp_hub import RemoteTool, ServerSpec
from agent.run import Run
from agent.unfence import unfence
from connectors.config import ApiSource, McpServerSource, SourceConfig

__all__ = ["ApiKind", "McpKind", "ToolsKind", "check_calls", "run_calls"]

_SYSTEM = "Call the tool that fetches what the question needs. Use only the listed tools and their argument schemas."


def run_calls(calls: Sequence[CheckedCall], source: SourceConfig, run: Run) -> tuple[list[ContextBlock], list[str]]:
    """Run checked calls; the blocks they give, and the errors the servers returned."""
    blocks: list[ContextBlock] = []
    errors: list[str] = []
    for call in calls:
        result = run.catalog.call_tool(call.tool.name, call.arguments)
        text = unfence(result.text) if result.text else json.dumps(result.structured, ensure_ascii=False)
        if result.is_error:
            errors.append(f"{call.tool.name} failed: {text[:500]}")
            continue
        text = maybe_json_lines(text)
        limit = run.settings.max_block_chars
        if len(text) > limit:
            text = text[:limit] + f"\n[cut at {limit} characters]"
        blocks.append(ContextBlock(text=text, citation=Citation(
            source=source.name, kind=source.kind, tool=call.tool.remote_name, arguments=call.arguments)))
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


class ToolsKind(SourceKind):
    """One tool-calling step, retried once with the validation or server error."""

    answers_with_tools = True

    def profile(self, source: SourceConfig, catalog: Catalog) -> list[str]:
        return [f"{t.remote_name}: {t.description.split('. ')[0][:200]}" for t in catalog.tools(source.name)]

    def gather(self, question: str, source: SourceConfig, run: Run) -> list[ContextBlock]:
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


class ApiKind(ToolsKind):
    """An HTTP API served by ``python -m servers all``, one tool per operation.

    Its answer call gets no tools. Offered them, a 1.5B model answered every ticket
    question "not found" with the ticket's JSON in its context, and each such call was
    several times slower; without them it reads the JSON (docs/benchmarks.md).
    """

    name = ApiSource.kind
    answers_with_tools = False


class McpKind(ToolsKind):
    """Somebody else's MCP server, reached directly by command (stdio) or URL (HTTP)."""

    name = McpServerSource.kind

    def server_spec(self, source: SourceConfig, env: Mapping[str, str]) -> ServerSpec:
        assert isinstance(source, McpServerSource)
        if source.command is not None:
            return ServerSpec.command(source.command, source=source.name, env={**env, **source.env},
                                      label=f"{source.name} ({' '.join(source.command)})")
        token = None
        if source.token_env:
            token = env.get(source.token_env)
            if not token:
                raise SourceError(f"MCP server '{source.name}' needs the environment variable {source.token_env}; "
                                  "set it and try again.")
        assert source.url is not None
        return ServerSpec.url(source.url, source=source.name, token=token)
