"""The audit log: one entry per tool call, committed before the call's result goes back.

Each entry holds the time (UTC), the client, the transport, the source, the tool,
the arguments with secrets redacted, the outcome (``ok``, ``refused`` with the
rule, ``error``), the rows or bytes returned and the duration.

It is a SQLite file in WAL mode with ``synchronous=FULL``: :meth:`AuditLog.write`
returns only once the entry is fsynced to the WAL, so an entry whose call got a
result survives a ``kill -9`` of the server and a crash of the machine. Triggers
abort every UPDATE and DELETE, so the server (or anyone using the file through
SQLite) can only append; rotation is the one exception, and it keeps every entry.

Rotation (``[server] audit_max_bytes`` and ``audit_max_age_days``): the entries
are copied to ``audit.<UTC time>.db`` beside the live file, then deleted from the
live file, under the live file's write lock. The live file is never renamed,
because renaming a WAL database that another server process still has open can
corrupt it (https://www.sqlite.org/howtocorrupt.html, section 2.4), and several
servers (Claude Desktop's, the agent's, an HTTP one) may share one data
directory. A crash between the copy and the delete leaves an entry in both
files; readers drop the duplicate by its id.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from connectors.config import Config
from connectors.errors import RagboxError

__all__ = [
    "AuditEntry",
    "AuditError",
    "AuditLog",
    "Outcome",
    "arguments_json",
    "audit_path",
    "detail_text",
    "known_secrets",
    "parse_since",
    "read_entries",
    "redact",
    "rotated_files",
    "utc_stamp",
]

log = logging.getLogger("servers.audit")

Outcome = Literal["ok", "refused", "error"]
REDACTED = "[redacted]"
SECRET_KEY = re.compile(r"token|passw|secret|api[_-]?key|authorization|cookie|credential|private[_-]?key", re.I)
"""Argument names whose values are never logged, whatever they hold."""
MAX_ARGUMENT_CHARS = 4_000
MAX_DETAIL_CHARS = 300
MIN_SUBSTRING_SECRET = 8
"""Shorter secrets are redacted only where a whole value equals them, so a short one cannot blank out text."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    client TEXT NOT NULL,
    transport TEXT NOT NULL,
    source TEXT,
    tool TEXT NOT NULL,
    arguments TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'error')),
    rule TEXT,
    detail TEXT,
    rows INTEGER,
    bytes INTEGER,
    duration_ms REAL NOT NULL
);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
_NO_DELETE = """
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


class AuditError(RagboxError):
    """servers.audit: the audit log could not be opened or written."""


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """One tool call as the log keeps it; ``arguments`` is JSON, already redacted."""

    ts: str
    client: str
    transport: str
    source: str | None
    tool: str
    arguments: str
    outcome: Outcome
    rule: str | None = None
    detail: str | None = None
    rows: int | None = None
    bytes: int | None = None
    duration_ms: float
    id: int | None = None


_COLUMNS = tuple(f.name for f in fields(AuditEntry) if f.name != "id")
_INSERT = f"INSERT INTO entries ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"


def utc_stamp(moment: float | None = None) -> str:
    """``2026-12-01T10:00:00.123Z``: how entries are timed; sorts as text."""
    when = datetime.fromtimestamp(time.time() if moment is None else moment, timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _create(conn: sqlite3.Connection) -> None:
    conn.executescript(_SCHEMA + _NO_DELETE)


class AuditLog:
    """The live audit file, opened once per server; :meth:`write` is safe from any thread."""

    def __init__(self, path: Path, *, max_bytes: int = 64 * 2**20, max_age_days: float = 30,
                 clock: Any = time.time) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.max_age_s = max_age_days * 86_400
        self._clock = clock
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = _connect(path)
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise sqlite3.OperationalError(f"journal_mode is {mode}, not wal")
            self._conn.execute("PRAGMA synchronous = FULL")  # fsync each commit: no acknowledged entry is lost
            _create(self._conn)
        except (OSError, sqlite3.Error) as exc:
            raise AuditError(
                f"Cannot open the audit log {path}: {exc}. Fix the path or its permissions, "
                "or turn the log off with [server] audit = false."
            ) from None

    def write(self, entry: AuditEntry) -> None:
        """Append ``entry`` and commit it (fsynced) before returning; then rotate if due."""
        row = tuple(getattr(entry, name) for name in _COLUMNS)
        with self._lock:
            try:
                self._conn.execute(_INSERT, row)  # autocommit: one transaction, one fsync
            except (sqlite3.Error, MemoryError) as exc:  # SQLite's heap limit is the whole process's
                raise AuditError(f"Cannot write to the audit log {self.path}: {exc}") from None
            try:
                if self._due():
                    self._rotate()
            except (OSError, sqlite3.Error, MemoryError) as exc:  # the entry is safe; rotation waits
                log.warning("Could not rotate the audit log %s: %s", self.path, exc)

    def _due(self) -> bool:
        page_size, pages, free = (self._conn.execute(f"PRAGMA {p}").fetchone()[0]
                                  for p in ("page_size", "page_count", "freelist_count"))
        if (pages - free) * page_size > self.max_bytes:
            return True
        if not self.max_age_s:
            return False
        first = self._conn.execute("SELECT ts FROM entries ORDER BY id LIMIT 1").fetchone()
        return first is not None and first[0] < utc_stamp(self._clock() - self.max_age_s)

    def rotate(self) -> Path | None:
        """Move every live entry to a timestamped file now; returns it (None when the log is empty)."""
        with self._lock:
            return self._rotate(force=True)

    def _rotate(self, *, force: bool = False) -> Path | None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")  # no other server appends while entries move
        try:
            last = conn.execute("SELECT max(id) FROM entries").fetchone()[0]
            if last is None or not (force or self._due()):  # another process may have rotated already
                conn.execute("ROLLBACK")
                return None
            target = self._copy_out(last)
            conn.execute("DROP TRIGGER entries_no_delete")
            conn.execute("DELETE FROM entries WHERE id <= ?", (last,))
            conn.execute(_NO_DELETE)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass  # a reader holds the WAL; the next checkpoint shrinks it
        log.info("Audit log rotated: entries up to %s moved to %s", last, target)
        return target

    def _copy_out(self, last: int) -> Path:
        stamp = datetime.fromtimestamp(self._clock(), timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.stem}.{stamp}{self.path.suffix}")
        n = 1
        while target.exists():
            target = self.path.with_name(f"{self.path.stem}.{stamp}-{n}{self.path.suffix}")
            n += 1
        out = sqlite3.connect(target.resolve().as_uri(), uri=True, isolation_level=None)
        try:
            out.execute("PRAGMA synchronous = FULL")
            _create(out)
            out.execute("ATTACH DATABASE ? AS live", (f"{self.path.resolve().as_uri()}?mode=ro",))
            out.execute("BEGIN")
            out.execute(f"INSERT INTO main.entries (id, {', '.join(_COLUMNS)}) "
                        f"SELECT id, {', '.join(_COLUMNS)} FROM live.entries WHERE id <= ?", (last,))
            out.execute("COMMIT")
        finally:
            out.close()
        os.chmod(target, 0o600)
        return target

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def rotated_files(path: Path) -> list[Path]:
    """The rotated files of the log at ``path``, oldest first."""
    pattern = re.compile(rf"^{re.escape(path.stem)}\.(\d{{8}}T\d{{6}}Z)(?:-(\d+))?{re.escape(path.suffix)}$")
    found = []
    for candidate in path.parent.glob(f"{path.stem}.*{path.suffix}"):
        if match := pattern.match(candidate.name):
            found.append(((match[1], int(match[2] or 0)), candidate))
    return [p for _, p in sorted(found)]


def read_entries(path: Path, *, since: str | None = None, client: str | None = None,
                 outcome: Outcome | None = None, limit: int | None = None) -> list[AuditEntry]:
    """Entries from the live file and every rotated one, oldest first; ``limit`` keeps the newest."""
    where, params = [], []
    for column, value in (("ts >= ?", since), ("client = ?", client), ("outcome = ?", outcome)):
        if value is not None:
            where.append(column)
            params.append(value)
    sql = f"SELECT id, {', '.join(_COLUMNS)} FROM entries" + (f" WHERE {' AND '.join(where)}" if where else "")
    found: dict[int, AuditEntry] = {}
    for file in [*rotated_files(path), *([path] if path.exists() else [])]:
        try:
            conn = _connect(file, read_only=True)
            try:
                for row in conn.execute(sql, params):
                    found[row[0]] = AuditEntry(id=row[0], **dict(zip(_COLUMNS, row[1:])))
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise AuditError(f"Cannot read the audit log {file}: {exc}") from None
    entries = [found[i] for i in sorted(found)]
    return entries[-limit:] if limit else entries


def audit_path(config: Config | None) -> Path | None:
    """Where the log lives: ``[server] audit`` (default ``<data_dir>/audit.db``); None when off or without a config."""
    if config is None or config.server.audit is False:
        return None
    return config.data_dir / "audit.db" if config.server.audit is True else config.server.audit


def known_secrets(config: Config | None, env: Mapping[str, str]) -> list[str]:
    """Every secret value the server knows: RAGBOX_AUTH_TOKEN and what the config's ``*_env`` keys name."""
    names = ["RAGBOX_AUTH_TOKEN"]
    urls = []
    if config is not None:
        for api in config.apis:
            if api.auth is not None:
                names += [n for n in (api.auth.token_env, api.auth.password_env) if n]
        for source in config.mcp_servers:
            names += [source.token_env] if source.token_env else []
        if config.llm.api_key_env:
            names.append(config.llm.api_key_env)
        urls = [env.get(db.url_env, "") for db in config.databases if db.url_env]
    values = [env.get(name, "") for name in names] + urls
    for url in urls:
        try:
            values.append(urlsplit(url).password or "")
        except ValueError:
            pass
    return sorted({v for v in values if v}, key=len, reverse=True)


