"""The operations of an OpenAPI document, as typed objects with their ``$ref``s followed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from connectors.rest.errors import RestSpecError
from connectors.rest.refs import RefResolver
from connectors.rest.spec import OpenApiSpec, SpecLimits

__all__ = ["HTTP_METHODS", "Operation", "Parameter", "RequestBody", "list_operations"]

HTTP_METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
"""Methods that can become tools (TRACE never does)."""

Location = Literal["path", "query", "header", "cookie"]
_LOCATIONS = ("path", "query", "header", "cookie")
_TEMPLATE = re.compile(r"\{([^{}/]+)\}")
_ALLOW_RESERVED = "x-ragbox-allow-reserved"
"""OpenAPI 3.0/3.1 define ``allowReserved`` for query parameters only, so path ones opt in with this."""


@dataclass(frozen=True, kw_only=True)
class Parameter:
    """A path, query, header or cookie parameter; ``schema`` is still in the spec's dialect.

    ``allow_reserved`` comes from ``x-ragbox-allow-reserved`` or, without it, ``allowReserved``;
    only path parameters use it (see ``connectors.rest.urls``), query values are always encoded.
    """

    name: str
    location: Location
    required: bool
    description: str
    schema: Any
    style: str
    explode: bool
    allow_reserved: bool = False


@dataclass(frozen=True, kw_only=True)
class RequestBody:
    """The request body an operation takes; ``json`` is False for types we cannot send."""

    required: bool
    description: str
    content_type: str
    schema: Any
    json: bool


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One method on one path."""

    method: str
    path: str
    operation_id: str | None
    summary: str
    description: str
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    body: RequestBody | None
    deprecated: bool

    @property
    def where(self) -> str:
        """How messages name the operation."""
        return f"{self.method} {self.path}" + (f" ({self.operation_id})" if self.operation_id else "")


def list_operations(spec: OpenApiSpec, resolver: RefResolver, *, limits: SpecLimits = SpecLimits()) -> list[Operation]:
    """Every operation in ``spec``, in document order."""
    operations: list[Operation] = []
    for path, raw_item in spec.document["paths"].items():
        if not isinstance(path, str) or not path.startswith("/"):
            raise RestSpecError(f"{spec.source}: the path {path!r} does not start with '/'.")
        item = resolver.deref(raw_item, where=f"paths.{path}")
        if not isinstance(item, Mapping):
            raise RestSpecError(f"{spec.source}: paths.{path} is not a mapping.")
        shared = _parameters(item.get("parameters"), resolver, spec.source, where=f"paths.{path}")
        for key, raw_op in item.items():
            method = str(key).upper()
            if method not in HTTP_METHODS:
                continue
            where = f"{method} {path}"
            if not isinstance(raw_op, Mapping):
                raise RestSpecError(f"{spec.source}: {where} is not a mapping.")
            own = _parameters(raw_op.get("parameters"), resolver, spec.source, where=where)
            merged = {(p.name, p.location): p for p in (*shared, *own)}  # the operation's own win
            params = _with_template_params(path, list(merged.values()))
            operations.append(
                Operation(
                    method=method,
                    path=path,
                    operation_id=_text(raw_op.get("operationId")) or None,
                    summary=_text(raw_op.get("summary")) or _text(item.get("summary")),
                    description=_text(raw_op.get("description")) or _text(item.get("description")),
                    tags=tuple(str(t) for t in raw_op.get("tags") or () if isinstance(t, str | int)),
                    parameters=tuple(params),
                    body=_body(raw_op.get("requestBody"), resolver, spec.source, where),
                    deprecated=raw_op.get("deprecated") is True,
                )
            )
            if len(operations) > limits.max_operations:
                raise RestSpecError(
                    f"{spec.source} has more than {limits.max_operations:,} operations; split it into several "
                    "[[apis]] entries or trim it to the operations you need."
                )
    return operations


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _parameters(raw: Any, resolver: RefResolver, source: str, *, where: str) -> list[Parameter]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RestSpecError(f"{source}: 'parameters' of {where} is not a list.")
    out = []
    for i, entry in enumerate(raw):
        p = resolver.deref(entry, where=f"{where} parameters[{i}]")
        if not isinstance(p, Mapping) or not isinstance(p.get("name"), str) or p.get("in") not in _LOCATIONS:
            raise RestSpecError(f"{source}: parameter {i} of {where} needs a 'name' and an 'in' of {_LOCATIONS}.")
        schema = p.get("schema")
        if schema is None and isinstance(p.get("content"), Mapping) and p["content"]:
            schema = next(iter(p["content"].values()), {}).get("schema")
        location = p["in"]
        style = p.get("style") or ("simple" if location in ("path", "header") else "form")
        out.append(
            Parameter(
                name=p["name"],
                location=location,
                required=bool(p.get("required")) or location == "path",
                description=_text(p.get("description")),
                schema=schema if schema is not None else {"type": "string"},
                style=str(style),
                explode=bool(p.get("explode", style == "form")),
                allow_reserved=p.get(_ALLOW_RESERVED, p.get("allowReserved")) is True,
            )
        )
    return out


def _with_template_params(path: str, params: list[Parameter]) -> list[Parameter]:
    """Path parameters exactly as the template names them; undeclared ones become strings."""
    names = _TEMPLATE.findall(path)
    declared = {p.name for p in params if p.location == "path"}
    kept = [p for p in params if p.location != "path" or p.name in names]
    kept += [
        Parameter(name=n, location="path", required=True, description="", schema={"type": "string"},
                  style="simple", explode=False)
        for n in names if n not in declared
    ]
    return kept


def _body(raw: Any, resolver: RefResolver, source: str, where: str) -> RequestBody | None:
    if raw is None:
        return None
    body = resolver.deref(raw, where=f"{where} requestBody")
    content = body.get("content") if isinstance(body, Mapping) else None
    if not isinstance(content, Mapping) or not content:
        return None
    chosen = next((t for t in content if _is_json(str(t))), None)
    json = chosen is not None
    chosen = chosen if chosen is not None else next(iter(content))
    media = content[chosen] if isinstance(content[chosen], Mapping) else {}
    return RequestBody(
        required=body.get("required") is True,
        description=_text(body.get("description")),
        content_type="application/json" if json and "*" in str(chosen) else str(chosen),
        schema=media.get("schema", {}),
        json=json,
    )


def _is_json(content_type: str) -> bool:
    main = content_type.split(";")[0].strip().lower()
    return main in ("application/json", "*/*", "application/*") or main.endswith("+json")
