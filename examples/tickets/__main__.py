"""``python -m examples.tickets [--port 8765] [--write-openapi]``: serve the support desk API on 127.0.0.1."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn
import yaml

from examples.tickets.app import DEFAULT_TOKEN, create_app

SPEC_PATH = Path(__file__).resolve().with_name("openapi.yaml")


def render_openapi() -> str:
    """The app's OpenAPI document as the YAML committed beside it."""
    return yaml.safe_dump(create_app().openapi(), sort_keys=False, allow_unicode=True, width=100)


def main() -> None:
    parser = argparse.ArgumentParser(description="Acme's support desk API (demo).")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--write-openapi", action="store_true", help=f"rewrite {SPEC_PATH.name} and exit")
    args = parser.parse_args()
    if args.write_openapi:
        SPEC_PATH.write_text(render_openapi(), encoding="utf-8")
        print(SPEC_PATH)
        return
    token = os.environ.get("TICKETS_TOKEN") or DEFAULT_TOKEN
    uvicorn.run(create_app(token=token), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
