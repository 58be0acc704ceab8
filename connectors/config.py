"""The ``ragbox.toml`` config file, parsed into frozen pydantic models in one place.

Servers and the agent share these models. Relative paths in the file (document
folders, OpenAPI specs, SQLite files, the data directory) are resolved against
the folder that holds the config file, so a config works from any working
directory. Secrets are never read from the file: a section names the environment
variable that holds each one, and the entry point passes the environment in.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from connectors.errors import ConfigError
from connectors.names import SOURCE_NAME

__all__ = [
    "ApiAuth",
    "ApiSource",
    "ColumnMask",
    "Config",
    "DatabaseSource",
    "DocumentsSource",
    "EmbeddingsConfig",
    "LLMConfig",
    "McpServerSource",
    "OAuthConfig",
    "Redaction",
    "RowFilter",
    "ServerConfig",
    "SourceConfig",
    "SqlExample",
    "VectorStoreConfig",
    "find_config_path",
    "load_config",
    "parse_config",
]

class _Section(BaseModel):
    """Frozen, keyword-only, and strict about unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _base_dir(info: ValidationInfo) -> Path:
    return Path((info.context or {}).get("base_dir", "."))


def _resolve(path: Path, info: ValidationInfo) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else (_base_dir(info) / path).resolve()


def _secret(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name)
    if not value:
        raise ConfigError(f"{what} needs the environment variable {name}; set it and try again.")
    return value


