// The chat page of `agent serve`: asks /v1/chat/completions (streamed) and shows the answers,
// their sources and, on request, the trace. No framework, no build step. The page runs under a
// strict Content-Security-Policy: no inline code or style, so everything is wired up here.
// Answers and sources are untrusted text: they only ever go in through textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const form = $("ask"), question = $("question"), send = $("send"), model = $("model");
const messages = $("messages"), errorBox = $("error"), traceToggle = $("trace-toggle");
const tokenForm = $("token-form"), tokenInput = $("token");
const TOKEN_KEY = "ragbox-token";
const chat = []; // earlier {role, content} turns, sent with every question for follow-ups

// --- helpers -------------------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function headers(extra) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { ...extra, Authorization: `Bearer ${token}` } : { ...extra };
}

// Whether the reader is at the end of the page, where a growing answer should keep them.
function nearBottom() { return window.innerHeight + window.scrollY >= document.body.scrollHeight - 40; }

function showError(message) { errorBox.textContent = message || ""; }

// The message of an error body: OpenAI's {"error": {"message"}} or the auth layer's {"error", "hint"}.
async function errorOf(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    const e = body.error;
    return (e && e.message) || body.hint || (typeof e === "string" ? e : "") || text;
  } catch { return text || `The server answered ${response.status}.`; }
}

// --- token and models ----------------------------------------------------------------------

async function loadModels() {
  let response;
  try {
    response = await fetch("/v1/models", { headers: headers() });
  } catch (err) { showError(`Cannot reach the server: ${err.message}`); return; }
  if (response.status === 401) { askForToken(); return; }
  if (!response.ok) { showError(await errorOf(response)); return; }
  const previous = model.value;
  model.replaceChildren();
  for (const { id } of (await response.json()).data) {
    const option = el("option", null, id === "ragbox" ? "automatic" : id.replace(/^ragbox:/, ""));
    option.value = id;
    model.append(option);
  }
  if (previous) model.value = previous;
  if (!model.value && model.options.length) model.selectedIndex = 0;
  tokenForm.hidden = true;
  showError("");
}

function askForToken() {
  const had = sessionStorage.getItem(TOKEN_KEY);
  sessionStorage.removeItem(TOKEN_KEY);
  tokenForm.hidden = false;
  const message = had ? "The access token was refused; enter a valid one." : "This server needs an access token.";
  showError(message);
  tokenInput.focus();
  return message;
}

tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
  tokenInput.value = "";
  loadModels().then(() => { if (tokenForm.hidden) question.focus(); });
});

// --- rendering -----------------------------------------------------------------------------

function renderSources(list, citations) {
  for (const c of citations) {
    const item = el("li");
    item.value = c.n; // keep the [n] numbers of the answer text
    if (c.url) {
      const link = el("a", null, c.label);
      link.href = c.url;
      link.addEventListener("click", openDocument);
      item.append(link);
    } else if (c.sql) {
      item.append(`${c.source}: `, el("code", null, c.sql));
      if (c.row_count !== undefined) item.append(` (${c.row_count} row${c.row_count === 1 ? "" : "s"})`);
    } else if (c.tool) {
      const args = Object.entries(c.arguments || {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      item.append(`${c.source}: `, el("code", null, `${c.tool}(${args.join(", ")})`));
    } else {
      item.append(c.label);
    }
    if (c.by === "ragbox") item.append(el("span", "by", " (attributed by ragbox)"));
    list.append(item);
  }
}

// A link to /documents/ needs the token too, which a plain link cannot send: fetch the text
// with it and open it from a blob. The tab is opened first, inside the click, to pass popup blockers.
async function openDocument(event) {
  if (!sessionStorage.getItem(TOKEN_KEY)) return; // no token: the plain link works
  event.preventDefault();
  const tab = window.open("", "_blank");
  const response = await fetch(event.currentTarget.href, { headers: headers() }).catch(() => null);
  if (!response || !response.ok) {
    if (tab) tab.close();
    showError(response ? await errorOf(response) : "Cannot reach the server.");
    return;
  }
  const blob = new Blob([await response.text()], { type: "text/plain;charset=utf-8" });
  if (tab) tab.location.href = URL.createObjectURL(blob);
}

function renderTrace(box, extra, usage) {
  const route = extra.route || {};
  box.append(el("h3", null, "Route"),
    el("p", null, `sources: ${(route.sources || []).join(", ") || "none"}; stage: ${route.stage}`));
  if (route.reason) box.append(el("p", null, `reason: ${route.reason}`));
  const trace = extra.trace || {};
  box.append(el("h3", null, "Steps"));
  const steps = box.appendChild(el("ul"));
  for (const step of trace.steps || []) {
    const item = steps.appendChild(el("li", null, `${step.name} (${Number(step.ms).toFixed(1)} ms) `));
    if (step.detail && Object.keys(step.detail).length) item.append(el("code", null, JSON.stringify(step.detail)));
  }
  box.append(el("h3", null, "LLM calls"));
  const calls = box.appendChild(el("ul"));
  for (const call of trace.llm_calls || []) {
    calls.append(el("li", null, `${call.purpose}: ${call.model}, ${call.prompt_tokens} prompt + ` +
      `${call.output_tokens} output tokens (${call.cached_tokens || 0} cached), ${Number(call.ms).toFixed(0)} ms`));
  }
  const total = usage ? `${usage.prompt_tokens} prompt + ${usage.completion_tokens} output tokens` : "";
  box.append(el("p", null, [total, extra.llm].filter(Boolean).join(" · ")));
}

// --- asking --------------------------------------------------------------------------------

// Reads a server-sent-events body; calls onData with each event's parsed `data:` JSON.
async function readEvents(response, onData) {
  const reader = response.body.getReader(), decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done }).replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) { // one event per blank-line-separated block
      const data = buffer.slice(0, end).split("\n").filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trim()).join("\n");
      buffer = buffer.slice(end + 2);
      if (data === "[DONE]") return;
      if (data) onData(JSON.parse(data));
    }
    if (done) return;
  }
}

