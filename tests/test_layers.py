"""The package rules in DESIGN.md, checked: layers point one way and ``__all__`` tells the truth."""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

from tests.support import REPO

PACKAGES = ("connectors", "servers", "agent", "testkit")
# Every top-level name of this project that a module could import.
OURS = {*PACKAGES, "tests", "benchmarks", "examples"}
# What each package may import from this project (DESIGN.md, "Layers"). testkit, shared by
# tests and benchmarks, stands alone.
ALLOWED = {
    "connectors": {"connectors"},
    "servers": {"connectors", "servers"},
    # agent serve guards its HTTP API with the servers' own code: client tokens and scopes,
    # the bearer check, Host/Origin. Guards, not data: data still comes only through MCP.
    "agent": {"agent", "connectors.config", "connectors.embeddings", "connectors.errors", "connectors.names",
              "connectors.untrusted", "servers.clients", "servers.transport"},
    "testkit": {"testkit"},
}
NO_MCP = ("connectors", "testkit")
BENCHMARKS = sorted((REPO / "benchmarks").glob("*.py"))


def modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        path = [str(REPO / package)]
        names += [m.name for m in pkgutil.walk_packages(path, prefix=f"{package}.") if m.name != f"{package}.__main__"]
    return names


def imported(module: str | Path) -> set[str]:
    """Absolute imports of ``module`` (a dotted name or a file)."""
    path = module if isinstance(module, Path) else Path(importlib.util.find_spec(module).origin)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("module", modules())
def test_layers_point_one_way(module):
    package = module.split(".")[0]
    ours = {name for name in imported(module) if name.split(".")[0] in OURS}
    bad = {name for name in ours if not any(name == ok or name.startswith(f"{ok}.") for ok in ALLOWED[package])}
    assert not bad, f"{module} imports {sorted(bad)}, which its layer may not use"
    if package in NO_MCP:
        assert not {n for n in imported(module) if n.split(".")[0] == "mcp"}, f"{module} imports mcp"


@pytest.mark.parametrize("module", modules())
def test_all_names_exist(module):
    mod = importlib.import_module(module)
    for name in getattr(mod, "__all__", ()):
        assert hasattr(mod, name), f"{module}.__all__ lists {name}, which does not exist"


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.name)
def test_benchmarks_do_not_import_tests(script):
    bad = {name for name in imported(script) if name.split(".")[0] == "tests"}
    assert not bad, f"benchmarks/{script.name} imports {sorted(bad)}; shared helpers belong in testkit"
