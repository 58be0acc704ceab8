"""An MCP server as old SDKs behave: it knows only the initialize handshake and dies on
anything newer (chroma-mcp on mcp 1.6 does this on the 2.x client's discovery probe).

    python -m tests.agent.legacy_server
"""

import json
import sys

TOOL = {"name": "echo", "description": "Echo the text back.",
        "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}


def reply(request_id: object, result: dict) -> None:
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    message = json.loads(line)
    method, request_id = message.get("method"), message.get("id")
    if method == "initialize":
        reply(request_id, {"protocolVersion": "2025-03-26", "capabilities": {"tools": {}},
                           "serverInfo": {"name": "legacy", "version": "1.6"}})
    elif method == "tools/list":
        reply(request_id, {"tools": [TOOL]})
    elif method == "tools/call":
        text = message["params"]["arguments"]["text"]
        reply(request_id, {"content": [{"type": "text", "text": text}], "isError": False})
    elif request_id is not None and method != "ping":
        sys.exit(f"unknown method {method}")  # what an old server's crash looks like to the client
    elif method == "ping":
        reply(request_id, {})
