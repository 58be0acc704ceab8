"""Shared builders for the REST connector tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.config import ApiSource
from connectors.rest import RestApi, RetryPolicy

DATA = Path(__file__).resolve().parent / "data"
SECRET = "s3cr3t-Tok/en+value=="
FAST_RETRY = RetryPolicy(base_delay_s=0.01, max_delay_s=0.05, max_retry_after_s=3.0, max_total_s=10.0)


def api_source(base_url: str, spec: str = "probe.yaml", **fields: Any) -> ApiSource:
    data = {"name": "probe", "openapi": spec, "base_url": base_url, **fields}
    return ApiSource.model_validate(data, context={"base_dir": DATA})


def probe_api(base_url: str, *, env: dict[str, str] | None = None, retry: RetryPolicy = FAST_RETRY, **fields: Any) -> RestApi:
    return RestApi.from_source(api_source(base_url, **fields), env or {}, retry=retry)
