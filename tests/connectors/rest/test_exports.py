"""``connectors.rest.__all__`` lists exactly the public names."""

import connectors.rest as rest


def test_all_names_exist_and_are_public():
    assert sorted(rest.__all__) == sorted(set(rest.__all__))
    for name in rest.__all__:
        assert hasattr(rest, name), name
    public = {n for n in vars(rest) if not n.startswith("_") and not isinstance(getattr(rest, n), type(rest))}
    assert public == set(rest.__all__)