class LLMConfig(_Section):
    """The agent's LLM.

    ``provider = "auto"`` (the default, and what an absent ``[llm]`` means) uses Ollama at
    ``host`` when it answers and has a suitable model, else the embedded llama.cpp model.
    """

    provider: str = Field(
        "auto", description="auto | ollama | openai (any OpenAI-compatible server) | llamacpp (embedded)"
    )
    model: str | None = Field(
        None,
        description="The model: an Ollama tag, a server's model name, or for llamacpp a name from "
        "`python -m agent models list` or a path to a .gguf file. Default: the provider's own.",
    )
    router_model: str | None = Field(None, description="A smaller model for routing, if any.")
    host: str = "http://127.0.0.1:11434"
    api_key_env: str | None = Field(None, description="Environment variable holding an API key.")
    timeout_s: float = Field(120.0, gt=0, le=3600)
    temperature: float = Field(0.0, ge=0, le=2)
    num_ctx: int | None = Field(None, ge=512, description="Context window, in tokens.")
    keep_alive: str | None = None
    models_dir: Path | None = Field(
        None, description="Where managed GGUF models live (default: $RAGBOX_MODELS_DIR, else the user cache)."
    )
    threads: int | None = Field(None, ge=1, le=512, description="CPU threads for llamacpp (default: all cores).")

    @field_validator("models_dir")
    @classmethod
    def _resolve_models_dir(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _resolve(value, info)


class EmbeddingsConfig(_Section):
    """Which embedder turns text into vectors (documents and the agent's router)."""

    provider: str = Field("default", description="default | minilm-int8 | ollama | hashing")
    model: str | None = None
    host: str | None = None
    models_dir: Path | None = Field(
        None, description="Folder holding all-MiniLM-L6-v2/onnx/ (default: Chroma's cache)."
    )

    @field_validator("models_dir")
    @classmethod
    def _resolve_models_dir(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _resolve(value, info)


class SourceConfig(_Section):
    """What every source section has. ``kind`` is how the kind is spelled everywhere:
    in the agent, in citations, in ``servers check`` and in tool metadata."""

    kind: ClassVar[str]
    name: Annotated[str, Field(pattern=SOURCE_NAME)]
    description: str = ""
    examples: list[str] = Field(
        default_factory=list, description="Example questions this source answers (for routing)."
    )


class Redaction(_Section):
    """``[[documents.redact]]``: text replaced in search hits and documents before they leave the server.

    Give one of ``pattern`` (a built-in: ``email``, ``phone``, ``iban``) or ``regex``
    (Python syntax; every match is replaced).
    """

    pattern: Literal["email", "phone", "iban"] | None = None
    regex: str | None = None
    replacement: str = Field("[redacted]", description="What each match becomes.")

    @model_validator(mode="after")
    def _one_kind(self) -> Redaction:
        if (self.pattern is None) == (self.regex is None):
            raise ValueError("give exactly one of 'pattern' or 'regex'")
        if self.regex is not None:
            try:
                compiled = re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"'regex' is not a valid regular expression: {exc}") from None
            if compiled.match(""):
                raise ValueError("'regex' matches the empty string, so it would redact nothing useful")
        return self


class DocumentsSource(SourceConfig):
    """A set of document folders, indexed into the vector store."""

    kind: ClassVar[str] = "documents"

    paths: list[Path] = Field(min_length=1)
    include: list[str] = Field(
        default_factory=lambda: ["**/*"], description="Glob patterns, relative to each path."
    )
    exclude: list[str] = Field(default_factory=list)
    chunk_tokens: int = Field(
        180, ge=32, le=2_000, description="Token budget per chunk (MiniLM reads at most 256)."
    )
    chunk_overlap: int = Field(30, ge=0, le=500, description="Tokens repeated between chunks.")
    max_file_bytes: int = Field(
        50_000_000, ge=1, description="Files larger than this are skipped with a reason."
    )
    redact: list[Redaction] = Field(
        default_factory=list, description="Patterns replaced in search hits and get_document text."
    )

    @model_validator(mode="after")
    def _overlap_below_budget(self) -> DocumentsSource:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("'chunk_overlap' must be smaller than 'chunk_tokens'")
        return self

    @field_validator("paths")
    @classmethod
    def _resolve_paths(cls, value: list[Path], info: ValidationInfo) -> list[Path]:
        return [_resolve(p, info) for p in value]


class SqlExample(_Section):
    """A question with its SQL: few-shot material for text-to-SQL."""

    question: str
    sql: str


MaskPolicy = Literal["redact", "hash", "last4", "email_domain", "deny"]


class ColumnMask(_Section):
    """``[[databases.mask]]``: a column whose stored values never leave the server.

    ``policy`` says what a result shows instead of a value: ``redact`` a fixed mark,
    ``hash`` a keyed hash (equal values stay equal), ``last4`` the last four characters,
    ``email_domain`` only the part after ``@``; ``deny`` refuses any query that would
    return it. A value may be returned only as selected: a query that computes on it
    (``salary + 0``, ``substr(email, 1, 3)``) is refused, through aliases, subqueries,
    CTEs and UNIONs alike.
    """

    table: str
    column: str
    policy: MaskPolicy
    in_conditions: Literal["refuse", "allow"] = Field(
        "refuse",
        description="Whether WHERE, JOIN ON, GROUP BY, HAVING, ORDER BY, window clauses and aggregates "
        "(COUNT, SUM, AVG…) may use the column. Its values stay out of results either way, but a "
        "condition can test a guess (WHERE ssn LIKE '1%'), and an aggregate over one row is that "
        "row's value, so the default refuses.",
    )


class RowFilter(_Section):
    """``[[databases.row_filter]]``: a caller sees only the rows of ``table`` whose ``column``
    equals their token's ``claim`` (any of them, for a list claim).

    Every reference to the table in a query is replaced by the filtered rows, in
    subqueries, CTEs and joins too; a caller whose token lacks the claim cannot read the
    table at all. The local user (stdio) is the operator and sees every row.
    """

    table: str
    column: str
    claim: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.:-]{0,99}$")


