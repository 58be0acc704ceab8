"""nginx as a round-robin load balancer in front of local MCP servers, for tests and benchmarks.

    with nginx_balancer([port1, port2]) as lb:    # lb.url: http://127.0.0.1:PORT
        ...                                         # lb.url + "/mcp" reaches either instance

Everything nginx writes (pid, logs, temp files, the config) lives in a temp folder,
so it runs without root. Each response carries ``X-Upstream: 127.0.0.1:PORT``,
the instance that answered (both, comma-separated, when nginx retried).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from testkit.servers import free_port, running

__all__ = ["UPSTREAM_HEADER", "Balancer", "find_nginx", "nginx_balancer", "nginx_config"]

UPSTREAM_HEADER = "X-Upstream"


@dataclass(frozen=True)
class Balancer:
    """A running nginx: its base URL, its master's pid, and the folder with its config and logs."""

    url: str
    pid: int
    prefix: Path


def find_nginx() -> str | None:
    """The nginx binary: on PATH, else Debian's /usr/sbin/nginx (not on a non-root PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    debian = Path("/usr/sbin/nginx")
    return str(debian) if debian.exists() else None


def nginx_config(upstream_ports: Sequence[int], *, port: int, prefix: Path, access_log: bool = False) -> str:
    """An nginx.conf proxying 127.0.0.1:``port`` to the ``upstream_ports`` in turn, rooted at ``prefix``."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in upstream_ports)
    log = f"access_log {prefix / 'access.log'} upstream;" if access_log else "access_log off;"
    return f"""\
daemon off;
worker_processes 1;
pid {prefix / 'nginx.pid'};
error_log {prefix / 'error.log'} warn;

events {{
    worker_connections 4096;
}}

http {{
    client_body_temp_path {prefix / 'client_body'};
    proxy_temp_path {prefix / 'proxy'};
    fastcgi_temp_path {prefix / 'fastcgi'};
    uwsgi_temp_path {prefix / 'uwsgi'};
    scgi_temp_path {prefix / 'scgi'};
    log_format upstream '$remote_addr "$request" $status $upstream_addr $upstream_status $request_time';
    {log}

    upstream ragbox {{
{servers}
        keepalive 64;
        # Below uvicorn's 5 s keep-alive: nginx drops an idle connection before the
        # instance does, so no POST is sent on a connection the instance is closing (a 502).
        keepalive_timeout 4s;
    }}

    server {{
        listen 127.0.0.1:{port};

        location / {{
            proxy_pass http://ragbox;
            # HTTP/1.1 with an empty Connection header: keep-alive to the instances.
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # The client's Host, so that the server's Host allow-list (DNS rebinding) sees it.
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # Streamable HTTP answers can be SSE streams: pass each event on at once.
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 300s;
            # The MCP SDK refuses bodies over 4 MiB itself; nginx's default is 1 MiB.
            client_max_body_size 4m;
            # A stopped instance refuses the connection before anything was sent: try the
            # next one. A POST that reached an instance is never resent (no non_idempotent).
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries {len(upstream_ports)};
            proxy_connect_timeout 2s;
            add_header {UPSTREAM_HEADER} $upstream_addr always;
        }}
    }}
}}
"""


@contextlib.contextmanager
def nginx_balancer(
    upstream_ports: Sequence[int], *, port: int | None = None, ready_path: str = "/healthz",
    access_log: bool = False, timeout: float = 30.0,
) -> Iterator[Balancer]:
    """Run nginx in front of ``upstream_ports`` until the block ends.

    Ready when ``ready_path`` answers through nginx, so the instances should be up first.
    """
    binary = find_nginx()
    if binary is None:
        raise FileNotFoundError("nginx is not installed; `apt-get install nginx` (Debian) and try again")
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="ragbox-nginx-") as tmp:
        prefix = Path(tmp)
        # Started as root, nginx runs its workers as nobody; they must reach the temp folders
        # (request bodies over 16 KiB go to client_body/, which nginx creates for them).
        prefix.chmod(0o711)
        conf = prefix / "nginx.conf"
        conf.write_text(nginx_config(upstream_ports, port=port, prefix=prefix, access_log=access_log))
        base = f"http://127.0.0.1:{port}"
        # -e: the startup error log too, before the config's error_log takes over.
        args = [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        with running(args, ready_url=base + ready_path, timeout=timeout) as proc:
            yield Balancer(url=base, pid=proc.pid, prefix=prefix)
