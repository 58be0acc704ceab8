"""The one HTTP client for configured APIs: fixed origin, auth, timeouts, retries, size caps.

- Redirects are never followed by httpx. A redirect to the same origin and
  prefix is followed by hand for GET and HEAD, at most ``max_redirects`` times;
  any other redirect is refused with a tool error (no request is sent to the
  new location).
- Idempotent methods are retried on connect errors, 429 and 503, with
  exponential backoff and jitter, honouring ``Retry-After`` up to a cap; a
  longer wait is reported instead of slept. Writes are never retried.
- Bodies are read in chunks and cut at ``max_response_bytes`` (after
  decompression, so a compressed bomb stops there too).
- Every text leaving the client goes through the redactor.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx

from connectors.rest.auth import Credentials, Redactor
from connectors.rest.errors import RestHttpError, RestRefused, RestTimeout, RestUnavailable
from connectors.rest.urls import ApiOrigin

__all__ = ["ClientSettings", "RestClient", "RestResponse", "RetryPolicy", "parse_retry_after"]

log = logging.getLogger("connectors.rest")

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 503})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_BINARY = ("image/", "audio/", "video/", "application/octet-stream", "application/pdf", "application/zip")


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How hard to try again; total time stays well inside an MCP client's patience."""

    max_attempts: int = 3
    base_delay_s: float = 0.25
    max_delay_s: float = 4.0
    max_retry_after_s: float = 10.0
    max_total_s: float = 25.0


@dataclass(frozen=True, kw_only=True)
class ClientSettings:
    """One API's connection settings (from ``[[apis]]``)."""

    api: str
    origin: ApiOrigin
    timeout_s: float = 10.0
    max_response_bytes: int = 200_000
    headers: tuple[tuple[str, str], ...] = ()
    retry: RetryPolicy = RetryPolicy()
    max_redirects: int = 3
    user_agent: str = "ragbox-rest/0.1"


@dataclass(frozen=True, kw_only=True)
class RestResponse:
    """A 2xx answer. ``data`` is the parsed JSON when the body was complete JSON."""

    status: int
    reason: str
    content_type: str
    text: str
    data: Any
    is_json: bool
    truncated: bool
    size: int
    attempts: int
    elapsed_ms: float


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = datetime.fromtimestamp(now if now is not None else time.time(), tz=timezone.utc)
    return max(0.0, (when - current).total_seconds())