class DatabaseSource(SourceConfig):
    """A database reached through a SQLAlchemy URL, read-only."""

    kind: ClassVar[str] = "database"

    url: str | None = Field(None, description="SQLAlchemy URL without a password.")
    url_env: str | None = Field(None, description="Environment variable holding the URL.")
    tables: list[str] | None = Field(None, description="Allow-list of tables; None allows all.")
    max_rows: int = Field(200, ge=1, le=10_000)
    timeout_s: float = Field(5.0, gt=0, le=300)
    max_cell_chars: int = Field(1_000, ge=16, le=1_000_000)
    max_value_bytes: int = Field(
        4 * 2**20, ge=1_024, le=32 * 2**20,
        description="The largest string, blob or row a query may build or return (SQLite's "
        "SQLITE_LIMIT_LENGTH; a per-row check on PostgreSQL). Stored values above it cannot be "
        "read, so raise it only for a database that keeps bigger ones; at most 32 MiB, a quarter "
        "of SQLite's heap limit for the whole server.",
    )
    sql_examples: list[SqlExample] = Field(default_factory=list)
    mask: list[ColumnMask] = Field(default_factory=list)
    row_filter: list[RowFilter] = Field(default_factory=list)
    postgres_claims: list[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")]] = Field(
        default_factory=list,
        description="PostgreSQL: claims each HTTP caller's queries see as the transaction-local setting "
        "ragbox.claim.<name> (values joined by ','), for row-level security policies to read with "
        "current_setting('ragbox.claim.<name>', true).",
    )
    postgres_role_claim: str | None = Field(
        None, description="PostgreSQL: the claim naming the role each HTTP caller's queries run as "
        "(SET LOCAL ROLE, bound; the login role must be a member). A caller without it is refused.",
    )

    @model_validator(mode="after")
    def _one_url(self) -> DatabaseSource:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of 'url' or 'url_env'")
        return self

    @model_validator(mode="after")
    def _one_rule_per_column(self) -> DatabaseSource:
        for what, entries in (("mask", self.mask), ("row_filter", self.row_filter)):
            seen = set()
            for entry in entries:
                key = (entry.table.lower(), entry.column.lower()) if what == "mask" else entry.table.lower()
                if key in seen:
                    raise ValueError(f"two '{what}' entries for {'.'.join(key) if what == 'mask' else key}")
                seen.add(key)
        return self

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a SQLAlchemy URL: {exc}") from None
        if url.password:
            raise ValueError(
                "the URL holds a password; put the whole URL in an environment variable "
                "and name it with 'url_env'"
            )
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            url = url.set(database=str(_resolve(Path(url.database), info)))
        return url.render_as_string(hide_password=False)

    def resolve_url(self, env: Mapping[str, str]) -> str:
        """The URL to connect with, reading ``url_env`` from ``env`` when set."""
        if self.url is not None:
            return self.url
        assert self.url_env is not None
        return _secret(env, self.url_env, f"Database '{self.name}'")


class ApiAuth(_Section):
    """How to authenticate to an API; the secret always comes from ``*_env``."""

    type: Literal["bearer", "header", "query", "basic"]
    token_env: str | None = Field(None, description="bearer/header/query: variable holding the key")
    name: str | None = Field(None, description="header/query: the header or parameter name")
    username_env: str | None = None
    password_env: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> ApiAuth:
        needs = {
            "bearer": ["token_env"],
            "header": ["token_env", "name"],
            "query": ["token_env", "name"],
            "basic": ["username_env", "password_env"],
        }[self.type]
        missing = [key for key in needs if getattr(self, key) is None]
        if missing:
            raise ValueError(f"auth type '{self.type}' needs {', '.join(missing)}")
        return self


