"""Source kinds on the agent side: one descriptor per config kind, spelled the same everywhere."""

from agent import KINDS
from agent.kinds import kind_of
from connectors.config import SourceConfig, parse_config


def test_every_config_kind_has_one_descriptor_of_the_same_name():
    assert set(KINDS) == {cls.kind for cls in SourceConfig.__subclasses__()}
    assert all(name == kind.name for name, kind in KINDS.items())


def test_sources_come_from_the_config_in_section_order_with_their_kind(tmp_path):
    config = parse_config({
        "mcp_servers": [{"name": "wiki", "url": "http://127.0.0.1:9/mcp"}],
        "documents": [{"name": "handbook", "paths": ["."]}],
        "apis": [{"name": "tickets", "openapi": "spec.yaml", "base_url": "http://127.0.0.1:9"}],
        "databases": [{"name": "sales", "url": "sqlite:///x.db"}],
    }, base_dir=tmp_path)
    assert [(s.name, s.kind) for s in config.sources()] == [
        ("handbook", "documents"), ("sales", "database"), ("tickets", "api"), ("wiki", "mcp")]
    assert [kind_of(s).answers_with_tools for s in config.sources()] == [False, False, False, True]
