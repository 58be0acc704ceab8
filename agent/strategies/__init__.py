"""Strategies by kind of source: a plain dict."""

from agent.strategies.base import Strategy
from agent.strategies.database import DatabaseStrategy
from agent.strategies.documents import DocumentsStrategy
from agent.strategies.tools import ToolsStrategy

__all__ = ["STRATEGIES", "DatabaseStrategy", "DocumentsStrategy", "Strategy", "ToolsStrategy"]

STRATEGIES: dict[str, Strategy] = {
    "documents": DocumentsStrategy(),
    "database": DatabaseStrategy(),
    "api": ToolsStrategy(),
    "mcp": ToolsStrategy(),
}
