"""REST tools benchmarks: spec-to-tools time, and the cost of a tool call over stdio.

    python benchmarks/rest_tools.py [--operations 1000] [--calls 200]

1. Spec to tools: a generated OpenAPI 3.1 spec with ``--operations`` operations
   (path, query and header parameters, shared ``$ref`` schemas, JSON bodies, one
   recursive schema) is written to YAML, then loaded and turned into tools,
   best of 3 runs. Reported: parse time, tool-building time, tools per second.
2. Call overhead: the example ticketing API runs under uvicorn on 127.0.0.1; the
   same ``GET /tickets/{id}`` is timed ``--calls`` times as a direct ``httpx``
   call and as an MCP tool call to ``python -m servers rest`` over stdio, in the
   same run. Reported: medians and p95s, the difference and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import anyio  # noqa: E402
import httpx  # noqa: E402
import yaml  # noqa: E402
from mcp import Client, StdioServerParameters  # noqa: E402

from connectors.rest import AllowList, build_tools, load_spec  # noqa: E402
from connectors.rest.operations import HTTP_METHODS  # noqa: E402
from testkit.servers import free_port, running  # noqa: E402

TOKEN = "bench-token"


def generate_spec(operations: int) -> dict:
    schemas = {
        "Address": {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"},
                                                     "country": {"type": "string", "enum": ["SE", "JP", "DE"]}}},
        "Node": {"type": "object", "properties": {"name": {"type": "string"},
                                                  "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}},
    }
    paths: dict = {}
    methods = ["get", "post", "put", "delete", "patch"]
    for i in range(operations):
        resource = f"/resources{i // 5}/{{item_id}}"
        method = methods[i % 5]
        schemas[f"Thing{i}"] = {
            "type": "object", "required": ["name"],
            "properties": {"name": {"type": "string", "maxLength": 80}, "count": {"type": "integer", "minimum": 0},
                           "address": {"$ref": "#/components/schemas/Address"}, "tree": {"$ref": "#/components/schemas/Node"},
                           "id": {"type": "integer", "readOnly": True}},
        }
        op = {
            "operationId": f"{method}Resource{i}",
            "summary": f"Operation {i} on resource group {i // 5}",
            "description": "Does something useful with the resource. " * 3,
            "tags": [f"group{i % 20}"],
            "parameters": [
                {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                {"name": "filter", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
                {"name": "X-Request-Id", "in": "header", "schema": {"type": "string"}},
            ],
            "responses": {"200": {"description": "ok"}},
        }
        if method in ("post", "put", "patch"):
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/Thing{i}"}}}}
        paths.setdefault(resource, {})[method] = op
    return {"openapi": "3.1.0", "info": {"title": "Generated", "version": "1"}, "paths": paths,
            "components": {"schemas": schemas}}


def bench_spec_to_tools(operations: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.yaml"
        path.write_text(yaml.safe_dump(generate_spec(operations), sort_keys=False))
        size = path.stat().st_size
        parse_s, build_s, count = [], [], 0
        for _ in range(3):
            t0 = time.perf_counter()
            spec = load_spec(str(path))
            t1 = time.perf_counter()
            tools = build_tools(spec, api="big", allow=AllowList(methods=frozenset(HTTP_METHODS))).tools
            t2 = time.perf_counter()
            parse_s.append(t1 - t0)
            build_s.append(t2 - t1)
            count = len(tools)
    best_parse, best_build = min(parse_s), min(build_s)
    print(f"spec -> tools: {operations} operations, {size / 1e6:.1f} MB YAML -> {count} tools")
    print(f"  load+parse {best_parse * 1000:.0f} ms, build tools {best_build * 1000:.0f} ms "
          f"({count / best_build:,.0f} tools/s), total {(best_parse + best_build) * 1000:.0f} ms (best of 3)")


def _summary(label: str, samples: list[float]) -> float:
    ordered = sorted(samples)
    median = statistics.median(ordered)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(f"  {label:<28} median {median * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms")
    return median


async def _mcp_calls(base_url: str, calls: int) -> list[float]:
    spec = REPO / "examples" / "tickets" / "openapi.yaml"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "servers", "rest", "--openapi", str(spec), "--base-url", base_url, "--name", "tickets",
              "--bearer-token-env", "TICKETS_TOKEN"],
        env={**os.environ, "TICKETS_TOKEN": TOKEN}, cwd=str(REPO),
    )
    samples = []
    async with Client(params) as client:
        for i in range(10):
            await client.call_tool("tickets_getTicket", {"ticket_id": 1 + i})
        for i in range(calls):
            t0 = time.perf_counter()
            result = await client.call_tool("tickets_getTicket", {"ticket_id": 1 + i % 400})
            samples.append(time.perf_counter() - t0)
            assert not result.is_error, result.content
    return samples


def bench_call_overhead(calls: int) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "examples.tickets", "--port", str(port)]
    with running(args, ready_url=f"{base}/healthz", env={"TICKETS_TOKEN": TOKEN}):
        direct = []
        with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            for i in range(10):
                http.get(f"{base}/tickets/{1 + i}")
            for i in range(calls):
                t0 = time.perf_counter()
                http.get(f"{base}/tickets/{1 + i % 400}").raise_for_status()
                direct.append(time.perf_counter() - t0)
        mcp = anyio.run(_mcp_calls, base, calls)
    print(f"call overhead: GET /tickets/{{id}} on the example API, {calls} calls each, same run")
    d = _summary("direct httpx", direct)
    m = _summary("MCP tool call over stdio", mcp)
    print(f"  overhead {(m - d) * 1000:.2f} ms per call (median), ratio {m / d:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    bench_spec_to_tools(args.operations)
    bench_call_overhead(args.calls)


if __name__ == "__main__":
    main()