async function ask(text) {
  showError("");
  messages.append(el("p", "question", text));
  const answer = messages.appendChild(el("article", "answer"));
  const body = answer.appendChild(el("div", "text"));
  const turn = [...chat, { role: "user", content: text }];
  let finished = false;
  messages.setAttribute("aria-busy", "true"); // screen readers read the answer once, when whole
  try {
    const response = await fetch("/v1/chat/completions", {
      method: "POST", headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify({ model: model.value || "ragbox", messages: turn, stream: true }),
    });
    if (response.status === 401) throw new Error(askForToken());
    if (!response.ok) throw new Error(await errorOf(response));
    await readEvents(response, (data) => {
      if (data.error) throw new Error(data.error.message || "The server failed on this question.");
      const choice = (data.choices || [])[0] || {};
      if (choice.delta && choice.delta.content) {
        const follow = nearBottom();
        body.textContent += choice.delta.content;
        if (follow) window.scrollTo(0, document.body.scrollHeight);
      }
      if (data.ragbox) { // the final chunk: the bare answer, its sources and the trace
        body.textContent = data.ragbox.answer;
        const sources = el("ol", "sources");
        renderSources(sources, data.ragbox.citations || []);
        const trace = el("section", "trace");
        trace.setAttribute("aria-label", "Trace");
        renderTrace(trace, data.ragbox, data.usage);
        answer.append(sources, trace);
        chat.push({ role: "user", content: text }, { role: "assistant", content: data.ragbox.answer });
        finished = true;
        answer.dataset.done = "true";
      }
    });
    if (!finished) throw new Error("The answer stopped before it was complete.");
  } catch (err) {
    answer.classList.add("failed");
    if (!body.textContent) body.textContent = "No answer.";
    showError(err instanceof TypeError ? `Cannot reach the server: ${err.message}` : err.message);
    if (!question.value) question.value = text; // give the question back, to retry
  } finally {
    messages.removeAttribute("aria-busy");
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = question.value.trim();
  if (!text || send.disabled) return;
  question.value = "";
  send.disabled = true;
  await ask(text);
  send.disabled = false;
  (tokenForm.hidden ? question : tokenInput).focus(); // the token first, when it was refused
  window.scrollTo(0, document.body.scrollHeight);
});

// Enter sends; Shift+Enter (or Enter while an input method composes) adds a newline.
question.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

// The trace of every answer shows while the box is ticked (the browser may restore it on reload).
const showTrace = () => document.body.classList.toggle("show-trace", traceToggle.checked);
traceToggle.addEventListener("change", showTrace);
showTrace();

loadModels();
