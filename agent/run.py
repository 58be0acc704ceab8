"""Everything one question's work needs, and the one place LLM calls are metered."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent.catalog import Catalog
from agent.llm import ChatMessage, ChatModel, ChatReply, TokenSink, ToolSpec
from agent.settings import AgentSettings
from agent.trace import LLMCall, Trace
from agent.vectors import VectorCache

if TYPE_CHECKING:
    from agent.examples import ExampleStore

__all__ = ["Run"]


@dataclass(kw_only=True)
class Run:
    """The models, the catalog, the settings and the trace for one question."""

    llm: ChatModel
    router_llm: ChatModel
    catalog: Catalog
    vectors: VectorCache | None
    settings: AgentSettings
    trace: Trace
    examples: ExampleStore | None = None
    """Examples learned from confirmed answers, beside each database's ``sql_examples``."""

    def chat(
        self,
        purpose: str,
        messages: Sequence[ChatMessage],
        *,
        router: bool = False,
        schema: dict[str, Any] | None = None,
        tools: Sequence[ToolSpec] = (),
        on_token: TokenSink | None = None,
    ) -> ChatReply:
        """One LLM call, recorded in the trace with its purpose, tokens and time."""
        model = self.router_llm if router else self.llm
        start = time.perf_counter()
        reply = model.chat(messages, schema=schema, tools=tools, on_token=on_token)
        self.trace.llm_calls.append(LLMCall(
            purpose=purpose, model=model.model, prompt_tokens=reply.prompt_tokens,
            output_tokens=reply.output_tokens, ms=round((time.perf_counter() - start) * 1000, 2),
            cached_tokens=reply.cached_tokens,
        ))
        return reply
