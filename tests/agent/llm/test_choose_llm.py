"""``provider = "auto"``: Ollama when it answers with a suitable model, else the embedded model."""

from __future__ import annotations

from agent.llm import LlamaCppChat, OllamaChat, choose_llm, get_chat_model
from agent.models import DEFAULT_MODEL
from connectors.config import LLMConfig
from testkit.servers import free_port


def test_ollama_with_the_preferred_model_is_taken(llm):
    llm.reset(models=("mistral:7b", "qwen2.5:7b-instruct"))
    chosen, why = choose_llm(LLMConfig(host=llm.url))
    assert (chosen.provider, chosen.model) == ("ollama", "qwen2.5:7b-instruct")
    assert llm.url in why
    assert isinstance(get_chat_model(chosen), OllamaChat)


def test_a_named_model_is_taken_when_ollama_has_it(llm):
    llm.reset(models=("llama9:1b",))
    chosen, _ = choose_llm(LLMConfig(host=llm.url, model="llama9:1b"))
    assert (chosen.provider, chosen.model) == ("ollama", "llama9:1b")


def test_ollama_without_a_suitable_model_falls_back_to_the_embedded_one(llm):
    llm.reset(models=("mistral:7b",))
    chosen, why = choose_llm(LLMConfig(host=llm.url, router_model="qwen2.5:0.5b"))
    assert (chosen.provider, chosen.model, chosen.router_model) == ("llamacpp", DEFAULT_MODEL, None)
    assert "has no qwen2.5:7b-instruct" in why and "embedded" in why
    assert isinstance(get_chat_model(chosen), LlamaCppChat)


def test_no_ollama_at_all_means_the_embedded_model_and_a_gguf_path_is_kept():
    host = f"http://127.0.0.1:{free_port()}"
    chosen, why = choose_llm(LLMConfig(host=host, model="/models/mine.gguf"))
    assert (chosen.provider, chosen.model) == ("llamacpp", "/models/mine.gguf")
    assert f"no Ollama answers at {host}" in why


def test_a_named_provider_is_used_as_it_is(llm):
    llm.reset(models=())
    config = LLMConfig(provider="ollama", host=llm.url, model="absent:1b")
    assert choose_llm(config)[0] is config
    assert choose_llm(LLMConfig(provider="llamacpp"))[0].provider == "llamacpp"


def test_each_backend_says_what_it_is(llm):
    assert get_chat_model(LLMConfig(provider="ollama", host=llm.url)).describe() == \
        f"ollama qwen2.5:7b-instruct at {llm.url}"
    assert get_chat_model(LLMConfig(provider="llamacpp")).describe() == \
        f"llamacpp {DEFAULT_MODEL} (embedded, in this process)"
