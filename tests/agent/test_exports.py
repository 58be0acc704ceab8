"""Each agent package's ``__all__`` names only what exists, and everything public it re-exports."""

import importlib

import pytest

MODULES = ["agent", "agent.kinds", "agent.llm", "agent.routing"]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_honest(name):
    module = importlib.import_module(name)
    assert sorted(module.__all__) == sorted(set(module.__all__))
    for item in module.__all__:
        assert hasattr(module, item), f"{name}.__all__ names {item}, which is missing"
    public = {k for k, v in vars(module).items() if not k.startswith("_") and not isinstance(v, type(module))}
    assert public <= set(module.__all__) | {"annotations"}, public - set(module.__all__)
