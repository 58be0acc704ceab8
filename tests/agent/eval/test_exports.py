"""``agent.eval.__all__`` names only what exists, and everything public it re-exports."""

import agent.eval


def test_all_is_honest():
    names = agent.eval.__all__
    assert sorted(names) == sorted(set(names))
    assert all(hasattr(agent.eval, n) for n in names)
    public = {k for k, v in vars(agent.eval).items() if not k.startswith("_") and not isinstance(v, type(agent.eval))}
    assert public <= set(names) | {"annotations"}, public - set(names)
