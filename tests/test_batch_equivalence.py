"""The batch fast paths give exactly what the one-text-at-a-time definitions give.

Normalisation, segmentation, lexicon matching and feature hashing each run once over a whole batch
(joined by separators) for speed; these property tests check that joining never changes a result,
on any Unicode text, including text that contains the separators themselves. Each test runs with the
compiled kernels (``tagger.native``) and with the numpy code they replace.
"""

import unicodedata

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tagger.hashing import PrefixHash, codepoints, term_hash
from tagger.lexicon import Lexicon
from tagger.normalize import nfkc, normalize, normalize_many
from tagger.schema import LABELS
from tagger.segment import Segmenter

# Report-like characters plus everything the fast paths treat specially: separators (line break,
# U+E000), digits, ".", "%", full-width and compatibility forms, combining marks, invisible and
# bidi characters, pinyin with tone marks, traditional characters, astral characters, surrogates.
_SPECIAL = list("\n\ue000 \t\u3000\u00a0.%()（）０１２３ＡＢ…‥①㍿\u0301\u3099か\u200b\u202e\ufeff"
                "āáǎàōǒüǚ1234567890abcXYZ_-+#&@，。、；：！？“”《》")
_CJK = list("供电公司老旧小区加装电梯接电志愿服务敬老院孤寡老人一户一表黑楼道营商环境报装國網東電號辦棗莊乾燥著么")
_ASTRAL = ["\U0001F600", "\U00020000", "\U0001D400"]


@pytest.fixture(scope="module", params=["compiled", "numpy"], autouse=True)
def implementation(request):
    """Every test here runs twice: with the compiled kernels (when built) and with the numpy code."""
    from tagger import native

    if request.param == "compiled" and native._built is None:
        pytest.skip("compiled kernels not built")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(native, "_compiled", native._built if request.param == "compiled" else None)
        yield request.param


report_text = st.text(alphabet=st.sampled_from(_SPECIAL + _CJK + _ASTRAL), max_size=60)
any_text = st.text(max_size=40)
batch = st.lists(st.one_of(report_text, any_text), max_size=8)


@settings(max_examples=400, deadline=None)
@given(batch, st.booleans())
def test_normalize_many_equals_normalize(texts, simplify):
    assert normalize_many(texts, simplify) == [normalize(t, simplify) for t in texts]


@settings(max_examples=300, deadline=None)
@given(st.one_of(report_text, st.text(max_size=60)))
def test_fast_nfkc_equals_unicodedata(text):
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_fast_nfkc_equals_unicodedata_on_every_bmp_character_and_pairs():
    chars = [chr(i) for i in range(0x10000) if not 0xD800 <= i <= 0xDFFF]
    assert all(nfkc(c) == unicodedata.normalize("NFKC", c) for c in chars)
    rng = np.random.default_rng(0)
    for _ in range(2000):  # neighbours: composition across characters
        s = "".join(rng.choice(chars, 3))
        assert nfkc(s) == unicodedata.normalize("NFKC", s)


@pytest.fixture(scope="module")
def segmenter():
    return Segmenter(user_words=("加装电梯", "一户一表"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch)
def test_spans_equal_per_text_segmentation(segmenter, texts):
    buf, starts, ends, rows = segmenter.spans(texts)
    assert buf == "\n".join(texts)
    got = [[] for _ in texts]
    for a, b, r in zip(starts.tolist(), ends.tolist(), rows.tolist()):
        got[r].append(buf[a:b])
    assert got == [segmenter(t) for t in texts]


def test_spans_drop_numbers_like_the_regex(segmenter):
    texts = ["2021年投资3.5%的12%项目", "1.2.3版 45 ６７ 8%% 9%1"]
    buf, starts, ends, rows = segmenter.spans(texts)
    got = [[] for _ in texts]
    for a, b, r in zip(starts.tolist(), ends.tolist(), rows.tolist()):
        got[r].append(buf[a:b])
    assert got == [segmenter(t) for t in texts]


@settings(max_examples=200, deadline=None)
@given(batch)
def test_lexicon_batch_scores_equal_per_text(texts):
    lex = Lexicon([("志愿", "volunteer_work", 1.0), ("志愿者", "volunteer_work", 1.5),
                   ("加装电梯", "elevator_power_hookup", 2.0), ("老人", "elderly_care", 1.0),
                   ("一户一表", "old_neighbourhood_retrofit", 1.0), ("报装", "business_connection_speed", 0.5),
                   ("供电", "volunteer_work", -0.5)])
    norms = normalize_many(texts)
    per_text = np.zeros((len(norms), len(LABELS)))
    for i, n in enumerate(norms):  # the definition: weights of the distinct terms found in the text
        for term in sorted(lex.found(n)):
            for j, weight in lex._index[term]:
                per_text[i, j] += weight
    assert np.array_equal(lex.scores(norms), per_text)


def test_lexicon_finds_the_longest_term_at_the_leftmost_position():
    lex = Lexicon([("志愿", "volunteer_work", 1.0), ("志愿者", "volunteer_work", 1.5),
                   ("愿者", "elderly_care", 9.0)])
    assert lex.found("青年志愿者服务") == {"志愿者"}
    assert lex.found("志愿志愿者") == {"志愿", "志愿者"}
    with pytest.raises(ValueError, match="empty"):
        Lexicon([("", "volunteer_work", 1.0)])


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=30), st.data())
def test_prefix_hash_equals_term_hash(text, data):
    a = data.draw(st.integers(0, len(text) - 1))
    b = data.draw(st.integers(a + 1, len(text)))
    ph = PrefixHash(codepoints(text))
    assert int(ph.final(np.array([a]), np.array([b]))[0]) == term_hash(text[a:b])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch)
