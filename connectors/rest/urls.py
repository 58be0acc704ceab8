"""Building request URLs that cannot leave the API's origin and path prefix.

Every path parameter becomes one percent-encoded segment: ``?``, ``#``,
``%``, spaces and control characters are encoded. A value that could name
another route on a server or proxy that decodes before routing is refused, with
nothing sent:

- the empty string, and any value holding ``/`` or ``\\``;
- a value that does so once percent-decoded, however many times (``%2F``,
  ``%252F``, ``%5C``), or once Unicode-folded (NFKC: U+FF0F is ``/``), in any
  order, or that holds a slash lookalike NFKC keeps (U+2215, U+2216, U+2044,
  U+29F8, U+29F9);
- a dot segment, decoded or not: only dots and spaces (``..``, ``%2e%2e``,
  ``%252e%252e``, U+2025, ``.. ``), with or without a ``;param`` or NUL tail
  that Tomcat or C code would drop (``..;x``);
- percent-escapes that do not decode to UTF-8 text (the overlong ``%c0%ae``),
  or more layers of them than any server decodes.

A path parameter opts in to ``/`` with ``x-ragbox-allow-reserved: true`` or
``allowReserved: true`` on the parameter (OpenAPI 3.0/3.1 define
``allowReserved`` for query parameters only; ragbox reads it on path ones too,
and the extension, when present, wins). Its value is then sent as several
segments joined by raw ``/``, each checked as above: no dot segment, no empty
segment, no ``\\``. The finished URL is checked again against the origin and
prefix before it is sent, so a bug in building cannot send a request elsewhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes

import httpx

from connectors.errors import ConfigError
from connectors.rest.errors import RestArgumentError, RestRefused

__all__ = ["ApiOrigin", "PathValue"]

_TEMPLATE = re.compile(r"\{([^{}/]+)\}")
_LITERAL_SAFE = "/:@!$&'()*+,;=-._~"
_SLASH_LOOKALIKES = frozenset("\u2215\u2216\u2044\u29f8\u29f9")
"""Characters NFKC leaves alone that Windows' best-fit mappings and some proxies turn into / or \\."""
_DOT_SEGMENT = re.compile(r"[.\s]*\.[.\s]*")
_MAX_READINGS = 32


@dataclass(frozen=True, kw_only=True)
class PathValue:
    """A path parameter's value, the tool argument it came from, and whether it may hold ``/``."""

    text: str
    argument: str
    allow_reserved: bool = False

    def encoded(self) -> str:
        """The value as it goes into the path, or :class:`RestArgumentError` when it could leave its place."""
        problem = _problem(self.text, allow_reserved=self.allow_reserved)
        if problem:
            raise RestArgumentError(self.argument, f"Argument '{self.argument}' {problem}")
        if self.allow_reserved:
            return "/".join(quote(piece, safe="") for piece in self.text.split("/"))
        return quote(self.text, safe="")


def _problem(text: str, *, allow_reserved: bool) -> str:
    """Why ``text`` cannot be a path parameter, as the end of a sentence; "" when it can."""
    item = "Pass the item's own id or name"
    if text in ("", ".", ".."):
        return f"cannot be {text!r}: a path parameter must name one item. {item}."
    if "\\" in text and allow_reserved:
        return f"cannot contain '\\', which servers may read as '/'. {item}, with '/' between segments."
    if "\\" in text or ("/" in text and not allow_reserved):
        return f"cannot contain '/' or '\\': a path parameter is one segment of the URL. {item}, not a path."
    if allow_reserved and "" in text.split("/"):
        return f"has an empty segment (a leading, trailing or doubled '/'). {item}, as a path like 'a/b'."
    try:
        forms = list(_readings(text))
    except ValueError:  # UnicodeError is one
        return (f"holds characters or percent-escapes that are not UTF-8 text (such as the overlong %C0%AE), "
                f"or escapes of escapes. {item} as plain text, without percent-escapes.")
    for form in forms:
        if "\\" in form or (not allow_reserved and "/" in form) or _SLASH_LOOKALIKES & set(form):
            return (f"holds an escaped or look-alike '/' or '\\' (such as %2F, %5C or U+FF0F), which servers "
                    f"may decode before routing. {item} as plain text, without percent-escapes.")
        if any(_is_dot_segment(piece) for piece in form.split("/")):
            return f"is, or decodes to, a dot segment such as '..', which moves up the URL path. {item}."
    return ""


def _readings(text: str) -> Iterator[str]:
    """``text`` and what a server could make of it: percent-decoded and NFKC-folded, in any order.

    Raises ``UnicodeError`` for escapes that are not UTF-8, and ``ValueError`` for
    more layers than any server decodes.
    """
    seen: set[str] = set()
    todo = [text]
    while todo:
        form = todo.pop()
        if form in seen:
            continue
        if len(seen) == _MAX_READINGS:
            raise ValueError("too many layers of percent-escapes")
        seen.add(form)
        yield form
        todo += [unicodedata.normalize("NFKC", form), unquote_to_bytes(form).decode("utf-8")]


def _is_dot_segment(piece: str) -> bool:
    head = piece.split(";", 1)[0].split("\x00", 1)[0]
    return bool(_DOT_SEGMENT.fullmatch(head))


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

    def url_for(self, template: str, values: Mapping[str, str | PathValue]) -> httpx.URL:
        """The URL for ``template`` (a spec path) with ``values`` as encoded path segments.

        A plain ``str`` value is strict (one segment) and named after the template's parameter.
        """
        parts: list[str] = []
        pos = 0
        for match in _TEMPLATE.finditer(template):
            parts.append(quote(template[pos : match.start()], safe=_LITERAL_SAFE))
            name = match.group(1)
            value = values[name]
            parts.append((value if isinstance(value, PathValue) else PathValue(text=value, argument=name)).encoded())
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
