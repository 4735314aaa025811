"""The compiled kernels (``tagger._speedups``) give what the numpy code gives, bit for bit.

``tests/test_batch_equivalence.py`` checks both implementations against the one-text definitions;
here each kernel is compared with the numpy code it replaces, directly, and its argument checks are
exercised (a wrong array must raise, never read out of bounds).
"""

import importlib
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagger import native
from tagger.features import CharNgrams, HashedTfidf, WordNgrams
from tagger.hashing import codepoints
from tagger.lexicon import Lexicon
from tagger.segment import Segmenter, _char_classes

needs_kernels = pytest.mark.skipif(native._built is None, reason="compiled kernels not built")

_CHARS = list("供电公司老旧小区加装电梯接电志愿服务敬老院孤寡老人一户一表黑楼道營商環境報裝國網乾么覆沈")
_SPECIAL = list("\n\ue000 \t\u3000\u00a0.%()（）０１２３ＡＢ…①㍿\u0301\u200b\u202e\ufeff\x01āǎüabcXYZ_，。、")
_ASTRAL = ["\U0001F600", "\U00020000"]
text = st.text(alphabet=st.sampled_from(_CHARS + _SPECIAL + _ASTRAL), max_size=80)
texts = st.lists(st.one_of(text, st.text(max_size=30)), min_size=1, max_size=8)
_TRAIN = ["老旧小区一户一表改造", "为孤寡老人检查线路", "加装电梯接电服务", "營商環境報裝提速", "志愿服务队慰问老人",
          "供电公司黑楼道改造", "ab 12.5% XY", "敬老院电梯接电"]


@pytest.fixture
def numpy_code(monkeypatch):
    """Run the numpy code (the kernels switched off) inside a test."""
    monkeypatch.setattr(native, "_compiled", None)


def _both(fn):
    """``fn()`` with the compiled kernels, then with the numpy code."""
    assert native._built is not None
    saved = native._compiled
    try:
        native._compiled = native._built
        compiled = fn()
        native._compiled = None
        return compiled, fn()
    finally:
        native._compiled = saved


def test_kernels_are_built_where_a_compiler_is_available():
    """The extension is optional (no compiler: the numpy code runs), so a failed build would go
    unnoticed; where a C compiler and the Python headers are available, as in CI, it must be built."""
    import sysconfig
    from pathlib import Path

    if not (shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")):
        pytest.skip("no C compiler on PATH")
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        pytest.skip("no Python headers (python3-dev) to build against")
    assert native._built is not None, (
        "tagger._speedups was not built although a C compiler is available: reinstall with "
        "`pip install -e .` and read the build output (setup.py)")
    assert native.status() in ("compiled", "numpy (switched off by TAGGER_NO_SPEEDUPS)")


def test_status_says_which_code_runs(numpy_code):
    assert native.kernels() is None
    assert native.status().startswith("numpy")


@needs_kernels
@pytest.mark.parametrize("n_features", [2**10, 1009])
@pytest.mark.parametrize("min_df", [1, 2])
@pytest.mark.parametrize("kind", ["char", "word"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=texts, seed=st.integers(0, 2**16))
def test_scorer_kernels_equal_numpy(n_features, min_df, kind, batch, seed):
    analyzer = CharNgrams(1, 4) if kind == "char" else WordNgrams(Segmenter(), 3)
    vec = HashedTfidf(analyzer, n_features, min_df).fit(_TRAIN)
    weights = np.random.default_rng(seed).normal(size=(n_features, 5))
    scorer = vec.scorer(weights)
    compiled, plain = _both(lambda: scorer(batch))
    assert np.array_equal(compiled, plain)
    scorer.remap = scorer.cmap.remap  # the 32-bit column map (used when 16 bits do not fit)
    assert np.array_equal(_both(lambda: scorer(batch))[0], plain)


@needs_kernels
@settings(max_examples=200, deadline=None)
@given(texts)
def test_token_spans_equal_numpy(batch):
    seg = Segmenter()
    compiled, plain = _both(lambda: seg.spans(batch))
    assert compiled[0] == plain[0]
    for a, b in zip(compiled[1:], plain[1:]):
        assert np.array_equal(a, b)


@needs_kernels
@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(text, st.sampled_from(["志愿者", "志愿", "加装电梯", "电梯", "一户一表", "老人"])), max_size=6)
       .map(lambda parts: ["".join(parts[i:]) for i in range(len(parts))]))
