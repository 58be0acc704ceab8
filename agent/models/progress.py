"""A download with a progress bar on stderr, for the command line and the demo."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agent.models.pull import pull
from agent.models.registry import ModelSpec

__all__ = ["pull_with_bar"]


def pull_with_bar(spec: ModelSpec, dirs: list[Path], console: Console | None = None) -> Path:
    """:func:`pull`, saying what it fetches and drawing a bar while it does."""
    console = console or Console(stderr=True)
    console.print(f"Downloading {spec.name} ({spec.size / 1e9:.2f} GB, sha256 {spec.sha256[:12]}…) "
                  f"from {spec.sources[0].describe()}; it is checked and kept for later runs.",
                  markup=False, highlight=False)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("looking", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        return pull(spec, dirs, progress=progress)
