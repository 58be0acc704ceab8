"""The agent: route a question, act with the route's strategy, answer with citations."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field

from agent.answer import NOT_FOUND, Answer, Turn, answer_messages, citations_for, cite
from agent.catalog import Catalog
from agent.context import ContextBlock
from agent.errors import AgentError
from agent.examples import ExampleStore
from agent.kinds import kind_of
from agent.kinds.tool_calls import tool_specs
from agent.kinds.tools import check_calls, run_calls
from agent.llm import ChatModel, TokenSink, choose_llm, get_chat_model
from agent.mcp_hub import McpHub, ServerSpec
from agent.routing import Route, route_question
from agent.run import Run
from agent.settings import AgentSettings
from agent.trace import Trace
from agent.vectors import VectorCache
from connectors.config import Config, SourceConfig
from connectors.embeddings import Embedder, get_embedder
from connectors.errors import ConnectorError

__all__ = ["Agent", "down_message"]


def down_message(down: Mapping[str, str]) -> str:
    """The answer when every source the question needs is down: which, and why."""
    return f"I cannot answer this now: {_which_down(down)}. Ask again once it is fixed."


def _which_down(down: Mapping[str, str]) -> str:
    return "; ".join(f"the {name} source is unavailable ({why.rstrip('.')})" for name, why in down.items())


@dataclass
class Agent:
    """Sessions to the MCP servers and the LLM, for one command; use as a context manager.

    ``specs`` says which MCP servers to open (see :func:`agent.specs.default_specs`).
    """

    config: Config
    specs: Sequence[ServerSpec]
    settings: AgentSettings = field(default_factory=AgentSettings)
    env: Mapping[str, str] = field(default_factory=dict)
    embedder: Embedder | None = None
    sources: list[SourceConfig] = field(init=False)
    _stack: ExitStack | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.sources = self.config.sources()
        llm, self.llm_choice = choose_llm(self.config.llm)  # auto: Ollama when it answers, else embedded
        self.llm: ChatModel = get_chat_model(llm, env=self.env)
        self.router_llm: ChatModel = get_chat_model(llm, env=self.env, router=True)
        self.vectors = VectorCache(self._make_embedder, data_dir=self.config.data_dir)
        self.examples = ExampleStore(self.config.data_dir / "examples.db")

    def _make_embedder(self) -> Embedder:
        if self.embedder is not None:
            return self.embedder
        try:
            return get_embedder(self.config.embeddings)
        except ConnectorError as exc:
            raise AgentError(f"The router's embedder could not start: {exc}") from exc

    def __enter__(self) -> Agent:
        with ExitStack() as stack:
            self.hub = stack.enter_context(McpHub(self.specs))
            self.catalog = Catalog(self.hub, {s.name: s for s in self.sources})
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None
        self.examples.close()

    def ask(
        self,
        question: str,
        *,
        route: str | None = None,
        on_token: TokenSink | None = None,
        history: Sequence[Turn] = (),
        allowed: Collection[str] | None = None,
    ) -> Answer:
        """Answer ``question``; ``route`` forces a source, ``history`` holds earlier turns of a chat,
        ``allowed`` limits the sources to those a client may use (None: every source).

        Safe to call from several threads at once: each question has its own trace and run.
        """
        if self._stack is None:
            raise AgentError("Use the agent inside `with Agent(...) as agent:`.")
        sources = self.sources if allowed is None else [s for s in self.sources if s.name in allowed]
        if not sources:
            raise AgentError("This client may use none of the configured sources; ask the admin for access.")
        trace = Trace()
        self.catalog.trace = trace
        run = Run(llm=self.llm, router_llm=self.router_llm, catalog=self.catalog, vectors=self.vectors,
                  settings=self.settings, trace=trace, examples=self.examples)
        # A follow-up ("and last year?") means little alone: route and act on it with the last question.
        standalone = f"{question} (follow-up to: {history[-1].question})" if history else question
        with trace.timed("routing"):
            chosen = route_question(standalone, sources, run, forced=route)
        down = {name: why for name in chosen.sources if (why := self.catalog.down(name)) is not None}
        if down:
            trace.add("sources_down", sources=down)
            if len(down) == len(chosen.sources):
                text = down_message(down)
                if on_token is not None:
                    on_token(text)
                return Answer(text=text, citations=[], route=chosen, trace=trace, llm=self.llm.describe())
        blocks: list[ContextBlock] = []
        for name in (n for n in chosen.sources if n not in down):
            source = self.catalog.source(name)
            with trace.timed("act", source=name, kind=source.kind) as step:
                found = kind_of(source).gather(standalone, source, run)
                step.detail["blocks"] = len(found)
            blocks += found
        with trace.timed("answer"):
            text, blocks = self._answer(question, blocks, chosen, run, history, on_token)
        cited, attributed = cite(text, blocks)
        if attributed:
            trace.add("attributed", blocks=list(attributed))
        if down:  # a fan-out that lost one of its two sources: say so under the answer
            cited += f"\n(Not asked: {_which_down(down)}.)"
        if on_token is not None and cited != text:
            on_token(cited[len(text):])
        return Answer(text=cited, citations=citations_for(cited, blocks), route=chosen, trace=trace,
                      blocks=blocks, attributed=attributed, llm=self.llm.describe())

    def warm(self) -> None:
        """Load the router's embedder and the LLM now, not on the first question (``agent serve``)."""
        _ = self.vectors.embedder
        self.llm.warm()

    def down(self) -> dict[str, str]:
        """The sources that cannot be used now, with why."""
        return dict(self.hub.down)

    def _answer(
        self, question: str, blocks: list[ContextBlock], route: Route, run: Run,
        history: Sequence[Turn], on_token: TokenSink | None,
    ) -> tuple[str, list[ContextBlock]]:
        if not blocks:
            if on_token is not None:
                on_token(NOT_FOUND)
            return NOT_FOUND, blocks
        source = self.catalog.source(route.sources[0]) if len(route.sources) == 1 else None
        tools = self.catalog.tools(source.name) if source and kind_of(source).answers_with_tools else []
        steps_left = self.settings.max_tool_steps - 1 if tools else 0
        while True:
            offered = tool_specs(tools) if steps_left > 0 else []
            messages = answer_messages(question, blocks, history=history, tools=bool(offered))
            reply = run.chat("answer", messages, tools=offered, on_token=on_token)
            if not (offered and reply.tool_calls):
                return reply.text.strip() or NOT_FOUND, blocks
            steps_left -= 1
            assert source is not None
            checked, _ = check_calls(reply.tool_calls, tools, run)
            more, _ = run_calls(checked, source, run)
            if not more:
                steps_left = 0  # the extra call led nowhere: answer from what we have
            blocks = blocks + more