def test_lexicon_kernel_equals_numpy(batch):
    lex = Lexicon([("志愿", "volunteer_work", 1.0), ("志愿者", "volunteer_work", 1.5), ("电梯", "elevator_power_hookup", 1),
                   ("加装电梯", "elevator_power_hookup", 2.0), ("老", "elderly_care", 0.5), ("老人", "elderly_care", 1.0),
                   ("一户一表", "old_neighbourhood_retrofit", 1.0), ("\U00020000字", "volunteer_work", 1.0)])
    compiled, plain = _both(lambda: lex.spans(batch))
    for a, b in zip(compiled, plain):
        assert np.array_equal(a, b)


@needs_kernels
@settings(max_examples=300, deadline=None)
@given(st.one_of(text, st.text(max_size=60)))
def test_normalisation_kernels_equal_numpy(s):
    nz = importlib.import_module("tagger.normalize")  # (the package's ``normalize`` is the function)
    (a1, b1), (a2, b2) = _both(lambda: nz._nfkc_visible(s))
    assert (a1, b1) == (a2, b2)
    trigger = nz._t2s_table()[0]
    if trigger is not None:
        assert _both(lambda: nz._changeable_lines(s, trigger)) == (nz._changeable_lines(s, trigger),) * 2
        assert _both(lambda: nz._has_changeable(s, trigger))[0] == (trigger.search(s) is not None)
    compiled, plain = _both(lambda: nz.normalize_many([s, s + "\n" + s, "國" + s]))
    assert compiled == plain


@needs_kernels
def test_model_scores_equal_with_and_without_kernels(seed_model, root):
    from tagger.reader import read_report

    paragraphs = [p.text for f in sorted((root / "seeds").glob("*.txt")) for p in read_report(f)]
    compiled, plain = _both(lambda: seed_model.predict_proba(paragraphs))
    assert np.array_equal(compiled, plain)


@needs_kernels
def test_kernels_reject_wrong_arrays():
    k = native._built
    cp = codepoints("老旧小区")
    lens = np.array([4], dtype=np.int64)
    table, tf, out = np.ones((8, 2)), np.ones(16), np.zeros((2, 1))
    remap = np.full(8, -1, dtype=np.int32)
    remap[:8] = np.arange(8) % 8
    k.char_sums(cp, lens, 1, 2, 8, remap, table, tf, out)  # fine
    with pytest.raises(TypeError, match="lens"):
        k.char_sums(cp, lens.astype(np.int32), 1, 2, 8, remap, table, tf, out)
    with pytest.raises(ValueError, match="add up"):
        k.char_sums(cp, np.array([5], dtype=np.int64), 1, 2, 8, remap, table, tf, out)
    with pytest.raises(ValueError, match="remap"):
        k.char_sums(cp, lens, 1, 2, 8, remap[:4], table, tf, out)
    with pytest.raises(ValueError, match="table"):
        k.char_sums(cp, lens, 1, 2, 8, remap, np.ones((4, 2)), tf, out)
    with pytest.raises(ValueError, match="tf table"):
        k.char_sums(codepoints("aaaa"), lens, 1, 1, 8, remap, table, np.ones(1), out)
    with pytest.raises(TypeError, match="out"):
        k.char_sums(cp, lens, 1, 2, 8, remap, table, tf, out.astype(np.float32))
    with pytest.raises(ValueError, match="word 0"):
        k.word_sums(cp, np.array([2], dtype=np.int64), np.array([9], dtype=np.int64), np.array([0], dtype=np.int64),
                    1, 2, 8, remap, table, tf, out)
    with pytest.raises(ValueError, match="classes"):
        k.token_spans(["老旧"], codepoints("老旧"), np.zeros(10, dtype=np.uint8), *(np.empty(1, dtype=np.int64),) * 2,
                      np.empty(1, dtype=np.uint8))
    assert k.token_spans(["老旧", "x"], codepoints("老旧"), _char_classes(), np.empty(2, dtype=np.int64),
                         np.empty(2, dtype=np.int64), np.empty(2, dtype=np.uint8)) == 3  # not the text's length
    with pytest.raises(ValueError, match="lexicon"):
        k.lexicon_matches(cp, lens, codepoints("老旧"), np.array([0, 5], dtype=np.int64),
                          np.array([ord("老")], dtype=np.uint32), np.array([0, 1], dtype=np.int64),
                          *(np.empty(4, dtype=np.int64),) * 3)
    with pytest.raises(ValueError, match="BMP"):
        k.nfkc_visible("老", np.zeros(10, dtype=np.uint8), np.zeros(10, dtype=np.uint32),
                       np.zeros(10, dtype=np.int64), np.zeros(0, dtype=np.uint32), np.zeros(10, dtype=np.uint8))
    with pytest.raises(ValueError, match="marks"):
        k.marked_lines("老", np.zeros(10, dtype=np.uint8))


