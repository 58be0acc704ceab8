"""An embedded LLM: a GGUF model run in this process by ``llama-cpp-python`` (``ragbox[local]``).

In process rather than a managed ``llama_cpp.server`` child: the same library does the
same work either way, and in process there is no second process to start, no port, no
HTTP per call, and the prompt cache below is ours to keep (``benchmarks/llm_backends.py``
measures both).

- The prompt is the model's own chat template (from the GGUF), tokenized here, so the
  token counts and the prompt-cache hits are exact.
- JSON schemas become llama.cpp grammars: the reply cannot leave the schema.
- Tools go through the same grammar: the reply is ``{"tool": …, "arguments": …}`` or
  ``{"answer": …}``. Small models call tools more reliably that way than through
  native tool tokens.
- One model is loaded once per process and shared by the main and router models. Its KV
  cache keeps the last prompt, and a RAM cache keeps the states of earlier ones, so a
  call whose prefix (system prompt, schema, few-shots) was seen before in this command
  skips reading it again.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from agent.errors import LLMFailed, LLMUnavailable
from agent.llm.base import ChatMessage, ChatModel, ChatReply, TokenSink, ToolCall, ToolSpec
from agent.models import ModelError, ModelFile, model_dirs, resolve_model

__all__ = ["LlamaCppChat", "LoadedModel", "loaded_models", "memory_available"]

INSTALL_HINT = (
    "The embedded LLM needs llama-cpp-python: run `pip install 'ragbox[local]'` (it builds llama.cpp "
    "from source, about 5 minutes on 2 cores), or `make demo`, which does it for you. "
    "Or set [llm] provider to ollama or openai."
)
RAM_CACHE_BYTES = 3 << 29  # 1.5 GiB: three or four prompts' states


def memory_available() -> int:
    """Bytes this process may still allocate: MemAvailable, capped by a cgroup limit."""
    available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if limit != "max":
            available = min(available, int(limit) - used)
    except (OSError, ValueError):
        pass
    return available


def memory_needed(path: Path, n_ctx: int) -> int:
    """A generous estimate: the weights, KV cache and buffers for ``n_ctx`` tokens, the RAM cache."""
    return path.stat().st_size + n_ctx * 128 * 1024 + (256 << 20) + RAM_CACHE_BYTES


def _prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class LoadedModel:
    """One ``Llama`` with its chat template and its counters; calls are serialised."""

    def __init__(self, file: ModelFile, *, n_ctx: int, threads: int) -> None:
        try:
            import llama_cpp
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError:
            raise LLMUnavailable(INSTALL_HINT) from None
        need, have = memory_needed(file.path, n_ctx), memory_available()
        if need > have:
            raise ModelError(
                f"{file.path} needs about {need / 2**30:.1f} GiB of memory and {have / 2**30:.1f} GiB is "
                "free: close other programs, lower [llm] num_ctx, or use a smaller model "
                "(`python -m agent models list`)."
            )
        self.file = file
        self.lock = threading.Lock()
        started = time.perf_counter()
        try:
            self.llama = llama_cpp.Llama(
                model_path=str(file.path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(
                f"llama.cpp could not load {file.path} ({exc}): the file is damaged or of a kind this "
                "llama-cpp-python does not know. Pull it again, or use another model."
            ) from exc
        self.load_s = time.perf_counter() - started
        self.llama.set_cache(_ram_cache(llama_cpp.LlamaRAMCache)(capacity_bytes=RAM_CACHE_BYTES))
        template = self.llama.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(f"{file.path} has no chat template in its metadata; ragbox needs an instruct model.")
        vocab = self.llama._model  # the token texts the template needs come from the vocabulary
        eos, bos = self.llama.token_eos(), self.llama.token_bos()
        self.formatter = Jinja2ChatFormatter(
            template=template, eos_token=vocab.token_get_text(eos) if eos != -1 else "",
            bos_token=vocab.token_get_text(bos) if bos != -1 else "", stop_token_ids=[eos],
        )
        self.n_ctx = n_ctx
        self.prompt_tokens = 0
        self.cached_tokens = 0

    def tokens(self, messages: Sequence[dict[str, str]]) -> tuple[list[int], list[str]]:
        """The prompt as token ids, and the template's stop strings."""
        result = self.formatter(messages=list(messages))
        prompt = self.llama.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)
        stop = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
        return prompt, stop

    def reusable(self, prompt: list[int]) -> int:
        """How many leading prompt tokens the KV cache or the RAM cache already holds."""
        best = _prefix(self.llama.input_ids[: self.llama.n_tokens].tolist(), prompt)
        cache = self.llama.cache
        if cache is not None:
            try:
                best = max(best, _prefix(cache[prompt].input_ids.tolist(), prompt))
            except KeyError:
                pass
        return min(best, len(prompt) - 1)  # the last prompt token is always read again


def _ram_cache(base: type) -> type:
    """``LlamaRAMCache`` that counts what its states really hold.

    The stock one counts only the llama.cpp state; each state also keeps a copy of the
    logits buffer (n_batch × n_vocab floats, about 300 MB for Qwen2.5), so its capacity
    was exceeded several times over (6.5 GiB peak for eight questions).
    """

    class RAMCache(base):  # type: ignore[misc, valid-type]
        @property
        def cache_size(self) -> int:
            return sum(s.llama_state_size + s.scores.nbytes + s.input_ids.nbytes for s in self.cache_state.values())

    return RAMCache


