"""Path globs with ``**``: ``handbook/**/*.md`` matches at any depth, ``*`` stays in one folder."""

from __future__ import annotations

import functools
import re

__all__ = ["glob_match", "glob_regex"]


@functools.lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a glob: ``**/`` is any folders (or none), ``*`` and ``?`` never cross ``/``."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape("["))
                i += 1
            else:
                body = pattern[i + 1 : end]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.IGNORECASE)


def glob_match(path: str, pattern: str) -> bool:
    """True when the whole of ``path`` (with ``/`` separators) matches ``pattern``."""
    return glob_regex(pattern).match(path) is not None
