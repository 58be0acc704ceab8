"""API credentials read from the environment, and the redactor that keeps them out of every output.

The config names environment variables; only the entry point passes the
environment in. Each secret is remembered, with its encoded forms, so that any
text leaving the connector (answers, error messages, log lines) can be scrubbed,
even when an API echoes the token back.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from connectors.config import ApiAuth
from connectors.errors import ConfigError

__all__ = ["Credentials", "Redactor", "credentials_from"]

REDACTED = "[redacted]"


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """What the client adds to every request: headers, query pairs, and the secrets to scrub."""

    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:  # never print the values, even in a traceback's locals
        return f"Credentials(headers={[h for h, _ in self.headers]}, query={[q for q, _ in self.query]})"


def _secret(env: Mapping[str, str], name: str, api: str) -> str:
    value = env.get(name)
    if not value:
        raise ConfigError(f"API '{api}' needs the environment variable {name} for its credentials; set it and try again.")
    if any(c in value for c in "\r\n\0"):
        raise ConfigError(f"The environment variable {name} (API '{api}') holds a line break; remove it.")
    return value


def credentials_from(auth: ApiAuth | None, env: Mapping[str, str], *, api: str) -> Credentials:
    """Read the secrets that ``auth`` names from ``env``."""
    if auth is None:
        return Credentials()
    if auth.type == "basic":
        user = _secret(env, auth.username_env or "", api)
        password = _secret(env, auth.password_env or "", api)
        blob = base64.b64encode(f"{user}:{password}".encode()).decode()
        return Credentials(headers=(("Authorization", f"Basic {blob}"),), secrets=(password, blob, user))
    token = _secret(env, auth.token_env or "", api)
    if auth.type == "bearer":
        return Credentials(headers=(("Authorization", f"Bearer {token}"),), secrets=(token,))
    if auth.type == "header":
        return Credentials(headers=((auth.name or "", token),), secrets=(token,))
    return Credentials(query=((auth.name or "", token),), secrets=(token,))


class Redactor:
    """Replaces every known secret, raw or percent-encoded, with ``[redacted]``."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        forms = {form for s in secrets if s for form in (s, quote(s, safe=""), quote_plus(s), quote(s))}
        self._forms = sorted(forms, key=len, reverse=True)  # longest first, so no secret is half-replaced

    def __call__(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text
