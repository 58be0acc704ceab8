"""What tests and benchmarks share: local servers, the fake LLM, the counting proxy, SQL corpus.

Nothing here imports ``tests`` or the product packages, so a benchmark can use it as is.

- ``testkit.servers``: ``free_port``, ``wait_http``, ``running`` (a subprocess),
  ``BackgroundServer`` (an ASGI app in a thread).
- ``testkit.llm_server``: ``FakeLLM``, speaking Ollama's and OpenAI's APIs, and its replies.
- ``testkit.counting_proxy``: ``CountingProxy``, counting LLM calls and tokens.
- ``testkit.sql_corpus``: hostile and legitimate SQL for the read-only guard.
- ``testkit.load_balancer``: nginx in front of several server instances, in a temporary folder.
"""

from testkit.counting_proxy import CountedCall, CountingProxy
from testkit.llm_server import Calls, FakeLLM, Json, Missing, Policy, Reply, Request, Text, count_tokens
from testkit.servers import BackgroundServer, free_port, running, wait_http
from testkit.sql_corpus import ALLOWED_TABLES, HOSTILE, LEGIT

__all__ = [
    "ALLOWED_TABLES",
    "HOSTILE",
    "LEGIT",
    "BackgroundServer",
    "Calls",
    "CountedCall",
    "CountingProxy",
    "FakeLLM",
    "Json",
    "Missing",
    "Policy",
    "Reply",
    "Request",
    "Text",
    "count_tokens",
    "free_port",
    "running",
    "wait_http",
]
