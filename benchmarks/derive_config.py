"""Write a copy of a ragbox.toml with another [llm] (and tickets URL), paths made absolute.

The peer benchmarks and the real-model check run the demo config against a local
llama.cpp server without editing ``examples/ragbox.toml``:

    python benchmarks/derive_config.py examples/ragbox.toml /tmp/ragbox.llamacpp.toml \
        --llm-host http://127.0.0.1:8088/v1 --model qwen
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import click

__all__ = ["derive_config", "dump_toml"]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def dump_toml(data: dict[str, Any]) -> str:
    """A small TOML writer for config-shaped data: top-level tables and arrays of tables."""
    lines = [f"{k} = {_value(v)}" for k, v in data.items() if not isinstance(v, (dict, list)) or
             (isinstance(v, list) and not all(isinstance(i, dict) for i in v))]
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{key}]", *(f"{k} = {_value(v)}" for k, v in value.items())]
        elif isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
            for item in value:
                lines += ["", f"[[{key}]]", *(f"{k} = {_value(v)}" for k, v in item.items())]
    return "\n".join(lines) + "\n"


def _absolute(path: str, base: Path) -> str:
    return str((base / path).resolve()) if not Path(path).is_absolute() else path


def derive_config(src: Path, dst: Path, *, llm: dict[str, Any] | None = None, tickets_url: str | None = None,
                  drop: tuple[str, ...] = ()) -> Path:
    """Copy ``src`` to ``dst`` with ``llm`` merged into [llm], every relative path made absolute,
    the API named ``tickets`` pointed at ``tickets_url``, and the sources in ``drop`` removed."""
    base = src.resolve().parent
    data = tomllib.loads(src.read_text(encoding="utf-8"))
    data["data_dir"] = _absolute(data.get("data_dir", ".ragbox"), base)
    data["llm"] = {**data.get("llm", {}), **(llm or {})}
    if "models_dir" in data.get("embeddings", {}):
        data["embeddings"]["models_dir"] = _absolute(data["embeddings"]["models_dir"], base)
    for section in ("documents", "databases", "apis", "mcp_servers"):
        data[section] = [s for s in data.get(section, []) if s["name"] not in drop]
        if not data[section]:
            del data[section]
    for docs in data.get("documents", []):
        docs["paths"] = [_absolute(p, base) for p in docs["paths"]]
    for db in data.get("databases", []):
        url = db.get("url", "")
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            db["url"] = "sqlite:///" + _absolute(url.removeprefix("sqlite:///"), base)
    for api in data.get("apis", []):
        if "://" not in api["openapi"]:
            api["openapi"] = _absolute(api["openapi"], base)
        if api["name"] == "tickets" and tickets_url:
            api["base_url"] = tickets_url
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(dump_toml(data), encoding="utf-8")
    return dst


@click.command()
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("dst", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--llm-host", default="http://127.0.0.1:8088/v1", show_default=True)
@click.option("--provider", default="openai", show_default=True)
@click.option("--model", default="qwen", show_default=True)
@click.option("--timeout-s", type=float, default=600.0, show_default=True)
@click.option("--tickets-url", default=None)
def main(src: Path, dst: Path, llm_host: str, provider: str, model: str, timeout_s: float,
         tickets_url: str | None) -> None:
    derive_config(src, dst, llm={"provider": provider, "host": llm_host, "model": model, "timeout_s": timeout_s},
                  tickets_url=tickets_url)
    click.echo(f"wrote {dst}")


if __name__ == "__main__":
    main()
