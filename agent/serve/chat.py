"""The OpenAI chat-completions API as ``agent serve`` speaks it: requests in, answers out.

Only what a chat front-end sends is read: ``model``, ``messages`` and ``stream`` (plus
``stream_options``); sampling fields such as ``temperature`` are accepted and ignored,
since the agent picks its own. The last message is the question; earlier user and
assistant turns become the chat's history, for follow-ups.

An answer is the model's text, then a Sources list (``[n] label``), so that any client
shows where it came from. The same citations, the route and the trace are in a
``ragbox`` field that clients are free to ignore.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.answer import Answer, Turn

__all__ = [
    "MODEL",
    "ChatRequest",
    "RequestError",
    "answer_body",
    "chunk",
    "error_body",
    "history_of",
    "parse_request",
    "ragbox_field",
    "route_of",
    "sources_text",
    "usage",
]

MODEL = "ragbox"
SOURCES_HEADING = "\n\nSources:\n"


class RequestError(Exception):
    """A request the API refuses: the HTTP status, OpenAI's error type and code, and what to do."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.type, self.code, self.param = status, type, code, param


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[_Part] | None = None

    def text(self) -> str:
        """The message's text; of a list of parts, the text parts joined."""
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None


def parse_request(body: Any, *, max_chars: int, max_messages: int) -> ChatRequest:
    """The request in ``body`` (parsed JSON), or a :class:`RequestError` that says what is wrong."""
    if not isinstance(body, dict):
        raise RequestError(400, "The body must be a JSON object with 'model' and 'messages'.")
    try:
        request = ChatRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise RequestError(400, f"Invalid request at '{where}': {first['msg']}.", param=where) from None
    if len(request.messages) > max_messages:
        raise RequestError(400, f"{len(request.messages)} messages; at most {max_messages} are read. "
                                "Start a new chat.", param="messages")
    last = request.messages[-1]
    if last.role != "user":
        raise RequestError(400, "The last message must be the user's question.", param="messages")
    question = last.text().strip()
    if not question:
        raise RequestError(400, "The question is empty; write what you want to know.", param="messages")
    if len(question) > max_chars:
        raise RequestError(400, f"The question is {len(question):,} characters; the limit is {max_chars:,}. "
                                "Ask a shorter question.", param="messages", code="message_too_long")
    return request


def route_of(model: str, sources: list[str]) -> str | None:
    """The source a model name forces (``ragbox:<source>``), None for ``ragbox``; else a 404."""
    if model == MODEL:
        return None
    name = model.removeprefix(f"{MODEL}:")
    if model.startswith(f"{MODEL}:") and name in sources:
        return name
    raise RequestError(404, f"The model '{model}' does not exist; use one of: "
                            f"{', '.join([MODEL, *(f'{MODEL}:{s}' for s in sources)])}.",
                       code="model_not_found", param="model")


def history_of(request: ChatRequest) -> list[Turn]:
    """Earlier (question, answer) pairs of the chat, each answer without its Sources list."""
    turns: list[Turn] = []
    question: str | None = None
    for message in request.messages[:-1]:
        if message.role == "user":
            question = message.text()
        elif message.role == "assistant" and question is not None:
            turns.append(Turn(question=question, answer=message.text().split(SOURCES_HEADING, 1)[0]))
            question = None
    return turns


def sources_text(answer: Answer) -> str:
    """The Sources list that follows the answer's text (empty when it cites nothing)."""
    if not answer.citations:
        return ""
    return SOURCES_HEADING + "\n".join(f"[{n}] {c.label()}" for n, c in answer.citations)


def _link(citation: dict[str, Any]) -> str | None:
    """Where the chat page can show a cited document: ``/documents/<source>/<path>``."""
    if citation.get("kind") != "documents" or not citation.get("path"):
        return None
    url = f"/documents/{quote(citation['source'], safe='')}/{quote(citation['path'])}"
    return url + (f"#page={citation['page']}" if citation.get("page") else "")


def ragbox_field(answer: Answer) -> dict[str, Any]:
    """The structured extras: the bare answer, citations (with links), route and trace."""
    data = answer.to_dict()
    for citation in data["citations"]:
        if (link := _link(citation)) is not None:
            citation["url"] = link
    return data


def usage(answer: Answer) -> dict[str, int]:
    """The LLM tokens the agent spent on the answer, all calls together."""
    prompt, output = answer.trace.prompt_tokens, answer.trace.output_tokens
    return {"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output}


@dataclass(frozen=True)
class Completion:
    """The id, model and time that every chunk of one answer repeats."""

    model: str
    id: str = ""
    created: int = 0

    @classmethod
    def new(cls, model: str) -> Completion:
        return cls(model=model, id=f"chatcmpl-{uuid.uuid4().hex}", created=int(time.time()))


def answer_body(completion: Completion, answer: Answer) -> dict[str, Any]:
    """A whole ``chat.completion`` for a request that did not stream."""
    return {
        "id": completion.id, "object": "chat.completion", "created": completion.created,
        "model": completion.model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": answer.text + sources_text(answer)}}],
        "usage": usage(answer),
        "ragbox": ragbox_field(answer),
    }


def chunk(completion: Completion, delta: dict[str, Any], *, finish: str | None = None,
          **extra: Any) -> dict[str, Any]:
    """One ``chat.completion.chunk`` of a stream."""
    return {
        "id": completion.id, "object": "chat.completion.chunk", "created": completion.created,
        "model": completion.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


def error_body(message: str, *, type: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error shape, which its SDKs turn into an exception with this message."""
    return {"error": {"message": message, "type": type, "code": code, "param": param}}
