"""Labelled data: the label-cell grammar (tagger.labels), seed labels and JSONL files
(tagger.data.examples) and the real dev set's manifest (tagger.data.devset)."""

import logging
import os
import csv
import io
import re
import sys
import hashlib
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagger.data.devset import agreement, check_devset, load_devset, read_manifest
from tagger.data.examples import data_hash, label_matrix, load_jsonl, load_seed_labels, load_training_data, text_sha
from tagger.errors import InputError, LabelFileError
from tagger.labels import LABELS, format_label_cell, parse_label_cell

from helpers import DEV_GONE, DEV_TEXT, TRADITIONAL, full_width, tiny_project


def _rows(project):
    with open(project / "labels" / "seeds.csv", encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _write(project, rows, **kw):
    with open(project / "labels" / "seeds.csv", "w", encoding=kw.get("encoding", "utf-8"), newline="") as fh:
        csv.writer(fh, lineterminator=kw.get("eol", "\n")).writerows(rows)


def _load(project):
    return load_seed_labels(project / "labels" / "seeds.csv", project / "seeds")


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- label cells
@pytest.mark.parametrize("cell, expected", [
    ("volunteer_work; elderly_care", ("elderly_care", "volunteer_work")),  # canonical order
    ("elderly_care,volunteer_work", ("elderly_care", "volunteer_work")),
    ("elderly_care|volunteer_work", ("elderly_care", "volunteer_work")),
    ("none", ()),
    (" NONE ", ()),
    ("", None),  # not reviewed
    ("  ;  ", None),
    (None, None),
])
def test_parse_label_cell(cell, expected):
    assert parse_label_cell(cell, "x") == expected


@pytest.mark.parametrize("cell, message", [
    ("elderly_care;senior_care", r"f.csv:3: unknown label id 'senior_care'"),
    ("elderly_care;elderly_care", "f.csv:3: a label is listed twice"),
    ("none;elderly_care", "f.csv:3: 'none' together with labels"),
    ("Elderly", r"f.csv:3: unknown label id 'Elderly';"),  # the value as the user wrote it
    ("Volunteer_Work;Senior_Care", r"f.csv:3: unknown label id 'Senior_Care';"),
    ("None;Elderly_Care", r"f.csv:3: 'none' together with labels \['None', 'Elderly_Care'\]"),
])
def test_parse_label_cell_errors_name_where(cell, message):
    with pytest.raises(ValueError, match=message):
        parse_label_cell(cell, "f.csv:3")


@pytest.mark.parametrize("cell, hint", [
    ("elderly care", "the cell reads 'elderly care'; label ids join their words with _: write 'elderly_care'"),
    ("Old-Neighbourhood retrofit、volunteer work",
     "label ids join their words with _: write 'old_neighbourhood_retrofit;volunteer_work'"),
    ("elderlycare", "the cell reads 'elderlycare'; did you mean 'elderly_care'?"),
    ("lift", "(the cell reads 'lift')"),
    ("x\x1b[2J", r"(the cell reads 'x\x1b[2J')"),  # data: quoted, never a terminal's control sequence
])
def test_a_cell_of_words_meant_as_ids_is_quoted_whole_with_the_fix(cell, hint):
    """User test: a hand-edited cell 'elderly care' was refused as "unknown label id 'elderly'", a word the
    user never wrote as an id; the message quotes the whole cell and says how to write it."""
    with pytest.raises(ValueError) as exc:
        parse_label_cell(cell, "f.csv:3")
    assert hint in str(exc.value) and str(exc.value).startswith("f.csv:3: unknown label id")


def test_a_labels_cell_holding_a_paragraph_is_quoted_cut():
    """A labels cell holding a report's paragraph (the text and labels columns swapped) was quoted whole in the
    hint, hundreds of characters on the terminal; it is cut as every quoted cell is (errors.quote_cell)."""
    cell = "，".join(["国网某供电公司党员服务队为孤寡老人检查线路"] * 20)
    with pytest.raises(ValueError) as exc:
        parse_label_cell(cell, "f.csv:3")
    message = str(exc.value)
    assert f"(the cell reads {cell[:60]!r}… ({len(cell):,} characters))" in message and cell not in message


def test_format_label_cell_round_trips():
    assert format_label_cell(()) == "none"
    assert format_label_cell(["volunteer_work", "elderly_care"]) == "elderly_care;volunteer_work"
    for k in range(len(LABELS) + 1):
        labels = LABELS[:k]
        assert parse_label_cell(format_label_cell(labels), "x") == labels


# ----------------------------------------------------------------------------- seed labels
def test_real_labels_cover_every_paragraph(resources):
    seeds = [e for e in resources.examples if e.source == "seed"]
    assert len(seeds) == 109
    y = label_matrix(seeds)
    assert y.shape == (109, len(LABELS)) and y.dtype.kind == "i"
    assert (y.sum(0) > 0).all()  # every label occurs in the seeds
    assert all(e.index >= 0 and e.kind in ("body", "heading", "caption") for e in seeds)
    assert all(e.labels == () for e in seeds if e.kind == "heading")  # codebook: headings carry no label


def test_every_authored_row_is_marked(resources):
    authored = [e for e in resources.examples if e.source == "authored"]
    assert authored, "labels/authored*.jsonl are part of the training data"
    assert resources.n_authored == len(authored) and resources.n_real == len(resources.examples) - len(authored)


def test_seed_file_uses_none_for_no_label(project):
    rows = _rows(project)
    assert rows[0][:3] == ["id", "text_sha", "labels"]
    assert all(r[2] for r in rows[1:]), "every seed row is reviewed (labels or none)"
    examples = _load(project)
    none_rows = {r[0] for r in rows[1:] if r[2] == "none"}
    assert none_rows and all(e.labels == () for e in examples if e.id in none_rows)


def test_empty_cell_means_not_reviewed_and_is_refused(project):
    rows = _rows(project)
    rows[5][2] = ""
    _write(project, rows)
    with pytest.raises(LabelFileError, match=rf"seeds\.csv:6: paragraph {rows[5][0]} has an empty labels cell "
                                             r"\(not reviewed\); give its labels, or none"):
        _load(project)


def test_unknown_label_names_file_and_line(project):
    rows = _rows(project)
    rows[5][2] = "elderly_care;senior_care"
    _write(project, rows)
    with pytest.raises(LabelFileError, match=r"seeds\.csv:6: unknown label id 'senior_care'"):
        _load(project)


def test_none_with_labels_is_refused(project):
    rows = _rows(project)
    rows[5][2] = "none;elderly_care"
    _write(project, rows)
    with pytest.raises(LabelFileError, match=r"seeds\.csv:6: 'none' together with labels"):
        _load(project)


def test_duplicate_row(project):
    rows = _rows(project)
    _write(project, rows + [rows[3]])
    with pytest.raises(LabelFileError, match=rf"seeds\.csv:{len(rows) + 1}: duplicate row .*first at line 4"):
        _load(project)


def test_row_for_a_paragraph_that_does_not_exist(project):
    rows = _rows(project)
    rows[5][0] = "000_6bc5a408cdc75e0e:999"
    _write(project, rows)
    with pytest.raises(LabelFileError, match=r"seeds\.csv:6: paragraph 000_6bc5a408cdc75e0e:999 does not exist"):
        _load(project)


def test_text_drift_after_seed_changed(project):
    path = project / "seeds" / "002_e2866e68cd292b62.txt"
    before = path.read_text(encoding="utf-8")
    text = before.replace("元通一巷10号院是一个老旧小区", "元通一巷12号院是一个老旧小区")
    assert text != before
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"002_e2866e68cd292b62:6 changed since it was labelled"):
        _load(project)


def test_missing_row(project):
    rows = _rows(project)
    _write(project, rows[:-1])
    with pytest.raises(LabelFileError, match=f"have no row, e.g. {rows[-1][0]}"):
        _load(project)


def test_missing_rows_are_given_ready_to_fill(project):
    """Review D: a new seed report stopped train.py with one paragraph id only; the README's next step needs
    each paragraph's id, text_sha and kind, which the user had to work out by hand."""
    rows = _rows(project)
    _write(project, rows[:-2])
    with pytest.raises(LabelFileError, match="have no row") as info:
        _load(project)
    given = list(csv.reader(str(info.value).split(":\n", 1)[1].splitlines()))
    assert [r[:2] + r[3:] for r in given] == [r[:2] + r[3:] for r in rows[-2:]]  # all but the labels cell
    assert [r[2] for r in given] == ["", ""]
    _write(project, rows[:-2] + [r[:2] + ["none"] + r[3:] for r in given])  # filled in, appended
    assert len(_load(project)) == len(rows) - 1


def test_the_rows_to_append_reach_the_terminal_as_lines(project, capsys):
    """Review: messages became one line (a line feed in a file name forged a log line), which flattened the seed rows
    this error gives to copy into labels/seeds.csv into one line of \\n escapes: they are printed line by line."""
    from tagger.apps.cli import main

    rows = _rows(project)
    _write(project, rows[:-2])
    assert main(["train", "--root", str(project), "--no-cv", "--out", str(project / "m.npz")]) == 1
    err = capsys.readouterr().err
    given = list(csv.reader(err.split(":\n", 1)[1].splitlines()))
    assert [r[:2] + r[3:] for r in given] == [r[:2] + r[3:] for r in rows[-2:]] and "\\n" not in err


