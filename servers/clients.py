"""Named client tokens: who may call the servers over HTTP, and which sources each may use.

The file is named by ``[server] clients`` in ragbox.toml (relative to it) or by
``RAGBOX_CLIENTS_FILE``, and written by ``python -m servers clients``::

    # ragbox client tokens, written by `python -m servers clients`. ...
    [clients."claude-desktop"]
    sources = ["handbook", "sales"]      # or ["*"]: every source
    token_sha256 = "3b1f…"
    created = "2026-12-01T10:00:00Z"
    rotated = "2026-12-05T09:12:44Z"

A token is kept only as its SHA-256. A slow password hash (bcrypt, argon2) would
buy nothing here: tokens are 256 random bits from :func:`new_token`, so no one can
find a token from its hash by guessing, and a slow hash would cost every request
milliseconds. The file tells a reader who may use what, never how to get in.

A running server stats the file on every request and reads it again when it
changed, so ``clients add``/``rotate``/``rm`` take effect without a restart. A
version that does not parse is ignored with a warning and the last good one
stays in force; a deleted file means no named client is let in.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.config import Config
from connectors.errors import ConfigError
from connectors.names import SOURCE_NAME

__all__ = [
    "ALL_SOURCES",
    "ANONYMOUS",
    "CALLER_SCOPE_KEY",
    "Caller",
    "ClientEntry",
    "ClientRegistry",
    "ClientsFile",
    "LOCAL",
    "SHARED_TOKEN",
    "add_client",
    "clients_path",
    "hash_token",
    "new_token",
    "read_clients",
    "remove_client",
    "rotate_client",
    "write_clients",
]

log = logging.getLogger("servers.clients")

CALLER_SCOPE_KEY = "ragbox.caller"
"""Where the HTTP transport leaves the authenticated :class:`Caller` in the ASGI scope."""
CLIENT_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
ALL_SOURCES = "*"
_HEADER = (
    "# ragbox client tokens, written by `python -m servers clients`; edit with that command.\n"
    "# Tokens are stored only as SHA-256 hashes: a lost token cannot be read back, rotate it instead.\n"
)


@dataclass(frozen=True)
class Caller:
    """Who is calling: a client's name, the sources it may use (``None``: every source), and
    the claims of its verified token (empty for the local user and static tokens)."""

    name: str
    sources: frozenset[str] | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def allows(self, source: str | None) -> bool:
        """May this caller use ``source``? A tool or resource with no source is for all-sources callers only."""
        return self.sources is None or (source is not None and source in self.sources)


LOCAL = Caller("local")
"""The user who launched a stdio server (or an in-process client): every source."""
SHARED_TOKEN = Caller("default")
"""Whoever sends ``RAGBOX_AUTH_TOKEN``, the one shared token of earlier versions: every source."""
ANONYMOUS = Caller("anonymous")
"""An HTTP caller on loopback when no token of any kind is configured: every source, as before."""
RESERVED = frozenset({LOCAL.name, SHARED_TOKEN.name, ANONYMOUS.name})


class ClientEntry(BaseModel):
    """One named client in the clients file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: list[str] = Field(min_length=1, description='Source names, or ["*"] for every source.')
    token_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    created: str
    rotated: str | None = None

    @field_validator("sources")
    @classmethod
    def _source_names(cls, value: list[str]) -> list[str]:
        bad = [s for s in value if s != ALL_SOURCES and not re.match(SOURCE_NAME, s)]
        if bad:
            raise ValueError(f"not source names: {', '.join(bad)}")
        return value

    def caller(self, name: str) -> Caller:
        return Caller(name, None if ALL_SOURCES in self.sources else frozenset(self.sources))


