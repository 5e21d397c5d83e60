"""Sentence embeddings from the model shipped inside the `wordllama` package (static token
embeddings, numpy only). Loaded once per process, never downloaded: `disable_download`
makes a missing file an error instead of a fetch from a hub."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from wordllama.inference import WordLlamaInference  # type: ignore[import-untyped]

DIMENSIONS = 256
Matrix = npt.NDArray[np.float32]

_model: WordLlamaInference | None = None
_lock = threading.Lock()


def model() -> WordLlamaInference:
    """The packaged model, loaded on first use (about 0.2 s)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                import wordllama  # type: ignore[import-untyped]
                from wordllama import WordLlama

                # The package's own default cache path has a packaging bug; its directory
                # holds the weights and tokenizer.
                _model = WordLlama.load(
                    cache_dir=Path(wordllama.__file__).parent,
                    disable_download=True,
                    dim=DIMENSIONS,
                )
    return _model


def embed(texts: list[str]) -> Matrix:
    """One L2-normalised float32 row per text (a zero row for a text with no known token)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    raw: Any = model().embed(texts, norm=True)
    matrix = np.asarray(raw, dtype=np.float32).reshape(len(texts), DIMENSIONS)
    return np.nan_to_num(matrix, copy=False)


def to_bytes(vector: Matrix) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def from_bytes(blobs: list[bytes]) -> Matrix:
    """Stack stored vectors into one matrix."""
    if not blobs:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), DIMENSIONS)