def test_empty_and_headerless_files(project):
    (project / "labels" / "seeds.csv").write_text("", encoding="utf-8")
    with pytest.raises(LabelFileError, match="empty"):
        _load(project)
    (project / "labels" / "seeds.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match="missing column"):
        _load(project)


def test_seed_labels_saved_by_a_spreadsheet_with_semicolons_or_capitals(project):
    """Saved with ';' (a locale's list separator) or with the header in capitals, the file was refused as "missing
    column(s) id, text_sha, labels" (review); the suggestion CSV reader took both."""
    rows = _rows(project)
    before = [(e.id, e.labels) for e in _load(project)]
    path = project / "labels" / "seeds.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter=";", lineterminator="\r\n").writerows(rows)
    assert [(e.id, e.labels) for e in _load(project)] == before
    _write(project, [[h.upper() for h in rows[0]], *rows[1:]])
    assert [(e.id, e.labels) for e in _load(project)] == before
    path.write_text("id;text;labels\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"missing column\(s\) text_sha; .*\(it is id,text,labels\)"):
        _load(project)
    # the rows to append are given with the file's own separator (diff review: comma rows in a ';' file failed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows[:-1])
    with pytest.raises(LabelFileError, match=r"append these rows \(id;text_sha;labels;kind;text\)") as err:
        _load(project)
    (given,) = csv.reader(str(err.value).split(":\n", 1)[1].splitlines(), delimiter=";")
    assert given[:2] == rows[-1][:2] and given[2] == ""
    with open(path, "a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerow([*given[:2], rows[-1][2], *given[3:]])  # its labels filled in
    assert [(e.id, e.labels) for e in _load(project)] == before


def test_a_seed_label_header_with_spaces_after_its_commas_is_read_as_every_csv_header_is(project):
    """Review: header names are read one way everywhere (csv_header): a seeds.csv header saved as "id", "text_sha",
    "labels", … (a space after each comma) was "missing column(s) id, text_sha, labels" here, read elsewhere."""
    rows = _rows(project)
    before = [(e.id, e.labels) for e in _load(project)]
    path = project / "labels" / "seeds.csv"
    body = io.StringIO()
    csv.writer(body, lineterminator="\n").writerows(rows[1:])
    path.write_text(", ".join(f'"{name}"' for name in rows[0]) + "\n" + body.getvalue(), encoding="utf-8")
    assert [(e.id, e.labels) for e in _load(project)] == before


def test_no_seed_reports(project):
    for path in (project / "seeds").glob("*.txt"):
        path.unlink()
    with pytest.raises(LabelFileError, match="no seed reports"):
        _load(project)


def test_excel_style_export_is_accepted(project):
    """BOM + CRLF + quoted newline in the free-text column: harmless encoding variants."""
    rows = _rows(project)
    rows[1][4] = rows[1][4] + "\n(备注)"
    with open(project / "labels" / "seeds.csv", "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
    assert len(_load(project)) == 109


def test_gb18030_export_is_accepted(project):
    before = _load(project)
    _write(project, _rows(project), encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):  # really GB18030 now
        (project / "labels" / "seeds.csv").read_bytes().decode("utf-8")
    assert _load(project) == before


# ----------------------------------------------------------------------------- JSONL
def test_jsonl_errors_name_the_line(tmp_path):
    path = tmp_path / "t.jsonl"
    cases = [
        ('{"text": "a", "labels": []}\n{"text": "b", "labels": ["nope"]}\n', r"t\.jsonl:2: unknown label id 'nope'"),
        ('{"text": "a", "labels": []}\n{"labels": []}\n', r"t\.jsonl:2: missing or non-string \"text\""),
        ('{"text": "a", "labels": []}\n{"text": "a", broken\n', r"t\.jsonl:2: not valid JSON"),
        ('{"text": "a", "labels": []}\n[1]\n', r"t\.jsonl:2: expected a JSON object"),
        ('{"text": "a"}\n', r"t\.jsonl:1: \"labels\" must be a list"),
        ('{"text": "a", "labels": "elderly_care"}\n', r"t\.jsonl:1: \"labels\" must be a list"),
        ('{"text": "a", "labels": [], "index": "3"}\n', r"t\.jsonl:1: \"index\" must be an integer"),
        ('{"text": "a", "labels": [], "index": true}\n', r"t\.jsonl:1: \"index\" must be an integer"),
        ('{"id": "x", "text": "a", "labels": []}\n{"id": "x", "text": "b", "labels": []}\n',
         r"t\.jsonl:2: duplicate id 'x' \(first at line 1\)"),
        ("\n", "no rows"),
        ('{"text": "a\\ud800", "labels": []}\n', r"t\.jsonl:1: \"text\" holds a lone surrogate"),  # evaluate --test crashed
        ('{"doc": "z\\udfff", "text": "a", "labels": []}\n', r"t\.jsonl:1: \"doc\" holds a lone surrogate"),
    ]
    for content, message in cases:
        path.write_text(content, encoding="utf-8")
        with pytest.raises(LabelFileError, match=message):
            load_jsonl(path)


def test_jsonl_ok(tmp_path):
    path = _jsonl(tmp_path / "t.jsonl", [
        {"text": "x", "labels": ["volunteer_work", "elderly_care"], "doc": "d"},
        {"id": "r:3", "text": "标题", "labels": [], "doc": "r", "index": 3, "kind": "heading", "source": "imported"},
        {"text": "y", "labels": []}])
    a, b, c = load_jsonl(path)
    assert a.labels == ("elderly_care", "volunteer_work") and a.doc == "d" and a.id == "t:1"
    assert a.index == -1 and a.kind == "body" and a.source == "external"
    assert (b.id, b.doc, b.index, b.kind, b.source) == ("r:3", "r", 3, "heading", "imported")
    assert c.doc == c.id == "t:3"  # no doc: the paragraph is its own group


def test_jsonl_labels_optional_when_not_required(tmp_path):
    path = _jsonl(tmp_path / "t.jsonl", [{"text": "x"}])
    assert load_jsonl(path, require_labels=False)[0].labels == ()


def test_jsonl_in_other_encodings(tmp_path):
    rows = [{"text": "党员志愿者为孤寡老人义务检查线路。", "labels": ["elderly_care"]}]
    content = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    for enc in ("utf-8-sig", "gb18030", "utf-16"):
        path = tmp_path / f"{enc}.jsonl"
        path.write_bytes(content.encode(enc))
        assert load_jsonl(path)[0].text == rows[0]["text"], enc


def test_training_data_reads_every_authored_file(project):
    base = load_training_data(project)
    _jsonl(project / "labels" / "authored_extra.jsonl",
           [{"id": "extra:1", "text": "党员志愿者为孤寡老人义务检查线路。", "labels": ["elderly_care", "volunteer_work"],
             "source": "something else"}])
    _jsonl(project / "labels" / "notes.jsonl", [{"id": "notes:1", "text": "不是训练数据。", "labels": []}])
    more = load_training_data(project)
    assert len(more) == len(base) + 1
    (extra,) = [e for e in more if e.id == "extra:1"]
    assert extra.source == "authored"  # whatever the row says: it is authored text
    assert not any(e.id == "notes:1" for e in more)
    assert len(load_training_data(project, use_authored=False)) == 109


def test_training_data_reads_imported_labels(project):
    _jsonl(project / "labels" / "imported.jsonl",
           [{"id": "imp:0", "doc": "imp", "text": "供电公司开辟绿色通道,为企业完成报装接电。",
             "labels": ["business_connection_speed"]}])
    examples = load_training_data(project, use_authored=False)
    (imp,) = [e for e in examples if e.id == "imp:0"]
    assert imp.source == "imported" and imp.doc == "imp" and len(examples) == 110


def test_training_data_refuses_an_id_in_two_files(project):
    seed_id = _rows(project)[1][0]
    _jsonl(project / "labels" / "imported.jsonl", [{"id": seed_id, "text": "x", "labels": []}])
    with pytest.raises(LabelFileError, match=f"paragraph id '{seed_id}' appears twice"):
        load_training_data(project)


def test_training_data_names_the_file_and_line_of_both_copies_of_an_id(project):
    """fixB 3: an id of labels/authored.jsonl repeated in a new authored file said "paragraph id 'authored:biz-001'
    appears twice (authored and authored)": no file, no line, and the two sources were the same word."""
    first = json.loads((project / "labels" / "authored.jsonl").read_text(encoding="utf-8").splitlines()[0])
    path = _jsonl(project / "labels" / "authored_zz.jsonl",
                  [{"id": "zz1", "text": "某供电公司开展走访。", "labels": []}, {**first, "text": "另一段文字。"}])
    with pytest.raises(LabelFileError) as err:
        load_training_data(project)
    assert str(err.value) == (f"paragraph id {first['id']!r} appears twice (authored at "
                              f"{project / 'labels' / 'authored.jsonl'}:1 and authored at {path}:2); ids must be "
                              "unique: change one of them")
    seed_id, seeds = _rows(project)[1][0], project / "labels" / "seeds.csv"
    _jsonl(path, [{"id": seed_id, "text": "x", "labels": []}])
    with pytest.raises(LabelFileError, match=re.escape(f"(seed at {seeds}:2 and authored at {path}:1)")):
        load_training_data(project)


def test_training_data_refuses_one_loose_text_labelled_two_ways(project, caplog):
    """train.py trained on them without a word while evaluate --test refused the same two rows (review)."""
    text = "供电公司青年志愿者来到社区,为独居老人上门检查家用电器和线路。"
    before = len(load_training_data(project))
    path = project / "labels" / "authored_mine.jsonl"
    _jsonl(path, [{"id": "mine1", "text": text, "labels": ["elderly_care", "volunteer_work"]},
                  {"id": "mine2", "text": text + " ", "labels": []}])
    with pytest.raises(LabelFileError) as err:  # fixB 3: each named by its file and line (were by id only)
        load_training_data(project)
    assert str(err.value).startswith(f"authored paragraph 'mine1' ({path}:1) and authored paragraph 'mine2' ({path}:2) "
                                     "have the same text but different labels (elderly_care;volunteer_work / none), "
                                     "and neither is a paragraph of a report"), str(err.value)
    assert str(err.value).endswith("settle them in the label files, then train again")
    # in a report the story around a paragraph may decide its label: said, not refused
    _jsonl(path, [{"id": "mine1", "text": text, "labels": ["elderly_care", "volunteer_work"]},
                  {"id": "r:0", "doc": "r", "index": 0, "text": "某供电公司开展走访。", "labels": []},
                  {"id": "r:1", "doc": "r", "index": 1, "text": text, "labels": []}])
    with caplog.at_level(logging.WARNING):
        assert len(load_training_data(project)) == before + 3
    assert f"'mine1' ({path}:1) and authored paragraph 'r:1' ({path}:3) have the same text but different labels" \
        in caplog.text
    _jsonl(path, [{"id": "mine1", "text": text, "labels": []}, {"id": "mine2", "text": text, "labels": []}])
    assert len(load_training_data(project)) == before + 2  # the same labels twice: a repeat, fine
    # whichever comes first: a report's paragraph first did not hide two loose copies that disagree (diff review)
    _jsonl(path, [{"id": "r:0", "doc": "r", "index": 0, "text": "某供电公司开展走访。", "labels": []},
                  {"id": "r:1", "doc": "r", "index": 1, "text": text, "labels": []},
                  {"id": "mine1", "text": text, "labels": ["elderly_care"]}, {"id": "mine2", "text": text, "labels": []}])
    with pytest.raises(LabelFileError, match=re.escape(f"'mine1' ({path}:3) and authored paragraph 'mine2' ({path}:4) "
                                                       "have the same text")):
        load_training_data(project)


@pytest.mark.parametrize("row, message", [
    ({"id": ["x"]}, r'"id" must be text or a whole number, got \["x"\]'),
    ({"doc": {"a": 1}}, r'"doc" must be text or a whole number, got \{"a": 1\}'),
    ({"id": True}, r'"id" must be text or a whole number, got true'),
    ({"id": 1.5}, r'"id" must be text or a whole number, got 1.5'),
    ({"id": " a1 "}, r"\"id\" ' a1 ' has white space at its ends \(it would be another paragraph than 'a1'\)"),
    ({"kind": "标题"}, r'"kind" "标题" is none of body, heading, caption'),
])
def test_label_file_ids_and_kinds_are_checked(tmp_path, row, message):
    """A list became the id "['x']", " a1 " stayed apart from "a1", and any kind was stored (review)."""
    path = tmp_path / "t.jsonl"
    _jsonl(path, [{"id": "ok", "text": "段落。", "labels": []}, {"text": "另一段。", "labels": [], **row}])
    with pytest.raises(LabelFileError, match=f"^{re.escape(str(path))}:2: {message}"):
        load_jsonl(path)


def test_label_file_whole_number_ids_are_read_as_numbers_are(tmp_path):
    path = tmp_path / "t.jsonl"
    _jsonl(path, [{"id": 101.0, "doc": 7, "index": 0, "text": "段落。", "labels": [], "kind": "heading"},
                  {"id": 0, "doc": 0, "index": 1, "text": "另一段。", "labels": []}])  # 0 was read as no id (diff review)
    assert [(e.id, e.doc, e.kind) for e in load_jsonl(path)] == [("101", "7", "heading"), ("0", "0", "body")]


def test_a_reports_row_without_an_index_or_at_a_taken_one_is_refused_naming_both_lines(tmp_path):
    """jsonl 1: a row of report "a" without "index", among rows of "a" that have one, was read as a loose sentence
    at -1 (left out of the report's order and context in training), and two rows of "a" at index 3 were accepted."""
    path = tmp_path / "t.jsonl"
    rows = [{"id": "a:0", "doc": "a", "index": 0, "text": "供电公司党员服务队走进敬老院。", "labels": ["volunteer_work"]},
            {"id": "a:1", "doc": "a", "text": "队员们为老人检查线路、更换插座。", "labels": ["elderly_care"]}]
    with pytest.raises(LabelFileError, match=f"^{re.escape(str(path))}:2: this row of report \"a\" has no "
                                             '"index" .*but its row at line 1 has one \\(0\\).*give every row of "a" '
                                             'its "index"'):
        load_jsonl(_jsonl(path, rows))
    rows[1]["index"] = 0
    with pytest.raises(LabelFileError, match=f"^{re.escape(str(path))}:2: report \"a\" has a paragraph at index 0 "
                                             "already \\(line 1\\)"):
        load_jsonl(_jsonl(path, rows))
    rows[1]["index"] = 1
    rows.append({"text": "营业厅推出小微企业接电服务。", "labels": []})  # no doc, no index: a paragraph of its own
    assert [(e.doc, e.index) for e in load_jsonl(_jsonl(path, rows))] == [("a", 0), ("a", 1), ("t:3", -1)]


@settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["a", 7, None]), st.one_of(st.none(), st.integers(-1, 3))),
                min_size=1, max_size=8))
