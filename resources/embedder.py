"""Text embeddings for relevance and "similar papers": wordllama in-process by default, or any
OpenAI-compatible `/v1/embeddings` server (vLLM with an embedding model, llama.cpp's server with
embeddings on) through the same `openai` client as the analyses.

Why wordllama by default (bench/README.md, `relevance`): its 256-d weights ship inside the wheel
(offline, numpy only, no torch), and it embeds a 2,000-listing day in about a second on 2 cores.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import dagster as dg
import numpy as np
from pydantic import model_validator

from resources.fields import one_of, setting

WORDLLAMA_CONFIG = "l2_supercat"
WORDLLAMA_DIM = 256


class EmbeddingError(RuntimeError):
    """The embedding backend could not embed (server down, wrong model, wrong width)."""


@functools.lru_cache(maxsize=1)
def _wordllama():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import wordllama

    # Importing wordllama configures the root logger at INFO (logging.basicConfig), which would print every
    # HTTP request of every library: the application's logging is put back as it was.
    root.handlers[:], root.level = handlers, level

    # wordllama 0.4.0 looks for its bundled tokenizer under `tokenizer/` but ships it in
    # `tokenizers/`, then tries Hugging Face. Its cache layout is `<dir>/tokenizers`, `<dir>/weights`:
    # pointing the cache at the package folder finds both files offline.
    return wordllama.WordLlama.load(config=WORDLLAMA_CONFIG, dim=WORDLLAMA_DIM,
                                    cache_dir=Path(wordllama.__file__).parent, disable_download=True)


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero), float32: a dot product is the cosine."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


BACKENDS = ("wordllama", "openai")


class EmbedderResource(dg.ConfigurableResource):
    """`backend`: wordllama (bundled 256-d static embeddings) or openai (`url` + `model`, an
    OpenAI-compatible server; its key from ARXIV_MONITOR_EMBEDDING_API_KEY)."""

    backend: one_of(*BACKENDS) = setting("embeddings", "ARXIV_MONITOR_EMBEDDING_BACKEND", "wordllama", description=(
        "wordllama (bundled 256-d weights, in-process, offline) or openai (any OpenAI-compatible /v1/embeddings)."))
    url: str = setting("embeddings", "ARXIV_MONITOR_EMBEDDING_URL", "",
                       "For backend = openai: the server's base URL ending in /v1.")
    model: str = setting("embeddings", "ARXIV_MONITOR_EMBEDDING_MODEL", "",
                         "For backend = openai: the embedding model's name.")
    api_key: str = ""
    batch_size: int = 64
    timeout_seconds: float = 120.0

    @model_validator(mode="after")
    def _reachable(self) -> EmbedderResource:
        if self.backend == "openai" and not (self.url and self.model):
            raise ValueError("[embeddings].backend = openai needs [embeddings].url and [embeddings].model "
                             "(ARXIV_MONITOR_EMBEDDING_URL, ARXIV_MONITOR_EMBEDDING_MODEL)")
        return self

    @property
    def identity(self) -> str:
        """What produced a vector: stored beside it, part of the cache key."""
        if self.backend == "wordllama":
            return f"wordllama:{WORDLLAMA_CONFIG}_{WORDLLAMA_DIM}"
        return f"openai:{self.model}@{self.url}"

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit-length float32 row per text."""
        if not texts:
            return np.zeros((0, WORDLLAMA_DIM if self.backend == "wordllama" else 0), dtype=np.float32)
        if self.backend == "wordllama":
            return normalised(_wordllama().embed(list(texts), norm=True, batch_size=self.batch_size))
        return normalised(self._embed_remote(list(texts)))

    def _embed_remote(self, texts: list[str]) -> np.ndarray:
        import openai

        if not self.url or not self.model:
            raise EmbeddingError("[embeddings].backend = openai needs [embeddings].url and [embeddings].model "
                                 "(ARXIV_MONITOR_EMBEDDING_URL, ARXIV_MONITOR_EMBEDDING_MODEL)")
        client = openai.OpenAI(base_url=self.url, api_key=self.api_key or "none", timeout=self.timeout_seconds,
                               max_retries=3)
        rows: list[np.ndarray] = []
        try:
            for start in range(0, len(texts), self.batch_size):
                batch = texts[start:start + self.batch_size]
                answer = client.embeddings.create(model=self.model, input=batch)
                for item in sorted(answer.data, key=lambda d: d.index):
                    vector = np.asarray(item.embedding, dtype=np.float32)
                    # llama-cpp-python's server cannot set a pooling type; with a decoder model it
                    # answers one vector per token. Mean pooling is what llama.cpp's own `--pooling mean` does.
                    rows.append(vector.mean(axis=0) if vector.ndim == 2 else vector)
        except openai.OpenAIError as exc:
            raise EmbeddingError(f"embedding server {self.url} (model {self.model}) failed: {exc}") from None
        widths = {r.shape[0] if r.ndim == 1 else -1 for r in rows}
        if len(rows) != len(texts) or len(widths) != 1:
            raise EmbeddingError(f"embedding server {self.url} answered {len(rows)} vectors of widths "
                                 f"{sorted(widths)} for {len(texts)} texts")
        return np.stack(rows).astype(np.float32)
