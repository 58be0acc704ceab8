"""Stand-ins for the outside world: only the LLM server."""