def test_a_reports_rows_are_placed_all_or_none_each_at_its_own_index(tmp_path, layout):
    """Every row of a report (``doc``) has its own index, or none has one (a negative index is none); a row without a
    doc is a paragraph of its own, without an index (one is refused naming its line: a place in no report). Anything
    else is refused naming two rows of one report."""
    path = tmp_path / "t.jsonl"
    rows = [{"text": f"第{n}段：供电所走访客户。", "labels": [], **({} if doc is None else {"doc": doc}),
             **({} if index is None else {"index": index})} for n, (doc, index) in enumerate(layout)]
    placed = {doc: [i for d, i in layout if d == doc and i is not None and i >= 0] for doc in ("a", 7)}
    ok = all(not p or len(p) == len(set(p)) == sum(d == doc for d, _ in layout) for doc, p in placed.items())
    ok = ok and not any(d is None and i is not None and i >= 0 for d, i in layout)
    try:
        examples = load_jsonl(_jsonl(path, rows))
    except LabelFileError as exc:
        lone = re.match(rf'{re.escape(str(path))}:(\d+): "index" (\d+) but no "doc"', str(exc))
        if lone:
            assert not ok and layout[int(lone[1]) - 1] == (None, int(lone[2])), str(exc)
            return
        found = re.match(rf"{re.escape(str(path))}:(\d+): .*?line (\d+)", str(exc))
        lines = [int(found[1]), int(found[2])]
        assert not ok and lines[0] != lines[1] and {layout[n - 1][0] for n in lines} in ({"a"}, {7}), str(exc)
        return
    assert ok
    assert [e.index for e in examples] == [-1 if i is None else i for _, i in layout]


def test_an_index_without_a_doc_is_refused_naming_the_line_and_what_to_write(tmp_path):
    """ids 2: a row with "index" and no "doc" was accepted: read as a paragraph of its own, its index unused — and
    when its id was the doc of other rows, as a paragraph of that report at a place one of them had (two at index 0,
    unchecked). Nothing documents an index without its report: refused, saying to add the doc or drop the index."""
    path = tmp_path / "t.jsonl"
    rows = [{"id": "r", "index": 0, "text": "供电公司青年志愿者走访独居老人。", "labels": ["elderly_care", "volunteer_work"]},
            {"id": "r:0", "doc": "r", "index": 0, "text": "队员们为老人更换了老化的插座。", "labels": ["elderly_care"]},
            {"id": "r:1", "doc": "r", "index": 1, "text": "施工人员检查了楼道里的表箱。", "labels": []}]
    with pytest.raises(LabelFileError) as err:
        load_jsonl(_jsonl(path, rows))
    assert str(err.value) == (f'{path}:1: "index" 0 but no "doc": an index is the paragraph\'s place in its report, '
                              'and the row names no report; add the report\'s "doc" (every row of that report with its '
                              'own index), or drop "index" (a paragraph of its own)')
    rows[0]["doc"] = ""  # an empty doc names no report either
    with pytest.raises(LabelFileError, match=f'^{re.escape(str(path))}:1: "index" 0 but no "doc"'):
        load_jsonl(_jsonl(path, rows))
    rows[0] = {"id": "q", "index": -1, "text": rows[0]["text"], "labels": []}  # a negative index is no place: as none
    del rows[2]
    assert [(e.doc, e.index) for e in load_jsonl(_jsonl(path, rows))] == [("q", -1), ("r", 0)]


@pytest.mark.parametrize("alone_first", [True, False])
@pytest.mark.parametrize("rid", ["r", 7])
def test_a_row_without_a_doc_whose_id_is_another_rows_doc_is_refused(tmp_path, alone_first, rid):
    """A row without "doc" is a report of its own, named by its id; when that id was the "doc" of other rows of the
    file, the row was read as a paragraph of that report (its cross-validation fold, its context), without a word.
    Refused naming the file, the row's line, the id and what to do (give it the report's doc, or another id)."""
    path = tmp_path / "t.jsonl"
    alone = {"id": rid, "text": "供电公司青年志愿者走访独居老人。", "labels": ["elderly_care", "volunteer_work"]}
    report = [{"id": f"{rid}:0", "doc": rid, "text": "队员们为老人更换了老化的插座。", "labels": ["elderly_care"]},
              {"id": f"{rid}:1", "doc": rid, "text": "施工人员检查了楼道里的表箱。", "labels": []}]
    rows = [alone, *report] if alone_first else [*report, alone]
    with pytest.raises(LabelFileError) as err:
        load_jsonl(_jsonl(path, rows))
    lone, other = (1, 2) if alone_first else (3, 1)
    quoted = json.dumps(str(rid))
    assert str(err.value) == (
        f'{path}:{lone}: the row with id {quoted} has no "doc", so it is a report of its own named by its id, but the '
        f'row at line {other} names a report {quoted} as its "doc": the two would be read as one report (one '
        f'cross-validation fold, one context); if it is a paragraph of that report, give it "doc": {quoted} (with its '
        '"index" where that report\'s rows have one), else give it another id')
    alone["doc"] = rid  # a paragraph of that report, as the message says
    assert [e.doc for e in load_jsonl(_jsonl(path, rows))] == [str(rid)] * 3
    alone.pop("doc")
    alone["id"] = f"{rid}-alone"  # or a report of its own, under another id
    assert sorted(e.doc for e in load_jsonl(_jsonl(path, rows))) == sorted([str(rid)] * 2 + [f"{rid}-alone"])


def _authored(root, name, rows):
    return _jsonl(root / "labels" / f"authored_{name}.jsonl", rows)


def test_one_report_in_two_label_files_is_refused_naming_both(tmp_path):
    """ids 1: an author who reused a doc ("report_007") in a new file made the two files' paragraphs one report —
    one story for the report-context scores, one cross-validation fold — with index 0 and 1 twice each, and training
    ran without a word. Refused naming the doc, a row of each file and what to do; the same for a seed report's id
    given to imported rows, and for a row without doc (a report of its own, named by its id)."""
    root = tiny_project(tmp_path / "p")
    first = _authored(root, "a", [
        {"id": "a1", "doc": "report_007", "index": 0, "text": "供电公司青年志愿者走访独居老人。", "labels": []},
        {"id": "a2", "doc": "report_007", "index": 1, "text": "队员们为老人更换了老化的插座。", "labels": ["elderly_care"]}])
    second = _authored(root, "b", [
        {"id": "b0", "text": "营业厅推出小微企业接电服务。", "labels": []},
        {"id": "b1", "doc": "report_007", "index": 0, "text": "某小区启动老旧配电设施改造。", "labels": []},
        {"id": "b2", "doc": "report_007", "index": 1, "text": "施工人员更换了楼道里的表箱。", "labels": []}])
    with pytest.raises(LabelFileError) as err:
        load_training_data(root)
    assert str(err.value) == (f'report "report_007" has rows in two label files ({first}:1 and {second}:2): training '
                              "would read them as one report (one story for the report-context scores, one "
                              "cross-validation fold, their positions in it mixed); give the report in one of the "
                              'files another "doc" (a row without "doc" is a report named by its id: give it another '
                              'id)')
    _authored(root, "b", [{"id": "b1", "doc": "report_008", "index": 0, "text": "某小区启动老旧配电设施改造。",
                           "labels": []}])
    assert [(e.doc, e.index) for e in load_training_data(root)][2:] == [("report_007", 0), ("report_007", 1),
                                                                         ("report_008", 0)]
    imported = _jsonl(root / "labels" / "imported.jsonl", [
        {"id": "n:0", "doc": "s1", "text": "党员服务队走进敬老院。", "labels": [], "source": "imported"}])
    with pytest.raises(LabelFileError, match=re.escape(f'report "s1" has rows in two label files '
                                                       f'({root / "labels" / "seeds.csv"}:2 and {imported}:1)')):
        load_training_data(root)
    imported.unlink()
    _authored(root, "b", [{"id": "report_007", "text": "某小区启动老旧配电设施改造。", "labels": []}])
    with pytest.raises(LabelFileError) as err:  # it has no "doc" to change: its id names its report
        load_training_data(root)
    assert str(err.value) == (f'report "report_007" has rows in two label files ({first}:1 and '
                              f'{root / "labels" / "authored_b.jsonl"}:1): training would read them as one report (one '
                              "story for the report-context scores, one cross-validation fold, their positions in it "
                              'mixed); give the report in one of the files another "doc" (a row without "doc" is a '
                              "report named by its id: give it another id)")


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["a", "b", "7", None])), min_size=1, max_size=9))
def test_a_report_is_in_one_label_file(tmp_path, layout):
    """Property: training data loads exactly when no report (``doc``) has rows in two label files; a refusal names
    that doc and a row of it in each of two files (the first file to have it, then the other)."""
    root = tmp_path / "p"
    if not root.exists():
        tiny_project(root)
    for old in (root / "labels").glob("authored_*.jsonl"):
        old.unlink()
    files: dict[int, list[dict]] = {}
    for n, (k, doc) in enumerate(layout):
        files.setdefault(k, []).append({"id": f"x{n}", "text": f"第{n}段：供电所走访客户。", "labels": [],
                                        **({} if doc is None else {"doc": doc})})
    paths = {k: _authored(root, f"f{k}", rows) for k, rows in files.items()}
    docs = {doc: {k for k, d in layout if d == doc} for doc in ("a", "b", "7")}
    try:
        examples = load_training_data(root)
    except LabelFileError as exc:
        found = re.match(r'report "(\w+)" has rows in two label files \((.+):(\d+) and (.+):(\d+)\)', str(exc))
        doc, at = found[1], [(found[2], int(found[3])), (found[4], int(found[5]))]
        assert len(docs[doc]) > 1 and at[0][0] != at[1][0], str(exc)
        for path, line in at:
            (k,) = [k for k, p in paths.items() if str(p) == path]
            assert files[k][line - 1].get("doc") == doc
        return
    assert all(len(k) <= 1 for k in docs.values())
    assert len(examples) == 2 + len(layout)


