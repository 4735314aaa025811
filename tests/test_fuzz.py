"""Property-based tests: arbitrary Unicode through normalisation, splitting, predict, tag, and generated
files (encodings, surrogates, huge cells, control and bidi characters, Markdown/HTML) through ``tagger tag``.

Invariants of every CLI run: exit code 0 with the right rows, or 1 with one error line naming the file;
never a traceback; no temp file left; an output file only on success.
"""

import csv
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tagger.model.persistence as persistence
from tagger import LABELS
from tagger.apps.cli import main
from tagger.common.files import decode_bytes
from tagger.text.normalize import normalize
from tagger.text.report import split_report

# Everything Unicode has, lone surrogates included (as a Python str can hold them after
# surrogateescape decoding or a JSON escape), with extra weight on the characters reports contain.
ANY = st.characters(codec=None)
NASTY = st.sampled_from(["\u200b", "\u200f", "\u202e", "\u2066", "\ufeff", "\x00", "\x1b", "\x1b[2J", "\r", "\n",
                         "\r\n", "\u2028", "\x85", "\u3000", "😀", "🙏", "👩\u200d👩\u200d👧", "\ud800", "\udfff", "國",
                         "网", "(wǎng)", "。", "“", "\t", "ｱ", "![x](/etc/hostname)", "<script>", "| a |", "**", "#"])
TEXT = st.lists(st.one_of(ANY, NASTY), max_size=300).map("".join)
REPORT_CHARS = st.one_of(st.sampled_from(list("党员志愿者为孤寡老人义务检查线路老旧小区加装电梯企业报装接电。,!?")),
                         NASTY.filter(lambda c: not any(0xD800 <= ord(x) <= 0xDFFF or x == "\x00" for x in c)),
                         st.characters(codec="utf-8", blacklist_characters="\x00"))
REPORT = st.lists(REPORT_CHARS, min_size=0, max_size=120).map("".join)
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(max_examples=400, **SETTINGS)
@given(TEXT)
def test_normalize_total(text):
    """(Idempotence: test_normalize.py, which also holds the cases that break it.)"""
    out = normalize(text)
    assert isinstance(out, str) and "\n" not in out and len(out.splitlines()) <= 1
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in out)
    out.encode("utf-8")  # always writable


@settings(max_examples=300, **SETTINGS)
@given(TEXT)
def test_split_report_total(text):
    paragraphs = split_report(text, "d")
    assert len({p.id for p in paragraphs}) == len(paragraphs)
    assert all(p.kind in ("body", "heading", "caption") and p.norm and p.text in text for p in paragraphs)


@settings(max_examples=150, **SETTINGS)
@given(st.lists(TEXT, max_size=6))
def test_predict_total(seed_model, texts):

    proba = seed_model.predict_proba(texts)
    assert proba.shape == (len(texts), len(LABELS))
    assert np.isfinite(proba).all() and ((proba >= 0) & (proba <= 1)).all()
    labels = seed_model.predict(texts)
    assert len(labels) == len(texts) and all(set(x) <= set(LABELS) for x in labels)
    assert seed_model.predict_indicator(texts).sum() == sum(map(len, labels))


@settings(max_examples=100, **SETTINGS)
@given(TEXT)
def test_tag_total(seed_model, text):
    results = seed_model.tag(text, "d")
    assert [r.id for r in results] == [p.id for p in split_report(text, "d")]
    for r in results:
        assert set(r.labels) <= set(LABELS) and all(0 <= s <= 1 for s in r.scores.values())
        assert set(r.evidence) == set(r.labels)
        if r.kind == "heading":
            assert r.labels == []


# ----------------------------------------------------------------------------- through the CLI
@pytest.fixture(scope="module")
def cached_load(cli_model):
    """The model is loaded once (tested elsewhere); the runs fuzz reading, tagging and writing."""
    model = persistence.load_model(cli_model)
    return lambda path=None: model


def _run(argv, capsys, cached_load):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(persistence, "load_model", cached_load)
        code = main(argv)
    return code, *capsys.readouterr()


def _check_run(code, out, err, folder, output, name):
    assert "Traceback" not in err
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers
    if code == 0:
        return [json.loads(line) for line in (output.read_text(encoding="utf-8") if output else out).splitlines()]
    assert code == 1, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert name in err or "nothing to tag" in err, err  # the file is named (or there is nothing at all)
    assert output is None or not output.exists()
    return None


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"])


@settings(max_examples=40, **SETTINGS)
@given(text=REPORT, encoding=ENCODINGS, to_file=st.booleans())
def test_cli_tag_text_files(cli_model, cached_load, tmp_path_factory, capsys, text, encoding, to_file):
    folder = tmp_path_factory.mktemp("fz")
    path = folder / "r.txt"
    path.write_bytes(text.encode(encoding))
    output = folder / "out.jsonl" if to_file else None
    code, out, err = _run(["tag", str(path), "--format", "jsonl", "--model", cli_model]
                          + (["-o", str(output)] if output else []), capsys, cached_load)
    rows = _check_run(code, out, err, folder, output, str(path))
    if encoding == "utf-8" and "\x00" in text[:4096]:
        assert rows is None and "looks like a binary file" in err
        return
    decoded = text.replace("\r\n", "\n").replace("\r", "\n")
    if encoding == "utf-8":  # a file starting with U+FEFF is UTF-8 with a byte-order mark: the mark is not text
        decoded = decoded.removeprefix("\ufeff")
    expected = split_report(decoded, "r")
    if not decoded.strip():
        assert rows is None and "empty file" in err
        return
    if not expected:  # only chrome / invisible characters: nothing to tag
        assert rows is None and "nothing to tag" in err
        return
    assert rows is not None, err
    assert [r["paragraph"] for r in rows] == [p.id for p in expected]
    assert [r["text"] for r in rows] == [p.text for p in expected]
    assert all(set(r["labels"]) <= set(LABELS) for r in rows)


