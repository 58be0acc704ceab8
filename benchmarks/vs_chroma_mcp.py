"""ragbox's docs server against the official chroma-mcp server: hit rate and query latency over MCP.

chroma-mcp (PyPI ``chroma-mcp``) is loaded with the same chunks through its own
``chroma_add_documents`` tool and embeds them with its default embedding (Chroma's ONNX
all-MiniLM-L6-v2, copied from RAGBOX_MODELS_DIR into a temporary HOME so nothing is
downloaded). ragbox's ``python -m servers docs`` serves the same documents (hybrid search,
MiniLM). Both run as stdio subprocesses; a hit is the gold document among the top 5.

chroma-mcp pins mcp 1.6, which cannot share ragbox's environment: install it in its own
    python -m venv .peers/chroma-mcp && .peers/chroma-mcp/bin/pip install chroma-mcp==0.2.6 "pydantic<2.11"
    python benchmarks/vs_chroma_mcp.py --chroma-mcp .peers/chroma-mcp/bin/chroma-mcp
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import click
from mcp import Client, StdioServerParameters

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from agent.eval import load_questions, percentile  # noqa: E402
from connectors.config import load_config  # noqa: E402
from derive_config import derive_config  # noqa: E402
from vs_llamaindex import demo_chunks  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TOP_K = 5


def payload(result: Any) -> Any:
    if result.structured_content is not None:
        return result.structured_content
    text = "".join(getattr(c, "text", "") for c in result.content)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


async def measure(params: StdioServerParameters, tool: str, make_args: Any, paths_of: Any,
                  questions: list[Any], mode: str = "auto") -> dict[str, Any]:
    hits, times = 0, []
    async with Client(params, read_timeout_seconds=120, mode=mode) as client:
        await client.call_tool(tool, make_args("warm-up"))
        for q in questions:
            start = time.perf_counter()
            result = await client.call_tool(tool, make_args(q.question))
            times.append((time.perf_counter() - start) * 1000)
            paths = paths_of(payload(result))
            hits += any(p == q.path or p.endswith("/" + q.path) for p in paths[:TOP_K])
    return {"hit_rate": hits / len(questions), "p50_ms": percentile(times, 0.5), "p95_ms": percentile(times, 0.95),
            "mean_ms": statistics.mean(times)}


async def load_chroma(params: StdioServerParameters, chunks: list[Any]) -> float:
    start = time.perf_counter()
    async with Client(params, read_timeout_seconds=600, mode="legacy") as client:
        await client.call_tool("chroma_create_collection", {"collection_name": "handbook"})
        for i in range(0, len(chunks), 64):
            batch = chunks[i:i + 64]
            result = await client.call_tool("chroma_add_documents", {
                "collection_name": "handbook", "documents": [c.text for c in batch],
                "ids": [c.id for c in batch], "metadatas": [{"path": c.path} for c in batch]})
            if result.is_error:
                raise RuntimeError(f"chroma_add_documents failed: {payload(result)}")
    return time.perf_counter() - start


@click.command()
@click.option("--chroma-mcp", "chroma_cmd", default=".peers/chroma-mcp/bin/chroma-mcp", show_default=True)
@click.option("--questions", "questions_path", type=click.Path(exists=True, path_type=Path),
              default=REPO / "examples" / "questions.jsonl", show_default=True)
@click.option("--config", "config_path", type=click.Path(exists=True, path_type=Path),
              default=REPO / "examples" / "ragbox.toml", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def main(chroma_cmd: str, questions_path: Path, config_path: Path, out: Path | None) -> None:
    models = Path(os.environ.get("RAGBOX_MODELS_DIR") or REPO.parent / "shared" / "models")
    questions = [q for q in load_questions(questions_path) if q.source == "handbook" and q.path]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        onnx = home / ".cache" / "chroma" / "onnx_models" / "all-MiniLM-L6-v2" / "onnx"
        onnx.parent.mkdir(parents=True)
        shutil.copytree(models / "all-MiniLM-L6-v2" / "onnx", onnx)
        derived = derive_config(config_path, Path(tmp) / "ragbox.toml", drop=("sales", "tickets"))
        config = load_config(derived)
        chunks = demo_chunks(config)
        env = {**os.environ, "HOME": str(home), "ANONYMIZED_TELEMETRY": "False"}
        # chroma-mcp prints two status lines on stdout, which breaks stdio JSON-RPC for the mcp 2.x
        # client: keep only the JSON lines.
        line = f"{shlex.quote(chroma_cmd)} --client-type persistent --data-dir {shlex.quote(str(Path(tmp) / 'chroma'))}"
        chroma = StdioServerParameters(command="sh", args=["-c", f"{line} | grep --line-buffered '^{{'"], env=env)
        ragbox = StdioServerParameters(command=sys.executable, args=["-m", "servers", "docs", "--config",
                                                                     str(derived)],
                                       env={**os.environ, "RAGBOX_MODELS_DIR": str(models),
                                            "PYTHONPATH": str(REPO)})
        load_s = anyio.run(load_chroma, chroma, chunks)
        print(f"{len(questions)} document questions, {len(chunks)} chunks; chroma-mcp loaded in {load_s:.1f}s")
        figures = {
            "ragbox": anyio.run(measure, ragbox, "search_documents", lambda q: {"query": q, "top_k": TOP_K},
                                lambda p: [h.get("path", "") for h in (p or {}).get("hits", [])], questions),
            "chroma-mcp": anyio.run(
                measure, chroma, "chroma_query_documents",
                lambda q: {"collection_name": "handbook", "query_texts": [q], "n_results": TOP_K},
                lambda p: [m.get("path", "") for m in ((p or {}).get("metadatas") or [[]])[0] or []], questions,
                "legacy"),  # chroma-mcp's mcp 1.6 server dies on the 2.x client's server/discover probe
        }
    r, c = figures["ragbox"], figures["chroma-mcp"]
    print(f"\n{'figure':<10} {'ragbox':>8} {'chroma-mcp':>11} {'ratio':>7}")
    print(f"{'hit@5':<10} {r['hit_rate']:>8.0%} {c['hit_rate']:>11.0%} {r['hit_rate'] / c['hit_rate']:>7.2f}")
    for key in ("p50_ms", "p95_ms"):
        print(f"{key:<10} {r[key]:>8.1f} {c[key]:>11.1f} {r[key] / c[key]:>7.2f}")
    if out is not None:
        out.write_text(json.dumps({"questions": len(questions), "chunks": len(chunks), "top_k": TOP_K,
                                   "chroma_load_s": round(load_s, 1), "figures": figures}, indent=1) + "\n")


if __name__ == "__main__":
    main()
