"""`make demo` on a machine with no Ollama: the embedded model answers all three questions.

The real model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M through llama-cpp-python) and the
real MiniLM embedder, as a newcomer's first run has them. Each answer must hold its
gold fact and cite a source.
"""

from __future__ import annotations

import re

import pytest

from agent.models import DEFAULT_MODEL
from testkit.servers import free_port
from tests.examples.test_demo import demo_config, run_demo
from tests.support import need_embedded_model

pytestmark = pytest.mark.slow

# What each demo question's answer must say, from the demo data itself.
GOLD = {
    "handbook": ["25"],  # days of paid annual leave
    "sales": ["Tidal Textiles KK"],  # the top customer of 2025 by invoiced revenue
    "tickets": ["resolved", "Chen Hayashi"],  # ticket 1's status and assignee
}


@pytest.mark.timeout(900)  # three questions through a 1.5B model on 2 cores: about 2.5 minutes
def test_the_demo_answers_every_question_with_the_embedded_model(tmp_path, models_dir):
    need_embedded_model()
    config = demo_config(tmp_path, f"http://127.0.0.1:{free_port()}", hashing=False)
    out = run_demo(config, timeout=850, RAGBOX_MODELS_DIR=str(models_dir))
    flat = " ".join(out.split())
    assert f"LLM: llamacpp {DEFAULT_MODEL} (embedded, in this process); no Ollama answers" in flat
    assert "No answer" not in flat and "Traceback" not in out
    sections = re.split(r"─+ (handbook|sales|tickets) ─+", out)[1:]
    answers = dict(zip(sections[::2], sections[1::2], strict=True))
    assert set(answers) == set(GOLD)
    for source, facts in GOLD.items():
        text = " ".join(answers[source].split())
        answer = text.split(" route: ")[0]
        for fact in facts:
            assert fact.lower() in answer.lower(), f"{source}: {fact!r} not in {answer!r}"
        assert re.search(r"\[\d\]", answer), f"{source}: the answer cites nothing: {answer!r}"
        assert re.search(rf"\[1\] {source}", text), f"{source}: no source listed for [1]: {text!r}"
