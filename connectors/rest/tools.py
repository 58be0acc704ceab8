"""OpenAPI operations turned into tool specs: names, input schemas, hints and the allow-list.

A tool is named ``<api>_<operationId>``; without an operationId the name comes
from the method and path (``GET /pets/{id}`` -> ``get_pets_by_id``). Names and
argument names keep to ``[A-Za-z0-9_-]`` and 64 characters, which every MCP
client accepts. Clashes are settled the same way on every run: names that are
unique keep their plain form, and clashing ones are numbered in (path, method)
order. Operations outside the allow-list are dropped before anything else
happens, so they can never be listed or called.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import ConfigError
from connectors.names import qualify
from connectors.rest.errors import RestSpecError
from connectors.rest.operations import HTTP_METHODS, Operation, Parameter, list_operations
from connectors.rest.refs import RefResolver, SchemaConverter
from connectors.rest.spec import OpenApiSpec, SpecLimits

__all__ = [
    "AllowList",
    "ArgBinding",
    "BodyBinding",
    "ToolHints",
    "ToolSpec",
    "build_tools",
    "hints_for",
    "sanitize_name",
]

MAX_NAME = 64
MAX_DESCRIPTION = 700
_UNSAFE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "host", "content-length", "content-type", "accept",
     "transfer-encoding", "connection", "keep-alive", "te", "trailer", "upgrade", "expect"}
)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


@dataclass(frozen=True, kw_only=True)
class AllowList:
    """Which operations may become tools: by method, then include/exclude by operationId or tag."""

    methods: frozenset[str] = frozenset({"GET"})
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = sorted(m for m in self.methods if m not in HTTP_METHODS)
        if unknown:
            raise ConfigError(f"Unknown HTTP method(s) {', '.join(unknown)}; use some of {', '.join(HTTP_METHODS)}.")

    def allows(self, op: Operation) -> bool:
        keys = {*op.tags, *([op.operation_id] if op.operation_id else [])}
        if op.method not in self.methods:
            return False
        if self.include and not keys & self.include:
            return False
        return not keys & self.exclude


@dataclass(frozen=True, kw_only=True)
class ToolHints:
    """What the method promises, as MCP tool annotations will say it."""

    read_only: bool
    destructive: bool
    idempotent: bool


def hints_for(method: str) -> ToolHints:
    """GET/HEAD/OPTIONS read; PUT/DELETE (and PATCH) may overwrite; PUT/DELETE/GET are idempotent."""
    method = method.upper()
    reads = method in ("GET", "HEAD", "OPTIONS")
    return ToolHints(
        read_only=reads,
        destructive=method in ("PUT", "DELETE", "PATCH"),
        idempotent=method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE"),
    )


@dataclass(frozen=True, kw_only=True)
class ArgBinding:
    """Where one tool argument goes in the HTTP request; ``allow_reserved`` lets a path value hold ``/``."""

    argument: str
    name: str
    location: str
    required: bool
    style: str
    explode: bool
    allow_reserved: bool = False


@dataclass(frozen=True, kw_only=True)
class BodyBinding:
    """The tool argument that becomes the JSON request body."""

    argument: str
    content_type: str
    required: bool


@dataclass(frozen=True, kw_only=True)
class ToolSpec:
    """One operation as a tool. ``input_schema`` is a JSON Schema 2020-12 object schema."""

    name: str
    api: str
    operation_id: str | None
    method: str
    path: str
    title: str
    description: str
    input_schema: Mapping[str, Any]
    params: tuple[ArgBinding, ...]
    body: BodyBinding | None
    hints: ToolHints
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Toolset:
    """The tools of one API, and the allowed operations that could not become tools (with why)."""

    tools: tuple[ToolSpec, ...]
    skipped: tuple[tuple[str, str], ...] = field(default=())


def sanitize_name(text: str, *, limit: int = MAX_NAME) -> str:
    """``text`` in ``[A-Za-z0-9_-]``, at most ``limit`` long; long names keep a hash so they stay unique."""
    clean = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "x"
    if len(clean) <= limit:
        return clean
    digest = hashlib.sha1(clean.encode()).hexdigest()[:8]
    return f"{clean[: limit - 9].rstrip('_')}_{digest}"


def _derived_name(op: Operation) -> str:
    parts = [op.method.lower()]
    for segment in op.path.strip("/").split("/"):
        if not segment:
            continue
        m = re.fullmatch(r"\{(.+)\}", segment)
        parts.append(f"by_{m.group(1)}" if m else segment)
    return "_".join(parts)


def _assign_names(api: str, ops: Sequence[Operation]) -> list[str]:
    bases = [sanitize_name(qualify(api, op.operation_id or _derived_name(op))) for op in ops]
    counts = Counter(bases)
    names: list[str | None] = [b if counts[b] == 1 else None for b in bases]
    used = {n for n in names if n}
    clashing = sorted((i for i, n in enumerate(names) if n is None), key=lambda i: (ops[i].path, ops[i].method))
    for i in clashing:
        candidate, n = bases[i], 2
        while candidate in used:
            candidate = sanitize_name(f"{bases[i]}_{n}")
            n += 1
        names[i] = candidate
        used.add(candidate)
    return [n for n in names if n]


def _shorten(text: str, limit: int) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # markdown links -> their text
    text = re.sub(r"[`*_#>|]+", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    sentence = cut.rfind(". ")
    cut = cut[: sentence + 1] if sentence > limit // 2 else cut[: cut.rfind(" ")] + " …"
    return cut


def _description(api: str, op: Operation) -> str:
    words = op.summary
    if op.description and op.description.lower().rstrip(".") != op.summary.lower().rstrip("."):
        words = f"{words.rstrip('.')}. {op.description}" if words else op.description
    text = _shorten(words, MAX_DESCRIPTION) or f"{op.method} {op.path}"
    hints = hints_for(op.method)
    effect = "Reads data" if hints.read_only else "WRITES data"
    return f"{text} ({effect} via {op.method} {op.path} on the '{api}' API.)"


def build_tools(
    spec: OpenApiSpec,
    *,
    api: str,
    allow: AllowList = AllowList(),
    reserved_headers: Iterable[str] = (),
    reserved_query: Iterable[str] = (),
    limits: SpecLimits = SpecLimits(),
) -> Toolset:
    """The tools for the operations of ``spec`` that ``allow`` lets through.

    ``reserved_headers`` and ``reserved_query`` are names the client sets itself
    (auth, static headers); spec parameters with those names are not exposed.
    """
    resolver = RefResolver(spec.document, source=spec.source)
    operations = list_operations(spec, resolver, limits=limits)
    _check_allow_entries(spec, operations, allow)
    allowed = [op for op in operations if allow.allows(op)]
    if not allowed:
        raise RestSpecError(
            f"No operation of the '{api}' API ({spec.source}) passes its allow-list "
            f"(methods {sorted(allow.methods)}, include {sorted(allow.include)}, exclude {sorted(allow.exclude)}); "
            "widen 'methods' or 'include', or check the spec."
        )
    converter = SchemaConverter(resolver, openapi_31=spec.is_31, max_nodes=limits.max_schema_nodes)
    headers_taken = {h.lower() for h in reserved_headers} | _UNSAFE_HEADERS
    query_taken = set(reserved_query)
    tools, skipped = [], []
    for op, name in zip(allowed, _assign_names(api, allowed), strict=True):
        try:
            tools.append(_tool(api, name, op, converter, headers_taken, query_taken))
        except _Skip as why:
            skipped.append((name, str(why)))
    return Toolset(tools=tuple(tools), skipped=tuple(skipped))


class _Skip(Exception):
    """An allowed operation that cannot be offered as a tool."""


def _check_allow_entries(spec: OpenApiSpec, operations: Sequence[Operation], allow: AllowList) -> None:
    known = {key for op in operations for key in (*op.tags, op.operation_id) if key}
    for kind, entries in (("include", allow.include), ("exclude", allow.exclude)):
        missing = sorted(entries - known)
        if missing:
            raise ConfigError(
                f"'{kind}' names {', '.join(repr(m) for m in missing)}, which is no operationId or tag in "
                f"{spec.source}; fix the spelling (a silent miss would {'hide' if kind == 'include' else 'expose'} "
                "operations)."
            )


def _tool(
    api: str, name: str, op: Operation, converter: SchemaConverter, headers_taken: set[str], query_taken: set[str]
) -> ToolSpec:
    run = converter.start(where=op.where)
    properties: dict[str, Any] = {}
    required: list[str] = []
    bindings: list[ArgBinding] = []
    body, body_schema = None, None
    if op.body is not None and op.body.json:
        body = BodyBinding(argument="body", content_type=op.body.content_type, required=op.body.required)
        schema = run.convert(op.body.schema, what="request body", writing=True)
        body_schema = _described(schema, op.body.description or "The JSON request body.")
    elif op.body is not None and op.body.required:
        raise _Skip(f"its request body is {op.body.content_type}; only JSON bodies are supported")

    taken = {"body"} if body else set()
    order = {"path": 0, "query": 1, "header": 2, "cookie": 3}
    for p in sorted(op.parameters, key=lambda p: order[p.location]):  # stable: keeps declared order within a kind
        if not _exposable(p, headers_taken, query_taken):
            if p.required:
                raise _Skip(f"its required {p.location} parameter '{p.name}' cannot be sent by this server")
            continue
        argument = _argument_name(p, taken)
        taken.add(argument)
        schema = run.convert(p.schema, what=f"parameter '{p.name}'")
        properties[argument] = _described(schema, p.description)
        if p.required:
            required.append(argument)
        bindings.append(ArgBinding(argument=argument, name=p.name, location=p.location, required=p.required,
                                   style=p.style, explode=p.explode, allow_reserved=p.allow_reserved))
    if body is not None:
        properties["body"] = body_schema
        if body.required:
            required.append("body")

    input_schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        input_schema["required"] = required
    defs = run.defs()
    if defs:
        input_schema["$defs"] = defs
    return ToolSpec(
        name=name,
        api=api,
        operation_id=op.operation_id,
        method=op.method,
        path=op.path,
        title=_shorten(op.summary, 100) or f"{op.method} {op.path}",
        description=_description(api, op),
        input_schema=input_schema,
        params=tuple(bindings),
        body=body,
        hints=hints_for(op.method),
        tags=op.tags,
    )


def _exposable(p: Parameter, headers_taken: set[str], query_taken: set[str]) -> bool:
    if p.location == "cookie":
        return False
    if p.location == "header":
        return p.name.lower() not in headers_taken and bool(_HEADER_NAME.match(p.name))
    if p.location == "query":
        return p.name not in query_taken
    return True


def _argument_name(p: Parameter, taken: set[str]) -> str:
    base = sanitize_name(p.name)
    candidate = base if base not in taken else sanitize_name(f"{base}_{p.location}")
    n = 2
    while candidate in taken:
        candidate = sanitize_name(f"{base}_{p.location}_{n}")
        n += 1
    return candidate


def _described(schema: Any, description: str) -> Any:
    if not description or not isinstance(schema, dict) or schema.get("description"):
        return schema
    return {**schema, "description": _shorten(description, 300)}