_LOADED: dict[tuple[Path, int, int], LoadedModel] = {}
_LOADING = threading.Lock()


def loaded_models() -> list[LoadedModel]:
    return list(_LOADED.values())


def _tool_schema(tools: Sequence[ToolSpec]) -> dict[str, Any]:
    return {"anyOf": [
        {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]},
        {"type": "object", "properties": {"tool": {"enum": [t.name for t in tools]}, "arguments": {"type": "object"}},
         "required": ["tool", "arguments"]},
    ]}


def _tool_prompt(tools: Sequence[ToolSpec]) -> str:
    lines = ["You may call one of these tools. Reply with JSON only: "
             '{"tool": NAME, "arguments": {...}} to call one, or {"answer": TEXT} to answer.']
    for t in tools:
        lines.append(f"- {t.name}: {t.description.strip()} Arguments (JSON schema): "
                     f"{json.dumps(t.parameters, ensure_ascii=False)}")
    return "\n".join(lines)


@dataclass(kw_only=True)
class LlamaCppChat(ChatModel):
    """The ``llamacpp`` provider: ``[llm] model`` is a registry name or a ``.gguf`` path."""

    provider: ClassVar[str] = "llamacpp"

    @property
    def host(self) -> str:
        return "embedded"

    def describe(self) -> str:
        return f"llamacpp {self.model} (embedded, in this process)"

    def model_file(self) -> ModelFile:
        return resolve_model(self.model, model_dirs(self.config.models_dir))

    def warm(self) -> None:
        self.load()

    def load(self) -> LoadedModel:
        """The loaded model, shared by every backend object of this process that names it."""
        try:  # say what is missing before looking for a model
            importlib.import_module("llama_cpp")
        except ImportError:
            raise LLMUnavailable(INSTALL_HINT) from None
        file = self.model_file()
        n_ctx = self.config.num_ctx or (file.spec.n_ctx if file.spec else 4096)
        threads = self.config.threads or os.cpu_count() or 1
        key = (file.path.resolve(), n_ctx, threads)
        with _LOADING:
            if key not in _LOADED:
                _LOADED[key] = LoadedModel(file, n_ctx=n_ctx, threads=threads)
            return _LOADED[key]

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        schema: dict[str, Any] | None = None,
        tools: Sequence[ToolSpec] = (),
        on_token: TokenSink | None = None,
    ) -> ChatReply:
        loaded = self.load()
        from llama_cpp.llama_grammar import LlamaGrammar  # importable once load() succeeded

        turns = [{"role": m.role, "content": m.content} for m in messages]
        if tools:
            schema = _tool_schema(tools)
            note = _tool_prompt(tools)
            if turns and turns[0]["role"] == "system":
                turns[0] = {"role": "system", "content": turns[0]["content"] + "\n\n" + note}
            else:
                turns.insert(0, {"role": "system", "content": note})
        with loaded.lock:
            prompt, stop = loaded.tokens(turns)
            if len(prompt) >= loaded.n_ctx - 16:
                raise LLMFailed(
                    f"The prompt is {len(prompt)} tokens and the model's context is {loaded.n_ctx}: "
                    "raise [llm] num_ctx, or lower the rows and passages the agent shows (settings)."
                )
            cached = loaded.reusable(prompt)
            grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False) if schema else None
            stream = on_token is not None and not tools
            try:
                result = loaded.llama.create_completion(
                    prompt, stop=stop, stream=stream, max_tokens=None, grammar=grammar,
                    temperature=self.config.temperature, repeat_penalty=1.1, **self.options,
                )
                if stream:
                    pieces = []
                    for chunk in result:
                        piece = chunk["choices"][0]["text"]
                        if piece:
                            pieces.append(piece)
                            on_token(piece)
                    text = "".join(pieces)
                else:
                    text = result["choices"][0]["text"]
            except (ValueError, RuntimeError) as exc:
                raise LLMFailed(f"llama.cpp failed on {loaded.file.name}: {exc}") from exc
            output_tokens = max(loaded.llama.n_tokens - len(prompt), 0)
            loaded.prompt_tokens += len(prompt)
            loaded.cached_tokens += cached
        reply = ChatReply(text=text, prompt_tokens=len(prompt), output_tokens=output_tokens,
                          cached_tokens=cached, model=loaded.file.name)
        return _tool_reply(reply, on_token) if tools else reply


def _tool_reply(reply: ChatReply, on_token: TokenSink | None) -> ChatReply:
    """``{"tool": …}`` becomes a tool call, ``{"answer": …}`` the reply's text."""
    try:
        value = json.loads(reply.text)
    except json.JSONDecodeError:
        return reply
    if isinstance(value, dict) and isinstance(value.get("tool"), str):
        arguments = value.get("arguments")
        call = ToolCall(name=value["tool"], arguments=arguments if isinstance(arguments, dict) else str(arguments))
        return ChatReply(text="", tool_calls=(call,), prompt_tokens=reply.prompt_tokens,
                         output_tokens=reply.output_tokens, cached_tokens=reply.cached_tokens, model=reply.model)
    text = value.get("answer", "") if isinstance(value, dict) else reply.text
    if on_token is not None and text:
        on_token(text)
    return ChatReply(text=str(text), prompt_tokens=reply.prompt_tokens, output_tokens=reply.output_tokens,
                     cached_tokens=reply.cached_tokens, model=reply.model)
