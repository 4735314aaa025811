"""The batch paths of normalisation and features (one string, one numpy pass per step, for a whole
batch) against straightforward one-text-at-a-time references written from the modules' docs:
the same normalised text, the same hashed columns and the same TF-IDF values on generated text."""

import math
import re
import unicodedata
from collections import Counter

import numpy as np
import opencc
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tagger.text.normalize as normalize_module
from tagger.features.lexicon import Lexicon
from tagger.features.rows import Rows, count_pairs, runs
from tagger.features.tfidf import CharTfidf, WordTfidf
from tagger.text.normalize import normalize_many, strip_pinyin_annotations
from tagger.text.segment import Segmenter
from test_normalize import REPORT_TEXT

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
_T2S = opencc.OpenCC("t2s")


def reference_normalize(text: str) -> str:
    """The module doc's steps, in its order, on one text."""
    text = normalize_module._INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = strip_pinyin_annotations(re.sub(r"\s+", " ", text)).strip()
    text = normalize_module._SPACE_BETWEEN_CJK.sub("", text)
    return _T2S.convert(text)


# What a batch must not mix up between neighbouring texts: line breaks inside a text, compatibility
# characters (full-width punctuation, ligatures), combining marks and Hangul jamo that compose with
# what precedes them, pinyin annotations, spaces at either end, Greek capital sigma (contextual lower case).
EDGES = st.sampled_from(["\n", "\r\n", " ", "\u3000", "，", "：", "；", "？", "！", "（", "）", "…", "／", "ﬁ", "①",
                         "\u0301", "e\u0301", "\u1100", "\u1161", "\u11a8", "(wǎng)", "國(guó)", "藉口", "乾隆",
                         "ΑΣ", "Σ", "ς", "İ", "\u200b", "\x00", "\ud800", "Ａ", "ｶﾞ"])
TEXT = st.lists(st.one_of(EDGES, REPORT_TEXT, st.text(max_size=5)), max_size=8).map("".join)
BATCH = st.lists(TEXT, max_size=8)


@settings(max_examples=300, **SETTINGS)
@given(BATCH)
@example(["a", "\u0301b"])  # a combining mark at the start of a text: it must not compose with the last one
@example(["\u1100", "\u1161"])  # Hangul L + V across two texts
@example(["國 ", " (wǎng)"])
@example(["ΑΣ", "Β"])
def test_normalize_many_equals_the_reference_text_by_text(texts):
    assert normalize_many(texts) == [reference_normalize(t) for t in texts]


def test_normalize_many_on_the_project_text(resources):
    texts = [e.text for e in resources.examples]
    assert normalize_many(texts) == [reference_normalize(t) for t in texts]


# ----------------------------------------------------------------------------- character n-grams
_M64 = 2**64


def reference_key(gram: str) -> int:
    """The documented hash of one n-gram: a 64-bit polynomial over code points + 1, salted with the
    length, finished by MurmurHash3's mixer."""
    h = 0
    for ch in gram:
        h = (h * 0x100000001B3 + ord(ch) + 1) % _M64
    h ^= len(gram) * 0x9E3779B97F4A7C15 % _M64
    h ^= h >> 33
    h = h * 0xFF51AFD7ED558CCD % _M64
    h ^= h >> 33
    h = h * 0xC4CEB9FE1A85EC53 % _M64
    return h ^ (h >> 33)


def reference_buckets(block: CharTfidf, text: str) -> Counter:
    line = text.lower()
    return Counter(reference_key(line[i:i + n]) & (block.n_buckets - 1)
                   for n in range(block.min_n, block.max_n + 1) for i in range(len(line) - n + 1))


def reference_tfidf(counts: dict, idf: np.ndarray) -> dict:
    values = {c: (1 + math.log(k)) * idf[c] for c, k in counts.items() if idf[c] > 0}
    norm = math.sqrt(sum(v * v for v in values.values()))
    return {c: v / norm for c, v in values.items()}


def as_dicts(rows: Rows) -> list[dict]:
    return [dict(zip(rows.indices[a:b].tolist(), rows.data[a:b].tolist()))
            for a, b in zip(rows.indptr[:-1], rows.indptr[1:])]


def assert_rows_equal(rows: Rows, expected: list[dict]) -> None:
    got = as_dicts(rows)
    assert [sorted(g) for g in got] == [sorted(e) for e in expected]  # the same columns, in order
    for g, e in zip(got, expected):
        assert all(math.isclose(g[c], e[c], rel_tol=1e-12, abs_tol=1e-15) for c in e)


ONE_LINE = st.lists(TEXT.map(lambda t: t.replace("\n", " ")), max_size=8)
CHAR_TRAINING = ["老旧小区加装电梯", "为孤寡老人检查线路", "ΑΣ σ", "ab ab abc", "國網供電", "老旧小区改造"]


@pytest.fixture(scope="module", params=[(2, 4), (1, 3)])
def char_block(request):
    min_n, max_n = request.param
    return CharTfidf(min_n, max_n, min_df=1, n_buckets=2**10).fit(CHAR_TRAINING)  # small: buckets shared


def test_char_idf_equals_the_reference(char_block):
    df = Counter(c for text in CHAR_TRAINING for c in reference_buckets(char_block, text))
    expected = np.zeros(char_block.n_buckets)
    for c, k in df.items():
        expected[c] = math.log((1 + len(CHAR_TRAINING)) / (1 + k)) + 1
    np.testing.assert_allclose(char_block.idf_, expected, rtol=1e-15)