@example(["Z境公！", ""])  # found a bug: row norms of a batch ending in an empty row
def test_model_scores_of_a_batch_equal_one_at_a_time(seed_model, texts):
    together = seed_model.predict_proba(texts)
    alone = np.array([seed_model.predict_proba(t) for t in texts]).reshape(len(texts), len(LABELS))
    assert np.allclose(together, alone, rtol=0, atol=1e-12)
    assert seed_model.predict(texts) == [seed_model.predict(t) for t in texts]


def _big_batch(n):
    from itertools import cycle, islice

    base = ["为孤寡老人检查线路。", "老旧小区一户一表改造", "", "加装电梯接电", "優化營商環境,報裝提速", "志愿者慰问",
            "图为服务队员", "Z境公！"]
    return [t + str(i % 7) for i, t in zip(range(n), islice(cycle(base), n))]


def test_two_thread_prediction_equals_one_thread(seed_model, monkeypatch):
    from tagger import model as model_module

    texts = _big_batch(2 * model_module._CHUNK + 123)
    monkeypatch.setenv("TAGGER_NUM_THREADS", "1")
    one = seed_model.predict_proba(texts)
    monkeypatch.setenv("TAGGER_NUM_THREADS", "2")
    two = seed_model.predict_proba(texts)
    assert np.array_equal(one, two)
    monkeypatch.setenv("TAGGER_NUM_THREADS", "lots")  # bad value: a warning, one thread
    assert model_module.num_threads() == 1
    assert np.array_equal(seed_model.predict_proba(texts), one)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_two_thread_prediction_works_after_fork(seed_model, monkeypatch):
    """A helper thread inherited through fork is dead: the child must start its own, not hang."""
    import multiprocessing as mp

    from tagger import model as model_module

    monkeypatch.setenv("TAGGER_NUM_THREADS", "2")
    texts = _big_batch(2 * model_module._CHUNK)
    expected = seed_model.predict_proba(texts)  # the parent's helper thread now exists
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(seed_model.predict_proba, (texts,)).get(timeout=120)
    assert np.array_equal(got, expected)


def test_tag_frame_and_tag_use_the_same_chunked_scores(seed_model, monkeypatch):
    """The report paths (tag, tag_frame: the CLI and Dask) score in chunks too, with equal results."""
    import pandas as pd

    from tagger import model as model_module

    monkeypatch.setattr(model_module, "_CHUNK", 7)  # several chunks from a small frame
    reports = ["\n".join(_big_batch(23)), "\n".join(_big_batch(5)), ""]
    calls = []
    real = model_module.Tagger._chunked_scores

    def spy(self, n, norms_of):
        calls.append(n)
        return real(self, n, norms_of)

    monkeypatch.setattr(model_module.Tagger, "_chunked_scores", spy)
    for threads in ("1", "2"):
        monkeypatch.setenv("TAGGER_NUM_THREADS", threads)
        frame = seed_model.tag_frame(pd.DataFrame({"text": reports}))
        got = frame[[f"score_{lab}" for lab in LABELS]].to_numpy()
        assert np.allclose(got, seed_model.predict_proba(frame["text"].tolist()), atol=1e-4)  # 4 decimals
        tagged = seed_model.tag(reports[0])
        assert [r.labels for r in tagged] == seed_model.predict([r.text for r in tagged])
    assert calls and max(calls) > 7


