"""What every ragbox MCP server shares: how it is created."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

__all__ = ["READ_ONLY", "new_server"]

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)
"""Annotations for every tool that only reads."""


def new_server(name: str, instructions: str) -> MCPServer:
    """An empty MCP server; tool failures are the caller's news, so logs stay at WARNING."""
    return MCPServer(name, instructions=instructions, log_level="WARNING")
