"""Loading an OpenAPI 3.0 or 3.1 document from a file or a URL, with size limits.

A spec that cannot be used stops the server at start-up with a message that
names the problem (the file, the limit it broke, the YAML line), rather than
producing a half-working set of tools.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from connectors.rest.errors import RestSpecError

__all__ = ["OpenApiSpec", "SpecLimits", "load_spec", "parse_spec"]

try:  # the C loader is ~10x faster on large specs; fall back when PyYAML lacks libyaml
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


@dataclass(frozen=True, kw_only=True)
class SpecLimits:
    """How large a spec may be, before and after ``$ref`` expansion."""

    max_bytes: int = 10_000_000
    max_operations: int = 5_000
    max_schema_nodes: int = 50_000
    """Schema nodes in one tool's input schema once ``$ref``s are inlined."""
    fetch_timeout_s: float = 15.0


@dataclass(frozen=True, kw_only=True)
class OpenApiSpec:
    """A parsed OpenAPI document; ``document`` is read-only by convention."""

    source: str
    version: str
    title: str
    document: Mapping[str, Any]

    @property
    def is_31(self) -> bool:
        """OpenAPI 3.1 schemas are JSON Schema 2020-12; 3.0 ones need converting."""
        return self.version.startswith("3.1")


def load_spec(source: str, *, limits: SpecLimits = SpecLimits()) -> OpenApiSpec:
    """Read the spec at ``source`` (a path, or an http(s) URL fetched once) and check its shape."""
    raw = _fetch(source, limits) if re.match(r"^https?://", source) else _read(Path(source), limits)
    return parse_spec(raw, source=source, limits=limits)


def parse_spec(raw: bytes | str, *, source: str = "<spec>", limits: SpecLimits = SpecLimits()) -> OpenApiSpec:
    """Parse YAML or JSON text into an :class:`OpenApiSpec`."""
    if len(raw) > limits.max_bytes:
        raise _too_large(source, len(raw), limits)
    text = raw.decode("utf-8-sig", errors="strict") if isinstance(raw, bytes) else raw
    try:
        document = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, Loader=_Loader)
    except json.JSONDecodeError as exc:
        raise RestSpecError(
            f"OpenAPI spec {source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "fix the file or point 'openapi' at the right one."
        ) from exc
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RestSpecError(
            f"OpenAPI spec {source} is not valid YAML{at}: {problem}; fix the file or point 'openapi' at the right one."
        ) from exc
    return _check(document, source)


def _read(path: Path, limits: SpecLimits) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise RestSpecError(f"No OpenAPI spec at {path}; check the 'openapi' path (relative to the config file).") from None
    except OSError as exc:
        raise RestSpecError(f"Cannot read the OpenAPI spec {path}: {exc.strerror}.") from exc
    if size > limits.max_bytes:
        raise _too_large(str(path), size, limits)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RestSpecError(f"Cannot read the OpenAPI spec {path}: {exc.strerror}.") from exc


def _fetch(url: str, limits: SpecLimits) -> bytes:
    body = bytearray()
    try:
        with httpx.stream("GET", url, timeout=limits.fetch_timeout_s, follow_redirects=True) as response:
            if response.status_code != 200:
                raise RestSpecError(
                    f"Fetching the OpenAPI spec {url} answered {response.status_code}; "
                    "check the URL, or save the spec to a file and point 'openapi' at it."
                )
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limits.max_bytes:
                    raise _too_large(url, len(body), limits, at_least=True)
    except httpx.HTTPError as exc:
        raise RestSpecError(
            f"Could not fetch the OpenAPI spec {url} ({type(exc).__name__}); check the URL and that the "
            "API is running, or save the spec to a file."
        ) from exc
    return bytes(body)


def _too_large(source: str, size: int, limits: SpecLimits, *, at_least: bool = False) -> RestSpecError:
    more = "more than " if at_least else ""
    return RestSpecError(
        f"OpenAPI spec {source} is {more}{size:,} bytes, over the {limits.max_bytes:,}-byte limit; "
        "trim it to the operations you need (or split it into several [[apis]] entries)."
    )


def _check(document: Any, source: str) -> OpenApiSpec:
    if not isinstance(document, dict):
        raise RestSpecError(f"OpenAPI spec {source} is not a mapping at the top level; is it really a spec?")
    if "swagger" in document:
        raise RestSpecError(
            f"{source} is a Swagger {document.get('swagger')} document; only OpenAPI 3.0 and 3.1 are "
            "supported. Convert it first (for example with swagger2openapi)."
        )
    version = str(document.get("openapi", ""))
    if not re.match(r"^3\.[01](\.\d+)?(-.+)?$", version):
        found = f"'openapi: {version}'" if version else "no 'openapi' version field"
        raise RestSpecError(f"OpenAPI spec {source} has {found}; only OpenAPI 3.0 and 3.1 are supported.")
    paths = document.get("paths")
    if not isinstance(paths, dict) or not paths:
        raise RestSpecError(f"OpenAPI spec {source} has no 'paths', so there is nothing to turn into tools.")
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    return OpenApiSpec(source=source, version=version, title=str(info.get("title") or ""), document=document)