@needs_kernels
def test_opencc_c_api_equals_the_python_binding(root):
    """t2s through OpenCC's C API (no interpreter lock) gives the Python binding's output on every
    character t2s can change, on random strings of them, and on the seeds in traditional script."""
    import random

    import opencc

    nz = importlib.import_module("tagger.normalize")
    if nz._t2s_table()[0] is None:
        pytest.skip("OpenCC version differs from the checked one: the C API is not used")
    from tagger._opencc_t2s import CHANGEABLE

    c_api, binding = nz._t2s_c_api(), nz._t2s().convert
    assert c_api is not None
    chars = sorted(CHANGEABLE)
    assert [c_api(c) for c in chars] == [binding(c) for c in chars]
    rng = random.Random(0)
    samples = ["".join(rng.choice(chars) for _ in range(rng.randint(2, 12))) for _ in range(3000)]
    assert [c_api(s) for s in samples] == [binding(s) for s in samples]
    seeds = "\n".join(f.read_text(encoding="utf-8") for f in sorted((root / "seeds").glob("*.txt")))
    traditional = opencc.OpenCC("s2t").convert(seeds)
    assert c_api(traditional) == binding(traditional)
    assert nz._convert("國\x00國") == binding("國\x00國")  # a NUL goes to the binding (C strings end there)


@needs_kernels
def test_kernels_reject_hostile_but_well_typed_arrays():
    """Arrays of the right type whose values or memory would send a kernel out of bounds."""
    k = native._built
    empty_cp, huge = np.zeros(0, dtype=np.uint32), np.array([2**62] * 4, dtype=np.int64)  # adds up to 0 mod 2**64
    with pytest.raises(ValueError, match="add up"):
        k.char_sums(empty_cp, huge, 1, 1, 8, None, np.ones((8, 1)), np.ones(4), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="lexicon"):
        k.lexicon_matches(empty_cp, huge, empty_cp, np.zeros(1, np.int64), empty_cp, np.zeros(1, np.int64),
                          *(np.empty(0, np.int64) for _ in range(3)))
    kinds = np.ones(0x10000, np.uint8)
    kinds[ord("a")], kinds[ord("b")] = 2, 3
    target = np.arange(0x10000, dtype=np.uint32)
    target[ord("a")] = 0xFFFFFFF0
    many_start = np.zeros(0x10001, np.int64)
    many_start[ord("b")] = -(1 << 40)
    tables = (kinds, target, many_start, np.zeros(0, np.uint32), np.zeros(0x10000, np.uint8))
    with pytest.raises(ValueError, match="target"):
        k.nfkc_visible("a", *tables)
    with pytest.raises(ValueError, match="many_start"):
        k.nfkc_visible("b", *tables)
    # an output sharing memory with an input would change it after its checks
    out = np.zeros((1, 64))
    remap = out.reshape(-1).view(np.int32)[:8]
    cp = codepoints("abcdefgh" * 64)
    with pytest.raises(ValueError, match="shares memory"):
        k.char_sums(cp, np.full(64, 8, np.int64), 1, 2, 8, remap, np.ones((1, 1)), np.ones(64), out)
    ends = np.empty(16, np.int64)
    with pytest.raises(ValueError, match="shares memory"):
        k.token_spans(["a"] * 16, codepoints("a" * 16), _char_classes(), np.empty(16, np.int64), ends,
                      ends.view(np.uint8)[-16:])
    # the table and out shapes are checked, not only their sizes (a transposed table is refused)
    with pytest.raises(ValueError, match="table"):
        k.char_sums(codepoints("ab"), np.array([2], np.int64), 1, 1, 8, np.arange(8, dtype=np.int32),
                    np.ones((2, 8)), np.ones(4), np.zeros((2, 1)))


@needs_kernels
def test_char_kernel_lowercases_each_text_on_its_own():
    """Lower-casing a batch at once differs from text by text at a capital sigma (final form at the
    end of a text, not before the next text) and where a character's lower case is longer (İ)."""
    vec = HashedTfidf(CharNgrams(1, 2), 2**10).fit(["ας σβ", "i̇x", "ab"])
    scorer = vec.scorer(np.random.default_rng(1).normal(size=(2**10, 3)))
    for batch in (["ΑΣ", "Β"], ["İx", "ab"], ["AB", "ab"]):
        compiled, plain = _both(lambda: scorer(batch))
        assert np.array_equal(compiled, plain)
        assert np.array_equal(compiled, np.vstack([_both(lambda: scorer([t]))[1] for t in batch]))
