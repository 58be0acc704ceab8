"""Managed GGUF models for the embedded llama.cpp backend: a registry, a store, downloads.

    spec = find_spec("qwen2.5-coder-1.5b-instruct")     # or MODELS[...]
    path = locate(spec, dirs)                           # verified file, or ModelMissing
    path = pull(spec, dirs, progress=...)               # download, check sha256, keep

``python -m agent models list | pull [NAME] | path NAME`` is the command line over these.
"""

from agent.models.errors import ModelError, ModelMissing
from agent.models.registry import DEFAULT_MODEL, MODELS, HuggingFaceFile, ModelSpec, PyPIChunks, find_spec
from agent.models.store import ModelFile, locate, model_dirs, resolve_model, verify
from agent.models.pull import pull

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "HuggingFaceFile",
    "ModelError",
    "ModelFile",
    "ModelMissing",
    "ModelSpec",
    "PyPIChunks",
    "find_spec",
    "locate",
    "model_dirs",
    "pull",
    "resolve_model",
    "verify",
]
