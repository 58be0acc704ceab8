"""The router's fit on disk: ``<data_dir>/router.json``, valid for one embedder and one set of profiles.

A fit made with another embedder, or before a source's description, examples, tables,
documents or operations changed, is stale: the router ignores it with a warning, and
uses the defaults in :class:`agent.settings.AgentSettings` until the fit is made again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.routing.params import RouterParams

__all__ = ["FIT_FILE", "RouterFit", "fit_problem", "load_fit", "read_fit", "save_fit"]

FIT_FILE = "router.json"
_VERSION = 1

log = logging.getLogger("agent.routing")


@dataclass(frozen=True, kw_only=True)
class RouterFit:
    """Fitted router parameters and what they were fitted for."""

    params: RouterParams
    embedder: str
    profile_hash: str
    questions: int = 0
    figures: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"version": _VERSION, "embedder": self.embedder, "profile_hash": self.profile_hash,
                "questions": self.questions, "params": self.params.to_dict(), "figures": self.figures}


def save_fit(fit: RouterFit, data_dir: Path) -> Path:
    path = Path(data_dir) / FIT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(fit.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


_cache: dict[Path, tuple[int, RouterFit | None]] = {}


def read_fit(data_dir: Path) -> RouterFit | None:
    """The stored fit, or None when there is none or it cannot be read (logged)."""
    path = Path(data_dir) / FIT_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    if path in _cache and _cache[path][0] == mtime:
        return _cache[path][1]
    fit: RouterFit | None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != _VERSION:
            raise ValueError(f"version {data.get('version')!r}, expected {_VERSION}")
        fit = RouterFit(params=RouterParams.from_dict(data["params"]), embedder=str(data["embedder"]),
                        profile_hash=str(data["profile_hash"]), questions=int(data.get("questions", 0)),
                        figures=dict(data.get("figures") or {}))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("Ignoring the router fit %s: it cannot be read (%s); run `python -m agent route fit` again.",
                    path, exc)
        fit = None
    _cache[path] = (mtime, fit)
    return fit


def fit_problem(fit: RouterFit, *, embedder: str, profile_hash: str) -> str | None:
    """Why ``fit`` does not apply to this embedder and these profiles; None when it does."""
    if fit.embedder != embedder:
        return f"it was made with the embedder '{fit.embedder}', the router now uses '{embedder}'"
    if fit.profile_hash != profile_hash:
        return "the sources' profiles (descriptions, examples, tables, documents or operations) changed since"
    return None


_warned: set[tuple[Path, str]] = set()


def load_fit(data_dir: Path, *, embedder: str, profile_hash: str) -> tuple[RouterParams | None, str | None]:
    """(the stored parameters, None) when a valid fit is stored; else (None, why not, or None if absent).

    A stale fit is logged once per file and reason.
    """
    fit = read_fit(data_dir)
    if fit is None:
        return None, None
    problem = fit_problem(fit, embedder=embedder, profile_hash=profile_hash)
    if problem is None:
        return fit.params, None
    key = (Path(data_dir) / FIT_FILE, problem)
    if key not in _warned:
        _warned.add(key)
        log.warning("Ignoring the stale router fit %s: %s; run `python -m agent route fit` again.", key[0], problem)
    return None, problem
