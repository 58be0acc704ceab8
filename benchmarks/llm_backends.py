"""The same questions through the embedded backend and through llama.cpp's server, in one run.

    python benchmarks/llm_backends.py [--model NAME|PATH] [--questions F --tag T --limit N] [--out F]

Both run the same GGUF file with the same context, threads and sampling, behind the same
agent, config and prompts; only the transport differs:

- ``embedded``: ``[llm] provider = "llamacpp"``, the model in the agent's process.
- ``server``: ``python -m llama_cpp.server`` on a loopback port (``--verbose`` so it logs
  its prompt-cache hits), the agent on ``provider = "openai"``.

Printed per backend: p50 and p95 latency per kind of call (route, sql, answer, …), the
prompt-cache hit rate (prompt tokens not read again / prompt tokens), the load time, and
peak memory (the agent process, plus the server process for ``server``).

Each backend runs in a child process of its own, so peak RSS is its own. Needs
``ragbox[local]`` and, for the server, ``pip install 'llama-cpp-python[server]'``; the
demo's ticketing API is started here. Run it alone on the machine: the cores are the figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.derive_config import derive_config  # noqa: E402
from testkit.servers import free_port  # noqa: E402

HIT = re.compile(r"Llama\.generate: (\d+) prefix-match hit")


def peak_rss_of(pid: int) -> int:
    """VmHWM of a live process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def child(config_path: Path, questions: list[str], embedded: bool) -> dict[str, Any]:
    """Ask every question in this process; return the calls, load time and peak RSS."""
    from agent import Agent, default_specs
    from connectors.config import load_config

    config = load_config(config_path)
    env = {**os.environ}
    with Agent(config, default_specs(config, config_path, env), env=env) as agent:
        load_s = None
        if embedded:
            started = time.perf_counter()
            agent.llm.load()  # type: ignore[attr-defined]
            load_s = time.perf_counter() - started
        calls, answers = [], []
        for q in questions:
            started = time.perf_counter()
            answer = agent.ask(q)
            answers.append({"question": q, "answer": answer.text, "s": time.perf_counter() - started})
            calls += [{"purpose": c.purpose, "ms": c.ms, "prompt_tokens": c.prompt_tokens,
                       "cached_tokens": c.cached_tokens} for c in answer.trace.llm_calls]
    return {"calls": calls, "answers": answers, "load_s": load_s,
            "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def run_child(config: Path, questions: list[str], embedded: bool) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(questions, f)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(config), f.name, "embedded" if embedded else "server"],
        capture_output=True, text=True, cwd=REPO,
    )
    os.unlink(f.name)
    if out.returncode != 0:
        raise SystemExit(f"the {'embedded' if embedded else 'server'} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(name: str, result: dict[str, Any]) -> None:
    calls = result["calls"]
    prompt = sum(c["prompt_tokens"] for c in calls)
    cached = result.get("server_cached", sum(c["cached_tokens"] for c in calls))
    print(f"\n{name}: {len(result['answers'])} questions, {len(calls)} LLM calls, {prompt:,} prompt tokens")
    print(f"  load {result['load_s']:.2f} s · prompt-cache hit rate {cached / max(prompt, 1):.0%} "
          f"({cached:,} of {prompt:,} tokens) · peak memory {result['peak_rss'] / 2**30:.2f} GiB"
          + (f" (agent {result['agent_rss'] / 2**30:.2f} + server {result['server_rss'] / 2**30:.2f})"
             if "server_rss" in result else ""))
    print(f"  {'call':<12}{'n':>4}{'p50 ms':>10}{'p95 ms':>10}")
    for purpose in sorted({c["purpose"] for c in calls}):
        ms = [c["ms"] for c in calls if c["purpose"] == purpose]
        print(f"  {purpose:<12}{len(ms):>4}{statistics.median(ms):>10.0f}{percentile(ms, 0.95):>10.0f}")
    per_question = [a["s"] for a in result["answers"]]
    print(f"  {'question':<12}{len(per_question):>4}{statistics.median(per_question) * 1000:>10.0f}"
          f"{percentile(per_question, 0.95) * 1000:>10.0f}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        config, questions_file, mode = Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
        print(json.dumps(child(config, json.loads(questions_file.read_text()), mode == "embedded")))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="registry name or .gguf path (default: the default model)")
    parser.add_argument("--config", type=Path, default=REPO / "examples" / "ragbox.toml")
    parser.add_argument("--questions", type=Path, default=None, help="a questions .jsonl (default: the demo's three)")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--tag", action="append", default=[], help="only questions with this tag")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", choices=("embedded", "server"), default=None, help="run one backend")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    from agent.models import model_dirs, resolve_model
    from examples.demo import QUESTIONS, build_index, tickets_api
    from connectors.config import load_config
    from rich.console import Console

    model = resolve_model(args.model, model_dirs())
    if args.questions:
        from agent.eval.questions import load_questions
        questions = [q.question for q in load_questions(args.questions, limit=args.limit, tags=args.tag)]
    else:
        questions = [q.question for q in QUESTIONS]
    work = Path(tempfile.mkdtemp(prefix="llm-backends-"))
    api_url = f"http://127.0.0.1:{free_port()}"
    common = {"timeout_s": 600, "threads": args.threads}
    embedded_cfg, server_cfg = work / "embedded.toml", work / "server.toml"
    derive_config(args.config, embedded_cfg, tickets_url=api_url,
                  llm={"provider": "llamacpp", "model": str(model.path), **common})
    port = free_port()
    derive_config(args.config, server_cfg, tickets_url=api_url,
                  llm={"provider": "openai", "host": f"http://127.0.0.1:{port}/v1", "model": "bench", **common})
    config = load_config(embedded_cfg)
    console = Console(stderr=True)
    build_index(config, console)
    env = {**os.environ, "TICKETS_TOKEN": os.environ.get("TICKETS_TOKEN", "acme-demo-token")}
    os.environ.update(env)
    results: dict[str, Any] = {"model": str(model.path), "questions": questions, "threads": args.threads}
    with tickets_api(config, env, console):
        print(f"model {model.path.name}, {args.threads} threads, {len(questions)} questions", flush=True)
        if args.only != "server":
            results["embedded"] = run_child(embedded_cfg, questions, embedded=True)
            summary("embedded (in process)", results["embedded"])
        if args.only == "embedded":
            return _write(args.out, results)
        log = work / "server.log"
        started = time.perf_counter()
        with log.open("w") as err:
            server = subprocess.Popen(
                [sys.executable, "-m", "llama_cpp.server", "--model", str(model.path), "--model_alias", "bench",
                 "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(model.spec.n_ctx if model.spec else 4096),
                 "--n_threads", str(args.threads), "--n_threads_batch", str(args.threads), "--verbose", "True"],
                stdout=err, stderr=subprocess.STDOUT,
            )
        try:
            import httpx

            while True:
                if server.poll() is not None:
                    raise SystemExit(f"llama_cpp.server exited:\n{log.read_text()[-2000:]}\n"
                                     "(it needs `pip install 'llama-cpp-python[server]'`)")
                try:
                    httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            load_s = time.perf_counter() - started
            served = run_child(server_cfg, questions, embedded=False)
            server_rss = peak_rss_of(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
        served.update(load_s=load_s, agent_rss=served["peak_rss"], server_rss=server_rss,
                      peak_rss=served["peak_rss"] + server_rss,
                      server_cached=sum(int(n) for n in HIT.findall(log.read_text())))
        results["server"] = served
        summary("llama_cpp.server (OpenAI API over loopback)", served)
    if "embedded" not in results:
        return _write(args.out, results)
    e, s = results["embedded"], results["server"]
    ratio = statistics.median(a["s"] for a in s["answers"]) / statistics.median(a["s"] for a in e["answers"])
    print(f"\nper-question p50, server / embedded: {ratio:.2f}×")
    same = sum(a["answer"] == b["answer"] for a, b in zip(e["answers"], s["answers"], strict=True))
    print(f"identical answers: {same} of {len(questions)}")
    _write(args.out, results)


def _write(out: Path | None, results: dict[str, Any]) -> None:
    if out:
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
