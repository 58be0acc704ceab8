from pathlib import Path

import pytest

from connectors.config import find_config_path, load_config, parse_config
from connectors.errors import ConfigError
from tests.support import EXAMPLES


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ragbox.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_loads_and_resolves_sqlite_path_against_its_folder():
    config = load_config(EXAMPLES / "ragbox.toml")
    (sales,) = config.databases
    assert sales.name == "sales"
    assert sales.url == f"sqlite:///{EXAMPLES / 'acme' / 'acme.db'}"
    assert Path(sales.url.removeprefix("sqlite:///")).is_file()


def test_unknown_key_is_an_error_naming_the_key(tmp_path):
    path = write(tmp_path, '[[databases]]\nname = "s"\nurl = "sqlite:///x.db"\nmax_rowz = 5\n')
    with pytest.raises(ConfigError, match=r"unknown key 'databases\[0\]\.max_rowz'"):
        load_config(path)


def test_unknown_top_level_section_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'databse'"):
        load_config(write(tmp_path, "[databse]\nurl = 1\n"))


def test_password_in_url_is_refused_and_points_to_url_env(tmp_path):
    path = write(tmp_path, '[[databases]]\nname = "s"\nurl = "postgresql://u:hunter2@db/x"\n')
    with pytest.raises(ConfigError, match="url_env") as info:
        load_config(path)
    assert "hunter2" not in str(info.value)


def test_url_env_reads_the_secret_from_the_given_environment_only(tmp_path):
    config = load_config(write(tmp_path, '[[databases]]\nname = "s"\nurl_env = "SALES_URL"\n'))
    (db,) = config.databases
    assert db.resolve_url({"SALES_URL": "postgresql://u:p@h/d"}) == "postgresql://u:p@h/d"
    with pytest.raises(ConfigError, match="SALES_URL"):
        db.resolve_url({})


def test_url_and_url_env_are_exclusive(tmp_path):
    path = write(tmp_path, '[[databases]]\nname = "s"\nurl = "sqlite:///a.db"\nurl_env = "X"\n')
    with pytest.raises(ConfigError, match="exactly one of 'url' or 'url_env'"):
        load_config(path)


def test_source_names_must_be_unique_across_kinds():
    data = {
        "databases": [{"name": "kb", "url": "sqlite:///a.db"}],
        "documents": [{"name": "kb", "paths": ["docs"]}],
    }
    with pytest.raises(ConfigError, match="'kb' is used twice"):
        parse_config(data, base_dir=Path("/tmp"))


@pytest.mark.parametrize("name", ["Sales", "1sales", "sa les", "s" * 41, ""])
def test_source_names_are_short_snake_case(name):
    with pytest.raises(ConfigError, match="databases\\[0\\].name"):
        parse_config({"databases": [{"name": name, "url": "sqlite:///a.db"}]}, base_dir=Path("/"))


def test_limits_are_bounded(tmp_path):
    with pytest.raises(ConfigError, match="max_rows"):
        parse_config({"databases": [{"name": "s", "url": "sqlite:///a.db", "max_rows": 0}]}, base_dir=tmp_path)


def test_missing_and_invalid_files_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="No config file"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[[databases]\n"))


def test_config_path_precedence():
    assert find_config_path("a.toml", {"RAGBOX_CONFIG": "b.toml"}) == Path("a.toml")
    assert find_config_path(None, {"RAGBOX_CONFIG": "b.toml"}) == Path("b.toml")
    assert find_config_path(None, {}) == Path("ragbox.toml")


def test_api_auth_needs_its_env_names():
    data = {"apis": [{"name": "t", "openapi": "s.yaml", "base_url": "http://x", "auth": {"type": "header"}}]}
    with pytest.raises(ConfigError, match="needs token_env, name"):
        parse_config(data, base_dir=Path("/"))


def test_config_models_are_frozen():
    config = load_config(EXAMPLES / "ragbox.toml")
    with pytest.raises(Exception):
        config.databases[0].max_rows = 10  # type: ignore[misc]


def test_the_readme_config_reference_is_valid():
    import re
    import tomllib

    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.DOTALL)
    (block,) = [b for b in blocks if b.startswith("data_dir")]  # the reference; the others are snippets
    for snippet in blocks:
        parse_config(tomllib.loads(snippet), base_dir=EXAMPLES)  # every key a snippet shows exists
    config = parse_config(tomllib.loads(block), base_dir=EXAMPLES)
    assert [s.name for s in config.sources()] == ["handbook", "sales", "tickets", "files"]