def redact(value: Any, secrets: Sequence[str]) -> Any:
    """``value`` with secret-named keys and known secret values replaced by ``[redacted]``."""
    if isinstance(value, Mapping):
        return {k: REDACTED if SECRET_KEY.search(str(k)) else redact(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, secrets) for v in value]
    if isinstance(value, str):
        return _scrub(value, secrets)
    return value


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if text == secret:
            return REDACTED
        if len(secret) >= MIN_SUBSTRING_SECRET and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def arguments_json(arguments: Mapping[str, Any], secrets: Sequence[str]) -> str:
    """The redacted arguments as JSON, cut to a bounded size."""
    text = json.dumps(redact(arguments, secrets), ensure_ascii=False, default=str, separators=(",", ":"))
    return text if len(text) <= MAX_ARGUMENT_CHARS else text[:MAX_ARGUMENT_CHARS] + "…[cut]"


def detail_text(message: str, secrets: Sequence[str]) -> str:
    """The first line of an error message, redacted and cut, for the ``detail`` column."""
    first = _scrub(message.strip().splitlines()[0] if message.strip() else "", secrets)
    return first if len(first) <= MAX_DETAIL_CHARS else first[:MAX_DETAIL_CHARS] + "…"


def parse_since(text: str, now: float | None = None) -> str:
    """``30m``, ``1h``, ``2d`` (ago) or an ISO time (UTC unless it says otherwise) → an entry timestamp."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhdw])", text.strip())
    now = time.time() if now is None else now
    if match:
        unit = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}[match[2]]
        return utc_stamp(now - float(match[1]) * unit)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since wants 30m, 1h, 2d or a time such as 2026-12-01T10:00, not {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return utc_stamp(moment.timestamp())
