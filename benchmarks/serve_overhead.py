"""Per-question latency outside the LLM: ``agent serve`` against ``agent ask``, in one run.

    python benchmarks/serve_overhead.py [--repeats 3]

The demo's three questions (documents, SQL, the tickets API) over the demo's sources,
with an instant fake LLM (``testkit.llm_server``), so that the time outside the LLM is
the whole time less the LLM calls' own, as each answer's trace records them.

- ``agent ask``: one process per question, as a user at a terminal runs it: start-up,
  the MCP servers over stdio, the embedder, then the question.
- ``agent serve``: one process for the run; each question is one non-streaming
  ``POST /v1/chat/completions`` through the real ``openai`` client, and the time to the
  first streamed chunk is printed too. The issue's target is <= 50 ms outside the LLM.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import json  # noqa: E402

import openai  # noqa: E402

from examples.demo import QUESTIONS  # noqa: E402
from testkit.llm_server import Calls, FakeLLM, Json, Request, Text  # noqa: E402
from testkit.servers import free_port, stop_process, wait_http  # noqa: E402

ACME = REPO / "examples" / "acme"


def policy(request: Request) -> Text | Json | Calls:
    """Instant replies that take each question down its route."""
    props = (request.schema or {}).get("properties", {})
    if "source" in props:
        question = request.question
        return Json({"source": next((q.source for q in QUESTIONS if q.question == question), "none")})
    if "sql" in props:
        return Json({"sql": QUESTIONS[1].arguments["sql"]})
    if "query" in props:
        return Json({"query": "annual leave days"})
    if request.tools and not any(m.get("role") == "tool" for m in request.messages):
        name = next((n for n in request.tool_names if n.endswith("getTicket")), request.tool_names[0])
        return Calls((name, {"ticket_id": 1}))
    return Text("The answer is in the sources [1].")


def write_config(folder: Path, llm: str, tickets_port: int, models_dir: Path, *, audit: bool = True) -> Path:
    text = (REPO / "examples" / "ragbox.toml").read_text()
    text = text.replace('data_dir = "../.ragbox"', f'data_dir = "{folder / "data"}"')
    text = text.replace('provider = "auto"\nhost = "http://127.0.0.1:11434"',
                        f'provider = "ollama"\nhost = "{llm}"\nmodel = "qwen2.5:7b-instruct"')
    text = text.replace('paths = ["acme/docs"]', f'paths = ["{ACME / "docs"}"]')
    text = text.replace('url = "sqlite:///acme/acme.db"', f'url = "sqlite:///{ACME / "acme.db"}"')
    text = text.replace('openapi = "tickets/openapi.yaml"', f'openapi = "{REPO / "examples" / "tickets" / "openapi.yaml"}"')
    text = text.replace('base_url = "http://127.0.0.1:8765"', f'base_url = "http://127.0.0.1:{tickets_port}"')
    text += f'\n[embeddings]\nmodels_dir = "{models_dir}"\n'
    if not audit:
        text += "\n[server]\naudit = false\n"
    path = folder / "ragbox.toml"
    path.write_text(text)
    return path


def outside_llm(wall_s: float, trace: dict) -> float:
    return wall_s * 1000 - sum(call["ms"] for call in trace["llm_calls"])


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def line(label: str, values: list[float]) -> str:
    return f"  {label:42s} p50 {statistics.median(values):8.1f} ms  p95 {pct(values, 0.95):8.1f} ms  (x{len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--audit", action=argparse.BooleanOptionalAction, default=True,
                        help="keep the servers' audit log on (the default config), or turn it off")
    parser.add_argument("--models-dir", type=Path,
                        default=Path(os.environ.get("RAGBOX_MODELS_DIR") or REPO.parent / "shared" / "models"))
    args = parser.parse_args()
    env = {**os.environ, "TICKETS_TOKEN": "acme-demo-token", "RAGBOX_MODELS_DIR": str(args.models_dir.resolve())}
    with tempfile.TemporaryDirectory() as tmp, FakeLLM(policy=policy) as llm:
        folder = Path(tmp)
        tickets_port, port = free_port(), free_port()
        tickets = subprocess.Popen([sys.executable, "-m", "examples.tickets", "--port", str(tickets_port)],
                                   cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        serve = None
        try:
            wait_http(f"http://127.0.0.1:{tickets_port}/healthz", tickets, timeout=30)
            config = write_config(folder, llm.url, tickets_port, args.models_dir.resolve(), audit=args.audit)
            subprocess.run([sys.executable, "-m", "servers", "docs", "ingest", "--config", str(config)],
                           cwd=REPO, env=env, check=True, capture_output=True)
            routes: dict[str, list[str]] = {}
            ask: list[float] = []
            for _ in range(args.repeats):
                for q in QUESTIONS:
                    started = time.perf_counter()
                    done = subprocess.run([sys.executable, "-m", "agent", "ask", q.question, "--config", str(config),
                                           "--json"], cwd=REPO, env=env, check=True, capture_output=True, text=True)
                    data = json.loads(done.stdout)
                    ask.append(outside_llm(time.perf_counter() - started, data["trace"]))
                    routes.setdefault("ask", []).append(",".join(data["route"]["sources"]))
            serve = subprocess.Popen([sys.executable, "-m", "agent", "serve", "--config", str(config), "--port",
                                      str(port)], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_http(f"http://127.0.0.1:{port}/healthz", serve, timeout=120)
            api = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="none", max_retries=0)
            api.chat.completions.create(model="ragbox", messages=[{"role": "user", "content": "warm-up"}])
            served: list[float] = []
            steps: dict[str, list[float]] = {}
            first_chunk: list[float] = []
            for _ in range(args.repeats):
                for q in QUESTIONS:
                    messages = [{"role": "user", "content": q.question}]
                    started = time.perf_counter()
                    reply = api.chat.completions.create(model="ragbox", messages=messages)
                    trace = reply.model_extra["ragbox"]["trace"]
                    served.append(outside_llm(time.perf_counter() - started, trace))
                    for step in trace["steps"]:
                        steps.setdefault(f"{q.source}: {step['name']}", []).append(step["ms"])
                    routes.setdefault("serve", []).append(",".join(reply.model_extra["ragbox"]["route"]["sources"]))
                    started = time.perf_counter()
                    for chunk in api.chat.completions.create(model="ragbox", messages=messages, stream=True):
                        if chunk.choices and chunk.choices[0].delta.content:
                            first_chunk.append((time.perf_counter() - started) * 1000)
                            break
        finally:
            for proc in (serve, tickets):
                if proc is not None:
                    stop_process(proc)
    print(f"{len(QUESTIONS)} demo questions x {args.repeats}; instant fake LLM; audit log {'on' if args.audit else 'off'}; "
          "time outside the LLM per question:")
    print(line("agent ask (one process per question)", ask))
    print(line("agent serve (one process, OpenAI API)", served))
    print(f"  serve is {statistics.median(ask) / statistics.median(served):.0f}x faster at p50")
    print(line("agent serve, time to the first streamed text", first_chunk))
    print("  agent serve, the trace's steps (LLM calls included where a step makes one):")
    for name, values in steps.items():
        print(f"    {name:40s} median {statistics.median(values):7.1f} ms")
    print(f"  routes, ask:   {routes['ask'][:len(QUESTIONS)]}")
    print(f"  routes, serve: {routes['serve'][:len(QUESTIONS)]}")


if __name__ == "__main__":
    main()
