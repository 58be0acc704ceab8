"""Which MCP servers the agent opens for a config."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from agent.kinds import kind_of
from agent.mcp_hub import ServerSpec, all_sources_spec
from connectors.config import Config

__all__ = ["default_specs"]


def default_specs(config: Config, config_path: Path, env: Mapping[str, str]) -> list[ServerSpec]:
    """``python -m servers all`` for ragbox's own sources, plus each source its kind reaches directly."""
    own: list[ServerSpec] = []
    direct: list[ServerSpec] = []
    for source in config.sources():
        spec = kind_of(source).server_spec(source, env)
        if spec is not None:
            direct.append(spec)
        elif not own:
            own.append(all_sources_spec(config_path, env))
    return own + direct