def test_data_hash_changes_with_labels(root, project):
    a = data_hash(load_training_data(root))
    assert a == data_hash(load_training_data(root)) == data_hash(load_training_data(project))
    rows = _rows(project)
    rows[1][2] = "volunteer_work"
    _write(project, rows)
    assert data_hash(load_training_data(project)) != a


def test_text_sha_ignores_surrounding_whitespace():
    assert text_sha("  段落。 ") == text_sha("段落。") != text_sha("段落")
    assert len(text_sha("段落。")) == 16


# ----------------------------------------------------------------------------- dev set
REPORTS = {
    "d1": "暖心服务进社区\n党员志愿者走进敬老院,为孤寡老人义务检查线路。\n\n公司召开党委会议。",
    "d2": "当前位置: 首页 > 新闻\n供电公司开辟绿色通道,仅用7天为园区企业完成报装接电。",
}
# (doc, index, text, kind, labels): index counts non-blank lines, chrome included
PARAGRAPHS = [
    ("d1", 0, "暖心服务进社区", "heading", "none"),
    ("d1", 1, "党员志愿者走进敬老院,为孤寡老人义务检查线路。", "body", "elderly_care;volunteer_work"),
    ("d1", 2, "公司召开党委会议。", "body", "none"),
    ("d2", 1, "供电公司开辟绿色通道,仅用7天为园区企业完成报装接电。", "body", "business_connection_speed"),
]


SHA = "0123456789abcdef" * 4  # a well-formed sha256 cell of no text


