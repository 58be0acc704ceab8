"""Scoring real answers: the agent over real in-memory MCP servers, the fake LLM replying by policy."""

from collections.abc import Sequence

from agent.eval import GoldQuestion, run_eval, summarise
from connectors.embeddings import HashingEmbedder
from connectors.errors import EmbedderError
from testkit.llm_server import Json, Request, Text

SQL = {
    "How many customers are there?": "SELECT COUNT(*) AS n FROM customers",
    "How many orders are there?": "SELECT COUNT(*) FROM customers",  # the model gets it wrong
    "What is Acme's share price today?": "SELECT 0 AS n",
}
ANSWERS = {
    "How many customers are there?": "There are 240 customers [1].",
    "How many orders are there?": "There are 240 orders [1].",
    "How many days of paid annual leave do employees get?": "25 days of paid leave [1][7].",
    "What is Acme's share price today?": "not found in the sources",
}
ROUTES = {"How many customers are there?": "sales", "How many orders are there?": "sales",
          "How many days of paid annual leave do employees get?": "handbook",
          "What is Acme's share price today?": "none"}


def policy(request: Request):
    question = request.question
    props = (request.schema or {}).get("properties", {})
    if "source" in props:
        return Json({"source": ROUTES[question]})
    if "sql" in props:
        return Json({"sql": SQL[question]})
    if "query" in props:
        return Json({"query": "share price"})
    return Text(ANSWERS[question])


QUESTIONS = [
    GoldQuestion(id="s1", question="How many customers are there?", source="sales", facts=("240",),
                 sql="SELECT COUNT(*) FROM customers"),
    GoldQuestion(id="s2", question="How many orders are there?", source="sales", facts=("12,000",),
                 sql="SELECT COUNT(*) FROM orders"),
    GoldQuestion(id="d1", question="How many days of paid annual leave do employees get?", source="handbook",
                 facts=("25 days", "31 March")),
    GoldQuestion(id="n1", question="What is Acme's share price today?", source="none"),
]


def test_run_eval_scores_sql_facts_citations_and_cost(open_agent, llm):
    agent = open_agent(kinds=("documents", "databases"))
    llm.reset(policy=policy)
    seen = []
    results = {r.id: r for r in run_eval(agent, QUESTIONS, on_result=seen.append)}
    assert [r.id for r in seen] == ["s1", "s2", "d1", "n1"]

    right, wrong, docs, unanswerable = results["s1"], results["s2"], results["d1"], results["n1"]
    assert right.route_ok and right.sql is not None and right.sql.ok and right.sql.gold_rows == 1
    assert right.answer_ok and right.fact_recall == 1.0 and right.citation_ok and right.cited == [1]
    assert wrong.sql is not None and not wrong.sql.ok and wrong.sql.generated == SQL["How many orders are there?"]
    assert wrong.fact_recall == 0.0 and wrong.citation_ok is False and wrong.failed
    assert docs.fact_recall == 0.5 and not docs.answer_ok
    assert docs.route_ok and docs.facts_found == [True, False] and docs.cited == [1, 7]
    assert not docs.citations_in_range and not docs.citation_ok  # [7]: no such block
    assert unanswerable.said_not_found and unanswerable.answer_ok and unanswerable.fact_recall is None

    requests_by_question = len(llm.requests)
    assert sum(len(r.llm_calls) for r in results.values()) == requests_by_question
    assert sum(r.prompt_tokens for r in results.values()) == sum(q.prompt_tokens for q in llm.requests)
    assert all(r.latency_ms >= r.llm_ms > 0 for r in results.values() if r.llm_calls)

    summary = summarise(list(results.values()))
    overall = summary["overall"]
    assert overall["sql_questions"] == 2 and overall["sql_correct"] == 1 and overall["sql_execution_accuracy"] == 0.5
    assert overall["answerable"] == 3 and overall["unanswerable"] == 1 and overall["said_not_found"] == 1
    assert overall["fact_recall"] == round((1 + 0 + 0.5) / 3, 4)
    assert overall["citations_valid"] == 1 and overall["citations_checked"] == 3
    assert summary["confusion"]["sales"] == {"sales": 2}
    assert summary["confusion"]["none"] == {unanswerable.predicted: 1}
    assert set(summary["llm_calls_by_purpose"]) >= {"sql", "answer"}


def test_run_eval_records_a_failing_question_and_goes_on(open_agent, llm):
    agent = open_agent(kinds=("databases",))

    def flaky(request: Request):
        if "customers" in request.question:
            return None  # the fake answers 500: the LLM failed on this question
        return policy(request)

    llm.reset(policy=flaky)
    failed, wrong = run_eval(agent, QUESTIONS[:2])
    assert failed.error and "500" in failed.error and failed.failed
    assert failed.sql is not None and not failed.sql.ok
    assert wrong.error is None and wrong.sql is not None and wrong.sql.gold_rows == 1
    assert summarise([failed, wrong])["overall"]["errors"] == 1


class FlakyEmbedder(HashingEmbedder):
    """The router's embedder, failing on one text as Ollama does when it drops a request."""

    def __init__(self, failing: str) -> None:
        super().__init__()
        self.failing = failing

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        if self.failing in texts:
            raise EmbedderError("Cannot reach Ollama at http://127.0.0.1:11434; start it with 'ollama serve'.")
        return super().embed_batch(texts)


def test_run_eval_records_a_connector_error_and_goes_on(open_agent, llm):
    orders = QUESTIONS[1]
    agent = open_agent(kinds=("documents", "databases"), embedder=FlakyEmbedder(orders.question))
    llm.reset(policy=policy)
    right, failed, docs = run_eval(agent, QUESTIONS[:3])
    assert failed.id == orders.id and failed.failed and "ollama serve" in (failed.error or "")
    assert failed.sql is not None and not failed.sql.ok
    assert right.error is None and right.sql is not None and right.sql.ok
    assert docs.error is None and docs.route_ok