class ApiSource(SourceConfig):
    """An HTTP API described by an OpenAPI 3 spec."""

    kind: ClassVar[str] = "api"

    openapi: str = Field(description="Path or URL of the OpenAPI spec (YAML or JSON).")
    base_url: str
    methods: list[str] = Field(default_factory=lambda: ["GET"])
    include: list[str] = Field(default_factory=list, description="operationIds or tags to keep")
    exclude: list[str] = Field(default_factory=list, description="operationIds or tags to drop")
    auth: ApiAuth | None = None
    timeout_s: float = Field(10.0, gt=0, le=300)
    max_response_bytes: int = Field(200_000, ge=1_000, le=50_000_000)
    headers: dict[str, str] = Field(default_factory=dict, description="Static, non-secret headers.")

    @field_validator("methods")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        return [m.upper() for m in value]

    @field_validator("openapi")
    @classmethod
    def _resolve_spec(cls, value: str, info: ValidationInfo) -> str:
        if re.match(r"^https?://", value):
            return value
        return str(_resolve(Path(value), info))


class McpServerSource(SourceConfig):
    """Another MCP server the agent may route to, by command (stdio) or URL (HTTP)."""

    kind: ClassVar[str] = "mcp"

    command: list[str] | None = None
    url: str | None = None
    token_env: str | None = None
    env: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerSource:
        if (self.command is None) == (self.url is None):
            raise ValueError("give exactly one of 'command' or 'url'")
        return self


class VectorStoreConfig(_Section):
    """Where vectors live: Chroma in the data directory, or a Chroma server at ``url``."""

    url: str | None = Field(
        None, description="Chroma server URL (from `chroma run`); None keeps Chroma in data_dir."
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/]+", value):
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8001")
        return value


