"""The HTTP transport as an OAuth 2.1 resource server (``[server.oauth]``), as MCP's authorization spec asks.

    verifier = TokenVerifier(config.server.oauth)
    caller = verifier.verify(token)          # a Caller named "oauth:<sub>", with the token's claims
    verifier.metadata()                      # RFC 9728 protected-resource metadata
    verifier.challenge("invalid_token", …)   # the WWW-Authenticate value of a 401

A token is accepted only when all of these hold: its header names an accepted
asymmetric algorithm (never ``none`` nor HS*: a public key must not double as a
shared secret), its signature checks against the issuer's JWKS (a file, or a URL
whose keys are cached and re-fetched for an unknown ``kid``), and its ``iss``,
``aud``, ``exp`` (with leeway), ``nbf`` and ``sub`` are right, with every required
scope in ``scope`` or ``scp``. Token text never reaches a log or an error message.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
from mcp.server.auth.routes import build_resource_metadata_url
from mcp.shared.auth import ProtectedResourceMetadata

from connectors.config import OAuthConfig
from servers.clients import Caller

__all__ = ["METADATA_PATH", "OAuthRefusal", "TokenVerifier", "looks_like_jwt"]

METADATA_PATH = "/.well-known/oauth-protected-resource"
_MAX_TOKEN_CHARS = 16_384


@dataclass(frozen=True)
class OAuthRefusal(Exception):
    """Why a token was refused: an RFC 6750 error code, a description, and the HTTP status."""

    error: str
    description: str
    status: int = 401

    def __str__(self) -> str:
        return f"{self.error}: {self.description}"


def looks_like_jwt(token: str) -> bool:
    """Three base64url parts: worth verifying as a JWT (a static token never has two dots)."""
    return token.count(".") == 2 and len(token) <= _MAX_TOKEN_CHARS


class _FileKeys:
    """Keys from a JWKS file, read again when the file changes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stamp: tuple[int, int] | None = None
        self._keys: jwt.PyJWKSet | None = None
        self._lock = threading.Lock()

    def key(self, kid: str | None) -> jwt.PyJWK:
        with self._lock:
            stat = self._path.stat()
            if self._stamp != (stat.st_mtime_ns, stat.st_size):
                self._keys = jwt.PyJWKSet.from_dict(json.loads(self._path.read_text()))
                self._stamp = (stat.st_mtime_ns, stat.st_size)
            keys = list(self._keys or [])
        return _pick(keys, kid)


class _UrlKeys:
    """Keys from the issuer's JWKS URL, cached; an unknown ``kid`` re-fetches (a key rotated in)."""

    def __init__(self, url: str) -> None:
        self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)

    def key(self, kid: str | None) -> jwt.PyJWK:
        try:
            keys = self._client.get_signing_keys()
            try:
                return _pick(keys, kid)
            except OAuthRefusal:
                return _pick(self._client.get_signing_keys(refresh=True), kid)
        except jwt.PyJWKClientError as exc:
            raise OAuthRefusal("invalid_token", f"the issuer's signing keys could not be fetched ({exc})") from None


def _pick(keys: list[jwt.PyJWK], kid: str | None) -> jwt.PyJWK:
    if kid is None and len(keys) == 1:
        return keys[0]
    for key in keys:
        if kid is not None and key.key_id == kid:
            return key
    raise OAuthRefusal("invalid_token", "no signing key of the issuer matches the token's 'kid'")


class TokenVerifier:
    """Checks access tokens for one ``[server.oauth]`` config. Thread-safe."""

    def __init__(self, config: OAuthConfig) -> None:
        self.config = config
        self._audience = config.audience or config.resource
        self._keys = _FileKeys(config.jwks_file) if config.jwks_file else _UrlKeys(str(config.jwks_url))

    @property
    def metadata_url(self) -> str:
        """Where the metadata is (RFC 9728 §3.1: the well-known path, then the resource's path)."""
        return str(build_resource_metadata_url(self.config.resource))  # type: ignore[arg-type]

    @property
    def metadata_paths(self) -> tuple[str, ...]:
        """The local paths that serve the metadata: the RFC's, and the bare well-known path."""
        return tuple(dict.fromkeys((urlsplit(self.metadata_url).path, METADATA_PATH)))

    def metadata(self) -> dict[str, Any]:
        """The protected-resource metadata document (RFC 9728 §2)."""
        document = ProtectedResourceMetadata(
            resource=self.config.resource,  # type: ignore[arg-type]
            authorization_servers=[self.config.issuer],  # type: ignore[list-item]
            scopes_supported=self.config.required_scopes or None,
            resource_signing_alg_values_supported=None,
            resource_name="ragbox",
        )
        return document.model_dump(mode="json", exclude_none=True)

    def challenge(self, error: str | None = None, description: str | None = None) -> str:
        """A ``WWW-Authenticate`` value: where the metadata is and, for a refused token, why."""
        parts = [f'resource_metadata="{self.metadata_url}"']
        if self.config.required_scopes:
            parts.append(f'scope="{" ".join(self.config.required_scopes)}"')
        if error:
            parts.append(f'error="{error}"')
            if description:
                parts.append('error_description="' + description.replace('"', "'").replace("\\", "/") + '"')
        return "Bearer " + ", ".join(parts)

    def verify(self, token: str) -> Caller:
        """The caller ``token`` names, or ``OAuthRefusal``."""
        if not looks_like_jwt(token):
            raise OAuthRefusal("invalid_token", "the token is not a JWT")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise OAuthRefusal("invalid_token", "the token's header cannot be read") from None
        algorithm = header.get("alg")
        if algorithm not in self.config.algorithms:
            raise OAuthRefusal("invalid_token", f"tokens signed with {str(algorithm)[:20]!r} are not accepted; "
                                                f"use one of {', '.join(self.config.algorithms)}")
        kid = header.get("kid")
        key = self._keys.key(kid if isinstance(kid, str) else None)
        try:
            claims = jwt.decode(
                token, key, algorithms=[algorithm], audience=self._audience, issuer=self.config.issuer,
                leeway=self.config.leeway_s, options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise OAuthRefusal("invalid_token", "the token has expired") from None
        except jwt.PyJWTError as exc:
            raise OAuthRefusal("invalid_token", f"the token was refused ({_reason(exc)})") from None
        missing = [s for s in self.config.required_scopes if s not in _scopes(claims)]
        if missing:
            raise OAuthRefusal("insufficient_scope", f"the token lacks the scope {' '.join(missing)}", 403)
        return Caller(name=f"oauth:{str(claims['sub'])[:200]}", claims=claims)


def _scopes(claims: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            found.update(value.split())
        elif isinstance(value, list):
            found.update(v for v in value if isinstance(v, str))
    return found


def _reason(exc: jwt.PyJWTError) -> str:
    """PyJWT's message, which names the failed check and never the token."""
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
