"""One configured API: its tools, and calls that are validated before anything is sent."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaValidationError

from connectors.config import ApiSource
from connectors.rest.auth import credentials_from
from connectors.rest.client import ClientSettings, RestClient, RestResponse, RetryPolicy
from connectors.rest.errors import RestArgumentError
from connectors.rest.spec import SpecLimits, load_spec
from connectors.rest.tools import AllowList, ArgBinding, ToolSpec, Toolset, build_tools
from connectors.rest.urls import ApiOrigin, PathValue

__all__ = ["ArgumentLimits", "RestApi"]

log = logging.getLogger("connectors.rest")


@dataclass(frozen=True, kw_only=True)
class ArgumentLimits:
    """Caps on argument sizes, checked after the schema: URLs and headers stay small."""

    max_value_chars: int = 2_000
    max_url_chars: int = 8_000
    max_body_bytes: int = 1_000_000


class RestApi:
    """The tools of one ``[[apis]]`` entry and the client that calls them."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        toolset: Toolset,
        client: RestClient,
        limits: ArgumentLimits = ArgumentLimits(),
    ) -> None:
        self.name = name
        self.description = description
        self.tools = toolset.tools
        self.skipped = toolset.skipped
        self.client = client
        self.limits = limits
        self._by_name = {t.name: t for t in self.tools}
        self._validators = {t.name: Draft202012Validator(dict(t.input_schema)) for t in self.tools}

    @classmethod
    def from_source(
        cls,
        source: ApiSource,
        env: Mapping[str, str],
        *,
        spec_limits: SpecLimits = SpecLimits(),
        retry: RetryPolicy = RetryPolicy(),
        transport: httpx.BaseTransport | None = None,
    ) -> RestApi:
        """Load the spec, build the tools and open the client for ``source``; secrets come from ``env``."""
        origin = ApiOrigin.parse(source.base_url, api=source.name)
        credentials = credentials_from(source.auth, env, api=source.name)
        spec = load_spec(source.openapi, limits=spec_limits)
        toolset = build_tools(
            spec,
            api=source.name,
            allow=AllowList(methods=frozenset(source.methods), include=frozenset(source.include),
                            exclude=frozenset(source.exclude)),
            reserved_headers=[*source.headers, *(h for h, _ in credentials.headers)],
            reserved_query=[q for q, _ in credentials.query],
            limits=spec_limits,
        )
        settings = ClientSettings(
            api=source.name, origin=origin, timeout_s=source.timeout_s,
            max_response_bytes=source.max_response_bytes, headers=tuple(source.headers.items()), retry=retry,
        )
        client = RestClient(settings, credentials, transport=transport)
        description = source.description or spec.title
        return cls(name=source.name, description=description, toolset=toolset, client=client)

    def close(self) -> None:
        self.client.close()

    def tool(self, name: str) -> ToolSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise RestArgumentError("", f"The '{self.name}' API has no tool {name!r}.") from None

    def call(self, name: str, arguments: Mapping[str, Any]) -> RestResponse:
        """Validate ``arguments`` against the tool's schema, then send the request."""
        tool = self.tool(name)
        self._validate(tool, arguments)
        path_values: dict[str, PathValue] = {}
        query: list[tuple[str, str]] = []
        headers: list[tuple[str, str]] = []
        for binding in tool.params:
            if binding.argument not in arguments or arguments[binding.argument] is None:
                continue
            value = arguments[binding.argument]
            if binding.location == "path":
                # url_for refuses a value that could leave its segment, naming the tool argument
                path_values[binding.name] = PathValue(
                    text=self._scalar(binding, value), argument=binding.argument, allow_reserved=binding.allow_reserved
                )
            elif binding.location == "query":
                query += self._query_pairs(binding, value)
            else:
                text = self._scalar(binding, value)
                if any(ord(c) < 0x20 and c != "\t" or ord(c) == 0x7F or ord(c) > 0x7E for c in text):
                    raise RestArgumentError(
                        binding.argument,
                        f"Argument '{binding.argument}' is sent as an HTTP header, so it must be printable ASCII "
                        "with no line breaks. Pass a plain value.",
                    )
                headers.append((binding.name, text))
        has_body = tool.body is not None and tool.body.argument in arguments
        body = arguments.get(tool.body.argument) if tool.body is not None else None
        if has_body:
            size = len(json.dumps(body, ensure_ascii=False).encode())
            if size > self.limits.max_body_bytes:
                raise RestArgumentError(
                    "body", f"Argument 'body' is {size:,} bytes of JSON; at most {self.limits.max_body_bytes:,} are sent."
                )
        query_chars = sum(len(k) + len(v) + 2 for k, v in query)
        if query_chars + len(tool.path) + sum(len(v.text) * 3 for v in path_values.values()) > self.limits.max_url_chars:
            raise RestArgumentError("", f"The arguments make a URL longer than {self.limits.max_url_chars:,} characters; pass fewer or shorter values.")
        return self.client.send(
            tool.method, tool.path, path_values=path_values, query=query, headers=headers,
            json_body=body, has_body=has_body, label=f"{tool.operation_id or tool.name} {tool.method} {tool.path}",
        )

    def _validate(self, tool: ToolSpec, arguments: Mapping[str, Any]) -> None:
        if not isinstance(arguments, Mapping):
            raise RestArgumentError("", f"Arguments for {tool.name} must be a JSON object.")
        errors = sorted(self._validators[tool.name].iter_errors(dict(arguments)), key=lambda e: (len(e.path), list(map(str, e.path))))
        if errors:
            argument, message = _explain(errors[0], tool)
            more = f" ({len(errors) - 1} more problem(s) after this one.)" if len(errors) > 1 else ""
            raise RestArgumentError(argument, f"{message}{more} Fix the arguments and call {tool.name} again.")

    def _scalar(self, binding: ArgBinding, value: Any) -> str:
        if isinstance(value, list):
            text = ",".join(_plain(v) for v in value)
        elif isinstance(value, dict):
            text = ",".join(f"{k},{_plain(v)}" for k, v in value.items())
        else:
            text = _plain(value)
        if len(text) > self.limits.max_value_chars:
            raise RestArgumentError(
                binding.argument,
                f"Argument '{binding.argument}' is {len(text):,} characters long; at most "
                f"{self.limits.max_value_chars:,} fit in a URL or header. Pass a shorter value.",
            )
        return text

    def _query_pairs(self, binding: ArgBinding, value: Any) -> list[tuple[str, str]]:
        if isinstance(value, list):
            items = [_plain(v) for v in value]
            pairs = [(binding.name, v) for v in items] if binding.explode else [(binding.name, ",".join(items))]
        elif isinstance(value, dict):
            if binding.style == "deepObject":
                pairs = [(f"{binding.name}[{k}]", _plain(v)) for k, v in value.items()]
            elif binding.explode:
                pairs = [(str(k), _plain(v)) for k, v in value.items()]
            else:
                pairs = [(binding.name, ",".join(f"{k},{_plain(v)}" for k, v in value.items()))]
        else:
            pairs = [(binding.name, _plain(value))]
        for _, v in pairs:
            if len(v) > self.limits.max_value_chars:
                raise RestArgumentError(
                    binding.argument,
                    f"Argument '{binding.argument}' is {len(v):,} characters long; at most "
                    f"{self.limits.max_value_chars:,} fit in a URL. Pass a shorter value.",
                )
        return pairs


