"""Local ``$ref`` resolution, and OpenAPI schemas turned into self-contained JSON Schema 2020-12.

Only references inside the same document (``#/components/...``) are followed;
anything else is a start-up error that says to bundle the spec first. Schemas
are inlined so that an LLM reads them in one piece; a reference back to a schema
that is still being expanded (a cycle, such as a tree ``Node`` whose children
are ``Node``s) becomes a ``$ref`` into the tool schema's own ``$defs`` instead.
OpenAPI 3.0's dialect (``nullable``, boolean ``exclusiveMinimum``) is rewritten
into its 2020-12 equivalent, and keywords that only document (``xml``,
``example``, ``title`` …) are dropped to keep tool schemas short.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from connectors.rest.errors import RestSpecError

__all__ = ["RefResolver", "SchemaConverter"]


_DROP = frozenset(
    {"xml", "externalDocs", "discriminator", "example", "examples", "title", "$schema", "$id", "$comment",
     "$anchor", "$dynamicAnchor", "contentMediaType", "contentEncoding"}
)
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
               "unevaluatedProperties", "unevaluatedItems", "additionalItems")
_MAX_REF_HOPS = 32


class RefResolver:
    """Follows local JSON-pointer references in one document."""

    def __init__(self, document: Mapping[str, Any], *, source: str) -> None:
        self.document = document
        self.source = source

    def lookup(self, ref: Any, *, where: str) -> Any:
        """The node that ``ref`` (``#/a/b``) points to."""
        if not isinstance(ref, str):
            raise RestSpecError(f"{self.source}: a $ref at {where} is not a string.")
        if not ref.startswith("#"):
            raise RestSpecError(
                f"{self.source}: the $ref '{ref}' at {where} points outside the document; only local "
                "references (#/components/...) are followed. Bundle the spec into one file first "
                "(for example with `redocly bundle`)."
            )
        node: Any = self.document
        pointer = ref[1:]
        if pointer and not pointer.startswith("/"):
            raise RestSpecError(f"{self.source}: the $ref '{ref}' at {where} is not a JSON pointer.")
        for raw in pointer.split("/")[1:] if pointer else []:
            part = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise RestSpecError(f"{self.source}: the $ref '{ref}' at {where} points to nothing in the spec.")
        return node

    def deref(self, node: Any, *, where: str) -> Any:
        """``node`` with any chain of ``$ref``s followed (parameters, request bodies, path items)."""
        seen: list[str] = []
        while isinstance(node, Mapping) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen or len(seen) >= _MAX_REF_HOPS:
                raise RestSpecError(f"{self.source}: the $ref chain {' -> '.join([*seen, str(ref)])} at {where} loops.")
            seen.append(ref)
            node = self.lookup(ref, where=where)
        return node


class SchemaConverter:
    """Turns one OpenAPI schema into a self-contained JSON Schema 2020-12 document."""

    def __init__(self, resolver: RefResolver, *, openapi_31: bool, max_nodes: int) -> None:
        self.resolver = resolver
        self.openapi_31 = openapi_31
        self.max_nodes = max_nodes

    def start(self, *, where: str) -> _Run:
        """A conversion session for one tool: its schemas share one node budget and one ``$defs``."""
        return _Run(self, where=where)


class _Run:
    """The schemas of one tool: their node budget, and the cyclic references they found.

    Call :meth:`convert` for each schema, then :meth:`defs` for the ``$defs`` that
    belong at the root of the tool's input schema (``#/$defs/...`` is resolved there).
    """

    def __init__(self, converter: SchemaConverter, *, where: str) -> None:
        self.c = converter
        self.where = where
        self.writing = False
        self.what = ""
        self.nodes = 0
        self.def_names: dict[str, str] = {}
        self.pending: list[tuple[str, bool]] = []

    def convert(self, schema: Any, *, what: str, writing: bool = False) -> Any:
        """A converted copy of ``schema``; ``writing`` drops ``readOnly`` properties (request bodies)."""
        self.writing, self.what = writing, what
        return self.walk(schema, ())

    def defs(self) -> dict[str, Any]:
        """Definitions for every schema that refers back to itself, converted in turn."""
        out: dict[str, Any] = {}
        while self.pending:
            ref, self.writing = self.pending.pop(0)
            out[self.def_names[ref]] = self.walk(self.c.resolver.lookup(ref, where=self.where), (ref,))
        return out

    def _count(self) -> None:
        self.nodes += 1
        if self.nodes > self.c.max_nodes:
            raise RestSpecError(
                f"{self.c.resolver.source}: the schema of {self.where} grows past {self.c.max_nodes:,} nodes "
                "once its $refs are expanded; leave the operation out with 'exclude', or simplify its schema."
            )

    def _def_for(self, ref: str) -> str:
        if ref not in self.def_names:
            base = re.sub(r"[^A-Za-z0-9_.-]", "_", ref.rsplit("/", 1)[-1]) or "def"
            name, n = base, 2
            while name in self.def_names.values():
                name, n = f"{base}_{n}", n + 1
            self.def_names[ref] = name
            self.pending.append((ref, self.writing))
        return self.def_names[ref]

    def walk(self, node: Any, stack: tuple[str, ...]) -> Any:
        self._count()
        if not isinstance(node, Mapping):
            return node  # booleans are schemas too; anything else is left for the validator to judge
        if "$ref" in node:
            ref = node["$ref"]
            siblings = {k: v for k, v in node.items() if k != "$ref"} if self.c.openapi_31 else {}
            if ref in stack:
                target: Any = {"$ref": f"#/$defs/{self._def_for(ref)}"}
            else:
                target = self.walk(self.c.resolver.lookup(ref, where=self.where), (*stack, ref))
            if siblings:
                extra = self.walk(siblings, stack)
                target = {**target, **extra} if isinstance(target, dict) and "$ref" not in target else {"allOf": [target, extra]}
            return target
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROP or (isinstance(key, str) and key.startswith("x-")) or key == "nullable":
                continue
            if key in _SCHEMA_MAPS and isinstance(value, Mapping):
                out[key] = {name: self.walk(sub, stack) for name, sub in value.items()}
            elif key in _SCHEMA_LISTS and isinstance(value, list):
                out[key] = [self.walk(sub, stack) for sub in value]
            elif key in _SCHEMA_ONE:
                out[key] = self.walk(value, stack)
            else:
                out[key] = value
        if not self.c.openapi_31:
            out = _from_30(node, out)
        if self.writing and isinstance(out.get("properties"), dict):
            hidden = {k for k, v in out["properties"].items() if isinstance(v, dict) and v.get("readOnly") is True}
            if hidden:
                out["properties"] = {k: v for k, v in out["properties"].items() if k not in hidden}
                if isinstance(out.get("required"), list):
                    out["required"] = [r for r in out["required"] if r not in hidden]
        return out


def _from_30(original: Mapping[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0's schema dialect, rewritten as JSON Schema 2020-12."""
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        flag = out.get(exclusive)
        if isinstance(flag, bool):
            if flag and bound in out:
                out[exclusive] = out.pop(bound)
            else:
                out.pop(exclusive)
    if original.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
            if isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        elif kind is None:
            return {"anyOf": [out, {"type": "null"}]}
    return out