def _sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _dev_root(tmp_path, rows=PARAGRAPHS, reports=REPORTS):
    (tmp_path / "labels").mkdir()
    raw = tmp_path / "data" / "real" / "raw"
    raw.mkdir(parents=True)
    for doc, text in reports.items():
        (raw / f"{doc}.txt").write_text(text, encoding="utf-8")
    lines = ["doc,index,sha256,length,kind,labels"]
    lines += [f"{d},{i},{_sha(t)},{len(t)},{k},{lab}" for d, i, t, k, lab in rows]
    (tmp_path / "labels" / "dev_manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def test_check_devset_matches_texts_by_index_and_hash(tmp_path):
    root = _dev_root(tmp_path)
    status = check_devset(root)
    assert status.ok and (status.rows, status.docs, status.present) == (4, 2, 4)
    assert [(e.id, e.doc, e.index, e.kind, e.labels, e.source) for e in status.examples] == [
        ("d1:0", "d1", 0, "heading", (), "dev"),
        ("d1:1", "d1", 1, "body", ("elderly_care", "volunteer_work"), "dev"),
        ("d1:2", "d1", 2, "body", (), "dev"),
        ("d2:1", "d2", 1, "body", ("business_connection_speed",), "dev")]
    assert load_devset(root) == status.examples
    assert "4 of 4 paragraphs (2 of 2 reports) present" in status.summary()


def test_the_dev_set_counts_are_written_in_one_format():
    """Wording: "12000 of 12500 paragraphs (950 of 1,020 reports)": one number format for all four counts."""
    from tagger.data.devset import DevStatus

    status = DevStatus(rows=12500, docs=1020, present=12000)
    assert "dev set: 12,000 of 12,500 paragraphs (0 of 1,020 reports) present" in status.summary()
    assert status.scope() == "12,000 real paragraphs of 0 reports"


def test_check_devset_reports_missing_and_changed_texts(tmp_path):
    root = _dev_root(tmp_path)
    (root / "data" / "real" / "raw" / "d2.txt").unlink()
    raw = root / "data" / "real" / "raw" / "d1.txt"
    raw.write_text(raw.read_text(encoding="utf-8").replace("党委会议", "职工大会"), encoding="utf-8")
    status = check_devset(root)
    assert not status.ok and status.present == 2
    assert status.missing_docs == ["d2"] and status.changed == ["d1:2"]
    summary = status.summary()
    assert "1 report text missing" in summary and "d2" in summary and "differs from the manifest (e.g. d1:2)" in summary
    assert load_devset(root) is None


def test_a_dev_text_that_matches_nothing_is_no_report_present_and_the_folder_named_is_under_root(tmp_path):
    """Review: a file of a report's name holding another text made "0 of 4 paragraphs (1 of 2 reports) present", and
    under --root the message named data/real/raw, not the folder in the checkout."""
    root = _dev_root(tmp_path)
    (root / "data" / "real" / "raw" / "d2.txt").unlink()
    (root / "data" / "real" / "raw" / "d1.txt").write_text("另一篇报道。\n与原文无关的段落。\n", encoding="utf-8")
    status = check_devset(root)
    assert status.present == 0 and status.present_docs == 0
    summary = status.summary()
    assert "0 of 4 paragraphs (0 of 2 reports) present" in summary, summary
    assert f"missing from {root / 'data' / 'real' / 'raw'}" in summary


def test_devset_export_without_a_dev_set_says_there_is_none(tmp_path, capsys):
    from tagger.apps.cli import main

    assert main(["devset", "export", "--root", str(tmp_path), "-o", str(tmp_path / "x.jsonl")]) == 1
    captured = capsys.readouterr()
    assert "no dev set:" in captured.out and "nothing to export: there is no dev set here" in captured.err
    assert "incomplete" not in captured.err and not (tmp_path / "x.jsonl").exists()


def test_a_dev_set_with_whole_reports_missing_is_measured_on_the_rest(tmp_path):
    """Texts of some reports could not be restored: the rest is usable, and says which part it is."""
    root = _dev_root(tmp_path)
    (root / "data" / "real" / "raw" / "d2.txt").unlink()
    status = check_devset(root)
    assert not status.ok and status.usable and (status.present, status.present_docs, status.docs) == (3, 1, 2)
    assert [e.id for e in status.examples] == ["d1:0", "d1:1", "d1:2"]
    assert status.scope().startswith("3 real paragraphs of 1 report (the texts of 1 of the manifest's 2 reports")
    assert load_devset(root) is None  # the whole dev set only
    (tmp_path / "full").mkdir()
    full = check_devset(_dev_root(tmp_path / "full"))
    assert full.usable and full.scope() == "4 real paragraphs of 2 reports"


def test_a_changed_text_makes_the_dev_set_unusable(tmp_path):
    root = _dev_root(tmp_path)
    raw = root / "data" / "real" / "raw" / "d1.txt"
    raw.write_text(raw.read_text(encoding="utf-8").replace("党委会议", "职工大会"), encoding="utf-8")
    assert not check_devset(root).usable  # a paragraph that differs: not the labelled text, never scored


def test_rows_the_reader_now_drops_as_chrome_are_left_out_unless_labelled(tmp_path):
    """A dev report labelled when its page's list of other stories still counted as paragraphs: those unlabelled
    rows are left out (the set stays whole); a labelled one dropped is a difference to look at."""
    story = "党员志愿者走进敬老院,为孤寡老人义务检查线路。"
    reports = {"d1": f"{story}\n相关新闻\n国网某公司为孤寡老人送温暖\n某公司为企业开辟绿色通道。\n"}
    rows = [("d1", 0, story, "body", "elderly_care;volunteer_work"), ("d1", 2, "国网某公司为孤寡老人送温暖", "heading", "none"),
            ("d1", 3, "某公司为企业开辟绿色通道。", "body", "none")]
    status = check_devset(_dev_root(tmp_path, rows, reports))
    assert status.ok and status.usable and (status.present, status.chrome) == (1, 2)
    assert [e.id for e in status.examples] == ["d1:0"] and "2 unlabelled rows are lines the reader now drops" in \
        status.summary()
    rows[2] = ("d1", 3, "某公司为企业开辟绿色通道。", "body", "business_connection_speed")
    (tmp_path / "b").mkdir()
    status = check_devset(_dev_root(tmp_path / "b", rows, reports))
    assert not status.usable and status.changed == ["d1:3 (labelled, now dropped as page chrome)"]


def test_no_manifest_is_no_dev_set(tmp_path):
    status = check_devset(tmp_path)
    assert not status.ok and status.rows == 0 and "no dev set" in status.summary()
    assert load_devset(tmp_path) is None


@pytest.mark.parametrize("row, message", [
    (f"d1,0,{SHA},7,heading,", r"dev_manifest.csv:3: empty labels cell"),
    (f"d1,x,{SHA},7,heading,none", r"dev_manifest.csv:3: "),
    (f"d1,0,{SHA},7,heading,elderly", r"dev_manifest.csv:3: .*unknown label id 'elderly'"),
    (f"d1,1,{SHA},7,body,none", r"dev_manifest.csv:3: paragraph d1:1 listed twice \(first at line 2\)"),
    # an unquoted comma between two labels: read before as labels "elderly_care" only, the second one lost
    (f"d1,0,{SHA},7,body,elderly_care,volunteer_work", r"dev_manifest.csv:3: 1 cell more than the header's columns"),
])
def test_read_manifest_errors_name_file_and_line(tmp_path, row, message):
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "dev_manifest.csv").write_text(
        f"doc,index,sha256,length,kind,labels\nd1,1,{SHA},7,body,none\n{row}\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=message):
        read_manifest(tmp_path)


@pytest.mark.parametrize("column, cell, message", [
    ("kind", "bodyx", "kind 'bodyx' is none of body, heading, caption"),
    ("sha256", "abc", "sha256 'abc' is not a sha256 (64 hex digits, 0-9 and a-f)"),
    ("sha256", "g" * 64, f"sha256 {'g' * 64!r} is not a sha256"),
    ("sha256", "", "sha256 '' is not a sha256"),
])
def test_devset_check_refuses_a_manifest_cell_no_builder_writes(tmp_path, column, cell, message):
    """fixB 5: a kind of "bodyx" was accepted, and a malformed sha256 ("abc") was reported as a paragraph whose text
    differs (put the text back?) instead of a bad row of the manifest."""
    root = _dev_root(tmp_path)
    path = root / "labels" / "dev_manifest.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[2].split(",")
    cells[("doc", "index", "sha256", "length", "kind", "labels").index(column)] = cell
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(LabelFileError) as err:
        check_devset(root)
    assert str(err.value).startswith(f"{path}:3: {message}")
    assert str(err.value).endswith("put the cell back as tools/devset_manifest.py wrote it (git diff "
                                   "labels/dev_manifest.csv shows what changed), or rebuild the file with "
                                   "tools/devset_manifest.py")


def test_devset_check_reads_an_upper_case_sha256_as_the_same_hash(tmp_path):
    """fixB 5: a manifest saved by a spreadsheet in upper-case hex named every paragraph as changed (and the dev set's
    texts were no longer kept out of training: their hashes never matched). The same hash, read in lower case."""
    root = _dev_root(tmp_path)
    path = root / "labels" / "dev_manifest.csv"
    path.write_text(re.sub(r"[0-9a-f]{64}", lambda m: m.group().upper(), path.read_text(encoding="utf-8")),
                    encoding="utf-8")
    status = check_devset(root)
    assert status.ok and status.present == 4 and not status.changed
    from tagger.data.devset import dev_texts

    dev = dev_texts(root)
    assert dev.shas == {text_sha(PARAGRAPHS[1][2]): "d1:1", text_sha(PARAGRAPHS[3][2]): "d2:1"}
    assert sorted(dev.keys.values()) == ["d1:1", "d2:1"]  # the texts matched by their upper-case hashes


def test_devset_check_says_what_to_do_about_a_paragraph_that_differs(tmp_path):
    """fixB 5: "1 paragraphs differ from the manifest (e.g. d1:2)" and no next step."""
    root = _dev_root(tmp_path)
    raw = root / "data" / "real" / "raw" / "d1.txt"
    raw.write_text(raw.read_text(encoding="utf-8").replace("党委会议", "职工大会"), encoding="utf-8")
    assert check_devset(root).summary() == (
        "dev set: 3 of 4 paragraphs (2 of 2 reports) present; 1 paragraph differs from the manifest (e.g. d1:2): put "
        "the report texts back in data/real/raw/ as they were read (the manifest holds each paragraph's sha256), or, "
        "if a text changed on purpose, have its paragraphs read again and rebuild the manifest with "
        "tools/devset_manifest.py")
    (root / "data" / "real" / "raw" / "d2.txt").unlink()
    assert "; 1 report text missing from " in check_devset(root).summary()


def test_read_manifest_needs_its_columns(tmp_path):
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "dev_manifest.csv").write_text("doc,index,labels\nd1,0,none\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match="missing column.*sha256"):
        read_manifest(tmp_path)


def test_agreement_of_two_blind_reads(tmp_path):
    from sklearn.metrics import cohen_kappa_score

    (tmp_path / "labels").mkdir()
    reads = [("elderly_care", "elderly_care"), ("none", "none"), ("elderly_care;volunteer_work", "volunteer_work"),
             ("none", "volunteer_work"), ("volunteer_work", "volunteer_work")]
    (tmp_path / "labels" / "dev_reads.csv").write_text(
        "doc,index,first,second\n" + "".join(f"d,{i},{a},{b}\n" for i, (a, b) in enumerate(reads)), encoding="utf-8")
    result = agreement(tmp_path)
    assert result["paragraphs"] == 5
    A = np.array([[lab in a.split(";") for lab in LABELS] for a, _ in reads])
    B = np.array([[lab in b.split(";") for lab in LABELS] for _, b in reads])
    for j, lab in enumerate(LABELS):
        got = result["per_label"][lab]
        assert (got["first"], got["second"]) == (int(A[:, j].sum()), int(B[:, j].sum()))
        if A[:, j].any() or B[:, j].any():
            assert got["kappa"] == pytest.approx(cohen_kappa_score(A[:, j], B[:, j]))
        else:
            assert got["kappa"] is None  # chance agreement is total
    ev = result["per_label"]["elderly_care"]
    assert ev["f1"] == pytest.approx(2 / 3)  # first read: 2, second: 1, both: 1
    tp, fp, fn = 3, 1, 1  # elderly 1/0/1, volunteer 2/1/0 (first read as reference)
    assert result["micro_f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))


# ----------------------------------------------------------------------------- training resources
def test_load_resources_names_what_is_missing(project):
    from tagger.training import load_resources

    res = load_resources(project, use_authored=False)
    assert len(res.examples) == res.n_real == 109 and res.n_authored == 0
    assert len(res.lexicon) > 50 and "加装电梯" in res.user_words
    (project / "labels" / "lexicon.csv").unlink()
    with pytest.raises(LabelFileError, match=r"lexicon.csv: not found; run from the project checkout or pass --root"):
        load_resources(project)


def test_train_and_make_tagger(resources):
    from tagger.training import Resources, fit_examples, make_tagger, train, training_hash

    seeds = [e for e in resources.examples if e.source == "seed"]
    small = Resources(seeds, resources.lexicon, resources.user_words)
    model = make_tagger(small, C=2.0, use_char=False)
    assert model.C == 2.0 and model.use_char is False and model.lexicon is resources.lexicon
    assert tuple(model.user_words) == resources.user_words
    trained = train(small, use_char=False, tune_thresholds=False)
    assert trained.data_hash_ == training_hash(small) != data_hash(seeds)  # + lexicon, user words, seed, encoder
    again = fit_examples(make_tagger(small, use_char=False, tune_thresholds=False), seeds)
    probe = [e.text for e in seeds[:10]]
    assert trained.predict_proba(probe).tobytes() == again.predict_proba(probe).tobytes()


# ----------------------------------------------------------------------------- review 3: data hash and checks
def test_training_hash_covers_everything_the_model_is_trained_from(resources):
    """Review 3, finding 7: another lexicon, user dictionary, seed, encoder or report placement gave the
    same data hash, so a model card showed another model's evaluation."""
    from dataclasses import replace

    from tagger.features.lexicon import Lexicon
    from tagger.training import Resources, training_hash

    seeds = [e for e in resources.examples if e.source == "seed"]
    base = Resources(seeds, resources.lexicon, resources.user_words)
    h = training_hash(base)
    assert h == training_hash(Resources(list(seeds), Lexicon(resources.lexicon.entries), tuple(resources.user_words)))
    assert len(h) == 64 and h == training_hash(base, seed=0, encoder=None)  # deterministic; the defaults
    variants = [
        training_hash(Resources(seeds, Lexicon(resources.lexicon.entries[1:]), resources.user_words)),
        training_hash(Resources(seeds, resources.lexicon, ())),
        training_hash(base, seed=7),
        training_hash(base, encoder="use-multilingual-v3"),
        training_hash(Resources([replace(seeds[0], doc="other"), *seeds[1:]], resources.lexicon, resources.user_words)),
        training_hash(Resources([replace(seeds[0], index=99), *seeds[1:]], resources.lexicon, resources.user_words)),
        training_hash(Resources([replace(seeds[0], kind="caption"), *seeds[1:]], resources.lexicon,
                                resources.user_words)),
    ]
    assert len({h, *variants}) == len(variants) + 1


def test_a_label_row_with_blank_text_is_refused(tmp_path):
    """Review 3, finding 11: a row of white space with labels trained without a word."""
    path = _jsonl(tmp_path / "authored_x.jsonl", [{"id": "x0", "text": "为孤寡老人检查线路。", "labels": []},
                                                  {"id": "x1", "text": " \u3000 ", "labels": ["elderly_care"]}])
    with pytest.raises(LabelFileError, match=r"authored_x.jsonl:2: empty \"text\""):
        load_jsonl(path)


def test_training_warns_about_a_label_without_examples(resources, caplog):
    """Review 3, finding 11: a label no paragraph has trained silently; the model can never give it."""
    import logging
    from dataclasses import replace

    from tagger.training import Resources, train

    seeds = [replace(e, labels=tuple(x for x in e.labels if x != "elevator_power_hookup"))
             for e in resources.examples if e.source == "seed"]
    with caplog.at_level(logging.WARNING, logger="tagger"):
        train(Resources(seeds, resources.lexicon, resources.user_words), use_char=False, tune_thresholds=False)
    assert "none has the label elevator_power_hookup (the model will never give it)" in caplog.text
    # once (train() and fit() each warned: the diff review's finding 6)
    assert sum("elevator_power_hookup" in r.getMessage() for r in caplog.records) == 1


def test_an_undecodable_label_file_is_not_told_to_use_a_missing_option(tmp_path, project):
    """Review 3, finding 11: the hint said "pass --encoding", which train, evaluate and labels import lack."""
    path = tmp_path / "authored_x.jsonl"
    path.write_bytes('{"id":"m1","text":"为孤寡老人检查线路。","labels":[]}\n'.encode()
                     + '{"id":"m2","text":"为孤寡老人检查线路二。","labels":[]}\n'.encode("gb18030"))
    with pytest.raises(LabelFileError) as err:
        load_jsonl(path)
    assert "--encoding" not in str(err.value) and "line 2" in str(err.value)
    assert "save the file as UTF-8" in str(err.value)
    seeds = project / "labels" / "seeds.csv"
    seeds.write_bytes(seeds.read_bytes() + "x,y,none,body,为孤寡老人\n".encode("gb18030"))
    with pytest.raises(LabelFileError) as err:
        _load(project)
    assert "--encoding" not in str(err.value) and "save the file as UTF-8" in str(err.value)


def test_a_decoding_error_keeps_its_two_parts_across_processes():
    """tagger tag --jobs sends errors back from worker processes: both the message and the label-file hint survive."""
    import pickle

    from tagger.errors import DecodeError

    exc = pickle.loads(pickle.dumps(DecodeError("a.txt: cannot decode as utf-8 at byte 3", "pass the file's --encoding")))
    assert str(exc) == "a.txt: cannot decode as utf-8 at byte 3; pass the file's --encoding"
    assert exc.without_option().startswith("a.txt: cannot decode as utf-8 at byte 3; save the file as UTF-8")
    assert isinstance(exc, InputError)


def test_none_in_a_jsonl_label_list_is_explained(tmp_path):
    """Review 3, finding 11: ``"labels": ["none"]`` was refused with "valid ids: … (or none)"."""
    path = _jsonl(tmp_path / "t.jsonl", [{"text": "公司召开党委会议。", "labels": ["none"]}])
    with pytest.raises(LabelFileError) as err:
        load_jsonl(path)
    assert "t.jsonl:1: 'none' is not a label id" in str(err.value) and "[]" in str(err.value)
    assert "(or none)" not in str(err.value)
    path = _jsonl(tmp_path / "t.jsonl", [{"text": "公司召开党委会议。", "labels": ["lift"]}])
    with pytest.raises(LabelFileError, match=r"unknown label id 'lift'; .*\(an empty list \[\] for no label\)"):
        load_jsonl(path)
    with pytest.raises(ValueError, match=r"unknown label id 'lift'; valid ids: .* \(or none\)"):  # a cell: none
        parse_label_cell("lift", "f.csv:2")


def test_the_dev_set_scope_with_reports_missing_writes_every_count_in_one_format():
    """Review: scope() said "12,000 real paragraphs of 10 reports (the texts of 1010 of the manifest's 1020 reports
    ...)": one number format for every count, in the summary too."""
    from tagger.data.devset import DevStatus

    status = DevStatus(rows=12500, docs=1020, present=12000, missing_docs=[f"d{i}" for i in range(1010)],
                       chrome=1500, changed=["d1:2"] * 1200)
    assert status.scope() == ("12,000 real paragraphs of 0 reports (the texts of 1,010 of the manifest's 1,020 "
                              "reports are not on this machine, so this measures the other 0; `tagger devset check` "
                              "lists them)")
    summary = status.summary()
    for said in ("1,010 report texts missing", "1,500 unlabelled rows", "1,200 paragraphs differ"):
        assert said in summary, summary


@pytest.mark.parametrize("head_breaks, blanks, eol", [(1, 0, "\n"), (0, 2, "\r\n"), (2, 1, "\n")])
def test_a_seed_label_row_is_named_by_the_line_it_starts_on(project, head_breaks, blanks, eol):
    """Task (one CSV reader that counts file lines itself): seeds.csv rows were named by their count (row 3 was
    "line 3"), wrong after blank lines or a header of more than one line (a quoted line break in a column name).
    A row is named by the line it starts on."""
    rows = _rows(project)
    body = io.StringIO()
    csv.writer(body, lineterminator=eol).writerows([rows[1], [*rows[2], "too many"]])
    first, second = body.getvalue().split(eol)[:2]
    gap = [""] * blanks
    head = ",".join(rows[0][:-1]) + ',"' + rows[0][-1] + eol * head_breaks + '"'  # the last name, "text", stripped
    (project / "labels" / "seeds.csv").write_text(eol.join([head, *gap, first, *gap, second]) + eol,
                                                  encoding="utf-8", newline="")
    line = 1 + head_breaks + blanks + 1 + blanks + 1
    sheet = f" (row {line - head_breaks} in a spreadsheet)" if head_breaks else ""  # the header's breaks are no rows
    with pytest.raises(LabelFileError, match=re.escape(f"seeds.csv:{line}{sheet}: 1 cell(s) more than the header's ")):
        _load(project)


@pytest.mark.parametrize("row", ['{id}, {sha}, {labels}, body, "a, b", "他说"是', '{id}, {sha}, {labels}, "body'])
def test_a_seed_label_row_that_reads_two_ways_is_refused_by_its_line(project, row):
    """Task: the seed-label reader read rows with strict=False, so a row of a file written with spaces after its
    commas never met the check every other label reader makes: an unquoted cell starting with a quote lost its
    quotes ("他说"是 read as 他说是) or, never closed, took the rows after it in (the file then said its paragraphs
    had no row). Such a row is refused by its line, as labels import refuses it."""
    rows = _rows(project)
    lines = [", ".join(f'"{name}"' for name in rows[0])]
    for r in rows[1:]:
        lines.append(", ".join('"' + cell.replace('"', '""') + '"' for cell in r))
    lines[3] = row.format(id=rows[3][0], sha=rows[3][1], labels=rows[3][2])
    (project / "labels" / "seeds.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=re.escape("seeds.csv:4: malformed CSV: the row reads two ways")):
        _load(project)


# --------------------------------------------------------------------------- fix round: every label CSV read alike
def _lexicon(tmp_path, text):
    from tagger.features.lexicon import load_lexicon

    path = tmp_path / "lexicon.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return load_lexicon(path)


def test_a_lexicon_row_is_named_by_its_line_and_read_strictly(tmp_path):
    """Fix round: labels/lexicon.csv was read by csv.DictReader and its rows named by count: a bad label on line 6,
    under a blank line and a cell over two lines, was "lexicon.csv:4"; "他说"是 was read loosely as 他说是; and a
    header written with spaces (term, label, weight) was refused. It is read as every label CSV is."""
    with pytest.raises(LabelFileError, match=re.escape("lexicon.csv:6 (row 5 in a spreadsheet): unknown label "
                                                       "'bad_label'")):
        _lexicon(tmp_path, 'term,label,weight\n\n孤寡老人,elderly_care,1\n"多行\n词",elderly_care,1\n'
                           "空巢老人,bad_label,1\n")
    with pytest.raises(LabelFileError, match=re.escape("lexicon.csv:2: malformed CSV (',' expected after '\"'): a "
                                                       "quote inside a quoted cell must be doubled")):
        _lexicon(tmp_path, 'term,label,weight\n"他说"是,elderly_care,1\n')
    assert _lexicon(tmp_path, 'term, label, weight\n孤寡老人, "elderly_care", 2\n').entries == (
        ("孤寡老人", "elderly_care", 2.0),)
    assert _lexicon(tmp_path, "term;label;weight\r孤寡老人;elderly_care;2\r").entries == (  # CR only, ';'
        ("孤寡老人", "elderly_care", 2.0),)


def test_a_dev_manifest_row_is_named_by_its_line_and_read_strictly(tmp_path):
    """Fix round: the dev-set CSVs (dev_manifest.csv, dev_reads.csv, dev_docs.csv) were read by csv.DictReader:
    rows named by count (line 4 after a blank line was "line 3"), a stray quote read loosely, a spaced header
    refused."""
    (tmp_path / "labels").mkdir()
    path = tmp_path / "labels" / "dev_manifest.csv"
    path.write_text(f"doc,index,sha256,length,kind,labels\nd1,1,{SHA},7,body,none\n\nd1,0,{SHA},7,heading,\n",
                    encoding="utf-8")
    with pytest.raises(LabelFileError, match=re.escape("dev_manifest.csv:4: empty labels cell")):
        read_manifest(tmp_path)
    path.write_text('doc,index,sha256,length,kind,labels\nd1,1,abc,7,"body"x,none\n', encoding="utf-8")
    with pytest.raises(LabelFileError, match=re.escape("dev_manifest.csv:2: malformed CSV (',' expected after")):
        read_manifest(tmp_path)
    path.write_text(f"doc, index, sha256, length, kind, labels\nd1, 1, {SHA}, 7, body, none\n", encoding="utf-8")
    assert [(r.doc, r.index, r.kind, r.labels) for r in read_manifest(tmp_path)] == [("d1", 1, "body", ())]


def test_a_seed_label_refusal_says_what_to_do_and_a_long_paragraph_reads(project):
    """Fix round: the seed reader's refusal of a stray quote said only "malformed CSV (',' expected after '"')"
    (the advice every other reader gives was missing); a space after a closing quote ("…" at a line's end) was
    refused with the same words, not naming the space; and a cell over csv's 128 KiB default stopped the reading
    (this reader alone never raised the limit)."""
    rows = _rows(project)
    body = io.StringIO()
    csv.writer(body, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    lines = body.getvalue().split("\n")
    path = project / "labels" / "seeds.csv"
    path.write_text("\n".join([*lines[:3], lines[3] + " ", *lines[4:]]), encoding="utf-8")
    with pytest.raises(LabelFileError, match=re.escape("seeds.csv:4: malformed CSV: a space after the closing quote "
                                                       "of a quoted cell")):
        _load(project)
    stray = rows[3][:-1] + ['"他说"是']
    path.write_text("\n".join([*lines[:3], ",".join(stray), *lines[4:]]), encoding="utf-8")
    with pytest.raises(LabelFileError, match="seeds.csv:4: malformed CSV .*: a quote inside a quoted cell must be "
                                             r'doubled \(""\)'):
        _load(project)
    limit = csv.field_size_limit()
    csv.field_size_limit(128 * 1024)  # the default, whatever an earlier test set
    try:
        long = [*rows[3][:-1], "长" * (200 * 1024)]  # the text column is not checked against the paragraph
        _write(project, [*rows[:3], long, *rows[4:]])
        assert len(_load(project)) == len(rows) - 1
    finally:
        csv.field_size_limit(limit)


# --------------------------------------------------------------------------- read-through: the CSV readers leaned
def test_an_undecodable_lexicon_says_to_save_it_as_utf8_as_every_label_file_does(tmp_path):
    """Read-through: an undecodable labels/lexicon.csv ended its message with "pass --encoding", an option no command
    has for it (its error was turned into a message by str(exc)); the seed labels and the dev-set files said to save
    the file as UTF-8."""
    from tagger.features.lexicon import load_lexicon

    path = tmp_path / "lexicon.csv"
    path.write_bytes("term,label\n孤寡老人,elderly_care\n".encode()[:-15])  # cut in the middle of a character
    with pytest.raises(LabelFileError) as lexicon:
        load_lexicon(path)
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "dev_manifest.csv").write_bytes(path.read_bytes())
    with pytest.raises(LabelFileError) as manifest:
        read_manifest(tmp_path)
    said = str(lexicon.value)
    assert said.startswith(f"{path}: UTF-8 text cut in the middle of a character") and "--encoding" not in said
    assert said.split(": ", 1)[1] == str(manifest.value).split(": ", 1)[1]  # the same words for every label file
    assert "save the file as UTF-8" in said


@pytest.mark.parametrize("row, lacking", [
    ("d1,0,abc", "no cell for columns length, kind, labels (the row has 3 cells)"),  # was a TypeError traceback
    ("d1,0,abc,7,body", "no cell for column labels (the row has 5 cells)"),  # was "empty labels cell" (no cell)
])
def test_a_dev_manifest_row_short_of_cells_is_refused_by_its_line(tmp_path, row, lacking):
    """Read-through: a labels/dev_manifest.csv row with too few cells ended in a TypeError (int(None)) or an
    AttributeError traceback; it is refused naming the file, the line and the cells it lacks."""
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "dev_manifest.csv").write_text(
        f"doc,index,sha256,length,kind,labels\n\n{row}\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=re.escape(f"dev_manifest.csv:3: {lacking}; each row needs "
                                                       "doc,index,sha256,length,kind,labels")):
        read_manifest(tmp_path)


def test_the_dev_set_builder_reads_its_csv_files_as_the_manifest_is_read(tmp_path, monkeypatch):
    """Read-through: tools/devset_manifest.py read the dev team's CSVs with csv.DictReader: a stray quote was read
    loosely, a short row gave None cells (a traceback later), rows were named by count (a cell over two lines put
    every later row's line off); they are read as labels/dev_manifest.csv is (tagger.data.devset.read_dev_csv)."""
    import importlib.util
    from pathlib import Path

    tool = Path(__file__).resolve().parents[1] / "tools" / "devset_manifest.py"
    spec = importlib.util.spec_from_file_location("devset_manifest_under_test", tool)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the tool puts src/ and tools/ first: for this test only
    spec.loader.exec_module(module)
    path = tmp_path / "first_read.csv"
    path.write_text('doc,index,labels\nd1,0,"none"x\n', encoding="utf-8")
    with pytest.raises(LabelFileError, match=re.escape("first_read.csv:2: malformed CSV (',' expected after")):
        module.reads(path)
    path.write_text("doc,index,labels\nd1,0\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=re.escape("first_read.csv:2: no cell for column labels")):
        module.reads(path)
    path.write_text('doc, index, labels, why\nd1, 0, "elderly_care"\nd1, 1, none, "两行\n说明"\nd1, 2, bad\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape("first_read.csv:5")):  # its file line, not its count (4)
        module.reads(path)
    path.write_text('doc, index, labels\nd1, 0, "elderly_care"\n', encoding="utf-8")
    assert module.reads(path) == {("d1", 0): ("elderly_care",)}
    path.write_text('doc,index,labels\nd1,一,none\n', encoding="utf-8")  # was a bare ValueError from int()
    with pytest.raises(LabelFileError, match=re.escape("first_read.csv:2: index '一' is not a paragraph number")):
        module.reads(path)
    docs = tmp_path / "docs.csv"
    docs.write_text("doc,grid\nd1,sgcc\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=re.escape("docs.csv: missing column(s) url; header must start doc,url")):
        module.read_csv(docs, ("doc", "url"))


def test_dev_set_rows_are_named_once_with_their_spreadsheet_row(tmp_path):
    """Review: the dev-set readers named a row "file:line: file:line: unknown label id …" (the label parser names it
    too) and without its spreadsheet row where a cell above holds a line break, unlike every other reader."""
    (tmp_path / "labels").mkdir()
    path = tmp_path / "labels" / "dev_manifest.csv"
    path.write_text(f'doc,index,sha256,length,kind,labels\nd1,0,{SHA},7,"body\n",none\nd1,1,{SHA},7,body,elderly_car\n',
                    encoding="utf-8")
    with pytest.raises(LabelFileError) as err:
        read_manifest(tmp_path)
    assert str(err.value).startswith(f"{path}:4 (row 3 in a spreadsheet): unknown label id 'elderly_car'")
    assert str(err.value).count("dev_manifest.csv") == 1
    path.write_text(f"doc,index,sha256,length,kind,labels\nd1,0,{SHA},,body,none\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=re.escape(f"{path}:2: length '' is not a whole number")):
        read_manifest(tmp_path)  # was Python's "invalid literal for int() with base 10: ''"


def test_dev_set_rows_of_empty_cells_are_skipped_and_long_rows_refused(tmp_path):
    """Review: a row of empty cells (a spreadsheet keeps ",,,,," once a row was formatted) or of spaces was refused
    with Python's int() wording or "no cell for columns …"; it is skipped as a blank line is. dev_docs.csv and
    dev_reads.csv are held to the same rules (a short reads row was "the first read is empty")."""
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "dev_manifest.csv").write_text(
        f"doc,index,sha256,length,kind,labels\nd1,0,{SHA},7,body,none\n,,,,,\n   \nd1,1,{SHA},7,body,elderly_care\n",
        encoding="utf-8")
    assert [r.index for r in read_manifest(tmp_path)] == [0, 1]
    reads = tmp_path / "labels" / "dev_reads.csv"
    reads.write_text("doc,index,first,second\nd1,0,none,none\nd1,1,elderly_care\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=re.escape(f"{reads}:3: no cell for column second")):
        agreement(tmp_path)
    docs = tmp_path / "labels" / "dev_docs.csv"
    docs.write_text("doc,url,grid,province,year,script,mix\nd1,http://x.cn/a,sgcc,Anhui,2021,simplified,positive,x\n",
                    encoding="utf-8")
    with pytest.raises(LabelFileError, match=re.escape(f"{docs}:2: 1 cell more than the header's columns")):
        check_devset(tmp_path)  # before any model is trained to be scored (evaluate read it only after training)


def test_the_dev_set_builder_names_an_unknown_label_without_a_traceback(tmp_path, monkeypatch):
    """Review: tools/devset_manifest.py caught TaggerError, but an unknown label id in a read is a plain ValueError
    from the label parser: it ended in a traceback."""
    import importlib.util
    from pathlib import Path

    tool = Path(__file__).resolve().parents[1] / "tools" / "devset_manifest.py"
    spec = importlib.util.spec_from_file_location("devset_manifest_under_test2", tool)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec.loader.exec_module(module)
    path = tmp_path / "first_read.csv"
    path.write_text("doc,index,labels\nd1,0,elderly_car\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=re.escape(f"{path}:2: unknown label id 'elderly_car'")):
        module.reads(path)


def _manifest_tool(tmp_path, monkeypatch, name):
    """tools/devset_manifest.py, building the dev set of ``tmp_path`` (its data/real/ and labels/)."""
    import importlib.util
    from pathlib import Path

    tool = Path(__file__).resolve().parents[1] / "tools" / "devset_manifest.py"
    spec = importlib.util.spec_from_file_location(name, tool)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the tool puts src/ and tools/ first: for this test only
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "contaminated", lambda: set())  # the claims of this checkout's real work
    return module


def test_the_dev_set_builder_writes_nothing_while_a_paragraph_has_no_settled_labels(tmp_path, monkeypatch, capsys):
    """fixB 2: a paragraph without a first-read row was dropped from labels/dev_manifest.csv (the dev set then
    unusable: its text holds a paragraph the manifest lacks) and reads that differ, unsettled, took the first
    read's labels; the tool wrote the committed files all the same, exit 0, with "2 problems, e.g. [...]"."""
    root = _dev_root(tmp_path)
    module = _manifest_tool(tmp_path, monkeypatch, "devset_manifest_under_test3")
    reads = tmp_path / "data" / "real"
    (reads / "docs.csv").write_text("doc,url\nd1,http://a.invalid/1\nd2,http://a.invalid/2\n", encoding="utf-8")
    (reads / "first_read.csv").write_text("doc,index,labels\nd1,0,none\nd1,2,none\nd2,1,business_connection_speed\n",
                                          encoding="utf-8")
    (reads / "second_read.csv").write_text("doc,index,labels\nd1,0,none\nd1,2,volunteer_work\n", encoding="utf-8")
    committed = {name: f"committed {name}\n" for name in ("dev_docs.csv", "dev_manifest.csv", "dev_reads.csv")}
    for name, text in committed.items():
        (root / "labels" / name).write_text(text, encoding="utf-8")

    def unchanged():
        return {name: (root / "labels" / name).read_text(encoding="utf-8") for name in committed} == committed

    assert module.main(["--reads", str(reads)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [
        "nothing written: 2 paragraphs of the reads to fix first, then run this again:",
        f"  {reads / 'first_read.csv'}: no row for paragraph 1 of d1 ({reads / 'raw' / 'd1.txt'}); add the row "
        "d1,1,LABELS (none for no label)",
        f"  {reads / 'second_read.csv'}:3: the reads of d1:2 differ (first none, second volunteer_work) and nothing "
        f"settles them; add the third reader's row d1,2,LABELS,why to {reads / 'settled.csv'}"]
    assert unchanged() and sorted(p.name for p in (root / "labels").iterdir()) == sorted(committed)
    with open(reads / "first_read.csv", "a", encoding="utf-8") as fh:
        fh.write("d1,1,elderly_care;volunteer_work\n")
    assert module.main(["--reads", str(reads)]) == 1 and "1 paragraph of the reads" in capsys.readouterr().err
    assert unchanged()
    (reads / "settled.csv").write_text("doc,index,labels,why\nd1,2,none,会议\n", encoding="utf-8")
    real_replace = os.replace

    def full(src, dst, *args, **kwargs):  # the second of the three renames fails: none of them is kept
        if str(dst).endswith("dev_manifest.csv"):
            raise OSError(28, "No space left on device", str(src), None, str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError, match="No space left"):
        module.main(["--reads", str(reads)])
    assert unchanged() and sorted(p.name for p in (root / "labels").iterdir()) == sorted(committed)
    monkeypatch.setattr(os, "replace", real_replace)
    assert module.main(["--reads", str(reads)]) == 0
    capsys.readouterr()
    assert (root / "labels" / "dev_reads.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "d1,0,none,none", "d1,1,elderly_care;volunteer_work,", "d1,2,none,volunteer_work",
        "d2,1,business_connection_speed,"]
    status = check_devset(root)  # the manifest it wrote matches the texts
    assert status.ok and [(e.id, e.labels) for e in status.examples] == [
        ("d1:0", ()), ("d1:1", ("elderly_care", "volunteer_work")), ("d1:2", ()), ("d2:1", ("business_connection_speed",))]
    assert sorted(p.name for p in (root / "labels").iterdir()) == sorted(committed)  # no temp file left


@pytest.mark.parametrize("first, said", [
    ("d1,0,none\nd1,1,\nd1,2,none\nd2,1,none\n", "first_read.csv:3: no labels for d1:1; write the labels the reader "
     "gave (none for no label), or delete the row if the paragraph was not read"),
    ("d1,0,none\nd1,1,none\nd1,2,none\nd2,1,none\nd1,2,volunteer_work\n", "first_read.csv:6: a second row for d1:2 "
     "(the first is at {reads}/first_read.csv:4); keep the one row the reader meant and delete the other"),
    ("d1,0,none\nd1,1,none\nd1,2,none\nd2,1,none\nd1,9,volunteer_work\n", "nothing written: 1 paragraph of the "
     "reads to fix first, then run this again:\n  {reads}/first_read.csv:6: d1 has no paragraph 9 (its text, "
     "{reads}/raw/d1.txt, has 3: 0 to 2); correct the index, or delete the row"),
    ("d1,0,none\nd1,1,none\nd1,2,none\nd2,1,none\nd3,0,none\n", "nothing written: 1 paragraph of the reads to fix "
     "first, then run this again:\n  {reads}/first_read.csv:6: no report d3 in {reads}/docs.csv; correct the report "
     "id, or add the report's row to docs.csv (and its text as {reads}/raw/d3.txt)"),
])
def test_the_dev_set_builder_refuses_read_rows_it_would_misread_or_lose(tmp_path, monkeypatch, capsys, first, said):
    """Review: tools/devset_manifest.py wrote a first-read row with an empty labels cell as the gold label none; a
    second row for one paragraph silently overrode the first (and a disagreement was then blamed on
    second_read.csv); a row for a paragraph the text does not have was ignored. Each is refused, exit 1, nothing
    written, naming the file and row and what to do. Its summary said "(0 left out: )" with nothing left out."""
    root = _dev_root(tmp_path)
    module = _manifest_tool(tmp_path, monkeypatch, "devset_manifest_under_test4")
    reads = tmp_path / "data" / "real"
    (reads / "docs.csv").write_text("doc,url\nd1,http://a.invalid/1\nd2,http://a.invalid/2\n", encoding="utf-8")
    (reads / "first_read.csv").write_text("doc,index,labels\n" + first, encoding="utf-8")
    (reads / "second_read.csv").write_text("doc,index,labels\nd1,2,none\n", encoding="utf-8")
    committed = (root / "labels" / "dev_manifest.csv").read_text(encoding="utf-8")
    try:
        code = module.main(["--reads", str(reads)])
    except module.TaggerError as exc:  # what the script's __main__ prints, exit 1
        code, err = 1, str(exc)
    else:
        err = capsys.readouterr().err.rstrip("\n")
    assert code == 1
    assert err == (said if said.startswith("nothing") else f"{{reads}}/{said}").format(reads=reads)
    assert (root / "labels" / "dev_manifest.csv").read_text(encoding="utf-8") == committed
    assert sorted(p.name for p in (root / "labels").iterdir()) == ["dev_manifest.csv"]
    (reads / "first_read.csv").write_text("doc,index,labels\nd1,0,none\nd1,1,none\nd1,2,none\nd2,1,none\n",
                                          encoding="utf-8")
    (reads / "second_read.csv").unlink()
    assert module.main(["--reads", str(reads)]) == 0
    assert capsys.readouterr().out == "2 reports, 4 paragraphs; second read for 0\n"


def test_devset_check_lists_every_difference_and_its_report_counts_add_up(tmp_path, capsys):
    """tagger devset check printed one missing report and one changed paragraph ("e.g.") though the README says it
    lists them; a report whose every paragraph differs was neither present nor missing (1 + 0 of 2 reports); a
    paragraph appended past the manifest's last one went unnoticed."""
    from tagger.apps.cli import main

    root = _dev_root(tmp_path)
    raw = root / "data" / "real" / "raw"
    d1 = raw / "d1.txt"
    text = d1.read_text(encoding="utf-8").rstrip("\n")
    d1.write_text(text + "\n上一篇:公司召开会议\n", encoding="utf-8")  # page chrome: the manifest lists none past a report's end
    assert check_devset(root).ok
    d1.write_text(text + "\n公司组织职工开展义务植树活动。\n", encoding="utf-8")
    status = check_devset(root)
    assert status.changed == ["d1:3 (not in the manifest: past its last paragraph, d1:2)"] and status.changed_docs == []
    assert not status.ok and not status.usable
    (raw / "d2.txt").write_text("另一篇报道。\n与原文无关的段落。\n", encoding="utf-8")
    status = check_devset(root)
    assert status.changed_docs == ["d2"] and (status.present_docs, len(status.missing_docs)) == (1, 0)
    assert "every paragraph of 1 report (e.g. d2: its text" in status.summary()
    d1.write_text(d1.read_text(encoding="utf-8").replace("党委会议", "职工大会").replace("义务植树", "消防演练"),
                  encoding="utf-8")
    assert main(["devset", "check", "--root", str(root)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == ["paragraphs that differ from the manifest (4):", "  d1:2", "  d2:1",
                       "  d1:3 (not in the manifest: past its last paragraph, d1:2)",
                       "  d2:0 (not in the manifest: before its first paragraph, d2:1)"], out  # another text's line
    (raw / "d2.txt").unlink()
    assert main(["devset", "check", "--root", str(root)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == ["report texts missing (1):", "  d2", "paragraphs that differ from the manifest (2):", "  d1:2",
                       "  d1:3 (not in the manifest: past its last paragraph, d1:2)"], out


# d3: a chrome line (上一篇:…) between two body paragraphs: the manifest's indexes have a gap there (0, 1, 3, 4)
GAP_REPORT = "暖心服务进社区\n党员志愿者走进敬老院,为孤寡老人义务检查线路。\n上一篇:公司召开会议\n公司召开党委会议。\n公司组织职工开展义务植树活动。\n"
GAP_ROWS = [("d3", 0, "暖心服务进社区", "heading", "none"),
            ("d3", 1, "党员志愿者走进敬老院,为孤寡老人义务检查线路。", "body", "elderly_care;volunteer_work"),
            ("d3", 3, "公司召开党委会议。", "body", "none"),
            ("d3", 4, "公司组织职工开展义务植树活动。", "body", "none")]


def test_devset_check_flags_a_paragraph_added_in_a_gap_of_the_manifests_indexes(tmp_path, capsys):
    """A body paragraph in the middle of a report's text, where the manifest has a gap (a page-chrome line it leaves
    out), went unnoticed: check_devset only looked past a report's last row for text added. The chrome line made
    story text, or replaced by one, keeps every listed row in place and matching: now a difference, naming the rows
    either side of it."""
    from tagger.apps.cli import main

    root = _dev_root(tmp_path, GAP_ROWS, {"d3": GAP_REPORT})
    assert check_devset(root).ok and check_devset(root).chrome == 0
    d3 = root / "data" / "real" / "raw" / "d3.txt"
    d3.write_text(GAP_REPORT.replace("上一篇:公司召开会议", "供电所为五保户更换老化插座。"), encoding="utf-8")
    status = check_devset(root)
    assert status.changed == ["d3:2 (not in the manifest: between d3:1 and d3:3)"], status.changed
    assert not status.ok and not status.usable and status.present == 4
    d3.write_text("供电所为五保户更换老化插座。\n" + GAP_REPORT, encoding="utf-8")  # before the first row: all move
    status = check_devset(root)
    assert status.changed == [
        "d3:0 (its text is now d3:1: a paragraph added or taken out before it numbers it anew)",
        "d3:1 (its text is now d3:2: a paragraph added or taken out before it numbers it anew)",
        "d3:3 (its text is now d3:4: a paragraph added or taken out before it numbers it anew)",
        "d3:4 (its text is now d3:5: a paragraph added or taken out before it numbers it anew)",
        "d3:2 (not in the manifest: between d3:1 and d3:3)",
        "d3:5 (not in the manifest: past its last paragraph, d3:4)"], status.changed
    assert main(["devset", "check", "--root", str(root)]) == 1
    assert "  d3:2 (not in the manifest: between d3:1 and d3:3)" in capsys.readouterr().out.splitlines()


def test_devset_check_flags_a_body_paragraph_before_a_reports_first_row(tmp_path):
    rows = [r for r in GAP_ROWS if r[1] != 0]  # the heading left out: d3:0 is text the manifest does not list
    status = check_devset(_dev_root(tmp_path, rows, {"d3": GAP_REPORT}))
    assert status.changed == ["d3:0 (not in the manifest: before its first paragraph, d3:1)"] and not status.ok


@pytest.mark.parametrize("copy", ["供電公司青年志願者來到社區,為獨居老人上門檢查家用電器和線路。",  # traditional script
                                  "供电公司青年志愿者来到社区，为独居老人上门检查家用电器和线路。",  # full-width comma
                                  "供电公司青年志愿者来到 社区,为独居老人上门检查\u200b家用电器和线路。"])  # a space, a ZWSP
def test_training_data_refuses_a_loose_text_labelled_two_ways_in_two_writings(project, copy):
    """A paragraph written once in traditional script (or with a full-width comma, another space) and once in
    simplified, labelled two ways, trained without a word: the model reads both as one text and learnt each label
    half-way, although training refuses the same two rows written alike ("nothing could tell them apart")."""
    text = "供电公司青年志愿者来到社区,为独居老人上门检查家用电器和线路。"
    path = project / "labels" / "authored_mine.jsonl"
    _jsonl(path, [{"id": "mine1", "text": text, "labels": ["elderly_care", "volunteer_work"]},
                  {"id": "mine2", "text": copy, "labels": []}])
    with pytest.raises(LabelFileError) as err:
        load_training_data(project)
    assert str(err.value).startswith(
        f"authored paragraph 'mine1' ({path}:1) and authored paragraph 'mine2' ({path}:2) have the same text as the "
        "model reads it (traditional or simplified script, full-width letters and white space aside) but different "
        "labels (elderly_care;volunteer_work / none)"), str(err.value)


def test_seed_labels_read_a_row_with_a_trailing_comma_and_name_a_shifted_one(project):
    """A comma typed after a row's last cell (or the empty cells a spreadsheet leaves right of the table) stopped
    train.py with "malformed row (empty id or too many fields)", saying nothing of what to do, while labels import
    and the dev set's CSVs read such a row as it is. Empty cells beyond the header are read so; a cell that holds
    something (an unquoted comma moved the cells) is refused saying to quote it; an empty id says what to give."""
    rows = _rows(project)
    before = load_seed_labels(project / "labels" / "seeds.csv", project / "seeds")
    _write(project, [rows[0], *[[*row, ""] for row in rows[1:3]], [*rows[3], "", " "], *rows[4:]])
    assert load_seed_labels(project / "labels" / "seeds.csv", project / "seeds") == before
    _write(project, [rows[0], rows[1], [*rows[2], "volunteer_work"], *rows[3:]])
    with pytest.raises(LabelFileError) as err:
        load_seed_labels(project / "labels" / "seeds.csv", project / "seeds")
    assert str(err.value) == (f"{project / 'labels' / 'seeds.csv'}:3: 1 cell(s) more than the header's columns "
                              "(id,text_sha,labels,kind,text); a cell holding the delimiter must be quoted (\"a,b\"); "
                              "labels may be separated by \";\"")
    _write(project, [rows[0], rows[1], ["", *rows[2][1:]], *rows[3:]])
    with pytest.raises(LabelFileError, match=r"seeds.csv:3: empty id; give the paragraph's id as train.py printed it"):
        load_seed_labels(project / "labels" / "seeds.csv", project / "seeds")


def test_a_lexicon_weight_written_with_a_decimal_comma_is_refused(tmp_path):
    """``加装电梯,elevator_power_hookup,1,5`` (1.5 typed with a decimal comma) was read as the weight 1, the cell ``5``
    beyond the header dropped without a word (so was any cell there). Such a row is refused naming its line and
    what to write; empty cells beyond the header (a trailing comma) are read as the row, as in every label CSV."""
    from tagger.features.lexicon import load_lexicon

    path = tmp_path / "lexicon.csv"
    path.write_text("term,label,weight\n志愿者,volunteer_work,\n加装电梯,elevator_power_hookup,1.5,\n", encoding="utf-8")
    assert load_lexicon(path).entries == (("志愿者", "volunteer_work", 1.0), ("加装电梯", "elevator_power_hookup", 1.5))
    path.write_text("term,label,weight\n志愿者,volunteer_work,1\n加装电梯,elevator_power_hookup,1,5\n", encoding="utf-8")
    with pytest.raises(LabelFileError) as err:
        load_lexicon(path)
    assert str(err.value) == (f"{path}:3: 1 cell(s) more than the header's columns (term,label,weight): '5'; a cell "
                              'holding the delimiter must be quoted ("a,b"), and a weight is written with a point '
                              "(1.5, not 1,5)")


@pytest.mark.parametrize("row, said", [
    ({"labels": "elderly_care;volunteer_work"}, ': got the text "elderly_care;volunteer_work"; write ["elderly_care", '
                                                '"volunteer_work"]'),
    ({"lables": ["elderly_care"]}, ': the row has no "labels" (its keys: "id", "text", "lables"); write "labels": '
                                   '[label ids] ([] for no label)'),
    ({"labels": ["volunter_work"]}, "(an empty list [] for no label) (did you mean 'volunteer_work'?)"),
    ({"labels": ["Elderly_Care"]}, "(an empty list [] for no label) (did you mean 'elderly_care'?)")])
def test_a_hand_written_jsonl_row_with_wrong_labels_says_what_to_write(tmp_path, row, said):
    """A row written by hand with its labels as a label cell ("elderly_care;volunteer_work"), under a misspelt key
    ("lables") or with a misspelt id stopped train.py with '"labels" must be a list of label ids' or 'unknown label
    id' alone: no word of what was wrong in the row or what to write (a CSV's label cell says 'did you mean')."""
    path = tmp_path / "authored_mine.jsonl"
    path.write_text(json.dumps({"id": "m1", "text": "供电所员工走进敬老院为老人检修电器。", **row}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    with pytest.raises(LabelFileError) as err:
        load_jsonl(path)
    assert str(err.value).startswith(f"{path}:1: ") and str(err.value).endswith(said), str(err.value)


def test_training_refuses_a_dev_paragraph_in_another_writing(tmp_path):
    """train.py refused a training paragraph that is a dev-set paragraph only when its text hash, of the text as
    written, matched the manifest's: a copy in traditional script or with full-width letters (the same paragraph to
    the model) was trained on, inflating the dev-set score. Dev paragraphs whose text is on this machine are matched
    as the model reads them; the message names the training row and the dev paragraph, never the dev text."""
    root = tiny_project(tmp_path, dev=True)
    imported = root / "labels" / "imported.jsonl"
    for copy in (TRADITIONAL[DEV_TEXT], full_width(DEV_TEXT).replace("城东", "城　东")):
        _jsonl(imported, [{"id": "n:3", "doc": "n", "text": "公司召开党委会议。", "labels": []},
                          {"id": "n:4", "doc": "n", "text": copy, "labels": ["old_neighbourhood_retrofit"]}])
        with pytest.raises(LabelFileError) as err:
            load_training_data(root)
        assert str(err.value) == (
            f"1 training paragraph(s) are paragraphs of the real dev set (labels/dev_manifest.csv), e.g. imported n:4 "
            f"({imported}:2) = dev d1:1 as the model reads it (traditional or simplified script, full-width letters "
            "and white space aside): the dev set is for scoring only; remove them from the label files")
    _jsonl(imported, [{"id": "n:4", "doc": "n", "text": DEV_GONE, "labels": []}])  # its text is not here: by its hash
    with pytest.raises(LabelFileError, match=re.escape(f"e.g. imported n:4 ({imported}:1) = dev d2:0: the dev set")):
        load_training_data(root)
    _jsonl(imported, [{"id": "n:4", "doc": "n", "text": TRADITIONAL[DEV_GONE], "labels": []}])
    with pytest.raises(LabelFileError, match=re.escape("= dev d2:0 as the model reads it")):
        load_training_data(root)  # written as the model reads it, DEV_GONE's hash is its key's

