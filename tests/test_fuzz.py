"""Property-based tests: arbitrary Unicode through normalisation, splitting, predict, tag and the CLI."""

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagger import LABELS
from tagger.cli import main
from tagger.normalize import normalize
from tagger.reader import read_text_file, split_report

# Everything Unicode has, lone surrogates included (as a Python str can hold them after
# surrogateescape decoding), with extra weight on the characters reports actually contain.
ANY = st.characters(codec=None)
NASTY = st.sampled_from(["\u200b", "\u200f", "\u202e", "\ufeff", "\x00", "\x1b", "\r", "\u2028", "\u3000",
                         "😀", "👩‍👩‍👧", "\ud800", "\udfff", "國", "网", "(wǎng)", "。", "“", "\t", "ｱ"])
TEXT = st.lists(st.one_of(ANY, NASTY), max_size=300).map("".join)
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(max_examples=500, **SETTINGS)
@given(TEXT)
def test_normalize_total_and_idempotent(text):
    out = normalize(text)
    assert normalize(out) == out
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in out)  # encodable as UTF-8
    out.encode("utf-8")


@settings(max_examples=300, **SETTINGS)
@given(TEXT)
def test_split_report_total(text):
    paragraphs = split_report(text, "d")
    assert len({p.id for p in paragraphs}) == len(paragraphs)
    assert all(p.kind in ("body", "heading", "caption") and p.norm for p in paragraphs)


@settings(max_examples=200, **SETTINGS)
@given(st.lists(TEXT, max_size=6))
def test_predict_total(seed_model, texts):
    proba = seed_model.predict_proba(texts)
    assert proba.shape == (len(texts), len(LABELS))
    assert np.isfinite(proba).all() and ((proba >= 0) & (proba <= 1)).all()
    labels = seed_model.predict(texts)
    assert len(labels) == len(texts) and all(set(x) <= set(LABELS) for x in labels)


@settings(max_examples=150, **SETTINGS)
@given(TEXT)
def test_tag_total(seed_model, text):
    results = seed_model.tag(text, "d")
    assert len(results) == len(split_report(text, "d"))
    for r in results:
        assert set(r.labels) <= set(LABELS) and all(0 <= s <= 1 for s in r.scores.values())


@settings(max_examples=40, **SETTINGS)
@given(text=st.lists(st.one_of(st.characters(codec="utf-8"), NASTY.filter(lambda c: c not in "\ud800\udfff")),
                max_size=200).map("".join))
def test_cli_tag_total(cli_model, tmp_path_factory, text, capsys):
    path = tmp_path_factory.mktemp("fz") / "r.txt"
    path.write_text(text, encoding="utf-8", newline="")
    code = main(["tag", str(path), "--format", "jsonl", "--model", cli_model])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if "\x00" in text[:4096]:  # NUL bytes: refused as binary, with the file named
        assert code == 1 and f"{path}: looks like a binary file" in err and out == ""
        return
    if not read_text_file(path).strip():  # nothing to tag: refused, with the file named
        assert code == 1 and f"{path}: empty file" in err and out == ""
        return
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(split_report(path.read_text(encoding="utf-8"), "r"))
    assert all(set(r["labels"]) <= set(LABELS) for r in rows)


def test_megabyte_paragraph(seed_model):
    text = ("党员志愿者为孤寡老人义务检查线路" * 70000)[:1_000_000]
    assert seed_model.predict_proba([text]).shape == (1, len(LABELS))
    assert len(seed_model.tag(text + "。")) == 1
