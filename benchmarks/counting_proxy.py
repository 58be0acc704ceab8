"""Run the counting proxy (``testkit.counting_proxy``) in front of an OpenAI-compatible server
until Ctrl-C, then print the calls and tokens it counted per label.

    python benchmarks/counting_proxy.py --upstream http://127.0.0.1:8088 --port 8089 [--json-object-schemas]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testkit.counting_proxy import CountingProxy  # noqa: E402


@click.command()
@click.option("--upstream", default="http://127.0.0.1:8088", show_default=True)
@click.option("--port", type=int, default=8089, show_default=True)
@click.option("--json-object-schemas", is_flag=True, help="Rewrite json_schema response formats for "
              "llama-cpp-python's server.")
def main(upstream: str, port: int, json_object_schemas: bool) -> None:
    proxy = CountingProxy(upstream, port=port, json_object_schemas=json_object_schemas).start()
    click.echo(f"counting proxy on {proxy.url}/v1 -> {upstream}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        proxy.stop()
        click.echo(json.dumps(proxy.by_label()))


if __name__ == "__main__":
    main()