def _plain(value: Any) -> str:
    """A value as it appears in a URL or header: JSON spelling for booleans and null."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _explain(error: SchemaValidationError, tool: ToolSpec) -> tuple[str, str]:
    """(argument, message) for the first schema error, without echoing long values."""
    path = ".".join(str(p) for p in error.path)
    props = tool.input_schema.get("properties", {})
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [r for r in error.validator_value if r not in error.instance]
        name = ".".join([path, missing[0]]) if path else missing[0]
        return name, f"Missing required argument '{name}'."
    if error.validator == "additionalProperties" and not path and isinstance(error.instance, dict):
        extra = sorted(k for k in error.instance if k not in props)
        known = ", ".join(props) or "no arguments"
        return extra[0], f"Unknown argument '{_short(extra[0], 60)}'; {tool.name} takes: {known}."
    value = _short(json.dumps(error.instance, ensure_ascii=False, default=str), 60)
    if error.validator in ("anyOf", "oneOf"):
        kinds = [s.get("type") for s in error.validator_value if isinstance(s, dict)]
        if kinds and all(isinstance(k, str) for k in kinds):
            return path, f"Argument '{path or '(arguments)'}' must be of type {' or '.join(kinds)} (got {value})."
    what = {
        "type": f"must be of type {error.validator_value}",
        "enum": f"must be one of {_short(json.dumps(error.validator_value), 200)}",
        "maxLength": f"is longer than {error.validator_value} characters",
        "minLength": f"is shorter than {error.validator_value} characters",
        "maximum": f"must be at most {error.validator_value}",
        "minimum": f"must be at least {error.validator_value}",
        "pattern": f"must match the pattern {_short(str(error.validator_value), 100)}",
    }.get(str(error.validator), _short(error.message, 200))
    name = path or "(arguments)"
    return path, f"Argument '{name}' {what} (got {value})."


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