def test_pinyin_chains_and_long_letter_runs():
    chain = "國" + "(guó)" * 8
    assert normalize(chain) == "国" and normalize(normalize(chain)) == "国"
    assert normalize_many([chain, "供(gòng)電"]) == ["国", "供电"]
    long_run = "國(" + "ā" * 20000  # no closing bracket: must stay fast (bounded syllables)
    assert normalize(long_run).startswith("国(")


def test_hash_features_range_is_checked(resources):
    from tagger.config import Hyperparameters
    from tagger.model import Tagger

    with pytest.raises(ValueError, match="hash_features"):
        Tagger(Hyperparameters(hash_features=2**32), resources.lexicon).fit(["a", "b"], np.zeros((2, 5)))


def test_fast_nfkc_characters_never_compose_with_a_preceding_character():
    """The fast path treats its characters one by one: none of them may be the second half of a
    canonical composition (then it could merge with the character before it under NFKC)."""
    from tagger.normalize import _UNSAFE, _nfkc_tables

    cls = _nfkc_tables()[0]
    seconds = set()
    for i in range(0x110000):
        parts = unicodedata.decomposition(chr(i)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(int(parts[1], 16))
    seconds |= set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul V and T jamo
    assert all(cls[c] == _UNSAFE for c in seconds if c < 0x10000)
    assert cls[ord("ā")] != _UNSAFE and cls[ord("ḿ")] != _UNSAFE and cls[ord("国")] != _UNSAFE


# ----------------------------------------------------------------- lexicon matching with numpy
_TERMS = [("志愿", "volunteer_work", 1.0), ("志愿者", "volunteer_work", 1.5), ("愿者", "elderly_care", 9.0),
          ("老", "elderly_care", 0.25), ("老旧小区", "old_neighbourhood_retrofit", 1.0),
          ("小区改造", "old_neighbourhood_retrofit", 1.0), ("办电e助手", "business_connection_speed", 1.0),
          ("\U00020000电", "volunteer_work", 0.5), ("电梯", "elevator_power_hookup", 1.0),
          ("电梯电梯电", "elevator_power_hookup", 1.0)]
_TERM_TEXT = st.lists(st.one_of(st.sampled_from([t for t, _, _ in _TERMS]),
                                st.sampled_from(list("志愿者老旧小区改造办电e助手梯\U00020000\n\ue000 x"))),
                      max_size=25).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_TERM_TEXT, report_text), max_size=6))
def test_lexicon_batch_matches_equal_the_regex_scan(texts):
    """Numpy matching (whole batch) finds the same terms, in the same places, as the trie regex's
    leftmost-longest scan of each text alone."""
    lex = Lexicon(_TERMS)
    starts, ends, rows, ids = lex.spans(texts)
    table = lex._table()
    got = [[] for _ in texts]
    for a, b, r, t in zip(starts.tolist(), ends.tolist(), rows.tolist(), ids.tolist()):
        assert texts[r][a:b] == table.terms[t]
        got[r].append((a, table.terms[t]))
    expected = [[(m.start(), m.group()) for m in lex._pattern.finditer(t)] for t in texts]
    assert got == expected


def test_lexicon_hash_collisions_neither_make_nor_hide_a_match(monkeypatch):
    """With base 0 a window's hash is its last character + 1: 电梯 and 老梯 (and every window ending
    in 梯) share one. Each term sharing the hash is tried and every hit is checked character by
    character, so the matches stay those of the regex."""
    from tagger import lexicon as lexicon_module

    monkeypatch.setattr(lexicon_module, "_BASE", 0)
    lex = Lexicon([*_TERMS, ("老梯", "elderly_care", 1.0), ("楼梯", "elderly_care", 1.0)])
    texts = ["志气老旧小区改造", "电视电梯", "愿望者", "老梯楼梯扶梯", "x电梯"]
    starts, ends, rows, ids = lex.spans(texts)
    found = [(r, texts[r][a:b]) for a, b, r in zip(starts.tolist(), ends.tolist(), rows.tolist())]
    assert found == [(0, "老旧小区"), (1, "电梯"), (3, "老梯"), (3, "楼梯"), (4, "电梯")]
    assert found == [(r, m) for r, t in enumerate(texts) for m in lex._pattern.findall(t)]


def test_lexicon_repeated_entries_add_up_entry_by_entry():
    """A term listed twice (or for several labels) adds each entry in turn, in file order, as the
    per-text definition does: the same floats, so a cue threshold cannot flip."""
    lex = Lexicon([("乙", "elderly_care", 0.1), ("甲", "elderly_care", 0.2), ("甲", "elderly_care", 0.7),
                   ("甲", "volunteer_work", 1.0)])
    expected = 0.0
    for weight in (0.1, 0.2, 0.7):  # terms in sorted order (乙 U+4E59 < 甲 U+7532), entries in file order
        expected += weight
    assert expected == 1.0 != 0.1 + (0.2 + 0.7)  # summing a term's entries first would give 0.999…
    got = lex.scores(["甲乙", "乙"])
    assert got[0, LABELS.index("elderly_care")] == expected
    assert got[0, LABELS.index("volunteer_work")] == 1.0 and got[1, LABELS.index("elderly_care")] == 0.1


