"""What can go wrong with a managed model; each message says what to do next."""

from __future__ import annotations

from agent.errors import ModelNotFound

__all__ = ["ModelError", "ModelMissing"]


class ModelError(ModelNotFound):
    """A model file is unusable: wrong sha256, truncated, not GGUF, too large, or not downloadable."""


class ModelMissing(ModelError):
    """The model is in no models folder yet (``python -m agent models pull NAME`` fetches it)."""
