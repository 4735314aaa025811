"""Measured prototypes of ``Tagger.predict_proba`` speed-ups (issue 4, part C). Nothing here is used
by the package: each prototype is checked against the shipped code path, then timed on the same
~1 M-character replicated corpus as ``bench/bench_tagging.py`` (analyzer memo defeated, median of
``--repeats`` after a warm-up).

    python bench/prototypes.py              # trains fresh models in a temp dir (~2 minutes)
    python bench/prototypes.py --model models/tagger.joblib --json bench/prototypes.json

Prototypes (``exact`` = same feature matrix / scores as the package, no retraining):

1. ``murmur_ranges`` — scikit-learn's MurmurHash3 (x86, 32-bit, seed 0) vectorised with numpy over
   byte ranges of one UTF-8 buffer. Character n-grams become (start, length) ranges over the batch's
   code points and word uni/bigrams ranges over ``" ".join(tokens)``: no n-gram string is ever
   built and no per-term Python call is made, yet the columns are bit-identical to
   ``FeatureHasher`` (exact).
2. ``ColumnCache`` — a dict term → column in front of ``murmurhash3_32`` (exact; simpler, but each
   term is still a Python string and a dict lookup).
3. ``keep`` cache for the token filter (``segment._DROP`` regex once per distinct token; exact).
4. ``normalize_guarded`` — the normaliser's idempotence pass runs only when the first pass left a
   ``(`` or OpenCC changed something (the only ways a second pass can differ); exact on the corpus,
   and on random strings here.
5. ``weight_inplace`` — TF-IDF weighting and L2 normalisation on the CSR arrays instead of two
   sparse diagonal products (same values up to float rounding, ~1e-16).
6. all of the above together (``predict_proba_fast``), checked against ``model.predict_proba``.
7. the model without character n-grams (``Hyperparameters(use_char=False)``, whose LODO ablation
   row in the README is identical to the shipped model's) — a product decision, not exact.
8. two worker processes over chunks (the machine has 2 cores).
9. loading: ``joblib.load`` unpickles with joblib's pure-Python ``NumpyUnpickler``; the same object
   through ``pickle`` (C unpickler) + zlib.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_tagging as bt

# ------------------------------------------------------------------------ 1. vectorised murmur3
# Adopted into the package (tagger.hashing); the prototypes below build on it.
from tagger.hashing import _csr_from_rows, _utf8_offsets, hash_columns, murmur_ranges  # noqa: E402,F401
from tagger.hashing import char_counts as char_counts_vectorised  # noqa: E402
from tagger.hashing import word_counts as word_counts_vectorised  # noqa: E402


def featurehasher_counts(analyzer, norms: list[str], n_features: int) -> sp.csr_matrix:
    """The original ``HashedTfidf._counts``: analyzer strings through scikit-learn's FeatureHasher
    (the baseline every prototype is checked against, whatever the installed package does)."""
    from sklearn.feature_extraction import FeatureHasher

    X = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False).transform(
        analyzer(t) for t in norms)
    X.sum_duplicates()
    return sp.csr_matrix(X)


# ------------------------------------------------------------------------ 2. term → column cache
class ColumnCache(dict):
    """term → column, computed with scikit-learn's murmurhash3 on a miss (exact); cleared when it
    reaches ``max_size`` entries so memory stays bounded on endless streams."""

    def __init__(self, n_features: int, max_size: int = 500_000) -> None:
        super().__init__()
        self.n_features, self.max_size = n_features, max_size

    def __missing__(self, term: str) -> int:
        from sklearn.utils import murmurhash3_32

        if len(self) >= self.max_size:
            self.clear()
        h = murmurhash3_32(term, seed=0)
        col = (2147483647 - (self.n_features - 1)) % self.n_features if h == -(2**31) else abs(h) % self.n_features
        self[term] = col
        return col


def counts_cached(analyzer, norms: list[str], cache: ColumnCache) -> sp.csr_matrix:
    indices: list[int] = []
    indptr = [0]
    get = cache.__getitem__
    for t in norms:
        indices.extend(map(get, analyzer(t)))
        indptr.append(len(indices))
    X = sp.csr_matrix((np.ones(len(indices)), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
                      shape=(len(norms), cache.n_features))
    X.sum_duplicates()
    return X


# ------------------------------------------------------------------------ 3. token filter cache
class KeepCache(dict):
    """token → kept? (``segment._DROP`` evaluated once per distinct token)."""

    def __missing__(self, token: str) -> bool:
        from tagger.segment import _DROP

        if len(self) >= 500_000:
            self.clear()
        keep = self[token] = not _DROP.match(token)
        return keep


def segment_cached(segmenter, texts: list[str], keep: KeepCache) -> list[list[str]]:
    cut = segmenter._cut()
    get = keep.__getitem__
    return [[t for t in cut(text) if get(t)] for text in texts]


# ------------------------------------------------------------------------ 4. normalisation
def normalize_guarded(text: str) -> str:
    """``tagger.normalize`` with the fixed-point pass only when it can change something.

    One pass is the package's ``_normalize_once``. A second pass can only differ when the first
    one removed invisible characters (the neighbours may now compose under NFKC), left a ``(`` (a
    pinyin annotation can meet a CJK character after space clean-up), changed something through
    OpenCC (its output may be non-NFKC or convert again), or removed a space between CJK characters
    (OpenCC phrases can now match, e.g. ``乾 燥`` → ``乾燥`` → ``干燥``). In those cases the
    package's own loop finishes the job from the one-pass result.
    """
    from tagger.normalize import (
        _INVISIBLE,
        _SPACE_BETWEEN_CJK,
        _SPACES,
        normalize,
        strip_pinyin_annotations,
        to_simplified,
    )

    a = unicodedata.normalize("NFKC", text)
    b = _INVISIBLE.sub("", a)
    c = strip_pinyin_annotations(b)
    d = to_simplified(c)
    e = _SPACES.sub(" ", d)
    f = _SPACE_BETWEEN_CJK.sub("", e)
    out = "\n".join(line.strip() for line in f.split("\n")).strip()
    if len(b) != len(a) or "(" in c or d != c or len(f) != len(e):
        return normalize(out)
    return out


# ------------------------------------------------------------------------ 5. weighting
def weight_inplace(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """``HashedTfidf._weight`` on the CSR arrays: sublinear tf × idf, zero columns dropped, L2 rows."""
    X = counts.astype(np.float64, copy=True)
    X.data = (np.log(X.data) + 1.0) * idf.astype(np.float64)[X.indices]
    X.eliminate_zeros()
    sq = X.data * X.data
    lens = np.diff(X.indptr)
    norms = np.zeros(X.shape[0])
    nz = lens > 0
    norms[nz] = np.add.reduceat(sq, X.indptr[:-1][nz]) if len(sq) else 0.0
    norms = np.sqrt(norms)
    norms[norms == 0] = 1.0
    X.data /= np.repeat(norms, lens)
    return X


# ------------------------------------------------------------------------ 6. all together
def predict_proba_fast(model, texts: list[str], guarded: bool = True, caches: dict | None = None) -> np.ndarray:
    """``model.predict_proba`` rebuilt from prototypes 1 and 3–5 (same scores; no retraining)."""
    from tagger.features import CharNgrams, WordNgrams
    from tagger.model import _EMPTY
    from tagger.normalize import normalize
    from tagger.reader import is_heading

    caches = caches if caches is not None else {}
    norm_fn = normalize_guarded if guarded else normalize
    norms = [norm_fn(t) or _EMPTY for t in texts]
    blocks = []
    for name, vec in model.blocks_:
        if name == "w":
            an: WordNgrams = vec.analyzer
            toks = segment_cached(an.segmenter, norms, caches.setdefault("keep", KeepCache()))
            X = word_counts_vectorised(toks, an.max_n, vec.n_features)
            blocks.append(weight_inplace(X, vec.idf_))
        elif name == "c":
            an: CharNgrams = vec.analyzer
            X = char_counts_vectorised(norms, an.min_n, an.max_n, vec.n_features)
            blocks.append(weight_inplace(X, vec.idf_))
        else:
            blocks.append(vec.transform(norms))
    X = sp.hstack(blocks, format="csr")
    scores = model._sigmoid(X, model.coef_, model.intercept_)
    no_label = [n == _EMPTY or (model.hp.suppress_headings and is_heading(n)) for n in norms]
    scores[no_label] = 0.0
    return scores


# ------------------------------------------------------------------------ harness
def timed(fn, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeats`` calls after a warm-up."""
    fn()  # warm-up
    runs, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        runs.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(runs), statistics.median(cpu)


_POOL_MODEL = None


def _pool_init(path: str) -> None:
    import tagger
    from tagger import features

    global _POOL_MODEL
    _POOL_MODEL = tagger.load(path)
    features._MEMO = features._Memo(0)
    _POOL_MODEL.predict_proba(["党员志愿者为孤寡老人义务检查线路。"])  # build the segmenter


def _pool_predict(chunk: list[str]) -> np.ndarray:
    return _POOL_MODEL.predict_proba(chunk)


def train_variant(out: Path, **hp_changes) -> Path:
    """Train the shipped recipe (optionally with changed hyperparameters) into ``out``."""
    from tagger import Hyperparameters
    from tagger.training import load_resources, train

    model = train(load_resources(ROOT), Hyperparameters(**hp_changes))
    model.save(out)
    return out


def check_normalize_guarded(texts: list[str], n_random: int = 20000, seed: int = 0) -> int:
    """Compare :func:`normalize_guarded` with ``tagger.normalize`` on ``texts`` and random strings
    built from characters that exercise every step. Returns the number of cases checked."""
    from tagger.normalize import normalize

    for t in texts:
        assert normalize_guarded(t) == normalize(t), t
    rng = random.Random(seed)
    alphabet = list("國網電供黨員服務隊國网电供党员服务队乾燥著名(wǎngdiàn1)  \u3000\u00a0\u200b\u200d\ufeff\t\n"
                    ",。ＡＢ１２ﾃｽﾄabce\u0301后後") + ["(wǎng)", "(dāng)", "  (", "乾 燥", "e\u200d\u0301"]
    for _ in range(n_random):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert normalize_guarded(s) == normalize(s), repr(s)
    return len(texts) + n_random


def run(model_path: Path | None, repeats: int = 3, chars: int = 1_000_000, log=print) -> dict:
    import tagger
    from tagger import features
    from tagger.normalize import normalize

    features._MEMO = features._Memo(0)  # unique-text behaviour throughout
    texts = bt.replicate(bt.base_paragraphs(ROOT), chars)
    n_chars = sum(map(len, texts))
    res: dict = {"corpus": {"paragraphs": len(texts), "chars": n_chars}, "machine": bt.machine_info(),
                 "rows": []}

    def row(name, t, base=None, exact=None, note="", wall=False, per_char=True):
        """One result line. Speed-ups compare CPU seconds (robust when other processes share the
        cores), except for multi-process rows (``wall``), whose parent CPU time means nothing."""
        seconds, cpu = t
        key = seconds if wall else cpu
        r = {"name": name, "seconds": seconds, "cpu_seconds": cpu,
             "chars_per_s": n_chars / seconds if per_char else None, "exact": exact, "note": note, "_t": t}
        if base:
            r["speedup"] = (base[0] if wall else base[1]) / key
        res["rows"].append(r)
        rate = f"{n_chars / seconds / 1e3:6.0f} k chars/s" if per_char else " " * 14
        log(f"  {name:<56} {seconds:6.3f} s wall {cpu:6.3f} s cpu {rate}"
            + (f"  ×{r['speedup']:5.2f}" if base else "") + (f"  ({note})" if note else ""))
        return t

    with tempfile.TemporaryDirectory() as tmp:
        if model_path is None:
            model_path = train_variant(Path(tmp) / "tagger.joblib")
        model = tagger.load(model_path)
        vec_w = dict(model.blocks_)["w"]
        vec_c = dict(model.blocks_)["c"]

        log("end-to-end")
        base = row("model.predict_proba (as installed)", timed(lambda: model.predict_proba(texts), repeats))
        fast_scores = predict_proba_fast(model, texts)
        ref_scores = model.predict_proba(texts)
        diff = float(np.abs(fast_scores - ref_scores).max())
        same_labels = bool(model._decide(fast_scores) == model._decide(ref_scores))
        assert diff < 1e-9 and same_labels, diff
        row("predict_proba_fast (1+3+4+5, exact)", timed(lambda: predict_proba_fast(model, texts), repeats),
            base, True, f"max |score diff| {diff:.1e}, identical labels")
        res["check_predict_proba_fast"] = {"max_abs_diff": diff, "identical_labels": same_labels}

        log("stages (shipped vs prototype)")
        norms = model._normalize(texts)
        t_norm = row("normalise: tagger.normalize", timed(lambda: [normalize(t) for t in texts], repeats))
        n_checked = check_normalize_guarded(texts[:5000])
        row("normalise: guarded 2nd pass (4)", timed(lambda: [normalize_guarded(t) for t in texts], repeats),
            t_norm, True, f"identical on {n_checked} texts")
        res["check_normalize_guarded"] = n_checked

        an_c, nf_c = vec_c.analyzer, vec_c.n_features
        t_c = row("char block: CharNgrams + FeatureHasher", timed(
            lambda: featurehasher_counts(an_c, norms, nf_c), repeats))
        Xv = char_counts_vectorised(norms, vec_c.analyzer.min_n, vec_c.analyzer.max_n, vec_c.n_features)
        Xr = featurehasher_counts(an_c, norms, nf_c)
        assert (Xv != Xr).nnz == 0
        row("char block: vectorised murmur3 over code points (1)", timed(
            lambda: char_counts_vectorised(norms, vec_c.analyzer.min_n, vec_c.analyzer.max_n, vec_c.n_features),
            repeats), t_c, True, "identical counts matrix")
        cache_c = ColumnCache(vec_c.n_features, max_size=2_000_000)
        assert (counts_cached(vec_c.analyzer, norms, cache_c) != Xr).nnz == 0
        row("char block: n-gram strings + term→column cache (2)",
            timed(lambda: counts_cached(vec_c.analyzer, norms, cache_c), repeats), t_c, True,
            f"{len(cache_c)} distinct char n-grams cached")

        an_w, nf_w = vec_w.analyzer, vec_w.n_features
        t_w = row("word block: WordNgrams + FeatureHasher", timed(
            lambda: featurehasher_counts(an_w, norms, nf_w), repeats))
        seg = vec_w.analyzer.segmenter
        row("word block: rjieba cut alone (floor)", timed(lambda: [seg._cut()(t) for t in norms], repeats), t_w)
        row("word block: segmenter incl. _DROP filter", timed(lambda: [seg(t) for t in norms], repeats), t_w)
        keep = KeepCache()
        row("word block: segmenter with keep cache (3)",
            timed(lambda: segment_cached(seg, norms, keep), repeats), t_w, True)
        toks = segment_cached(seg, norms, keep)
        Xw = word_counts_vectorised(toks, vec_w.analyzer.max_n, vec_w.n_features)
        assert (Xw != featurehasher_counts(an_w, norms, nf_w)).nnz == 0
        row("word block: keep cache + vectorised murmur3 (1+3)", timed(
            lambda: word_counts_vectorised(segment_cached(seg, norms, keep), vec_w.analyzer.max_n,
                                           vec_w.n_features), repeats), t_w, True, "identical counts matrix")
        cache_w = ColumnCache(vec_w.n_features, max_size=2_000_000)
        row("word block: WordNgrams + term→column cache (2)",
            timed(lambda: counts_cached(vec_w.analyzer, norms, cache_w), repeats), t_w, True)

        counts = Xr
        t_wt = row("weighting: HashedTfidf._weight (char block)", timed(lambda: vec_c._weight(counts), repeats))
        a, b = weight_inplace(counts, vec_c.idf_), vec_c._weight(counts)
        wdiff = float(abs(a - b).max())
        row("weighting: in place on CSR arrays (5)", timed(lambda: weight_inplace(counts, vec_c.idf_), repeats),
            t_wt, False, f"max |diff| {wdiff:.1e}")
        lex = dict(model.blocks_)["lex"]
        row("lexicon features (unchanged)", timed(lambda: lex.transform(norms), repeats))

        log("loading (9)")
        import pickle
        import zlib

        import joblib

        row("load: joblib.load of the model file", timed(lambda: joblib.load(model_path), 5), per_char=False)
        blob = zlib.compress(pickle.dumps(joblib.load(model_path), protocol=5), 3)
        row("load: pickle.loads(zlib) of the same object (C unpickler)",
            timed(lambda: pickle.loads(zlib.decompress(blob)), 5), res["rows"][-1]["_t"], True,
            f"{len(blob) / 1e6:.1f} MB compressed", per_char=False)

        log("product options")
        nochar = tagger.load(train_variant(Path(tmp) / "nochar.joblib", use_char=False))
        row("model without char n-grams: predict_proba (7)", timed(lambda: nochar.predict_proba(texts), repeats),
            base, False, "README ablation: same LODO F1 as the shipped model")
        row("model without char n-grams + prototypes (7+6)",
            timed(lambda: predict_proba_fast(nochar, texts), repeats), base, False)
        chunks = [texts[i:i + 1000] for i in range(0, len(texts), 1000)]
        with mp.get_context("spawn").Pool(2, initializer=_pool_init, initargs=(str(model_path),)) as pool:
            pool.map(_pool_predict, chunks[:4], chunksize=1)  # warm both workers
            got = np.vstack(pool.map(_pool_predict, chunks, chunksize=1))
            assert np.array_equal(got, model.predict_proba(texts))
            row("2 worker processes over 1 000-paragraph chunks (8)", timed(
                lambda: pool.map(_pool_predict, chunks, chunksize=1), repeats), base, True, wall=True)
    for r in res["rows"]:
        r.pop("_t")
    return res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="model file (default: train a fresh one in a temp dir)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--chars", type=int, default=1_000_000)
    p.add_argument("--json", help="also write the rows here")
    args = p.parse_args(argv)
    res = run(Path(args.model) if args.model else None, args.repeats, args.chars)
    if args.json:
        bt.write_results(res, Path(args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
