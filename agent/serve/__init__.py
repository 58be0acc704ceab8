"""``python -m agent serve``: the agent behind the OpenAI chat API, with a chat page."""

from agent.serve.app import ServeSettings, create_app

__all__ = ["ServeSettings", "create_app"]