class OAuthConfig(_Section):
    """``[server.oauth]``: accept the access tokens (JWTs) an OAuth 2.1 authorization server issues.

    The HTTP server becomes an OAuth resource server (MCP's authorization spec): it checks
    each token's signature against the issuer's keys, its issuer, audience, expiry and
    scopes, serves its protected-resource metadata (RFC 9728) and answers 401 with a
    ``WWW-Authenticate`` header that points there. The token's claims scope rows
    (``[[databases.row_filter]]``). Static tokens keep working beside it.
    """

    issuer: str = Field(description="The authorization server's issuer URL: tokens must carry it as 'iss'.")
    resource: str = Field(
        description="This server's public URL as clients reach it, e.g. \"https://rag.example.com/mcp\"; "
        "the metadata names it, and tokens must carry it in 'aud' unless 'audience' says otherwise.",
    )
    audience: str | None = Field(None, description="The 'aud' tokens must carry; default: 'resource'.")
    jwks_url: str | None = Field(None, description="Where the issuer publishes its signing keys (JWKS).")
    jwks_file: Path | None = Field(None, description="A JWKS file instead of 'jwks_url' (offline, or for tests).")
    algorithms: list[Literal["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]] = Field(
        default_factory=lambda: ["RS256", "ES256"], min_length=1,
        description="Signature algorithms accepted; symmetric (HS*) and 'none' never are.",
    )
    required_scopes: list[str] = Field(default_factory=list, description="Scopes every token must hold.")
    leeway_s: float = Field(30, ge=0, le=300, description="Clock skew allowed on 'exp' and 'nbf'.")

    @field_validator("jwks_file")
    @classmethod
    def _resolve_jwks(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _resolve(value, info)

    @model_validator(mode="after")
    def _one_key_source(self) -> OAuthConfig:
        if (self.jwks_url is None) == (self.jwks_file is None):
            raise ValueError("give exactly one of 'jwks_url' or 'jwks_file'")
        for name, url in (("issuer", self.issuer), ("resource", self.resource), ("jwks_url", self.jwks_url)):
            if url is not None and not re.match(r"https?://[^/\s]+", url):
                raise ValueError(f"'{name}' must be an http(s) URL, not {url!r}")
        return self


class ServerConfig(_Section):
    """``[server]``: who may call ``python -m servers``, and the audit log of what they called.

    Paths are relative to the config file.
    """

    clients: Path | None = Field(
        None,
        description="TOML file of named client tokens (stored as hashes) and the sources each may use, "
        "managed by `python -m servers clients`. Unset: one shared RAGBOX_AUTH_TOKEN, as before. "
        "RAGBOX_CLIENTS_FILE overrides it.",
    )
    audit: bool | Path = Field(
        True,
        description="The audit log of every tool call (SQLite): true = <data_dir>/audit.db, false = off, "
        "or a path.",
    )
    audit_max_bytes: int = Field(
        64 * 2**20, ge=16_384, description="Rotate the live audit file once its entries pass this size."
    )
    audit_max_age_days: float = Field(
        30, ge=0, description="Rotate once the oldest live entry is older than this; 0 = never by age."
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host header values the HTTP server accepts besides loopback and its bind address, "
        "such as the name a load balancer serves (\"rag.example.com\", or \"rag.example.com:*\" for any port).",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Browser Origin values the HTTP server accepts besides its own, such as \"https://rag.example.com\".",
    )
    oauth: OAuthConfig | None = Field(None, description="Accept OAuth 2.1 access tokens (JWTs) too.")

    @field_validator("clients")
    @classmethod
    def _resolve_clients(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _resolve(value, info)

    @field_validator("audit")
    @classmethod
    def _resolve_audit(cls, value: bool | Path, info: ValidationInfo) -> bool | Path:
        return _resolve(value, info) if isinstance(value, Path) else value


class Config(_Section):
    """The whole ``ragbox.toml``."""

    llm: LLMConfig = Field(default_factory=LLMConfig)
    embeddings: EmbeddingsConfig = Field(default_factory=EmbeddingsConfig)
    data_dir: Path = Field(
        Path(".ragbox"), validate_default=True, description="Indexes and manifests live here."
    )
    vector_store: VectorStoreConfig = Field(default_factory=VectorStoreConfig)
    documents: list[DocumentsSource] = Field(default_factory=list)
    databases: list[DatabaseSource] = Field(default_factory=list)
    apis: list[ApiSource] = Field(default_factory=list)
    mcp_servers: list[McpServerSource] = Field(default_factory=list)
    server: ServerConfig = Field(default_factory=ServerConfig)

    @field_validator("data_dir")
    @classmethod
    def _resolve_data_dir(cls, value: Path, info: ValidationInfo) -> Path:
        return _resolve(value, info)

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        seen: set[str] = set()
        for source in self.sources():
            if source.name in seen:
                raise ValueError(f"source name '{source.name}' is used twice; names must be unique")
            seen.add(source.name)
        return self

    def sources(self) -> list[SourceConfig]:
        """Every configured source, in file order within each section, sections as declared here."""
        found: list[SourceConfig] = []
        for key in type(self).model_fields:
            value = getattr(self, key)
            if isinstance(value, list):
                found += [item for item in value if isinstance(item, SourceConfig)]
        return found


def _describe(error: ValidationError, origin: str) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(
            f"[{part}]" if isinstance(part, int) else str(part) for part in item["loc"]
        ).replace(".[", "[")
        if item["type"] == "extra_forbidden":
            lines.append(f"unknown key '{where}'; check its spelling against the README")
        else:
            message = item["msg"].removeprefix("Value error, ")
            lines.append(f"'{where}': {message}" if where else message)
    return f"{origin}: " + "; ".join(lines)


def parse_config(data: Mapping[str, Any], *, base_dir: Path, origin: str = "config") -> Config:
    """Validate already-parsed TOML data; relative paths resolve against ``base_dir``."""
    try:
        return Config.model_validate(dict(data), context={"base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None


def find_config_path(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    """``--config``, else ``RAGBOX_CONFIG``, else ``./ragbox.toml``."""
    return Path(explicit or env.get("RAGBOX_CONFIG") or "ragbox.toml")


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a ``ragbox.toml``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"No config file at {path}; pass --config FILE or set RAGBOX_CONFIG."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    return parse_config(data, base_dir=path.resolve().parent, origin=str(path))