# ----------------------------------------------------------------- prediction without the matrix
_FIT = ["老旧小区一户一表改造", "为孤寡老人检查线路", "加装电梯接电服务", "志愿者慰问老人", "报装提速优化营商环境",
        "老旧小区加装电梯", "供电公司志愿服务队"]


@pytest.mark.parametrize("n_features", [2**10, 1000])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=batch)
def test_scorer_equals_the_tfidf_product(segmenter, n_features, texts):
    """``scorer(texts)`` (terms counted directly, zero-idf columns dropped) equals
    ``transform(texts) @ weights`` for character and word blocks, with min_df dropping columns."""
    from tagger.features import CharNgrams, HashedTfidf, WordNgrams, linear_scorer

    norms = normalize_many(texts)
    weights = np.random.default_rng(n_features).normal(size=(n_features, 5))
    for analyzer, min_df in ((CharNgrams(2, 4), 2), (WordNgrams(segmenter, 2), 1)):
        vec = HashedTfidf(analyzer, n_features=n_features, min_df=min_df).fit(normalize_many(_FIT))
        expected = vec.transform(norms) @ weights
        assert np.allclose(linear_scorer(vec, weights)(norms), expected, rtol=1e-12, atol=1e-12)
        spans = segmenter.spans(norms) if isinstance(analyzer, WordNgrams) else None
        assert np.allclose(vec.scorer(weights)(norms, spans), expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------- OpenCC only where it can act
_T2S_TEXT = st.text(alphabet=st.sampled_from(list("國網供電黨員甚麼乾燥著名么干后後裡里髮發\n \ue000x")
                                             + ["\U00020000", "\U0002A6A5"] + _CJK), max_size=50)


@settings(max_examples=400, deadline=None)
@given(_T2S_TEXT)
def test_to_simplified_equals_opencc(text):
    from tagger.normalize import _t2s, to_simplified

    assert to_simplified(text) == _t2s().convert(text)


def test_to_simplified_on_lines_equals_opencc_on_a_report(root):
    from tagger.normalize import _t2s, to_simplified

    text = (root / "labels" / "authored.jsonl").read_text(encoding="utf-8")
    assert to_simplified(text) == _t2s().convert(text)


def test_normalisation_is_a_fixed_point_after_every_changeable_character():
    """After a conversion only characters OpenCC can change again call for a second pass: each of
    them, alone, in pairs and in a line, normalises to a fixed point."""
    from tagger._opencc_t2s import CHANGEABLE

    rng = np.random.default_rng(0)
    chars = list(CHANGEABLE)
    texts = chars + ["".join(rng.choice(chars, 2)) for _ in range(3000)] + [CHANGEABLE]
    once = normalize_many(texts)
    assert normalize_many(once) == once
    assert once == [normalize(t) for t in texts]


def test_without_the_character_set_everything_is_converted(monkeypatch):
    """Another OpenCC version (set unknown): every text goes through OpenCC; same results."""
    import importlib

    normalize_module = importlib.import_module("tagger.normalize")  # (tagger.normalize is also a function)
    texts = ["國網供電", "供电公司", "甚麼時候", "乾燥"]
    expected = normalize_many(texts)
    monkeypatch.setattr(normalize_module, "_t2s_table", lambda: (None, False))
    assert normalize_module.to_simplified("供电") == "供电"
    assert normalize_many(texts) == expected


def test_changeable_characters_match_the_installed_opencc():
    """The shipped set is what the installed OpenCC's dictionaries give (regenerate with
    ``python -m tagger._opencc_t2s`` after upgrading OpenCC)."""
    from importlib.metadata import version
    from pathlib import Path

    import opencc

    from tagger import _opencc_t2s

    if not (Path(opencc.__file__).parent / "clib" / "bin" / "opencc_dict").exists():
        pytest.skip("this OpenCC build has no opencc_dict tool")
    if version("opencc") != _opencc_t2s.OPENCC_VERSION:
        pytest.skip("another OpenCC version: the set is not used (everything is converted)")
    assert _opencc_t2s.from_dictionaries() == (_opencc_t2s.OPENCC_VERSION, _opencc_t2s.CHANGEABLE,
                                               _opencc_t2s.OUTPUT_INERT)
