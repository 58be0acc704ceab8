"""``python -m servers check`` prints our messages as they are, brackets included."""

from pathlib import Path

from click.testing import CliRunner

from servers.cli import main
from testkit.servers import free_port


def test_check_keeps_the_brackets_of_a_config_key_in_what_to_fix(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    config = tmp_path / "ragbox.toml"
    config.write_text(f"""
data_dir = "{tmp_path / 'data'}"

[embeddings]
provider = "ollama"
host = "http://127.0.0.1:{free_port()}"

[[documents]]
name = "handbook"
paths = ["{tmp_path / 'docs'}"]
""", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert result.exit_code == 1, result.output
    assert "broken" in result.output and "Cannot reach Ollama" in result.output
    assert "[embeddings]" in result.output  # "set [embeddings] host", not "set  host"
