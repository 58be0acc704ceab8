"""Building request URLs that cannot leave the API's origin and path prefix.

Every path parameter becomes exactly one percent-encoded segment: ``/``, ``?``,
``#``, ``%`` and control characters are encoded, and the values ``.``, ``..``
and the empty string (which URL normalisation would turn into a different path)
are refused. The finished URL is checked again against the origin and prefix
before it is sent, so a bug in building cannot send a request elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from connectors.errors import ConfigError
from connectors.rest.errors import RestArgumentError, RestRefused

__all__ = ["ApiOrigin"]

_TEMPLATE = re.compile(r"\{([^{}/]+)\}")
_LITERAL_SAFE = "/:@!$&'()*+,;=-._~"


@dataclass(frozen=True, kw_only=True)
class ApiOrigin:
    """The scheme, host, port and path prefix every request must stay within."""

    scheme: str
    host: str
    port: int | None
    prefix: str

    @classmethod
    def parse(cls, base_url: str, *, api: str) -> ApiOrigin:
        try:
            url = httpx.URL(base_url)
        except httpx.InvalidURL as exc:
            raise ConfigError(f"API '{api}': base_url {base_url!r} is not a URL ({exc}).") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigError(f"API '{api}': base_url must be an http(s) URL with a host, such as http://127.0.0.1:8765.")
        if url.userinfo:
            raise ConfigError(f"API '{api}': base_url holds a user name or password; use 'auth' with an environment variable.")
        if url.query or url.fragment:
            raise ConfigError(f"API '{api}': base_url may not have a query or fragment; use 'headers' or 'auth'.")
        prefix = url.raw_path.decode("ascii").split("?")[0].rstrip("/")
        return cls(scheme=url.scheme, host=url.host, port=url.port, prefix=prefix)

    @property
    def base(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}{port}{self.prefix}"

    def url_for(self, template: str, values: Mapping[str, str]) -> httpx.URL:
        """The URL for ``template`` (a spec path) with ``values`` as encoded path segments."""
        parts: list[str] = []
        pos = 0
        for match in _TEMPLATE.finditer(template):
            parts.append(quote(template[pos : match.start()], safe=_LITERAL_SAFE))
            name = match.group(1)
            value = values[name]
            if value in ("", ".", ".."):
                raise RestArgumentError(
                    name, f"Argument '{name}' cannot be {value!r}: a path parameter must name one item. "
                    "Pass the item's id or name."
                )
            parts.append(quote(value, safe=""))
            pos = match.end()
        parts.append(quote(template[pos:], safe=_LITERAL_SAFE))
        url = httpx.URL(scheme=self.scheme, host=self.host, port=self.port, raw_path=(self.prefix + "".join(parts)).encode("ascii"))
        self.check(url)
        return url

    def contains(self, url: httpx.URL) -> bool:
        """True when ``url`` is on this origin, under the prefix, with no dot segments."""
        if (url.scheme, url.host, url.port) != (self.scheme, self.host, self.port):
            return False
        path = url.raw_path.decode("ascii", errors="replace").split("?")[0]
        if not (path == self.prefix or path.startswith(self.prefix + "/") or (not self.prefix and path.startswith("/"))):
            return False
        segments = path.split("/")
        return not any(s in (".", "..") or s.lower() in ("%2e", "%2e%2e", ".%2e", "%2e.") for s in segments)

    def check(self, url: httpx.URL) -> None:
        if not self.contains(url):
            raise RestRefused(
                f"Refused to send a request outside {self.base}: {url.scheme}://{url.host}. "
                "Only the configured API can be called."
            )
