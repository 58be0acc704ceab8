"""HTTP APIs described by OpenAPI 3.0/3.1, offered as safe, validated calls (no MCP here).

``RestApi.from_source(api_source, env)`` loads the spec, keeps the operations the
allow-list lets through as :class:`ToolSpec` objects, and ``RestApi.call`` validates
arguments and sends the request through :class:`RestClient`, which never leaves
the configured origin and path prefix.
"""

from connectors.rest.api import ArgumentLimits, RestApi
from connectors.rest.auth import Credentials, Redactor, credentials_from
from connectors.rest.client import ClientSettings, RestClient, RestResponse, RetryPolicy, parse_retry_after
from connectors.rest.errors import (
    RestArgumentError,
    RestError,
    RestHttpError,
    RestRefused,
    RestSpecError,
    RestTimeout,
    RestUnavailable,
)
from connectors.rest.spec import OpenApiSpec, SpecLimits, load_spec, parse_spec
from connectors.rest.tools import AllowList, ArgBinding, BodyBinding, ToolHints, ToolSpec, Toolset, build_tools
from connectors.rest.urls import ApiOrigin

__all__ = [
    "AllowList",
    "ApiOrigin",
    "ArgBinding",
    "ArgumentLimits",
    "BodyBinding",
    "ClientSettings",
    "Credentials",
    "OpenApiSpec",
    "Redactor",
    "RestApi",
    "RestArgumentError",
    "RestClient",
    "RestError",
    "RestHttpError",
    "RestRefused",
    "RestResponse",
    "RestSpecError",
    "RestTimeout",
    "RestUnavailable",
    "RetryPolicy",
    "SpecLimits",
    "ToolHints",
    "ToolSpec",
    "Toolset",
    "build_tools",
    "credentials_from",
    "load_spec",
    "parse_retry_after",
    "parse_spec",
]