class _RedactLogs(logging.Filter):
    """Scrubs secrets from httpx's own log lines ("HTTP Request: GET <full URL>" at INFO)."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_HTTPX_LOGGERS = ("httpx", "httpcore.http11", "httpcore.connection")


class RestClient:
    """Sends requests to one API; thread-safe, one connection pool, closed with :meth:`close`."""

    def __init__(
        self,
        settings: ClientSettings,
        credentials: Credentials = Credentials(),
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.redact = Redactor(credentials.secrets)
        self._credentials = credentials
        self._sleep = sleep
        self._rng = rng or random.Random()
        headers = [("User-Agent", settings.user_agent), ("Accept", "application/json, */*;q=0.5"),
                   *settings.headers, *credentials.headers]
        self._log_filter = _RedactLogs(self.redact)
        for name in _HTTPX_LOGGERS:
            logging.getLogger(name).addFilter(self._log_filter)
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(settings.timeout_s),
            follow_redirects=False,
            trust_env=False,  # no proxies or netrc from the environment: requests go where the config says
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()
        for name in _HTTPX_LOGGERS:
            logging.getLogger(name).removeFilter(self._log_filter)

    def send(
        self,
        method: str,
        template: str,
        *,
        path_values: Mapping[str, str],
        query: Sequence[tuple[str, str]] = (),
        headers: Sequence[tuple[str, str]] = (),
        json_body: Any = None,
        has_body: bool = False,
        label: str = "",
    ) -> RestResponse:
        """Send one request to ``template`` (a spec path) and return its 2xx answer."""
        origin = self.settings.origin
        url = origin.url_for(template, path_values)
        params = [*query, *self._credentials.query]
        content = json.dumps(json_body, ensure_ascii=False).encode() if has_body else None
        extra = [*headers, *([("Content-Type", "application/json")] if has_body else [])]
        label = label or f"{method} {template}"
        started = time.monotonic()
        attempt, hops = 0, 0
        while True:
            attempt += 1
            request = self._http.build_request(method, url, params=params, headers=extra, content=content)
            origin.check(request.url)
            try:
                response = self._http.send(request, stream=True)
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout) and self._again(method, attempt, started, None, label, "connect timeout"):
                    continue
                raise RestTimeout(
                    f"The '{self.settings.api}' API did not answer within {self.settings.timeout_s:g} s. "
                    "Ask for less (filters, a smaller page) or try again later."
                ) from exc
            except httpx.TransportError as exc:
                if isinstance(exc, httpx.ConnectError) and self._again(method, attempt, started, None, label, "connect error"):
                    continue
                raise RestUnavailable(
                    f"Could not reach the '{self.settings.api}' API at {origin.base} ({type(exc).__name__}). "
                    "Check that it is running and that base_url is right, then try again."
                ) from exc
            try:
                if response.status_code in REDIRECTS:
                    url, method, content, params = self._redirect(response, method, content, params, hops)
                    hops += 1
                    attempt = 0
                    continue
                if response.status_code in RETRY_STATUSES:
                    wait = parse_retry_after(response.headers.get("Retry-After"))
                    if self._again(method, attempt, started, wait, label, str(response.status_code)):
                        continue
                    raise self._http_error(response, self._read(response)[0], waited_for=wait)
                raw, truncated = self._read(response)
            finally:
                response.close()
            if not 200 <= response.status_code < 300:
                raise self._http_error(response, raw, waited_for=None)
            elapsed = (time.monotonic() - started) * 1000
            log.info("%s %s -> %d (%.1f ms, attempt %d)", self.settings.api, label, response.status_code, elapsed, attempt)
            return self._answer(response, raw, truncated, attempt, elapsed)

    def _again(self, method: str, attempt: int, started: float, wait: float | None, label: str, why: str) -> bool:
        """Sleep and return True when another attempt is allowed."""
        policy = self.settings.retry
        if method not in IDEMPOTENT or attempt >= policy.max_attempts:
            return False
        if wait is not None and wait > policy.max_retry_after_s:
            return False
        if wait is None:
            ceiling = min(policy.max_delay_s, policy.base_delay_s * 2 ** (attempt - 1))
            wait = ceiling / 2 + self._rng.uniform(0, ceiling / 2)  # "equal jitter": never zero, never in step
        if time.monotonic() - started + wait > policy.max_total_s:
            return False
        log.info("%s %s: %s, retrying in %.2f s (attempt %d of %d)", self.settings.api, label, why, wait,
                 attempt + 1, policy.max_attempts)
        self._sleep(wait)
        return True

    def _redirect(
        self, response: httpx.Response, method: str, content: bytes | None, params: list[tuple[str, str]], hops: int
    ) -> tuple[httpx.URL, str, bytes | None, list[tuple[str, str]]]:
        location = response.headers.get("Location", "")
        try:
            target = response.request.url.join(location)
        except httpx.InvalidURL:
            target = None
        origin = self.settings.origin
        where = f"{target.scheme}://{target.host}" if target is not None else "an invalid location"
        if target is None or not origin.contains(target):
            raise RestRefused(self.redact(
                f"The '{self.settings.api}' API redirected to {where}, outside {origin.base}; the redirect was "
                "not followed. Only the configured API can be called."
            ))
        if method not in ("GET", "HEAD"):
            raise RestRefused(
                f"The '{self.settings.api}' API answered {method} with a redirect; redirects are only followed "
                "for reads, so nothing more was sent. Check base_url."
            )
        if hops >= self.settings.max_redirects:
            raise RestRefused(f"The '{self.settings.api}' API redirected more than {self.settings.max_redirects} times.")
        # The target's own query replaces ours; the auth query pair (if any) is added back.
        kept = [(k, v) for k, v in target.params.multi_items()] + list(self._credentials.query)
        return target.copy_with(query=None), method, content, kept

    def _read(self, response: httpx.Response) -> tuple[bytes, bool]:
        cap = self.settings.max_response_bytes
        body = bytearray()
        try:
            for chunk in response.iter_bytes():
                room = cap - len(body)
                if len(chunk) > room:
                    body += chunk[:room]
                    return bytes(body), True
                body += chunk
        except httpx.TimeoutException as exc:
            raise RestTimeout(
                f"The '{self.settings.api}' API stopped sending its answer for {self.settings.timeout_s:g} s; try again later."
            ) from exc
        except httpx.HTTPError as exc:
            raise RestUnavailable(
                f"The '{self.settings.api}' API broke off its answer ({type(exc).__name__}); try again."
            ) from exc
        return bytes(body), False

    def _decode(self, response: httpx.Response, raw: bytes) -> str:
        charset = response.charset_encoding or "utf-8"
        try:
            return self.redact(raw.decode(charset, errors="replace"))
        except LookupError:
            return self.redact(raw.decode("utf-8", errors="replace"))

    def _answer(self, response: httpx.Response, raw: bytes, truncated: bool, attempts: int, elapsed: float) -> RestResponse:
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        is_json = content_type == "application/json" or content_type.endswith("+json")
        data, text = None, ""
        if content_type.startswith(_BINARY):
            text = f"(binary {content_type} body of {len(raw):,}{'+' if truncated else ''} bytes, not shown)"
        else:
            text = self._decode(response, raw)
            if is_json and not truncated and text.strip():
                try:
                    data = json.loads(text)
                except ValueError:
                    is_json = False
            else:
                is_json = is_json and not truncated and bool(text.strip())
        return RestResponse(
            status=response.status_code, reason=response.reason_phrase, content_type=content_type, text=text,
            data=data, is_json=is_json and data is not None, truncated=truncated, size=len(raw),
            attempts=attempts, elapsed_ms=elapsed,
        )

    def _http_error(self, response: httpx.Response, raw: bytes, *, waited_for: float | None) -> RestHttpError:
        status = response.status_code
        text = self._decode(response, raw[:20_000])
        message = _api_message(text)
        api = self.settings.api
        hint = {
            400: "Check the arguments against the tool's schema and call again.",
            401: f"The API refused the credentials; the '{api}' auth settings or their environment variable need fixing.",
            403: "The API's credentials may not do this; don't retry it.",
            404: "Nothing exists there; check the ids (a list tool can show valid ones).",
            409: "The request conflicts with the current state; re-read the item first.",
            422: "The API rejected the arguments; fix the ones it names and call again.",
            429: "The API is rate-limiting; wait before calling again.",
        }.get(status, "The API failed; try again later." if status >= 500 else "Check the arguments and call again.")
        if waited_for is not None and waited_for > self.settings.retry.max_retry_after_s:
            hint = f"The API asked to wait {waited_for:g} s before retrying, longer than this server waits; try later."
        phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
        return RestHttpError(
            status, summary=f"The '{api}' API answered {status}{phrase}.", hint=self.redact(hint),
            message=self.redact(message),
        )


def _api_message(text: str) -> str:
    """The API's own explanation from an error body (FastAPI, RFC 9457 problem+json, common shapes)."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    message: Any = None
    if isinstance(body, dict):
        for key in ("detail", "message", "error_description", "error", "title", "errors"):
            if body.get(key):
                message = body[key]
                break
        if isinstance(message, dict):
            message = message.get("message") or json.dumps(message)
        if isinstance(message, list):  # FastAPI's 422: [{"loc": [...], "msg": "..."}]
            parts = []
            for item in message[:5]:
                if isinstance(item, dict):
                    loc = ".".join(str(x) for x in item.get("loc", []) if x not in ("body", "query", "path"))
                    parts.append(f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg", item)))
                else:
                    parts.append(str(item))
            message = "; ".join(parts)
    elif text.strip() and not text.lstrip().startswith("<"):
        message = text
    words = " ".join(str(message or "").split())
    return words[:400] + (" …" if len(words) > 400 else "")
