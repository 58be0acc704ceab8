"""``python -m agent eval``: run gold questions through the agent and score routing, SQL,
facts, citations and cost; compare two runs.

    questions = load_questions(Path("examples/questions.jsonl"))
    with Agent(config, specs, env=env) as agent:
        run = EvalRun(meta=run_meta(config, questions=path), results=run_eval(agent, questions))
    run.save(Path("run.json")); run.summary["overall"]["routing_accuracy"]
"""

from agent.eval.compare import Change, MetricDelta, compare_runs, comparison_tables
from agent.normalize import contains_fact, normalize_text, says_not_found
from agent.eval.questions import NO_SOURCE, GoldQuestion, QuestionsError, load_questions
from agent.eval.report import failure_panels, report, summary_tables
from agent.eval.run_file import EvalRun, load_run, run_meta
from agent.eval.runner import QuestionResult, SqlCheck, check_sql, run_eval, score_answer
from agent.eval.scoring import (
    CitationCheck,
    ResultSet,
    check_citations,
    fact_hits,
    has_order_by,
    result_sets_match,
    route_label,
)
from agent.eval.summary import percentile, summarise

__all__ = [
    "NO_SOURCE",
    "Change",
    "CitationCheck",
    "EvalRun",
    "GoldQuestion",
    "MetricDelta",
    "QuestionResult",
    "QuestionsError",
    "ResultSet",
    "SqlCheck",
    "check_citations",
    "check_sql",
    "compare_runs",
    "comparison_tables",
    "contains_fact",
    "fact_hits",
    "failure_panels",
    "has_order_by",
    "load_questions",
    "load_run",
    "normalize_text",
    "percentile",
    "report",
    "result_sets_match",
    "route_label",
    "run_eval",
    "run_meta",
    "says_not_found",
    "score_answer",
    "summarise",
    "summary_tables",
]
