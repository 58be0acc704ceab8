"""HTTP APIs: one tool per allowed OpenAPI operation, each already named for its API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx

from connectors.config import ApiSource, Config, SourceConfig
from connectors.names import qualify
from servers.kinds.base import Build, Register, ServedKind, SourceStatus
from connectors.rest import RestApi
from servers.rest import load_api_toolsets, register_rest_tools

__all__ = ["ApiKind"]


class ApiKind(ServedKind):
    kind = ApiSource.kind
    label = "HTTP API"

    def prepare(self, sources: Sequence[SourceConfig], build: Build) -> Register:
        apis: list[RestApi] = []
        for source in sources:
            assert isinstance(source, ApiSource)

            def load(source: ApiSource = source) -> None:
                (api,) = load_api_toolsets([source], build.env)
                build.opened.append(api)
                apis.append(api)

            build.attempt([source], load)
        return lambda server: register_rest_tools(server, apis)

    def tools(self, source: SourceConfig) -> str:
        return qualify(source.name, "*")

    def check(self, source: SourceConfig, config: Config, env: Mapping[str, str]) -> SourceStatus:
        assert isinstance(source, ApiSource)
        (api,) = load_api_toolsets([source], env)
        api.close()
        counts = f"{len(api.tools)} operations"
        try:
            httpx.get(source.base_url, timeout=min(source.timeout_s, 5.0))
        except httpx.HTTPError as exc:
            return SourceStatus(source.name, self.kind, False, counts,
                                f"{source.base_url} does not answer ({type(exc).__name__}); start the API")
        return SourceStatus(source.name, self.kind, True, counts)
