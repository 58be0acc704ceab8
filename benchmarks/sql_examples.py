"""Execution accuracy with examples learned from confirmed answers, against no store, in one run.

Each database's questions of the Spider dev subset are split in two, alternately:

1. the *asked* half is answered with an empty example store (the baseline);
2. the *confirmed* half is answered, and each answer whose result is right is kept
   in the store, as a user's ``agent ask --confirm`` would keep it (``--confirm-with
   gold`` keeps the gold SQL instead: an upper bound, with no LLM calls);
3. the asked half is answered again, now with the store's nearest examples as few-shot
   pairs.

Both passes over the asked half run the same SQL route (``benchmarks/spider.py``'s
``ask_ragbox``) on the same LLM, so the difference is the store alone.

    python benchmarks/sql_examples.py --llm-host http://127.0.0.1:8080/v1 --model M --every 3
    python benchmarks/sql_examples.py --fake --limit 6     # the fake LLM: checks the plumbing only
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import click

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from spider import (  # noqa: E402
    DEFAULT_DATA, Outcome, Question, default_embedder, load_questions, open_agent, run_one, source_name,
)

from agent import Agent  # noqa: E402
from agent.examples import unsafe_reason  # noqa: E402
from connectors.config import DatabaseSource  # noqa: E402


def split(questions: list[Question]) -> tuple[list[Question], list[Question]]:
    """(confirmed, asked): each database's questions, alternately."""
    by_db: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        by_db[q.db_id].append(q)
    confirmed = [q for qs in by_db.values() for q in qs[0::2]]
    asked = [q for qs in by_db.values() for q in qs[1::2]]
    return confirmed, asked


def ask(agent: Agent, q: Question, data: Path, label: str) -> Outcome:
    """The SQL route's try at ``q`` (``spider.py``'s ragbox system), labelled with this run's pass."""
    return replace(run_one(agent, "ragbox", q, data, {}), system=label)


def confirm(agent: Agent, q: Question, data: Path, mode: str) -> tuple[bool, Outcome | None]:
    """Answer ``q`` and keep its SQL when it is right (``mode`` agent), or keep the gold SQL (gold)."""
    source = agent.catalog.source(source_name(q.db_id))
    assert isinstance(source, DatabaseSource)
    outcome = None
    if mode == "gold":
        result = agent.catalog.call(source.name, "run_query", {"sql": q.gold})  # only SQL that ran is kept
        sql = None if result.is_error else q.gold
    else:
        outcome = ask(agent, q, data, "confirm")
        sql = outcome.sql if outcome.correct else None
    if sql is None or unsafe_reason(sql, source):
        return False, outcome
    agent.examples.add(source.name, q.question, sql)
    return True, outcome


def accuracy(outcomes: list[Outcome]) -> str:
    n = len(outcomes) or 1
    right = sum(o.correct for o in outcomes)
    return (f"{right:>3}/{len(outcomes):<3} {right / n:>5.1%}  calls/q {sum(o.llm_calls for o in outcomes) / n:.2f}"
            f"  tokens/q {sum(o.prompt_tokens for o in outcomes) / n:>6.0f}")


@click.command()
@click.option("--data", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_DATA, show_default=True)
@click.option("--llm-host", default=None, help="The LLM server, e.g. http://127.0.0.1:8080/v1 (OpenAI-compatible).")
@click.option("--model", default="qwen2.5-coder-1.5b-instruct", show_default=True)
@click.option("--provider", type=click.Choice(["openai", "ollama"]), default="openai", show_default=True)
@click.option("--fake", is_flag=True, help="The test suite's fake LLM: checks the plumbing only.")
@click.option("--confirm-with", "mode", type=click.Choice(["agent", "gold"]), default="agent", show_default=True,
              help="agent: keep the agent's SQL when its result is right; gold: keep the gold SQL.")
@click.option("--limit", type=int, default=0, help="At most this many questions (0: all).")
@click.option("--every", type=click.IntRange(min=1), default=1, help="Take every K-th question.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Write results here (JSON).")
def main(data: Path, llm_host: str | None, model: str, provider: str, fake: bool, mode: str, limit: int, every: int,
         out: Path | None) -> None:
    if not fake and not llm_host:
        raise click.UsageError("give --llm-host (an OpenAI-compatible or Ollama server), or --fake")
    questions = load_questions(data, limit, every)
    confirmed, asked = split(questions)
    db_ids = sorted({q.db_id for q in questions})
    with ExitStack() as stack:
        agent, llm_host = open_agent(stack, db_ids, data, provider=provider, llm_host=llm_host, model=model,
                                     fake=fake, embedder=default_embedder())
        print(f"{len(questions)} questions on {len(db_ids)} databases: {len(confirmed)} to confirm, "
              f"{len(asked)} asked; model {model} at {llm_host}", flush=True)

        results: dict[str, list[Outcome]] = {"no_store": [], "store": [], "confirm": []}
        for n, q in enumerate(asked, 1):
            results["no_store"].append(o := ask(agent, q, data, "no_store"))
            print(f"[no store {n}/{len(asked)}] {'ok' if o.correct else 'x '} {q.question[:70]}", flush=True)
        kept = 0
        for n, q in enumerate(confirmed, 1):
            stored, o = confirm(agent, q, data, mode)
            kept += stored
            if o is not None:
                results["confirm"].append(o)
            print(f"[confirm {n}/{len(confirmed)}] {'kept' if stored else 'not kept'} {q.question[:70]}", flush=True)
        for n, q in enumerate(asked, 1):
            results["store"].append(o := ask(agent, q, data, "store"))
            print(f"[store {n}/{len(asked)}] {'ok' if o.correct else 'x '} {q.question[:70]}", flush=True)

    base, learned = results["no_store"], results["store"]
    fixed = sum(not a.correct and b.correct for a, b in zip(base, learned, strict=True))
    broken = sum(a.correct and not b.correct for a, b in zip(base, learned, strict=True))
    print()
    print(f"examples kept: {kept} of {len(confirmed)} confirmed questions ({mode})")
    print(f"asked half, no store:   {accuracy(base)}")
    print(f"asked half, with store: {accuracy(learned)}")
    print(f"with store vs none: {fixed} questions fixed, {broken} broken")
    if out is not None:
        meta: dict[str, Any] = {"model": model, "llm_host": llm_host, "fake": fake, "mode": mode, "every": every,
                                "questions": len(questions), "kept": kept}
        out.write_text(json.dumps({"meta": meta, **{k: [asdict(o) for o in v] for k, v in results.items()}},
                                  indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