class ClientsFile(BaseModel):
    """The whole clients file: client name → entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clients: dict[str, ClientEntry] = Field(default_factory=dict)

    @field_validator("clients")
    @classmethod
    def _client_names(cls, value: dict[str, ClientEntry]) -> dict[str, ClientEntry]:
        for name in value:
            _check_name(name)
        hashes = [e.token_sha256 for e in value.values()]
        if len(set(hashes)) != len(hashes):
            raise ValueError("two clients share one token; rotate one of them")
        return value


def _check_name(name: str) -> None:
    if not re.match(CLIENT_NAME, name):
        raise ValueError(f"client name {name!r} must be 1-64 letters, digits, '_', '.' or '-'")
    if name in RESERVED:
        raise ValueError(f"client name {name!r} is reserved for the built-in clients ({', '.join(sorted(RESERVED))})")


def new_token() -> str:
    """A fresh client token: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 a token is stored as (see the module docstring for why that is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


def read_clients(path: Path) -> ClientsFile:
    """Parse the clients file; a missing file holds no clients."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ClientsFile()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the clients file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The clients file {path} is not valid TOML: {exc}") from None
    try:
        return ClientsFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        )
        raise ConfigError(f"The clients file {path} is invalid: {problems}") from None


def _dump(clients: ClientsFile) -> str:
    parts = [_HEADER]
    for name, entry in sorted(clients.clients.items()):
        # JSON strings and arrays of strings are valid TOML, with every escape TOML needs.
        lines = [f"[clients.{json.dumps(name)}]", f"sources = {json.dumps(entry.sources)}",
                 f"token_sha256 = {json.dumps(entry.token_sha256)}", f"created = {json.dumps(entry.created)}"]
        if entry.rotated:
            lines.append(f"rotated = {json.dumps(entry.rotated)}")
        parts.append("\n" + "\n".join(lines) + "\n")
    return "".join(parts)


def write_clients(path: Path, clients: ClientsFile) -> None:
    """Replace the clients file atomically (a temporary file, then a rename), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(_dump(clients))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


@contextlib.contextmanager
def _editing(path: Path) -> Iterator[dict[str, ClientEntry]]:
    """Read, change and write the file under a lock, so two commands at once lose no edit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        clients = dict(read_clients(path).clients)
        yield clients
        try:
            updated = ClientsFile(clients=clients)
        except ValidationError as exc:
            raise ConfigError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
        write_clients(path, updated)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_client(path: Path, name: str, sources: Iterable[str]) -> str:
    """Add client ``name`` allowed ``sources``; returns its token, which is stored only as a hash."""
    try:
        _check_name(name)
        entry_sources = sorted(set(sources))
        token = new_token()
        entry = ClientEntry(sources=entry_sources, token_sha256=hash_token(token), created=_now())
    except (ValueError, ValidationError) as exc:
        message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise ConfigError(message.removeprefix("Value error, ")) from None
    with _editing(path) as clients:
        if name in clients:
            raise ConfigError(f"A client named {name!r} exists; rotate its token or remove it first.")
        clients[name] = entry
    return token


def rotate_client(path: Path, name: str) -> str:
    """Give ``name`` a new token; the old one stops working as soon as a server sees the file change."""
    token = new_token()
    with _editing(path) as clients:
        clients[name] = _existing(clients, name, path).model_copy(
            update={"token_sha256": hash_token(token), "rotated": _now()}
        )
    return token


def remove_client(path: Path, name: str) -> None:
    """Remove ``name``; its token stops working as soon as a server sees the file change."""
    with _editing(path) as clients:
        _existing(clients, name, path)
        del clients[name]


def _existing(clients: dict[str, ClientEntry], name: str, path: Path) -> ClientEntry:
    if name not in clients:
        known = ", ".join(sorted(clients)) or "none yet"
        raise ConfigError(f"No client named {name!r} in {path} (clients: {known}).")
    return clients[name]


class ClientRegistry:
    """The clients file as a running server sees it: re-read when it changes, last good version kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: object = object()  # the (inode, mtime, size) last looked at, good or bad
        self._callers: list[tuple[str, Caller]] = []
        self.refresh()

    def refresh(self) -> None:
        """Stat the file (cheap); read it again only when it changed."""
        try:
            st = os.stat(self.path)
            version: object = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            version = None
        except OSError as exc:
            version = ("error", str(exc))
        if version == self._seen:
            return
        self._seen = version
        if version is None:
            if self._callers:
                log.warning("The clients file %s is gone: no named client is let in until it is back.", self.path)
            self._callers = []
            return
        try:
            clients = read_clients(self.path)
        except ConfigError as exc:
            log.warning("%s. The last good version stays in force.", exc)
            return
        self._callers = [(e.token_sha256, e.caller(name)) for name, e in clients.clients.items()]

    def authenticate(self, token: str) -> Caller | None:
        """The client that ``token`` belongs to, or None; every stored hash is compared, in constant time each."""
        self.refresh()
        digest = hash_token(token)
        found = None
        for stored, caller in self._callers:
            if hmac.compare_digest(digest, stored):
                found = caller
        return found

    def __len__(self) -> int:
        return len(self._callers)


def clients_path(config: Config | None) -> Path | None:
    """The clients file: ``RAGBOX_CLIENTS_FILE``, else ``[server] clients``; None when neither is set."""
    named = os.environ.get("RAGBOX_CLIENTS_FILE")
    if named:
        return Path(named).expanduser().resolve()
    return config.server.clients if config is not None else None