@settings(max_examples=150, **SETTINGS)
@given(ONE_LINE)
@example(["ΑΣ", "Σ"])
@example(["", "a", ""])
def test_char_rows_equal_the_reference(char_block, texts):
    rows = char_block.transform(texts)
    assert rows.n_rows == len(texts)
    assert_rows_equal(rows, [reference_tfidf(reference_buckets(char_block, t), char_block.idf_) for t in texts])


# ----------------------------------------------------------------------------- words
WORDS = st.lists(st.sampled_from(["老旧", "小区", "加装电梯", "接电", "老人", "。", ",", "2021", "供电", "公司", " "]),
                 max_size=12).map("".join)


@pytest.fixture(scope="module")
def word_setup():
    seg = Segmenter(("加装电梯",))
    training = ["老旧小区加装电梯接电", "老人小区供电公司", "小区老旧", "供电公司加装电梯"]
    return seg, WordTfidf(2, 1).fit(seg.stream(training))


def reference_word_counts(block: WordTfidf, tokens: list[str]) -> Counter:
    """Vocabulary words, and pairs of neighbouring vocabulary words that are in the vocabulary."""
    words = [t for t in tokens if t in block.vocab_ and block.vocab_[t] >= 0]
    pairs = {(block.words_[p // len(block.words_)], block.words_[p % len(block.words_)]): len(block.words_) + i
             for i, p in enumerate(block.pairs_.tolist())}
    counts = Counter(block.vocab_[w] for w in words)
    counts.update(pairs[p] for p in zip(words, words[1:]) if p in pairs)
    return counts


@settings(max_examples=150, **SETTINGS)
@given(st.lists(WORDS, max_size=8))
def test_word_rows_equal_the_reference(word_setup, lines):
    seg, block = word_setup
    expected = [reference_tfidf(reference_word_counts(block, tokens), block.idf_) for tokens in seg.cut_many(lines)]
    assert_rows_equal(block.transform(seg.stream(lines)), expected)


# ----------------------------------------------------------------------------- lexicon
LEXICON = Lexicon([("加装电梯", "elevator_power_hookup", 1.5), ("电梯", "elevator_power_hookup", 0.5),
                   ("志愿", "volunteer_work", 1.0), ("志愿者", "volunteer_work", 1.5), ("老人", "elderly_care", 0.5),
                   ("a.b", "volunteer_work", 1.0)])


def reference_found(lexicon: Lexicon, texts: list[str]) -> list[tuple[int, int]]:
    """Leftmost-longest, non-overlapping: an alternation sorted longest first, text by text."""
    pattern = re.compile("|".join(sorted(map(re.escape, lexicon.terms), key=len, reverse=True)))
    return sorted({(i, lexicon.terms.index(m)) for i, t in enumerate(texts) for m in pattern.findall(t)})


@settings(max_examples=200, **SETTINGS)
@given(st.lists(st.lists(st.sampled_from(["加装", "电梯", "志愿", "者", "老人", "a", ".", "b", "x", " "]),
                         max_size=10).map("".join), max_size=8))
def test_lexicon_matches_equal_the_reference(texts):
    rows, terms = LEXICON.found(texts)
    assert list(zip(rows.tolist(), terms.tolist())) == reference_found(LEXICON, texts)


def test_lexicon_refuses_text_with_a_line_break():
    with pytest.raises(ValueError, match="text 1 holds a line break"):
        LEXICON.found(["老人", "志愿\n者"])
    with pytest.raises(ValueError, match="one line"):
        Lexicon([("志愿\n者", "volunteer_work", 1.0)])


# ----------------------------------------------------------------------------- sparse rows
@settings(max_examples=100, **SETTINGS)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 40)), max_size=60))
def test_count_pairs_and_runs_equal_numpy_unique(entries):
    rows = np.array([r for r, _ in entries], dtype=np.int64)
    cols = np.array([c for _, c in entries], dtype=np.int64)
    r, c, counts = count_pairs(rows, cols, 7, 41)
    keys, expected = np.unique(rows * 41 + cols, return_counts=True)
    assert (r * 41 + c).tolist() == keys.tolist() and counts.tolist() == expected.tolist()
    distinct, n = runs(np.sort(cols))
    assert [distinct.tolist(), n.tolist()] == [a.tolist() for a in np.unique(cols, return_counts=True)]


def test_count_pairs_uses_64_bits_when_32_would_overflow():
    r, c, counts = count_pairs(np.array([3, 3, 0]), np.array([2**30, 2**30, 5]), 4, 2**31)
    assert r.tolist() == [0, 3] and c.tolist() == [5, 2**30] and counts.tolist() == [1, 2]


@settings(max_examples=100, **SETTINGS)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 9), st.floats(-3, 3)), max_size=40))
def test_rows_dot_equals_a_dense_product(entries):
    dense = np.zeros((6, 10))
    for r, c, v in entries:
        dense[r, c] = v
    r, c = np.nonzero(dense)
    rows = Rows.from_pairs(r, c, dense[r, c], 6, 10)
    weights = np.arange(30, dtype=float).reshape(10, 3) - 7
    np.testing.assert_allclose(rows.dot(weights), dense @ weights, atol=1e-12)


def test_the_written_out_compatibility_forms_are_nfkc():
    assert all(form == unicodedata.normalize("NFKC", char) != char for char, form in normalize_module._COMMON_COMPAT)