CELL = st.lists(st.one_of(REPORT_CHARS, st.sampled_from(["\ud800", "\udc00", '"', "\\", ",", "\n"])),
                max_size=80).map("".join)


@settings(max_examples=30, **SETTINGS)
@given(cells=st.lists(st.one_of(CELL, st.none(), st.integers()), min_size=1, max_size=4),
       kind=st.sampled_from(["jsonl", "csv"]), fmt=st.sampled_from(["jsonl", "csv", "table"]))
def test_cli_tag_tables(cli_model, cached_load, tmp_path_factory, capsys, cells, kind, fmt):
    folder = tmp_path_factory.mktemp("fzt")
    path = folder / f"t.{kind}"
    if kind == "jsonl":  # JSON escapes carry lone surrogates into the text
        path.write_text("".join(json.dumps({"text": c}) + "\n" for c in cells), encoding="utf-8")
    else:
        buf = io.StringIO(newline="")
        writer = csv.writer(buf)
        writer.writerow(["text"])
        writer.writerows([["" if c is None else str(c)] for c in cells])
        path.write_bytes(buf.getvalue().encode("utf-8", "replace"))
    output = folder / f"out.{'txt' if fmt == 'table' else fmt}"  # the display table: .txt
    code, out, err = _run(["tag", str(path), "-o", str(output), "--on-error", "skip", "--model", cli_model],
                          capsys, cached_load)
    assert "Traceback" not in err and code in (0, 1, 3), err
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    if code == 1:
        assert ("nothing to tag" in err or "no input could be tagged" in err) and not output.exists()
        return
    data = output.read_bytes().decode("utf-8")  # always valid UTF-8: surrogates replaced
    if fmt == "jsonl":
        [json.loads(line) for line in data.splitlines()]
    if fmt == "table":
        assert not any(c in data for c in "\x1b\u202e\u2066\x00")


def test_megabyte_paragraph(seed_model):
    text = ("党员志愿者为孤寡老人义务检查线路" * 70000)[:1_000_000]
    assert seed_model.predict_proba([text]).shape == (1, len(LABELS))
    assert len(seed_model.tag(text + "。")) == 1


# ----------------------------------------------------------------------------- broken and legacy encodings
@settings(max_examples=30, **SETTINGS)
@given(text=REPORT.map(lambda t: t.lstrip("\ufeff")).filter(lambda t: any(ord(c) > 0x7F for c in t.rstrip()[-1:])),
       encoding=st.just("utf-8"))
@example(text="党员志愿者为孤寡老人义务检查线路。供", encoding="utf-8")
def test_cli_refuses_a_utf8_file_cut_mid_character(cli_model, cached_load, tmp_path_factory, capsys, text, encoding):
    """Issue 17: such a file was decoded as GB18030 garbage and tagged with exit 0."""
    folder = tmp_path_factory.mktemp("fzc")
    path = folder / "r.txt"
    path.write_bytes(text.rstrip().encode(encoding)[:-1])
    code, out, err = _run(["tag", str(path), "--format", "jsonl", "--model", cli_model], capsys, cached_load)
    assert code == 1 and "cut in the middle of a character" in err and "Traceback" not in err


def test_cli_reads_gb18030_reports(cli_model, cached_load, tmp_path, capsys):
    path = tmp_path / "gb.txt"
    path.write_bytes("实施一户一表改造。\n党员志愿者为孤寡老人义务检查线路。".encode("gb18030"))
    assert decode_bytes("党员志愿者".encode("gb18030"), "x") == "党员志愿者"  # the decoder itself knows GB18030
    code, out, err = _run(["tag", str(path), "--format", "jsonl", "--model", cli_model], capsys, cached_load)
    assert code == 0, err
    assert len(out.splitlines()) == 2


@settings(max_examples=300, **SETTINGS)
@given(st.lists(st.one_of(st.sampled_from(["\u3000\u3000", "\u3000\u3000\u3000", "\xa0\xa0", "\u3000\xa0", "。", "供电公司走进敬老院", "，"]),
                          REPORT_CHARS), max_size=80).map("".join))
def test_a_line_split_at_paragraph_indents_loses_only_the_indents(line):
    """The split of a line at its paragraphs' indents keeps every character but the runs it splits at, in order,
    and splits a line shorter than a story line only into whole sentences of some length."""
    import re

    from tagger.text.report import _LINE_END, _SHORT_SPLIT_MIN, _STORY_LINE_MIN, _split_lost_breaks

    pieces = _split_lost_breaks(line)
    if len(pieces) == 1:
        assert pieces == [line]
        return
    if len(line.strip()) < _STORY_LINE_MIN:
        assert all(len(p) >= _SHORT_SPLIT_MIN and _LINE_END.search(p) for p in pieces), pieces
    assert all(p and not p.startswith(("\u3000", "\xa0")) and not p.endswith(("\u3000", "\xa0")) for p in pieces)
    squeeze = re.compile(r"[\u3000\xa0]{2,}")
    assert squeeze.sub("", "".join(pieces)) == squeeze.sub("", line.strip())
