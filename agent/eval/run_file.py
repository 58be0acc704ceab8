"""A run as JSON: what was asked of what, the figures, and every question's result."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import AgentError
from agent.eval.runner import QuestionResult
from agent.eval.summary import summarise
from connectors.config import Config

__all__ = ["EvalRun", "load_run", "run_meta"]

FORMAT = "ragbox-eval/1"


def run_meta(config: Config, *, questions: Path, config_path: Path | None = None) -> dict[str, Any]:
    """Where a run comes from: the questions, the model, the embedder and the machine."""
    return {
        "format": FORMAT,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "questions_file": str(questions),
        "config": str(config_path) if config_path else None,
        "llm": {"provider": config.llm.provider, "model": config.llm.model, "host": config.llm.host,
                "router_model": config.llm.router_model},
        "embeddings": config.embeddings.provider,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
    }


@dataclass(kw_only=True)
class EvalRun:
    """The results of one ``python -m agent eval``, with their summary."""

    meta: dict[str, Any] = field(default_factory=dict)
    results: list[QuestionResult] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def summary(self) -> dict[str, Any]:
        return summarise(self.results)

    def only(self, ids: set[str]) -> EvalRun:
        """The same run, with only the questions whose id is in ``ids``."""
        return EvalRun(meta=self.meta, results=[r for r in self.results if r.id in ids], wall_s=self.wall_s)

    def to_dict(self) -> dict[str, Any]:
        return {"meta": {**self.meta, "wall_s": round(self.wall_s, 1)}, "summary": self.summary,
                "questions": [r.to_dict() for r in self.results]}

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1, default=str) + "\n",
                        encoding="utf-8")


def load_run(path: Path) -> EvalRun:
    """A run saved with ``--out``; its summary is recomputed from the questions."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        meta = data["meta"]
        results = [QuestionResult.from_dict(q) for q in data["questions"]]
    except OSError as exc:
        raise AgentError(f"Cannot read the run {path}: {exc.strerror or exc}.") from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise AgentError(f"{path} is not a run written by `python -m agent eval --out` ({exc}).") from None
    return EvalRun(meta=meta, results=results, wall_s=float(meta.get("wall_s") or 0.0))
