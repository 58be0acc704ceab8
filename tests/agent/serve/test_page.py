"""The chat page of ``agent serve`` in a real headless Chromium (Playwright, Debian's browser),
over the app in this process, the in-memory MCP servers and the fake LLM.

Each test uses the keyboard as a keyboard-only user would, and the page runs under the
server's own Content-Security-Policy: a console error or an uncaught exception fails the test.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.agent.serve.conftest import ServeFactory
from tests.support import need
from testkit.llm_server import Calls, FakeLLM, Json, Text

pytestmark = pytest.mark.slow

LEAVE = "How many days of annual leave do I get?"
DONE = '.answer[data-done="true"]'


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium")
    if chromium is None:
        need("no chromium on PATH (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (own sessionStorage) that records console errors and uncaught exceptions."""
    context = browser.new_context(viewport={"width": 1000, "height": 760})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    # A refused request logs "Failed to load resource"; that is the server's answer, not the page's fault.
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    yield page
    context.close()
    assert problems == [], problems  # CSP violations and script errors land here


def focused(page: Any) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.tagName")


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('#model option[value="ragbox:handbook"]', state="attached")


def ask_with_keyboard(page: Any, question: str) -> None:
    page.keyboard.type(question)
    page.keyboard.press("Enter")


def test_keyboard_only_question_with_sources_trace_and_a_screenshot(
    serve: ServeFactory, llm: FakeLLM, page: Any, tmp_path: Path
) -> None:
    open_page(page, serve())
    assert page.locator("#model option").all_inner_texts() == ["automatic", "handbook", "sales", "tickets"]
    page.keyboard.press("Tab")
    assert focused(page) == "model"
    page.keyboard.press("ArrowDown")  # automatic -> handbook
    assert page.eval_on_selector("#model", "e => e.value") == "ragbox:handbook"
    page.keyboard.press("Tab")
    assert focused(page) == "trace-toggle"
    page.keyboard.press("Tab")
    assert focused(page) == "question"

    llm.script(Text("You get 25 days [1]."))
    page.keyboard.type("How many days")
    page.keyboard.press("Shift+Enter")  # a newline, not a send
    assert page.input_value("#question") == "How many days\n" and page.locator(".answer").count() == 0
    page.keyboard.press("Backspace")
    ask_with_keyboard(page, LEAVE.removeprefix("How many days"))
    answer = page.locator(DONE)
    answer.wait_for()
    assert page.locator(".question").inner_text() == LEAVE
    assert answer.locator(".text").inner_text() == "You get 25 days [1]."  # the Sources text is gone
    link = answer.locator(".sources a")
    assert link.count() == 1 and "leave.md" in link.inner_text()
    assert link.get_attribute("href").endswith("/documents/handbook/leave.md")
    page.wait_for_function("() => document.activeElement.id === 'question'")  # focus is back for the next one
    assert page.input_value("#question") == "" and page.is_enabled("#send")

    trace = answer.locator(".trace")
    assert not trace.is_visible()
    page.keyboard.press("Shift+Tab")  # back through the answer's link to the trace box
    assert page.evaluate("document.activeElement.tagName") == "A"
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "trace-toggle"
    page.keyboard.press("Space")
    assert page.is_checked("#trace-toggle") and trace.is_visible()
    shown = trace.inner_text()
    assert "stage: forced" in shown and "sources: handbook" in shown
    call = llm.requests[-1]
    assert f"answer: qwen2.5:7b-instruct, {call.prompt_tokens} prompt + {call.output_tokens} output tokens" in shown
    assert "route (" in shown  # the steps, with their times

    artifacts = Path(os.environ.get("RAGBOX_ARTIFACTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "chat-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.exists() and shot.stat().st_size > 10_000


class PausingAgent:
    """The real agent, whose answers stop after ``after`` tokens until ``release`` is set."""

    def __init__(self, agent: Any, after: int = 5) -> None:
        self._agent, self._after = agent, after
        self.release = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._agent, name)

    def ask(self, question: str, *, on_token: Any = None, **kwargs: Any) -> Any:
        count = 0

        def sink(piece: str) -> None:
            nonlocal count
            on_token(piece)
            count += 1
            if count == self._after:
                self.release.wait(30)

        return self._agent.ask(question, on_token=sink if on_token else None, **kwargs)


def test_the_answer_shows_while_it_streams(serve: ServeFactory, open_agent: Any, llm: FakeLLM, page: Any) -> None:
    agent = PausingAgent(open_agent())
    words = " ".join(f"w{i}" for i in range(60))
    llm.script(Text(f"{words} [1]."))
    open_page(page, serve(agent=agent))
    page.select_option("#model", "ragbox:handbook")
    page.focus("#question")
    try:
        ask_with_keyboard(page, LEAVE)
        # The server holds the rest of the answer back: what shows now came through the stream.
        page.wait_for_function("() => document.querySelector('.answer .text')?.textContent === 'w0 w1 w2 w3 w4 '")
        assert page.get_attribute(".answer", "data-done") is None
        assert page.is_disabled("#send") and page.get_attribute("#messages", "aria-busy") == "true"
        page.keyboard.press("Enter")  # a second Enter while it streams sends nothing
        assert page.locator(".answer").count() == 1
    finally:
        agent.release.set()
    page.locator(DONE).wait_for()
    assert page.inner_text(".answer .text") == f"{words} [1]."
    assert page.is_enabled("#send") and page.get_attribute("#messages", "aria-busy") is None


def test_a_follow_up_sends_the_earlier_turns(serve: ServeFactory, llm: FakeLLM, page: Any) -> None:
    open_page(page, serve())
    page.select_option("#model", "ragbox:handbook")
    page.focus("#question")
    llm.script(Text("You get 25 days [1]."), Text("Carried-over days must be used by 31 March [1]."))
    ask_with_keyboard(page, LEAVE)
    page.locator(DONE).wait_for()
    page.wait_for_function("() => document.activeElement.id === 'question'")
    ask_with_keyboard(page, "And when must carried-over days be used?")
    page.locator(DONE).nth(1).wait_for()
    prompt = llm.requests[-1].prompt
    assert f"Earlier question: {LEAVE}" in prompt and "Earlier answer: You get 25 days [1]." in prompt
    assert llm.requests[-1].question == "And when must carried-over days be used?"
    assert page.locator(".answer .text").all_inner_texts() == [
        "You get 25 days [1].", "Carried-over days must be used by 31 March [1]."]


def test_sql_and_tool_sources_show_as_code_and_answers_stay_text_on_a_narrow_window(
    serve: ServeFactory, llm: FakeLLM, page: Any
) -> None:
    page.set_viewport_size({"width": 360, "height": 700})
    open_page(page, serve())
    page.select_option("#model", "ragbox:sales")
    page.focus("#question")
    llm.script(Json({"sql": "SELECT COUNT(*) AS n FROM customers"}),
               Text("<img src=x onerror=alert(1)> There are <b>240</b> customers [1]."))
    ask_with_keyboard(page, "How many customers are there?")
    page.locator(DONE).wait_for()
    assert page.inner_text(DONE + " .text") == "<img src=x onerror=alert(1)> There are <b>240</b> customers [1]."
    assert page.locator(".answer img, .answer b").count() == 0  # model text is never HTML
    assert page.inner_text(DONE + " .sources code") == "SELECT COUNT(*) AS n FROM customers"

    page.select_option("#model", "ragbox:tickets")
    page.focus("#question")
    llm.script(Calls(("tickets_get_ticket", {"ticket_id": 7})), Text("It will not dock [1]."))
    ask_with_keyboard(page, "What is the status of ticket 7?")
    page.locator(DONE).nth(1).wait_for()
    call = page.locator(DONE).nth(1).locator(".sources code").inner_text()
    assert call.endswith("get_ticket(ticket_id=7)"), call
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    if os.environ.get("RAGBOX_ARTIFACTS"):
        page.screenshot(path=str(Path(os.environ["RAGBOX_ARTIFACTS"]) / "chat-page-narrow.png"), full_page=True)


def test_errors_show_in_the_alert_and_the_form_stays_usable(serve: ServeFactory, llm: FakeLLM, page: Any) -> None:
    open_page(page, serve(max_question_chars=60))
    page.select_option("#model", "ragbox:handbook")
    assert page.inner_text("#error") == ""
    page.focus("#question")

    # Refused before answering: a 400 with a JSON error.
    ask_with_keyboard(page, "x" * 61)
    page.wait_for_function("() => document.querySelector('#error').textContent.includes('the limit is 60')")
    assert page.get_attribute("#error", "role") == "alert"
    assert page.locator(".answer.failed").count() == 1
    page.wait_for_function("() => document.activeElement.id === 'question'")
    assert page.input_value("#question") == "x" * 61 and page.is_enabled("#send")  # given back, to fix

    # Failed while answering: nothing scripted, so the fake LLM answers 500 and the stream ends in an error.
    page.fill("#question", "")
    ask_with_keyboard(page, LEAVE)
    page.wait_for_function("() => document.querySelectorAll('.answer.failed').length === 2")
    assert "fake LLM: no scripted reply left" in page.inner_text("#error")

    # The network fails.
    page.route("**/v1/chat/completions", lambda route: route.abort())
    page.fill("#question", "")
    ask_with_keyboard(page, LEAVE)
    page.wait_for_function("() => document.querySelectorAll('.answer.failed').length === 3")
    assert "Cannot reach the server" in page.inner_text("#error")
    page.unroute("**/v1/chat/completions")

    # And the next question is answered, with the alert cleared.
    llm.script(Text("You get 25 days [1]."))
    page.fill("#question", "")
    ask_with_keyboard(page, LEAVE)
    page.locator(DONE).wait_for()
    assert page.inner_text("#error") == "" and page.inner_text(DONE + " .text") == "You get 25 days [1]."


def test_a_token_is_asked_for_saved_and_sent(serve: ServeFactory, llm: FakeLLM, page: Any) -> None:
    page.goto(serve(token="t0ken"))
    page.locator("#token").wait_for()
    assert "needs an access token" in page.inner_text("#error")
    assert page.locator("#model option").count() == 0
    assert focused(page) == "token"

    page.keyboard.type("wrong")
    page.keyboard.press("Tab")
    assert focused(page) == "token-save"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#error').textContent.includes('refused')")
    assert page.is_visible("#token") and focused(page) == "token"

    page.keyboard.type("t0ken")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector('#model option[value="ragbox:handbook"]', state="attached")
    assert not page.is_visible("#token") and page.inner_text("#error") == ""
    assert page.evaluate("sessionStorage.getItem('ragbox-token')") == "t0ken"
    assert focused(page) == "question"

    # The question and the cited document are fetched with the token too.
    llm.script(Text("You get 25 days [1]."))
    page.select_option("#model", "ragbox:handbook")
    page.focus("#question")
    ask_with_keyboard(page, LEAVE)
    page.locator(DONE).wait_for()
    page.focus(".sources a")
    with page.expect_popup() as popup:
        page.keyboard.press("Enter")
    document = popup.value
    document.wait_for_function("() => document.body && document.body.innerText.includes('25 days')")
    assert document.url.startswith("blob:")
