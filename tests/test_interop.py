"""Annotation-tool interop (issue 16, item 4): tag -> export to Label Studio / doccano -> annotate (simulated
on the exported structure) -> export from the tool -> tagger labels import -> labels/imported.jsonl ->
evaluate --test. The fixtures in tests/fixtures/ are written by hand in the shapes the tools document (Label
Studio's JSON and JSON-MIN export, doccano's JSONL export, Prodigy's db-out); every text is made up."""

import contextlib
import copy
import csv
import io
import json
import logging
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tagger.annotation.interop import (
    FORMATS,
    ExportItem,
    config_path,
    from_doccano,
    from_labelstudio,
    import_file,
    jsonl_line,
    labelstudio_config,
    load_test_file,
    model_version,
    read_annotations,
    read_export_source,
    read_test_file,
    sniff_format,
    to_doccano,
    to_label_rows,
    to_labelstudio,
)
from tagger.annotation.labelfiles import SUGGEST_COLUMNS, LabelRow
from tagger.common.cells import guard_cell
from tagger.apps.annotation_cli import SOURCE_FORMATS
from tagger.apps.cli import main
from tagger.common.files import parse_json_lines, sheet_row_note
from tagger.data.examples import IMPORTED_FILE, report_ids, text_sha
from tagger.errors import InputError, LabelFileError
from tagger.labels import LABELS
from tagger.model.persistence import load_model, provenance
from tagger.text.normalize import paragraph_lines

FIX = Path(__file__).parent / "fixtures"
REPORT_1 = "\n".join([
    "城东供电所开展进社区办实事活动",
    "5月8日，城东供电所党员服务队来到幸福里社区，为二十多位独居老人免费检修室内线路，更换老化开关。",
    "该所还对社区内建成于上世纪八十年代的三栋老楼实施表箱改造，居民用电更安全。",
    "针对园区企业用电需求，客户经理上门服务，新厂房从报装到送电仅用六个工作日。",
    "所长表示，下一步将继续做好迎峰度夏保供电工作。",
]) + "\n"
REPORT_2 = "\n".join([
    "老楼加装电梯 供电服务跟上",
    "今年以来，西湖区已有十二部既有住宅加装电梯，供电公司为每部电梯开辟接电绿色通道，平均三天完成送电。",
    "青年志愿者利用周末走进特殊教育学校，为孩子们讲解安全用电常识，并赠送学习用品。",
    "公司召开专题会议，研究部署下半年重点工作。",
]) + "\n"
# What the annotators decide (None: skipped in the tool).
GOLD = {"new_1:1": ["elderly_care", "volunteer_work"], "new_1:2": ["old_neighbourhood_retrofit"],
        "new_1:3": ["business_connection_speed"], "new_1:4": [], "new_2:1": ["elevator_power_hookup"],
        "new_2:2": ["volunteer_work"], "new_2:3": None}
META = {"new_1": {"company": "城东供电所", "date": "2024-05-08"}, "new_2": {"company": "西湖供电公司", "date": "2024-06-01"}}


@pytest.fixture
def proj(tmp_path, root):
    """A project copy without the authored supplement (fast to check against)."""
    for name in ("seeds", "labels"):
        shutil.copytree(root / name, tmp_path / "proj" / name)
    for path in (tmp_path / "proj" / "labels").glob("authored*.jsonl"):
        path.unlink()
    return tmp_path / "proj"


@pytest.fixture
def tagged(tmp_path, cli_model):
    """``tagger tag --review`` of two made-up reports, with the metadata columns a tagged file keeps from
    its input (company, date) and one reviewer decision."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "new_1.txt").write_text(REPORT_1, encoding="utf-8")
    (folder / "new_2.txt").write_text(REPORT_2, encoding="utf-8")
    out = tmp_path / "tagged.jsonl"
    assert main(["-q", "tag", str(folder), "--model", cli_model, "--review", "50%", "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row.update(META[row["report"]])
        row["reviewed_labels"] = ["old_neighbourhood_retrofit"] if row["paragraph"] == "new_1:2" else None
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return out


def _result(choices, rid):
    return [{"id": rid, "from_name": "labels", "to_name": "text", "type": "choices", "origin": "manual",
             "value": {"choices": choices}}] if choices else []


def _annotation(aid, choices, when, cancelled=False):
    return {"id": aid, "completed_by": 1, "result": _result(choices or [], f"r{aid}"), "was_cancelled": cancelled,
            "ground_truth": False, "created_at": when, "updated_at": when, "lead_time": 9.5, "task": aid // 10}


def _annotate_in_labelstudio(tasks):
    """What Label Studio's JSON export holds after the annotators worked on the imported tasks."""
    out = []
    for n, task in enumerate(copy.deepcopy(tasks), start=1):
        task["id"] = 100 + n
        pid = task["data"]["paragraph"]
        gold = GOLD[pid]
        if gold is None:
            task["annotations"] = [_annotation(10 * n, [], "2024-06-02T10:00:00.000000Z", cancelled=True)]
        elif pid == "new_1:1":  # a first annotation corrected later by a second one
            task["annotations"] = [_annotation(10 * n + 1, gold, "2024-06-03T10:00:00.000000Z"),
                                   _annotation(10 * n, ["elderly_care"], "2024-06-02T10:00:00.000000Z")]
        else:
            task["annotations"] = [_annotation(10 * n, gold, "2024-06-02T10:00:00.000000Z")]
        for p in task.get("predictions", []):
            p["task"] = task["id"]
        out.append(task)
    return out


def _json_min(tasks):
    """Label Studio's JSON-MIN export of ``tasks`` (label-studio-converter ``convert_to_json_min``): one row
    per annotation not cancelled, newest first; the task id replaces ``data.id``; one choice as a string,
    several as ``{"choices": [...]}``."""
    rows = []
    for task in tasks:
        annotations = [a for a in task["annotations"] if not a.get("was_cancelled")]
        if not task["annotations"]:
            annotations = [{}]
        for ann in sorted(annotations, key=lambda a: a.get("created_at", 0), reverse=True):
            row = dict(task["data"], id=task["id"])
            choices = [c for r in ann.get("result", []) for c in r["value"]["choices"]]
            if choices:
                row["labels"] = choices[0] if len(choices) == 1 else {"choices": choices}
            row.update(annotator=1 if ann else None, annotation_id=ann.get("id"), created_at=ann.get("created_at"),
                       updated_at=ann.get("updated_at"), lead_time=ann.get("lead_time"))
            rows.append(row)
    return rows


def _ls_csv(rows):
    """Label Studio's CSV export of JSON-MIN-like rows (label-studio-converter ``exports/csv2.py``: sorted
    columns, non-numeric values quoted, objects as JSON text)."""
    keys = sorted({k for r in rows for k in r})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keys, quoting=csv.QUOTE_NONNUMERIC)
    writer.writeheader()
    for r in rows:
        writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else
                         ("" if v is None else v) for k, v in r.items()})
    return buf.getvalue()


def _doccano_export(rows, decisions):
    """doccano's JSONL export of imported ``rows``: ``text`` and ``label`` taken out on import, the other keys
    kept as metadata and written back at the top level after doccano's own ``id``."""
    out = []
    for n, row in enumerate(rows, start=1):
        meta = {k: v for k, v in row.items() if k not in ("text", "label")}
        label = decisions.get(row["paragraph"], row["label"])
        out.append({"id": 500 + n, "text": row["text"], **meta, "label": label, "Comments": []})
    return out


def _imported(proj):
    return {r["id"]: r for r in map(json.loads, (proj / IMPORTED_FILE).read_text(encoding="utf-8").splitlines())}


# --------------------------------------------------------------------------- the round trips
def test_labelstudio_round_trip_tag_export_annotate_import_evaluate(tagged, proj, cli_model, tmp_path, capsys):
    out = tmp_path / "tasks.json"
    assert main(["labels", "export", str(tagged), "--to", "labelstudio", "-o", str(out), "--model", cli_model]) == 0
    printed = capsys.readouterr().err  # progress and instructions are logged (-q hides them)
    assert "left out 2 heading(s)" in printed and "tasks.label_config.xml" in printed and "tagger labels import" in printed
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert [t["data"]["paragraph"] for t in tasks] == list(GOLD)  # body paragraphs only, in reading order
    tagged_rows = {r["paragraph"]: r for r in map(json.loads, tagged.read_text(encoding="utf-8").splitlines())}
    for task in tasks:  # the documented import shape
        assert set(task) == {"data", "predictions"}
        data = task["data"]
        row = tagged_rows[data["paragraph"]]
        assert data == {"text": row["text"], "id": row["paragraph"], "paragraph": row["paragraph"],
                        "report": row["report"], "text_sha": text_sha(row["text"]),
                        "label_source": "reviewed" if row["reviewed_labels"] else "model", **META[row["report"]]}
        (prediction,) = task["predictions"]
        assert prediction["model_version"] == model_version(provenance(load_model(cli_model)))
        labels = row["reviewed_labels"] or row["labels"]
        assert prediction["result"] == ([{"id": prediction["result"][0]["id"], "from_name": "labels", "to_name": "text",
                                          "type": "choices", "value": {"choices": labels}}] if labels else [])
        assert ("score" in prediction) == (data["label_source"] == "model")
    # Sorting by score, lowest first, is the review queue's order of uncertainty (review_margin).
    scored = sorted((t["predictions"][0]["score"], tagged_rows[t["data"]["paragraph"]]["review_margin"])
                    for t in tasks if "score" in t["predictions"][0])
    assert [m for _, m in scored] == sorted(m for _, m in scored) and all(0 < s < 1 for s, _ in scored)
    config = ET.fromstring(config_path(out).read_text(encoding="utf-8"))
    choices = config.find("Choices")
    assert (choices.get("name"), choices.get("toName"), choices.get("choice")) == ("labels", "text", "multiple")
    assert config.find("Text").attrib == {"name": "text", "value": "$text"}
    assert [c.get("alias") for c in choices] == list(LABELS) and [c.get("hotkey") for c in choices] == list("12345")

    export = tmp_path / "project-1-at-2024-06-03.json"
    export.write_text(json.dumps(_annotate_in_labelstudio(tasks), ensure_ascii=False, indent=2), encoding="utf-8")
    assert main(["labels", "import", str(export), "--root", str(proj)]) == 0
    printed = capsys.readouterr().out
    assert "6 added, 0 updated, 0 unchanged" in printed and "1 row(s) not reviewed yet" in printed
    assert "1 paragraph had several decisions" in printed
    imported = _imported(proj)
    assert {pid: r["labels"] for pid, r in imported.items()} == {p: g for p, g in GOLD.items() if g is not None}
    assert all(r["text"] == tagged_rows[pid]["text"] and r["doc"] == pid.split(":")[0] for pid, r in imported.items())

    assert main(["evaluate", "--test", str(export), "--model", cli_model, "--out", str(tmp_path / "r"), "--no-plots"]) == 0
    report = json.loads((tmp_path / "r" / "test_report.json").read_text(encoding="utf-8"))
    assert report["runs"][0]["metrics"]["n"] == 6
    # scored with their reports, as tagger tag scored them (each paragraph alone gave other scores and errors)
    scored = load_test_file(export)
    assert [(e.doc, e.index) for e in scored] == [(p.split(":")[0], int(p.split(":")[1])) for p in GOLD if GOLD[p] is not None]
    assert report_ids(scored) == [e.doc for e in scored]


def test_two_paragraphs_sharing_an_id_in_one_export_are_refused_not_one_kept(tagged, proj, cli_model, tmp_path,
                                                                              capsys):
    """Review: two batches in one Label Studio project, both with a report new_1: the import kept the later task of
    each shared id as if it were a later decision on the same paragraph ("several decisions: the latest kept"),
    losing the other paragraph and its label; evaluate --test scored fewer paragraphs without a word."""
    out = tmp_path / "tasks.json"
    assert main(["-q", "labels", "export", str(tagged), "--to", "labelstudio", "-o", str(out), "--model", cli_model]) == 0
    tasks = _annotate_in_labelstudio(json.loads(out.read_text(encoding="utf-8")))
    other = copy.deepcopy(tasks[1])  # a second batch's new_1:2: another text, the same id
    other["id"] = 999
    other["data"]["text"] = "另一个报告的段落:供电所为园区企业开辟报装绿色通道。"
    other["data"]["text_sha"] = text_sha(other["data"]["text"])
    export = tmp_path / "two_batches.json"
    export.write_text(json.dumps([*tasks, other], ensure_ascii=False), encoding="utf-8")
    assert main(["labels", "import", str(export), "--root", str(proj)]) == 1
    err = capsys.readouterr().err
    assert "two different paragraphs have the id 'new_1:2' (two batches whose reports had one id?)" in err, err
    assert not (proj / "labels" / "imported.jsonl").exists()
    assert main(["evaluate", "--test", str(export), "--root", str(proj), "--model", cli_model,
                 "--out", str(tmp_path / "ev"), "--no-plots"]) == 1
    assert "two different paragraphs have the id 'new_1:2'" in capsys.readouterr().err


@pytest.mark.parametrize("variant", ["json-min", "csv"])
def test_labelstudio_min_and_csv_exports_import_the_same(tagged, proj, cli_model, tmp_path, variant):
    out = tmp_path / "tasks.json"
    assert main(["-q", "labels", "export", str(tagged), "--to", "labelstudio", "-o", str(out), "--model", cli_model]) == 0
    rows = _json_min(_annotate_in_labelstudio(json.loads(out.read_text(encoding="utf-8"))))
    assert any(isinstance(r.get("labels"), dict) for r in rows) and any(isinstance(r.get("labels"), str) for r in rows)
    assert all(isinstance(r["id"], int) for r in rows)  # Label Studio's task id replaced ours: "paragraph" keeps it
    export = tmp_path / ("export.json" if variant == "json-min" else "export.csv")
    export.write_text(json.dumps(rows, ensure_ascii=False) if variant == "json-min" else _ls_csv(rows), encoding="utf-8")
    assert sniff_format(export.read_text(encoding="utf-8")) == "labelstudio"
    assert main(["-q", "labels", "import", str(export), "--root", str(proj)]) == 0
    assert {pid: r["labels"] for pid, r in _imported(proj).items()} == {p: g for p, g in GOLD.items() if g is not None}
    assert [e.id for e in load_test_file(export)] == [p for p, g in GOLD.items() if g is not None]


def _resaved(text: str, delimiter: str) -> bytes:
    """A CSV as a spreadsheet in a locale whose list separator is ``delimiter`` saves it again (BOM, CRLF)."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(csv.reader(io.StringIO(text, newline="")))
    return buf.getvalue().encode("utf-8-sig")


def test_csv_files_a_spreadsheet_saved_with_semicolons_import_the_same(tagged, proj, cli_model, tmp_path, capsys):
    """Label Studio's CSV export and the suggestion CSV, opened and saved with ';' (or tabs): the import said
    'cannot tell which tool wrote this file' (and, with --from, 'more cells than the header' for every row)."""
    out = tmp_path / "tasks.json"
    assert main(["-q", "labels", "export", str(tagged), "--to", "labelstudio", "-o", str(out), "--model", cli_model]) == 0
    rows = _json_min(_annotate_in_labelstudio(json.loads(out.read_text(encoding="utf-8"))))
    export = tmp_path / "export.csv"
    export.write_bytes(_resaved(_ls_csv(rows), ";"))
    assert sniff_format(export.read_text(encoding="utf-8-sig")) == "labelstudio"
    assert main(["-q", "labels", "import", str(export), "--root", str(proj)]) == 0
    assert {pid: r["labels"] for pid, r in _imported(proj).items()} == {p: g for p, g in GOLD.items() if g is not None}
    text = "志愿者为留守儿童讲解用电安全。"
    filled = tmp_path / "to_label.csv"
    row = {"id": "s:1", "report": "s", "text": text, "labels": "volunteer_work", "text_sha": text_sha(text)}
    filled.write_bytes(_resaved(",".join(SUGGEST_COLUMNS) + "\n" + ",".join(row.get(c, "") for c in SUGGEST_COLUMNS)
                                + "\n", "\t"))
    assert main(["-q", "labels", "import", str(filled), "--root", str(proj)]) == 0
    assert _imported(proj)["s:1"]["labels"] == ["volunteer_work"]


def test_a_csv_header_is_told_apart_by_the_file_name_as_its_rows_are_read(proj, tmp_path):
    """Bug: telling which tool wrote a CSV split its header by the line alone, while the rows are read by the file's
    extension first: a suggestion file saved as .tsv with ';' and a column named 'a,b' (split at the comma), or a
    .csv with a tab in a column's name (split at the tab), said 'cannot tell which tool wrote this file'."""
    text = "志愿者为留守儿童讲解用电安全。"
    row = {"id": "s:1", "report": "s", "text": text, "labels": "volunteer_work", "text_sha": text_sha(text)}
    columns = [*SUGGEST_COLUMNS, "a,b"]
    for name, delimiter, extra in (("semicolons.tsv", ";", "a,b"), ("tab_in_name.csv", ",", "备注\t说明")):
        columns[-1] = extra
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(
            [columns, [row.get(c, "") for c in columns]])
        path = tmp_path / name
        path.write_text(buf.getvalue(), encoding="utf-8")
        assert sniff_format(buf.getvalue(), str(path)) == "tagger"
        assert main(["-q", "labels", "import", str(path), "--root", str(proj)]) == 0
        assert _imported(proj)["s:1"]["labels"] == ["volunteer_work"]


def test_a_label_csv_with_spaces_after_its_commas_is_told_and_imported(proj, tmp_path, capsys):
    """Hunt: a header "id", "report", "text", "labels", "text_sha" (a space after each comma, as some tools and hands
    write CSV) said 'cannot tell which tool wrote this file'. It is tagger's CSV and imports (its rows read the same
    way); one without a column it needs is named by that column."""
    text = "志愿者为留守儿童讲解用电安全。"
    path = tmp_path / "spaced.csv"
    path.write_text(f'"id", "report", "text", "labels", "text_sha"\n"s:1", "s", "{text}", "volunteer_work", '
                    f'"{text_sha(text)}"\n', encoding="utf-8")
    assert sniff_format(path.read_text(encoding="utf-8"), str(path)) == "tagger"
    assert main(["-q", "labels", "import", str(path), "--root", str(proj)]) == 0
    assert _imported(proj)["s:1"]["labels"] == ["volunteer_work"] and _imported(proj)["s:1"]["text"] == text
    path.write_text(f'"id", "report", "text", "labels"\n"s:1", "s", "{text}", "volunteer_work"\n', encoding="utf-8")
    assert main(["-q", "labels", "import", str(path), "--root", str(proj), "--from", "tagger"]) == 1
    assert "without the text_sha column of" in capsys.readouterr().err


def test_a_label_csv_cell_that_starts_with_a_space_and_a_quote_is_read_as_it_is(proj, tmp_path, capsys):
    """Review: reading label CSV rows with the spaces after their commas skipped (for "s:1", "志愿者…") made an
    unquoted cell that starts with a space and a quote, s, "他说"是…, "malformed CSV"; it was read before, and is again,
    beside a quoted row after spaces in the same file."""
    said = '"他说"是志愿者为留守儿童讲解用电安全。'
    plain = "志愿者走进敬老院,为孤寡老人义务检查线路。"
    path = tmp_path / "quoted.csv"
    path.write_text("id,report,text,labels,text_sha\n"
                    f's:1,s, {said},volunteer_work,{text_sha(said)}\n'
                    f'"s:2", "s", "{plain}", "elderly_care", "{text_sha(plain)}"\n', encoding="utf-8")
    assert main(["-q", "labels", "import", str(path), "--root", str(proj)]) == 0, capsys.readouterr().err
    got = _imported(proj)
    assert (got["s:1"]["text"], got["s:1"]["labels"]) == (said, ["volunteer_work"])
    assert (got["s:2"]["text"], got["s:2"]["labels"]) == (plain, ["elderly_care"])


def test_a_label_csv_row_with_a_quoted_cell_and_a_cell_starting_with_a_quote_is_refused_not_split(proj, tmp_path,
                                                                                                   capsys):
    """Diff review: a label CSV row read with the spaces after its commas skipped, where that failed, was read as it
    is in whole, splitting its correctly quoted cells (s:1, "a, b", "他说"是 gave ' "a', ' b"', ...). A row that reads
    two ways is refused, naming its line and how to quote the cell; nothing is imported."""
    said = '"他说"是志愿者为留守儿童讲解用电安全。'
    plain = "志愿者走进敬老院,为孤寡老人义务检查线路。"
    path = tmp_path / "mixed.csv"
    path.write_text("id,report,text,labels,text_sha,note\n"
                    f's:1, s, "{plain}", elderly_care, {text_sha(plain)}, {said}\n', encoding="utf-8")
    assert main(["-q", "labels", "import", str(path), "--root", str(proj)]) == 1
    err = capsys.readouterr().err
    assert "mixed.csv:2: malformed CSV: the row reads two ways" in err and '"""他说""是"' in err, err
    assert not (proj / IMPORTED_FILE).exists()


def test_a_labelstudio_csv_written_with_a_space_after_every_comma_is_read_as_its_header(proj, tmp_path, capsys):
    """Diff review: a Label Studio CSV written with ", " throughout had its header read with the spaces skipped but
    not its rows: '"1", "s:1", …, "volunteer_work"' gave "unknown choice ' \"volunteer_work\"' (did you mean
    'volunteer_work'?)". Its rows are read as its header is; a label id after a space is no other id."""
    text = "志愿者为留守儿童讲解用电安全,走进社区。"
    path = tmp_path / "export.csv"
    path.write_text('"annotation_id", "paragraph", "report", "text", "text_sha", "labels"\n'
                    f'"1", "s:1", "s", "{text}", "{text_sha(text)}", "volunteer_work"\n', encoding="utf-8")
    assert main(["-q", "labels", "import", str(path), "--root", str(proj)]) == 0, capsys.readouterr().err
    got = _imported(proj)["s:1"]
    assert (got["text"], got["labels"]) == (text, ["volunteer_work"])


def test_a_bad_first_row_of_a_labelstudio_csv_is_named_with_its_line(proj, tmp_path, capsys):
    """The first row under the header was named 'row 2 (line 1)'."""
    path = tmp_path / "export.csv"
    path.write_text("annotation_id,text,labels\n1,文字。,lift\n", encoding="utf-8")
    assert main(["labels", "import", str(path), "--root", str(proj)]) == 1
    err = capsys.readouterr().err
    assert "export.csv:2: unknown choice 'lift'" in err, err
    # user test: a typo got no hint here, while the CSV import says "did you mean" (one helper for both now)
    path.write_text("annotation_id,text,labels\n1,文字。,volunter_work\n", encoding="utf-8")
    assert main(["labels", "import", str(path), "--root", str(proj)]) == 1
    assert "unknown choice 'volunter_work' (did you mean 'volunteer_work'?); valid label ids" in capsys.readouterr().err


def test_a_labelstudio_csv_header_with_spaces_after_its_commas_is_read_as_it_is_told(proj, tmp_path, capsys):
    """Review: header names are read one way everywhere: a Label Studio CSV whose header was saved as
    "annotation_id, text, labels" was told apart by those names, then read with ' text' and ' labels' (no label
    cell: "'text' is missing or not text"). Its rows are read, and named, as before."""
    path = tmp_path / "export.csv"
    path.write_text("annotation_id, text, labels\n1,文字。,lift\n", encoding="utf-8")
    assert main(["labels", "import", str(path), "--root", str(proj)]) == 1
    assert "export.csv:2: unknown choice 'lift'" in capsys.readouterr().err


def test_a_labelstudio_csv_naming_a_column_twice_is_refused(proj, tmp_path, capsys):
    """A second, empty 'labels' column (added in a spreadsheet) was read instead of the first: every submitted row
    became 'no label' (and --update wrote that over the labels imported before)."""
    text = "志愿者为留守儿童讲解用电安全。"
    path = tmp_path / "export.csv"
    path.write_text(f"annotation_id,paragraph,report,text,text_sha,labels,labels\n1,s:1,s,{text},{text_sha(text)},"
                    "volunteer_work,\n", encoding="utf-8")
    assert main(["labels", "import", str(path), "--root", str(proj)]) == 1
    assert "export.csv: the header names column 'labels' twice" in capsys.readouterr().err
    assert not (proj / IMPORTED_FILE).exists()


def test_doccano_round_trip(tagged, proj, cli_model, tmp_path, capsys):
    out = tmp_path / "doccano.jsonl"
    assert main(["labels", "export", str(tagged), "--to", "doccano", "-o", str(out), "--model", cli_model]) == 0
    assert "Export only approved documents" in capsys.readouterr().err
    rows = [obj for _, obj, _ in parse_json_lines(out.read_text(encoding="utf-8").split("\n"))]
    assert [r["paragraph"] for r in rows] == list(GOLD)
    for row in rows:  # doccano's import: text + label, other keys kept as metadata
        assert isinstance(row["text"], str) and isinstance(row["label"], list) and row["label"] == row["predicted"]
        assert row["id"] == row["paragraph"] and row["text_sha"] == text_sha(row["text"])
        assert (row["company"], row["date"]) == tuple(META[row["report"]].values())
    decisions = {pid: gold for pid, gold in GOLD.items() if gold is not None}
    export = tmp_path / "doccano_export.jsonl"
    export.write_text("".join(jsonl_line(r) for r in _doccano_export(rows, decisions)), encoding="utf-8")
    assert sniff_format(export.read_text(encoding="utf-8")) == "doccano"
    assert main(["labels", "import", str(export), "--root", str(proj)]) == 0
    printed = capsys.readouterr().out
    assert "7 added" in printed and "came back with exactly the model's labels" in printed
    imported = _imported(proj)
    assert imported["new_1:1"]["labels"] == GOLD["new_1:1"] and imported["new_1:4"]["labels"] == []
    assert imported["new_2:3"]["labels"] == next(r["label"] for r in rows if r["paragraph"] == "new_2:3")


@pytest.mark.parametrize("to,name", [("labelstudio", "tasks.json"), ("doccano", "doccano.jsonl")])
def test_quiet_export_says_nothing(tagged, cli_model, tmp_path, capsys, to, name):
    out = tmp_path / name
    model = ["--model", cli_model] if to == "labelstudio" else []  # doccano's file names no model: said if given
    assert main(["labels", "export", str(tagged), "--to", to, "-o", str(out), *model, "-q"]) == 0
    assert capsys.readouterr() == ("", "") and out.exists()

def test_export_reads_kind_cells_by_the_rule_of_every_tagged_reader(tagged, cli_model, tmp_path):
    """Review: labels export compared the kind cell as written, so a heading a spreadsheet capitalised (HEADING) was
    exported as a body paragraph to label, and a kind of foo was taken without a word; stats and re-tag read them
    by checked_kinds (any case, spaces around; anything else refused)."""
    rows = [json.loads(line) for line in tagged.read_text(encoding="utf-8").splitlines()]
    assert any(r.get("kind") == "heading" for r in rows)

    def export(kind_of_heading: str) -> tuple[int, list[str]]:
        path = tmp_path / f"t-{len(kind_of_heading)}.jsonl"
        path.write_text("".join(json.dumps({**r, "kind": kind_of_heading} if r.get("kind") == "heading" else r,
                                           ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        out = tmp_path / f"d-{len(kind_of_heading)}.jsonl"
        code = main(["-q", "labels", "export", str(path), "--to", "doccano", "-o", str(out), "--model", cli_model])
        return code, out.read_text(encoding="utf-8").splitlines() if out.exists() else []

    code, plain = export("heading")
    assert code == 0 and plain
    assert export(" HEADING ") == (0, plain)
    assert export("foo")[0] != 0


@pytest.mark.parametrize("fixture, fmt, n_scored", [
    ("labelstudio_export.json", "labelstudio", 4), ("labelstudio_min.json", "labelstudio", 4),
    ("doccano_export.jsonl", "doccano", 5), ("prodigy_export.jsonl", "prodigy", 4),
])
def test_documented_exports_import_and_score(proj, cli_model, tmp_path, fixture, fmt, n_scored):
    path = FIX / fixture
    assert sniff_format(path.read_text(encoding="utf-8"), fixture) == fmt
    parsed = read_annotations(path)
    by_id = {a.id.split(":")[1]: a.labels for a in parsed.annotations}
    assert by_id["0"] == ("elderly_care", "volunteer_work")
    assert by_id["1"] == ("old_neighbourhood_retrofit",)  # the later of two decisions
    assert by_id["2"] == ("business_connection_speed",)  # a later skip does not undo a decision
    assert by_id["3"] == ()  # submitted with nothing chosen: no label
    assert by_id["4"] == (("elevator_power_hookup",) if fmt == "doccano" else None)  # not annotated / ignored
    result, _ = import_file(path, proj)
    assert len(result.added) == n_scored and len(result.not_reviewed) == 5 - n_scored
    assert len(load_test_file(path)) == n_scored
    assert main(["-q", "evaluate", "--test", str(path), "--model", cli_model, "--out", str(tmp_path / "r"),
                 "--no-plots"]) == 0


def test_readable_choice_names_and_none_map_to_ids():
    text = "社区党员服务队上门为独居老人更换老化电线。"
    task = {"data": {"text": text, "paragraph": "x:1", "text_sha": text_sha(text)},
            "annotations": [{"result": _result(["services for elderly people (elderly_care)", "Volunteer_Work"], "a")}]}
    assert from_labelstudio([("f, task 1", task)], "f")[0].labels == ("elderly_care", "volunteer_work")
    task["annotations"][0]["result"] = _result(["none"], "a")
    assert from_labelstudio([("f, task 1", task)], "f")[0].labels == ()


def test_tasks_created_in_the_tool_are_refused_on_import_but_scored(proj, cli_model, tmp_path, capsys):
    tasks = json.loads((FIX / "labelstudio_export.json").read_text(encoding="utf-8"))
    for key in ("id", "paragraph", "report", "text_sha"):
        del tasks[2]["data"][key]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    assert main(["labels", "import", str(path), "--root", str(proj)]) == 1
    err = capsys.readouterr().err
    assert "export.json, task 3 (Label Studio id 103), annotation 1: no paragraph id and text_sha" in err
    assert "created in the tool" in err and "Traceback" not in err and not (proj / IMPORTED_FILE).exists()
    assert [e.id for e in load_test_file(path)] == ["lsfix:0", "lsfix:1", "export:3", "lsfix:3"]


# --------------------------------------------------------------------------- malformed exports
def _ls(mutate):
    tasks = json.loads((FIX / "labelstudio_export.json").read_text(encoding="utf-8"))
    mutate(tasks)
    return "export.json", json.dumps(tasks, ensure_ascii=False)


def _lines(name, mutate):
    rows = [json.loads(x) for x in (FIX / name).read_text(encoding="utf-8").splitlines()]
    mutate(rows)
    return name, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def _min(mutate):
    rows = json.loads((FIX / "labelstudio_min.json").read_text(encoding="utf-8"))
    mutate(rows)
    return "export.json", json.dumps(rows, ensure_ascii=False)


BAD = {
    "ls data not an object": (_ls(lambda t: t[0].update(data="text")), r"task 1 \(Label Studio id 101\): no \"data\" object"),
    "ls text missing": (_ls(lambda t: t[1]["data"].pop("text")), r"task 2 \(Label Studio id 102\): 'text' is missing"),
    "ls result not a list": (_ls(lambda t: t[0]["annotations"][0].update(result={})),
                             r"id 101\), annotation 1: \"result\" must be a list"),
    "ls choices not a list": (_ls(lambda t: t[0]["annotations"][0]["result"][0]["value"].update(choices="elderly_care")),
                              r"annotation 1, result 1: \"value\" must hold a \"choices\" list"),
    "ls unknown choice": (_ls(lambda t: t[3]["annotations"][0]["result"].extend(_result(["lift"], "x"))),
                          r"id 104\), annotation 1: unknown choice 'lift'; valid label ids: elderly_care, "
                          r"old_neighbourhood_retrofit, elevator_power_hookup, business_connection_speed, volunteer_work"),
    "ls choice of another control": (_ls(lambda t: t[0]["annotations"][0]["result"][0].update(from_name="sentiment")),
                                     r"choices under \['sentiment'\], none under 'labels'"),
    "ls edited text": (_ls(lambda t: t[0]["data"].update(text=t[0]["data"]["text"] + "（已修改）")),
                       r"task 1 \(Label Studio id 101\), annotation 1: the text of lsfix:0 was changed"),
    "ls id of wrong type": (_ls(lambda t: t[0]["data"].update(paragraph=7)), r"'paragraph' must be text, got int"),
    "ls not tasks (--from)": (("export.json", "5"), r"export.json: no tasks in the file"),
    "ls broken json (--from)": (("export.json", '[{"data": {"text": "a"}'), r"export.json: not valid JSON"),
    "min label of wrong type": (_min(lambda r: r[0].update(labels=3)), r"export.json, task 1: a choice must be text, got int 3"),
    "min choices object without list": (_min(lambda r: r[0].update(labels={"choice": "x"})),
                                        r"task 1: 'labels' holds an object without a \"choices\" list"),
    "doccano numeric label": (_lines("doccano_export.jsonl", lambda r: r[1].update(label=[3])),
                              r"doccano_export.jsonl:2: a label must be text, got int 3"),
    "doccano unknown label": (_lines("doccano_export.jsonl", lambda r: r[1].update(label=["电梯"])),
                              r"jsonl:2: unknown label '电梯'; valid label ids"),
    "doccano spans": (_lines("doccano_export.jsonl", lambda r: r[0].update(label=[[0, 2, "elderly_care"]])),
                      r"jsonl:1: \"label\" holds spans"),
    "doccano no label": (_lines("doccano_export.jsonl", lambda r: r[2].pop("label")), r"jsonl:3: no \"label\" list"),
    "doccano old numeric export": (_lines("doccano_export.jsonl", lambda r: [r[0].pop("label"), r[0].update(
        annotations=[{"label": 3, "user": 1}])]), r"jsonl:1: labels given as doccano's numeric label ids"),
    "prodigy no answer": (_lines("prodigy_export.jsonl", lambda r: r[0].pop("answer")), r"jsonl:1: \"answer\" is None"),
    "prodigy binary": (_lines("prodigy_export.jsonl", lambda r: [r[0].pop("accept"), r[0].update(label="elderly_care")]),
                       r"jsonl:1: a binary decision on one label \('elderly_care'\)"),
    "prodigy accept not a list": (_lines("prodigy_export.jsonl", lambda r: r[3].update(accept="elderly_care")),
                                  r"jsonl:4: \"accept\" must be a list"),
    "prodigy edited text": (_lines("prodigy_export.jsonl", lambda r: r[0].update(text="改过的文字。")),
                            r"jsonl:1: the text of pgfix:0 was changed"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_malformed_exports_are_refused_naming_the_row(proj, tmp_path, capsys, case):
    (name, content), message = BAD[case]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    given = ["--from", "labelstudio"] if case.endswith("(--from)") else []
    assert main(["labels", "import", str(path), "--root", str(proj), *given]) == 1
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert str(path) in err and "Traceback" not in err
    assert "nothing was imported" in err or "not valid JSON" in err or "no tasks" in err
    assert not (proj / IMPORTED_FILE).exists()


def test_every_problem_is_listed_at_once(proj, tmp_path, capsys):
    def mutate(t):
        t[0]["annotations"][0]["result"][0]["value"]["choices"] = ["lift"]
        t[1]["data"]["text"] = "别的文字。"
        t[2]["data"].pop("text_sha")

    name, content = _ls(mutate)
    (tmp_path / name).write_text(content, encoding="utf-8")
    assert main(["labels", "import", str(tmp_path / name), "--root", str(proj)]) == 1
    err = capsys.readouterr().err
    assert "3 problems, nothing was imported" in err
    assert "task 1 (Label Studio id 101), annotation 1: unknown choice 'lift'" in err
    assert "task 2 (Label Studio id 102), annotation 1: the text of lsfix:1 was changed" in err
    assert "task 3 (Label Studio id 103), annotation 1: no text_sha in the task" in err
    with pytest.raises(LabelFileError) as scored:  # evaluate --test reads the same file: nothing is imported there
        load_test_file(tmp_path / name)
    assert "nothing was scored" in str(scored.value) and "imported" not in str(scored.value)


# --------------------------------------------------------------------------- telling formats apart
def test_sniffing_and_from(proj, tmp_path, capsys, root):
    assert FORMATS == SOURCE_FORMATS  # the CLI keeps its copy lazy
    assert sniff_format((root / "tests" / "fixtures" / "external.jsonl").read_text(encoding="utf-8")) == "tagger"
    assert sniff_format("\ufeff" + ",".join(SUGGEST_COLUMNS) + "\n") == "tagger"
    assert sniff_format('[{"text": "a", "label": ["volunteer_work"]}]') == "doccano"  # doccano's JSON export
    assert sniff_format('{"id": 3, "text": "a", "labels": ["x"], "meta": {}}') == "doccano"  # doccano 1.x
    # our label file with numeric ids (a user's) was read as doccano's: doc and index dropped without a word, scores
    # made without report context (hunting review)
    assert sniff_format('{"id": 0, "doc": "d1", "index": 0, "text": "a", "labels": []}\n') == "tagger"
    assert sniff_format('{"id": 3, "text": "a", "labels": ["x"]}') == "doccano"  # doccano 1.x without meta
    ours = tmp_path / "num_id.jsonl"
    ours.write_text("".join(json.dumps({"id": i, "doc": d, "index": k, "text": t, "labels": []}, ensure_ascii=False)
                            + "\n" for i, (d, k, t) in enumerate([("d1", 0, "甲。"), ("d1", 1, "乙。"), ("d2", 0, "丙。")])),
                    encoding="utf-8")
    assert [(e.doc, e.index) for e in load_test_file(ours)] == [("d1", 0), ("d1", 1), ("d2", 0)]
    for text in ('{"a": 1}\n', "x;y\n1;2\n", "[1]"):
        with pytest.raises(LabelFileError, match="cannot tell which tool wrote this file.*--from"):
            sniff_format(text, "f")
    for text in ("[]", "\ufeff[ \n]\n"):  # an empty list: no tasks, whichever tool wrote it
        with pytest.raises(LabelFileError, match=r"^f: the export holds no tasks \(an empty JSON list\)"):
            sniff_format(text, "f")
    with pytest.raises(LabelFileError, match="the file is empty"):
        sniff_format(" \n")
    path = tmp_path / "x.json"
    shutil.copy(FIX / "labelstudio_export.json", path)
    assert main(["labels", "import", str(path), "--from", "prodigy", "--root", str(proj)]) == 1
    assert "x.json, example 1: 'text' is missing" in capsys.readouterr().err  # read as Prodigy: no such field
    assert main(["labels", "import", str(path), "--from", "labelstudio", "--dry-run", "--root", str(proj)]) == 0


def test_our_own_files_get_pointed_to_their_command(tagged, proj, root, capsys):
    assert main(["labels", "import", str(tagged), "--root", str(proj)]) == 1
    assert f"tagger review {tagged} --export" in capsys.readouterr().err
    ext = root / "tests" / "fixtures" / "external.jsonl"
    assert main(["labels", "import", str(ext), "--root", str(proj)]) == 1
    assert f"python evaluate.py --test {ext}" in capsys.readouterr().err
    # its one decision is what evaluate --test scores (user test: the advice "review it and score the decisions"
    # led back to the same refusal)
    assert [(e.id, e.labels, e.source) for e in load_test_file(tagged)] == [
        ("new_1:2", ("old_neighbourhood_retrofit",), "reviewed")]
    rows = [json.loads(line) for line in tagged.read_text(encoding="utf-8").splitlines()]
    unreviewed = tagged.with_name("unreviewed.jsonl")
    unreviewed.write_text("".join(json.dumps({**r, "reviewed_labels": None}, ensure_ascii=False) + "\n"
                                  for r in rows), encoding="utf-8")
    with pytest.raises(LabelFileError, match="not reviewed: it holds only the model's own labels, nothing to score "
                                             f"them against; decide its paragraphs first \\(tagger review {unreviewed}"):
        load_test_file(unreviewed)  # scoring the model against its own tags would say nothing
    as_csv = tagged.with_suffix(".csv")  # a tagged CSV got "cannot tell which tool wrote this file"
    with open(as_csv, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), extrasaction="ignore")
        writer.writeheader()
        writer.writerows({**r, "labels": ";".join(r["labels"]), "reviewed_labels": ";".join(r["reviewed_labels"] or [])}
                         for r in rows)
    assert main(["labels", "import", str(as_csv), "--root", str(proj), "--dry-run"]) == 1
    assert f"tagger review {as_csv} --export" in capsys.readouterr().err
    assert [e.id for e in load_test_file(as_csv)] == ["new_1:2"]


def test_a_reviewed_tagged_file_is_scored_on_its_decisions_with_a_note(tagged, cli_model, tmp_path, caplog):
    """User test: evaluate --test on a reviewed file said to review it and score the decisions, which led back to
    the same refusal. The decisions are scored, and the report says they are the model's least certain paragraphs
    (its figures there are no estimate for the corpus); decisions still in a review journal are named, not read."""
    from tagger.data.tagged import review_journal
    from tagger.evaluation.run import run_test

    md, payload, _ = run_test(tagged, cli_model, out=tmp_path / "out", plots=False, n_boot=20)
    assert "\n1 labelled paragraph scored by" in md
    # one decision: "1 paragraph is …" (the note said "1 paragraphs are a person's review decisions")
    assert "\n- 1 paragraph is a person's review decision (tagger review)" in md and "least certain" in md
    # its report column groups paragraphs, but only one is labelled: not "the file groups none into reports"
    assert "95% bootstrap intervals over paragraphs (no two of them are of one report)" in md
    for fmt in ("xlsx", "sqlite", "parquet"):  # review: the formats a reviewed file is tagged into were "binary"
        other = tmp_path / f"reviewed.{fmt}"
        assert main(["-q", "tag", str(tagged), "--model", cli_model, "-o", str(other)]) == 0
        assert [(e.id, e.labels) for e in load_test_file(other)] == [("new_1:2", ("old_neighbourhood_retrofit",))]
    review_journal(tagged).write_text('{"paragraph": "new_2:1", "labels": []}\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        load_test_file(tagged)
    said = [r.getMessage() for r in caplog.records if "not in the file yet" in r.getMessage()]
    assert len(said) == 1 and "1 review decision is not in the file yet" in said[0], caplog.text  # said once
    assert "still in its review journal" not in caplog.text  # wording: it was said twice, in two ways


# --------------------------------------------------------------------------- export inputs and safety
def test_export_from_a_suggestion_csv_and_a_label_jsonl(tmp_path, root, cli_model):
    texts = ["=HYPERLINK(\"http://x\")为孤寡老人检查线路。", "企业接电时间压缩至15天。", "公司召开会议。"]
    path = tmp_path / "to_label.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=[*SUGGEST_COLUMNS, "note"])
        w.writeheader()
        for i, (text, filled, predicted) in enumerate(zip(texts, ["elderly_care", "", ""],
                                                          ["none", "business_connection_speed", ""])):
            w.writerow({"id": f"s:{i}", "report": "s", "text": guard_cell(text), "predicted": predicted,
                        **{f"score_{lab}": 0.5 for lab in LABELS}, "margin": 0.1, "labels": filled,
                        "text_sha": text_sha(text), "note": "备注"})
    src = read_export_source(path)
    assert [(i.text, i.labels, i.label_source, i.extra) for i in src.items] == [
        (texts[0], ("elderly_care",), "label file", {"note": "备注"}),
        (texts[1], ("business_connection_speed",), "model", {"note": "备注"}),
        (texts[2], None, "none", {"note": "备注"})]
    out = tmp_path / "tasks.json"
    assert main(["-q", "labels", "export", str(path), "--to", "labelstudio", "-o", str(out), "--model", cli_model]) == 0
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert "predictions" not in tasks[2] and tasks[0]["data"]["note"] == "备注"
    labelled = tmp_path / "dc.jsonl"
    ext = root / "tests" / "fixtures" / "external.jsonl"
    assert main(["-q", "labels", "export", str(ext), "--to", "doccano", "-o", str(labelled)]) == 0  # no model needed
    rows = [json.loads(x) for x in labelled.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["id"] == "ext1:0" and rows[0]["report"] == "ext1"  # the file's own reports (its "doc"), kept
    assert rows[0]["label_source"] == "label file" and rows[0]["label"]


def test_export_keeps_metadata_without_clobbering_the_tools_keys(tmp_path):
    text = "青年志愿者为留守儿童讲解安全用电知识。"
    row = {"row_type": "paragraph", "report": "r", "paragraph": "r:1", "kind": "body", "text": text,
           "labels": ["volunteer_work"], **{f"score_{lab}": 0.3 for lab in LABELS}, "evidence": {"volunteer_work": ["志愿"]},
           "id": "doc-17", "annotator": "x", "kept_id": "y", "company": "城南", "amount": float("nan")}
    summary = {"row_type": "report", "report": "r", "labels": ["volunteer_work"], "n_paragraphs": 1}
    path = tmp_path / "t.jsonl"
    path.write_text(jsonl_line(row) + jsonl_line(summary), encoding="utf-8")
    (task,) = to_labelstudio(read_export_source(path).items, "v")
    assert {k: task["data"][k] for k in ("id", "kept_id", "kept_kept_id", "kept_annotator", "company", "amount")} == {
        "id": "r:1", "kept_id": "doc-17", "kept_kept_id": "y", "kept_annotator": "x", "company": "城南", "amount": None}
    assert "evidence" not in task["data"] and "score_volunteer_work" not in task["data"]
    (dc,) = to_doccano(read_export_source(path).items)
    assert dc["kept_id"] == "doc-17" and dc["id"] == "r:1" and dc["label"] == ["volunteer_work"]


def test_export_keeps_an_input_column_named_left_out_unless_the_file_has_a_summary(tmp_path):
    """Review: tag --keep-columns left_out (allowed without --summary) wrote the input's left_out on each row, and
    tagger labels export dropped it from the tasks as a column of tag's own. It is tag's only in a --summary file
    (one with the summary's reports column); else it is kept, as in tagger stats."""
    text = "青年志愿者为留守儿童讲解安全用电知识。"
    row = {"row_type": "paragraph", "report": "r", "paragraph": "r:1", "kind": "body", "text": text,
           "labels": ["volunteer_work"], **{f"score_{lab}": 0.3 for lab in LABELS}, "left_out": "yes"}
    path = tmp_path / "t.jsonl"
    path.write_text(jsonl_line(row), encoding="utf-8")
    (item,) = read_export_source(path).items
    assert item.extra == {"left_out": "yes"}
    assert to_labelstudio([item], "v")[0]["data"]["left_out"] == "yes"
    corpus = {"row_type": "corpus", "labels": ["volunteer_work"], "n_paragraphs": 1, "reports": 1, "left_out": 0}
    path.write_text(jsonl_line({k: v for k, v in row.items() if k != "left_out"}) + jsonl_line(corpus),
                    encoding="utf-8")
    (item,) = read_export_source(path).items  # a --summary file: its left_out is tag's
    assert item.extra == {}


def test_export_writes_date_cells_of_a_workbook_as_iso_text(tmp_path):
    """A date typed into a tagged workbook in Excel is a date cell: the export died with 'TypeError: Object of type
    datetime is not JSON serializable' (a traceback)."""
    import datetime

    import openpyxl

    text = "青年志愿者为留守儿童讲解安全用电知识。"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "paragraphs"
    ws.append(["row_type", "report", "paragraph", "kind", "text", "labels", *(f"score_{lab}" for lab in LABELS),
               "date", "checked_at"])
    ws.append(["paragraph", "r", "r:1", "body", text, "volunteer_work", 0.1, 0.1, 0.1, 0.1, 0.9,
               datetime.datetime(2024, 3, 12), datetime.datetime(2024, 3, 12, 9, 30)])
    path = tmp_path / "tagged.xlsx"
    wb.save(path)
    (item,) = read_export_source(path).items
    # a date cell (midnight) as its date, as it was typed (user test: "2024-05-10T00:00:00"); a time kept
    assert item.extra == {"date": "2024-03-12", "checked_at": "2024-03-12T09:30:00"}
    assert json.loads(jsonl_line(to_doccano([item])[0]))["date"] == "2024-03-12"


def test_a_kept_column_tag_guarded_in_a_csv_header_keeps_its_name(tmp_path, cli_model):
    """tagger tag writes a kept column named "=x" as "'=x" in a CSV header (a formula guard); the export
    carried the guard into the task data, so the same tagged rows gave "'=x" from CSV and "=x" from JSONL."""
    src = tmp_path / "in.csv"
    src.write_text("id,=x,text\nr,-v,青年志愿者为留守儿童讲解安全用电知识。\n", encoding="utf-8")
    items = {}
    for ext in ("csv", "jsonl"):
        tagged = tmp_path / f"tagged.{ext}"
        assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "=x", "--model", cli_model,
                     "-o", str(tagged)]) == 0
        (items[ext],) = read_export_source(tagged).items
    assert items["csv"].extra == items["jsonl"].extra == {"=x": "-v"}


def test_export_leaves_out_repeated_texts_and_refuses_repeated_ids(tmp_path):
    text, other = "公司召开专题会议，研究部署下半年重点工作。", "志愿者为留守儿童讲解用电安全。"
    rows = [{"report": r, "paragraph": f"{r}:{i}", "kind": "body", "text": t, "labels": []}
            for r, i, t in (("a", 1, text), ("a", 2, other), ("b", 1, text))]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(jsonl_line(r) for r in rows), encoding="utf-8")
    src = read_export_source(path)
    assert [i.id for i in src.items] == ["a:1", "a:2"] and "left out 1 repeated paragraph(s)" in src.notes[0]
    rows[2].update(paragraph="a:1", report="a", text="别的段落。")
    path.write_text("".join(jsonl_line(r) for r in rows), encoding="utf-8")
    with pytest.raises(InputError, match="paragraph id a:1 appears twice.*; nothing was exported"):
        read_export_source(path)



def test_export_leaves_out_a_repeated_text_in_another_writing(tmp_path):
    """A report and its copy in traditional script (or with full-width letters) were both exported, as two texts: the
    import, which takes them for one text as the model reads it, then refused the tool's export (one text decided
    twice). The copy is left out as a repeated text."""
    text, other = "公司党员服务队为城南3位独居老人检修线路。", "志愿者为留守儿童讲解用电安全。"
    copies = (("b", 1, "公司黨員服務隊為城南3位獨居老人檢修線路。"), ("c", 1, "公司党员服务队为城南３位独居老人检修线路。"))
    rows = [{"report": r, "paragraph": f"{r}:{i}", "kind": "body", "text": t, "labels": []}
            for r, i, t in (("a", 1, text), ("a", 2, other), *copies)]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(jsonl_line(r) for r in rows), encoding="utf-8")
    src = read_export_source(path)
    assert [i.id for i in src.items] == ["a:1", "a:2"]
    assert src.notes[0].startswith("left out 2 repeated paragraph(s): same text as one exported before, as the model "
                                   "reads it")

def test_export_csv_tagged_file_and_bad_rows(tmp_path, cli_model, capsys):
    text = "供电公司为老旧小区更换老化表箱。"
    path = tmp_path / "tagged.csv"
    head = ["row_type", "report", "paragraph", "kind", "text", "labels", *(f"score_{lab}" for lab in LABELS),
            "reviewed_labels", "company"]
    good = ["paragraph", "r", "r:1", "body", text, "old_neighbourhood_retrofit", "0.1", "0.9", "0.1", "0.1", "0.1",
            "none", "城北"]
    path.write_text(",".join(head) + "\n" + ",".join(good) + "\n", encoding="utf-8")
    (item,) = read_export_source(path).items
    assert (item.labels, item.label_source, item.extra) == ((), "reviewed", {"company": "城北"})
    bad = list(good)
    bad[5], bad[2] = "lift", "r-1"
    path.write_text(",".join(head) + "\n" + ",".join(good) + "\n" + ",".join(bad) + "\n", encoding="utf-8")
    out = tmp_path / "out.json"
    assert main(["labels", "export", str(path), "--to", "labelstudio", "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "tagged.csv:3: id 'r-1' is not '<report>:<paragraph index>'" in err and "nothing was exported" in err
    assert not out.exists() and not config_path(out).exists()


def test_export_reads_a_tagged_csv_a_spreadsheet_saved_and_refuses_a_column_named_twice(tmp_path):
    """A tagged CSV saved again by a spreadsheet with ';' (decimal comma) exports the same paragraphs (it was 'more
    cells than the header'); a second 'labels' column is refused (the export took the later, empty one: every
    paragraph went out with no label)."""
    text = "供电公司为老旧小区更换老化表箱。"
    head = ["row_type", "report", "paragraph", "kind", "text", "labels", *(f"score_{lab}" for lab in LABELS),
            "company"]
    row = ["paragraph", "r", "r:1", "body", text, "old_neighbourhood_retrofit", "0.1", "0.9", "0.1", "0.1", "0.1",
           "城北"]
    plain, semi, twice = tmp_path / "plain.csv", tmp_path / "semi.csv", tmp_path / "twice.csv"
    for path, delimiter, cells in ((plain, ",", [head, row]),
                                   (semi, ";", [head, [c.replace("0.", "0,") for c in row]]),
                                   (twice, ",", [head + ["labels"], row + [""]])):
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh, delimiter=delimiter, lineterminator="\r\n").writerows(cells)
    assert read_export_source(semi).items == read_export_source(plain).items
    assert read_export_source(plain).items[0].scores == (0.1, 0.9, 0.1, 0.1, 0.1)
    with pytest.raises(InputError, match=r"twice\.csv: the header names column 'labels' twice"):
        read_export_source(twice)


def test_export_never_overwrites_without_force(tagged, tmp_path, cli_model, capsys):
    out = tmp_path / "tasks.json"
    args = ["labels", "export", str(tagged), "--to", "labelstudio", "-o", str(out), "--model", cli_model]
    assert main(["-q", *args]) == 0
    before = out.read_bytes()
    assert main(args) == 1 and "already exists; pass --force" in capsys.readouterr().err
    assert main(["-q", *args, "--force"]) == 0 and out.read_bytes() == before
    assert main(["labels", "export", str(tagged), "--to", "doccano", "-o", str(tagged), "--force"]) == 1
    assert "is also an input; choose another -o" in capsys.readouterr().err
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)  # a pipe is written in place: no room for the labelling config beside it
    assert main(["labels", "export", str(tagged), "--to", "labelstudio", "-o", str(pipe)]) == 2
    assert "give -o FILE.json" in capsys.readouterr().err and not config_path(pipe).exists()
    assert main(["labels", "export", str(tmp_path / "nope.jsonl"), "--to", "doccano", "-o", str(tmp_path / "o.jsonl")]) == 1
    assert "nope.jsonl: no such file" in capsys.readouterr().err


@pytest.mark.parametrize("to,name", [("labelstudio", "tasks.txt"), ("labelstudio", "tasks.csv"),
                                     ("labelstudio", "tasks.jsonl"), ("doccano", "tasks.json"), ("doccano", "tasks")])
def test_export_refuses_a_file_name_the_tool_would_read_as_another_format(tagged, tmp_path, capsys, to, name):
    """Label Studio takes the import format from the extension (a JSON list in tasks.txt became one task per
    line of JSON), doccano's JSON format wants a list: --help says .json / .jsonl, and the export wrote any name."""
    out = tmp_path / name
    assert main(["labels", "export", str(tagged), "--to", to, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(rf"{re.escape(name)}: --to {to} writes (JSON|JSONL): name the file (\S+)", err), err
    assert not out.exists() and not config_path(out).exists()


def test_doccano_export_needs_no_model(tagged, tmp_path, capsys):
    """doccano's rows carry no model version or score, yet the export of a tagged file loaded the model and
    failed without one ('no model file'): an analyst handed a tagged file could not export it."""
    out = tmp_path / "d.jsonl"
    assert main(["-q", "labels", "export", str(tagged), "--to", "doccano", "-o", str(out), "--model",
                 str(tmp_path / "no-model.npz")]) == 0, capsys.readouterr().err
    assert [json.loads(x)["label_source"] for x in out.read_text(encoding="utf-8").splitlines()][:1] == ["model"]



def test_a_model_the_export_does_not_use_is_named_as_such(tagged, root, tmp_path, capsys):
    """Hunt: --model with --to doccano, or with a label file (no model's labels to name), did nothing, silently."""
    out = tmp_path / "d.jsonl"
    assert main(["labels", "export", str(tagged), "--to", "doccano", "-o", str(out), "--model", "m.npz"]) == 0
    assert "--model m.npz is not used: a doccano file names no model" in capsys.readouterr().err and out.exists()
    ext, tasks = root / "tests" / "fixtures" / "external.jsonl", tmp_path / "t.json"
    assert main(["labels", "export", str(ext), "--to", "labelstudio", "-o", str(tasks), "--model", "m.npz"]) == 0
    assert "--model m.npz is not used: no paragraph starts from the model's labels (a label file's labels)" in (
        capsys.readouterr().err) and tasks.exists()
    assert main(["labels", "export", str(ext), "--to", "labelstudio", "-o", str(tasks), "--force"]) == 0
    assert "not used" not in capsys.readouterr().err

def test_export_of_headings_only_says_why_nothing_was_exported(tmp_path, capsys):
    """A tagged file of headings only said 'no paragraph to export', as if it were empty."""
    row = {"row_type": "paragraph", "report": "r", "paragraph": "r:0", "kind": "heading", "text": "公司召开党委会议",
           "labels": [], **{f"score_{lab}": 0.0 for lab in LABELS}}
    path = tmp_path / "t.jsonl"
    path.write_text(jsonl_line(row), encoding="utf-8")
    assert main(["labels", "export", str(path), "--to", "doccano", "-o", str(tmp_path / "d.jsonl")]) == 1
    assert "t.jsonl: no paragraph to export (left out 1 heading(s): headings carry no labels" in capsys.readouterr().err


def test_export_leaves_captions_out_as_headings(tmp_path, capsys):
    """Review of the stop's change: labels export sent a photo caption out for labelling (and labels import took its
    label back into the training data), though the codebook gives captions no label and serve no longer offers
    them; left out as headings are, and said so."""
    rows = [{"row_type": "paragraph", "report": "r", "paragraph": f"r:{i}", "kind": kind, "text": text,
             "labels": [], **{f"score_{lab}": 0.0 for lab in LABELS}}
            for i, (kind, text) in enumerate([("heading", "敬老院用电安全"), ("body", "供电所党员为敬老院老人检查线路。"),
                                             ("caption", "图为队员为老人检查线路（李明 摄）")])]
    path, out = tmp_path / "t.jsonl", tmp_path / "d.jsonl"
    path.write_text("".join(jsonl_line(r) for r in rows), encoding="utf-8")
    assert main(["labels", "export", str(path), "--to", "doccano", "-o", str(out)]) == 0
    assert [json.loads(x)["paragraph"] for x in out.read_text(encoding="utf-8").splitlines()] == ["r:1"]
    assert "left out 1 heading(s) and 1 caption(s): they carry no labels (codebook)" in capsys.readouterr().err


def test_a_label_files_reports_survive_an_export_to_an_annotation_tool(tmp_path, capsys):
    """Review: exporting a labelled JSONL file ({"text", "labels", "doc", "index"}) named every paragraph after the
    file and its line: the round trip put three reports into one, which changed evaluate --test and training."""
    src = tmp_path / "test3.jsonl"
    rows = [{"text": "党员服务队走进敬老院,为孤寡老人免费检修线路。", "labels": ["elderly_care"], "doc": "A", "index": 1},
            {"text": "队员们还讲解了安全用电知识。", "labels": [], "doc": "A", "index": 2},
            {"text": "该公司为园区企业开辟报装绿色通道。", "labels": ["business_connection_speed"], "doc": "B"},
            {"text": "他们还帮忙打扫了院子。", "labels": [], "doc": "B"},
            {"text": "公司召开会议。", "labels": [], "id": "X:3"}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "dc.jsonl"
    assert main(["-q", "labels", "export", str(src), "--to", "doccano", "-o", str(out)]) == 0
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["report"], r["id"]) for r in got] == [("A", "A:1"), ("A", "A:2"), ("B", "B:0"), ("B", "B:1"),
                                                     ("X", "X:3")]
    loose = tmp_path / "authored.jsonl"  # review: 593 errors, each saying to restore an id from a suggest file
    loose.write_text("".join(json.dumps({"id": f"authored:biz-{n:03d}", "text": f"第{n}段供电服务。", "labels": []},
                                        ensure_ascii=False) + "\n" for n in range(1, 4)), encoding="utf-8")
    assert main(["labels", "export", str(loose), "--to", "doccano", "-o", str(tmp_path / "l.jsonl")]) == 1
    err = capsys.readouterr().err
    assert (f"{loose}: its ids (e.g. 'authored:biz-001') are not '<report>:<paragraph index>' and its rows name no "
            "report (doc)") in err and "restore it from" not in err and err.count("authored:biz-") == 1, err


def test_a_label_files_colliding_numbering_is_told_as_a_label_file_fault(tmp_path, capsys):
    """A label file whose report "r" has a row with id r:0 and a row without an index (numbered r:0 by its place) was
    refused with the tagged file's advice ("two input reports had the report id 'r' ... tag it again"), which a label
    file cannot follow: the message now says how the rows are numbered and what to change."""
    src = tmp_path / "a.jsonl"
    rows = [{"id": "r:0", "doc": "r", "text": "党员服务队为孤寡老人检查线路。", "labels": ["elderly_care"]},
            {"id": "x1", "doc": "r", "text": "供电所为企业开辟绿色通道。", "labels": []}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert main(["-q", "labels", "export", str(src), "--to", "doccano", "-o", str(tmp_path / "o.jsonl")]) == 1
    err = capsys.readouterr().err
    assert "paragraph id r:0 appears twice, with another text" in err and "tag it again" not in err, err
    assert ("a row of report 'r' without an \"index\" is numbered by its place among the report's rows (r:0, r:1 "
            "…), and another row's id names the same paragraph: give each row of the report its \"index\", or that "
            "row another id") in err, err
    assert not (tmp_path / "o.jsonl").exists()
    sheet = tmp_path / "s.csv"  # a suggest sheet: its ids are its own cells
    sheet.write_text("id,text,text_sha,labels\n" + "".join(f"r:0,{r['text']},{text_sha(r['text'])},none\n" for r in rows),
                     encoding="utf-8")
    assert main(["-q", "labels", "export", str(sheet), "--to", "doccano", "-o", str(tmp_path / "o.jsonl")]) == 1
    err = capsys.readouterr().err
    assert (f"{sheet}:3: paragraph id r:0 appears twice, with another text (first at {sheet}:2); ids must be unique to "
            "be matched back: give one of the two rows another id") in err, err


def test_labelstudio_config_is_valid_xml_naming_every_label():
    root = ET.fromstring(labelstudio_config())
    assert [c.get("alias") for c in root.iter("Choice")] == list(LABELS)
    assert all(c.get("alias") in c.get("value") for c in root.iter("Choice"))


# --------------------------------------------------------------------------- any text survives the trip
NASTY = st.sampled_from(['"', "'", "\\", "\n", "\r", "\t", "</script>", "<!--", "=SUM(A1)", "+1", "-2", "@x", ",", ";",
                         "\u2028", "\u2029", "\x85", "\x1c", "\x00", "\ufeff", "\u202e", "😀", "供电", "“", "’"])
TEXT = st.lists(st.one_of(st.characters(codec="utf-8"), NASTY), min_size=1, max_size=60).map(lambda s: "".join(s).strip())


def _item(text):
    return ExportItem("r:1", "r", text, text_sha(text), ("volunteer_work",), "model")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(TEXT)
def test_any_text_round_trips_through_every_format(tmp_path, text):
    assume(text)
    item = _item(text)
    # a paragraph tagger reads is one line (the one rule: paragraph_lines) without NUL: other texts travel intact, and
    # the import refuses them as training rows (the review page saved such rows: diff review)
    importable = "\x00" not in text and len(paragraph_lines(text)) == 1

    def rows_of(annotations, where, labels):
        if importable:
            return to_label_rows(annotations, where)
        assert [a.text for a in annotations] == [text]
        with pytest.raises(LabelFileError, match="which no paragraph tagger reads does"):
            to_label_rows(annotations, where)
        return [LabelRow(where, "r:1", "r", text, text_sha(text), labels)]

    tasks = json.loads(json.dumps(to_labelstudio([item], "v"), ensure_ascii=False))
    tasks[0]["annotations"] = [{"result": _result(["elderly_care"], "a")}]
    (row,) = rows_of(from_labelstudio([("t", tasks[0])], "t"), "t", ("elderly_care",))
    assert (row.text, row.labels) == (text, ("elderly_care",))

    (dc,) = to_doccano([item])
    line = jsonl_line(dc)
    assert line.count("\n") == 1 and len(line[:-1].splitlines()) == 1
    (_, obj, problem), = parse_json_lines([line])
    (row,) = rows_of(from_doccano([("d", obj)], "d"), "d", ("volunteer_work",))
    assert (row.text, row.labels) == (text, ("volunteer_work",))

    rows = _json_min([{**tasks[0], "id": 7, "annotations": [_annotation(70, ["elderly_care"], "2024-06-01")]}])
    path = tmp_path / "min.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    assert [a.text for a in read_annotations(path, "labelstudio").annotations] == [text]
    if "\r" not in text and "\x00" not in text:  # CSV files are read with line ends made \n, as everywhere here
        path = tmp_path / "export.csv"
        path.write_text(_ls_csv(rows), encoding="utf-8", newline="")
        (row,) = rows_of(read_annotations(path, "labelstudio").annotations, "c", ("elderly_care",))
        assert (row.text, row.labels) == (text, ("elderly_care",))


def test_export_errors_are_input_errors(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("a", encoding="utf-8")
    with pytest.raises(InputError, match="expected a file written by tagger tag"):
        read_export_source(path)
    path = tmp_path / "x.jsonl"
    path.write_text('{"foo": 1}\n', encoding="utf-8")
    with pytest.raises(InputError, match="not a tagged file"):
        read_export_source(path)


def test_evaluate_test_from_names_the_format(cli_model, tmp_path, capsys):
    fixture = Path(__file__).parent / "fixtures" / "prodigy_export.jsonl"
    out = tmp_path / "r"
    assert main(["-q", "evaluate", "--test", str(fixture), "--from", "prodigy", "--model", cli_model,
                 "--out", str(out), "--no-plots"]) == 0
    assert (out / "test_report.md").is_file()
    assert main(["-q", "evaluate", "--test", str(fixture), "--from", "labelstudio", "--model", cli_model,
                 "--out", str(tmp_path / "r2"), "--no-plots"]) == 1
    assert "prodigy_export.jsonl" in capsys.readouterr().err and not (tmp_path / "r2" / "test_report.md").exists()


def test_an_empty_export_says_it_holds_no_tasks(proj, tmp_path, capsys):
    """Label Studio exports '[]' when no task was annotated; the import said 'cannot tell which tool wrote this
    file', as if the file were of another tool."""
    path = tmp_path / "project-export.json"
    path.write_text("[]\n", encoding="utf-8")
    for extra in ([], ["--from", "labelstudio"]):
        assert main(["labels", "import", str(path), "--root", str(proj), *extra]) == 1
        err = capsys.readouterr().err
        assert "project-export.json: the export holds no tasks" in err and "cannot tell" not in err, err


def test_a_suggestion_csv_is_scored_by_its_filled_labels_cells(cli_model, tmp_path, capsys):
    """evaluate --test on the CSV tagger suggest writes: the rows whose labels cell is filled are scored ("none":
    no label), the others left out; a file with no filled cell is refused, with nothing written."""
    texts = {"new_1:1": ("党员志愿者走进敬老院,为孤寡老人义务检查线路。", "elderly_care;volunteer_work"),
             "new_1:2": ("公司召开党委会议。", "none"),
             "new_1:3": ("供电公司开辟绿色通道,仅用7天为园区企业完成报装接电。", "")}

    def write(path, fill=True):
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, SUGGEST_COLUMNS, extrasaction="ignore")
            w.writeheader()
            for pid, (text, labels) in texts.items():
                w.writerow({"id": pid, "report": "new_1", "text": text, "labels": labels if fill else "",
                            "text_sha": text_sha(text)})
        return path

    filled = write(tmp_path / "suggestions.csv")
    assert [(e.id, e.labels, e.index) for e in load_test_file(filled)] == [
        ("new_1:1", ("elderly_care", "volunteer_work"), 1), ("new_1:2", (), 2)]
    out = tmp_path / "r"
    assert main(["-q", "evaluate", "--test", str(filled), "--model", cli_model, "--out", str(out), "--no-plots"]) == 0
    assert json.loads((out / "test_report.json").read_text(encoding="utf-8"))["runs"][0]["metrics"]["n"] == 2
    empty = write(tmp_path / "empty.csv", fill=False)
    assert main(["evaluate", "--test", str(empty), "--model", cli_model, "--out", str(tmp_path / "r2"),
                 "--no-plots"]) == 1
    assert f"{empty} has no labelled rows to score: every labels cell is empty" in capsys.readouterr().err
    assert not (tmp_path / "r2").exists()


def test_export_of_reports_given_one_id_names_the_rows_and_passes_a_repeated_report(tmp_path, cli_model, capsys):
    """A user tagged a CSV in which one id was given to two rows and exported it: 'paragraph id r1:0 appears
    twice', naming neither row nor what to change; and a row given twice (the same report) was refused too."""
    text = "党员志愿者走进敬老院,为孤寡老人义务检查线路。\n供电公司为老旧小区更换老化表箱。"
    src = tmp_path / "reports.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "text"], ["r1", text], ["r2", "志愿者为留守儿童讲解用电安全。"], ["r1", text]])
    tagged = tmp_path / "tagged.csv"
    assert main(["-q", "tag", str(src), "--id-column", "id", "-o", str(tagged), "--model", cli_model]) == 0
    out = tmp_path / "tasks.jsonl"
    assert main(["-q", "labels", "export", str(tagged), "--to", "doccano", "-o", str(out)]) == 0
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["r1:0", "r1:1",
                                                                                                  "r2:0"]
    with open(src, "a", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerow(["r2", "公司为小区新装电梯接电。"])
    assert main(["-q", "tag", str(src), "--id-column", "id", "-o", str(tagged), "--force", "--model", cli_model]) == 0
    assert main(["-q", "labels", "export", str(tagged), "--to", "doccano", "-o", str(out), "--force"]) == 1
    err = capsys.readouterr().err
    assert f"{tagged}:7: paragraph id r2:0 appears twice, with another text (first at {tagged}:4)" in err
    assert "report id 'r2'" in err and "nothing was exported" in err


# --------------------------------------------------------------------------- text an .xlsx output cut at Excel's limit
# a report whose line breaks were lost: one paragraph longer than an Excel cell (made up)
LONG = "，".join(["党员服务队走进幸福里社区为独居老人免费检修室内线路"] * 1400) + "。"
SHORT = "青年志愿者走进特殊教育学校，为孩子们讲解安全用电常识。"


def _spreadsheet_csv(workbook, path):
    """The paragraphs sheet of ``workbook`` saved as CSV by a spreadsheet (Excel's CSV UTF-8: values as shown, line
    ends CRLF)."""
    import openpyxl

    wb = openpyxl.load_workbook(workbook, read_only=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(
            ["" if v is None else ("TRUE" if v is True else "FALSE" if v is False else v) for v in row]
            for row in wb["paragraphs"].iter_rows(values_only=True))
    wb.close()
    return path


def test_labels_export_leaves_out_a_paragraph_an_xlsx_output_cut(tmp_path, cli_model, capsys):
    """tag -o FILE.xlsx cut a paragraph longer than Excel's 32,767 characters per cell; labels export from that workbook
    (or from the CSV a spreadsheet saved of it) then sent the cut text out as a paragraph to label: in the tool, then
    back through labels import into the training data, a text the report does not have. Such a paragraph is left out,
    with a warning naming its row and what to do; the others go out as before."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "long", "text": LONG + "\n" + SHORT}, ensure_ascii=False) + "\n", encoding="utf-8")
    book = tmp_path / "tagged.xlsx"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--model", cli_model, "-o", str(book)]) == 0
    for tagged in (book, _spreadsheet_csv(book, tmp_path / "saved.csv")):
        out = tmp_path / f"{tagged.stem}.jsonl"
        assert main(["labels", "export", str(tagged), "--to", "doccano", "-o", str(out)]) == 0
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [(r["paragraph"], r["text"]) for r in rows] == [("long:1", SHORT)]
        err = capsys.readouterr().err
        where = "tagged.xlsx:row 2" if tagged.suffix == ".xlsx" else "saved.csv:2"
        assert "left out 1 paragraph(s) whose text an .xlsx output cut at the Excel cell limit" in err
        assert f"{where} (long:0)" in err and "tag the report to .jsonl, .csv, .parquet or .sqlite" in err
    only_cut = tmp_path / "only_cut.jsonl"  # nothing else to export: the refusal says why
    src.write_text(json.dumps({"id": "long", "text": LONG}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["-q", "tag", str(src), "--id-column", "id", "--model", cli_model, "-o", str(book), "--force"]) == 0
    assert main(["labels", "export", str(book), "--to", "doccano", "-o", str(only_cut)]) == 1
    err = capsys.readouterr().err
    assert "no paragraph to export (left out 1 paragraph(s) whose text an .xlsx output cut" in err
    assert not only_cut.exists()


def _cut_text_export(tmp_path):
    """A Label Studio export of tasks made before the fix: long:0 holds a text an .xlsx output cut (with a text_sha
    of it, so it passes as unedited), long:1 a whole one; both labelled."""
    from tagger.common.xlsx import safe_text

    tasks = [{"id": 7 + n, "data": {"text": text, "id": pid, "paragraph": pid, "report": "long", "text_sha": text_sha(text)},
              "annotations": [_annotation(70 + n, ["elderly_care"], "2024-06-02T10:00:00.000000Z")]}
             for n, (pid, text) in enumerate((("long:0", safe_text(LONG)), ("long:1", SHORT)))]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return path


def test_labels_import_refuses_a_text_an_xlsx_output_cut(proj, tmp_path, capsys):
    """Tasks exported before the fix hold the cut text (with a text_sha of it, so it passed as unedited): labels
    import refuses it by name, with what to do, and imports nothing."""
    path = _cut_text_export(tmp_path)
    assert main(["labels", "import", str(path), "--root", str(proj)]) == 1
    err = capsys.readouterr().err
    assert "export.json, task 1 (Label Studio id 7), annotation 1: the text of long:0 was cut at the Excel cell limit" in err
    assert "drop this row, or tag the report to .jsonl, .csv, .parquet or .sqlite" in err
    assert "nothing was imported" in err and not (proj / IMPORTED_FILE).exists()


def test_evaluate_test_refuses_a_text_an_xlsx_output_cut(cli_model, tmp_path, capsys):
    """labels import refused a task whose text an .xlsx output had cut at the Excel cell limit, but evaluate --test
    on the same export scored it: the model judged on part of a paragraph against labels for the whole. It is
    refused the same way, naming the task, and no report is written."""
    path = _cut_text_export(tmp_path)
    out = tmp_path / "r"
    assert main(["evaluate", "--test", str(path), "--model", cli_model, "--out", str(out), "--no-plots"]) == 1
    err = capsys.readouterr().err
    assert "export.json, task 1 (Label Studio id 7), annotation 1: the text of long:0 was cut at the Excel cell limit" in err
    assert "tag the report to .jsonl, .csv, .parquet or .sqlite" in err and "Traceback" not in err
    assert not (out / "test_report.md").exists()
    from tagger.common.xlsx import safe_text

    cut = safe_text(LONG)
    labelled = tmp_path / "labelled.jsonl"  # our own JSONL of labelled paragraphs: the same (the reviewer's catch)
    labelled.write_text("".join(json.dumps({"id": pid, "text": text, "labels": ["elderly_care"]}, ensure_ascii=False)
                                + "\n" for pid, text in (("long:0", cut), ("long:1", SHORT))), encoding="utf-8")
    assert main(["evaluate", "--test", str(labelled), "--model", cli_model, "--out", str(out), "--no-plots"]) == 1
    err = capsys.readouterr().err
    assert "labelled.jsonl (id long:0): the text of long:0 was cut at the Excel cell limit" in err, err
    assert not (out / "test_report.md").exists()


@pytest.mark.parametrize("ext", ["jsonl", "csv"])
def test_labels_export_refuses_a_row_of_an_unknown_row_type(tagged, tmp_path, capsys, ext):
    """A tagged file cut short inside a row's first cell ('par' where 'paragraph' was being written) was exported
    without that row and without a word (stats already refused it): the row is named, nothing is written."""
    rows = [json.loads(line) for line in tagged.read_text(encoding="utf-8").splitlines()]
    rows[1]["row_type"] = "par"
    src = tmp_path / f"cut.{ext}"
    if ext == "jsonl":
        src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    else:
        cols = list(dict.fromkeys(k for r in rows for k in r))
        with open(src, "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, cols)
            w.writeheader()
            w.writerows({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                         for k, v in r.items()} for r in rows)
    out = tmp_path / "tasks.jsonl"
    assert main(["labels", "export", str(src), "--to", "doccano", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    where = f"{src.name}:2" if ext == "jsonl" else f"{src.name}:3"  # the second row; a CSV's header is line 1
    assert "row_type 'par'" in err and where in err, err
    assert "Traceback" not in err and not out.exists()


@pytest.mark.parametrize("how", ["same path", "symlink", "dry run"])
def test_import_refuses_the_label_file_it_merges_into(proj, tmp_path, capsys, how):
    """User test: tagger labels import labels/imported.jsonl --from doccano (or a link to it) read the file labels
    are merged into as the tool's export, and "merged" it into itself ("0 added, 0 updated, 1 unchanged", exit
    0, the import lock taken in labels/). It is refused by the one check of an output that is an input
    (common.atomic.refuse_an_input), before anything is read or written."""
    text = "党员志愿者为孤寡老人义务检查线路。"
    target = proj / IMPORTED_FILE
    target.write_text(json.dumps({"id": "x:1", "doc": "x", "text": text, "labels": ["elderly_care"],
                                  "source": "imported", "text_sha": text_sha(text)}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    before, listing = target.read_bytes(), sorted(p.name for p in target.parent.iterdir())
    given = target
    if how == "symlink":
        given = tmp_path / "export.jsonl"
        given.symlink_to(target)
    argv = ["labels", "import", str(given), "--root", str(proj), "--from", "doccano", "--update"]
    assert main(argv + (["--dry-run"] if how == "dry run" else [])) == 1
    err = capsys.readouterr().err
    assert (f"error: {target}: is also an input; the file to import ({given}) is the one labels are merged into: "
            "import the filled CSV tagger suggest wrote, or the annotation tool's export") in err, err
    assert target.read_bytes() == before and sorted(p.name for p in target.parent.iterdir()) == listing


def test_a_label_csv_with_its_header_in_capitals_is_exported(proj, tmp_path, cli_model):
    """labels export refused labels/seeds.csv saved with its header in capitals, which training reads (diff review)."""
    seeds = proj / "labels" / "seeds.csv"
    lines = seeds.read_text(encoding="utf-8").splitlines()
    upper = tmp_path / "seeds_upper.csv"
    upper.write_text("\n".join([lines[0].upper(), *lines[1:4]]) + "\n", encoding="utf-8")
    out = tmp_path / "x.jsonl"
    assert main(["-q", "labels", "export", str(upper), "--to", "doccano", "-o", str(out), "--model", cli_model]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


# --------------------------------------------------------------------------- evaluate --test: files it must tell about
HAND = [("r1", "党员志愿者走进敬老院，为孤寡老人义务检查线路。", "elderly_care;volunteer_work"),
        ("r1", "公司召开党委会议。", "none"),
        ("r2", "供电公司开辟绿色通道，仅用7天为园区企业完成报装接电。", "business_connection_speed"),
        ("r2", "青年志愿者为留守儿童讲解安全用电常识。", "")]


def _hand_csv(path, columns=("Text", "Labels"), rows=HAND):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for report, text, labels in rows:
            w.writerow([{"text": text, "labels": labels, "report": report}[c.lower()] for c in columns])
    return path


def test_a_hand_made_csv_of_text_and_labels_is_scored(cli_model, proj, tmp_path, capsys):
    """The most natural file a researcher makes to score the model on their own paragraphs, a CSV of text and labels,
    got 'cannot tell which tool wrote this file' (with --from tagger: id and text_sha missing, which scoring does not
    need). It is scored: ids from its row numbers, a report column grouping the bootstrap (else each row a report of
    its own, said in the report), empty labels cells left out and counted; labels import points to evaluate."""
    plain = _hand_csv(tmp_path / "mine.csv")
    assert [(e.id, e.doc, e.labels, e.index) for e in load_test_file(plain)] == [
        ("mine:2", "mine:2", ("elderly_care", "volunteer_work"), -1), ("mine:3", "mine:3", (), -1),
        ("mine:4", "mine:4", ("business_connection_speed",), -1)]
    out = tmp_path / "r"
    assert main(["evaluate", "--test", str(plain), "--model", cli_model, "--out", str(out), "--no-plots"]) == 0
    md = (out / "test_report.md").read_text(encoding="utf-8")
    assert "1 row of mine.csv with an empty labels cell left out (not labelled)" in md
    assert "mine.csv has no report column: each row is a report of its own" in md
    assert json.loads((out / "test_report.json").read_text(encoding="utf-8"))["runs"][0]["metrics"]["n"] == 3
    assert "1 row with an empty labels cell left out" in capsys.readouterr().err

    grouped = _hand_csv(tmp_path / "grouped.tsv", ("report", "text", "labels"))  # tab-separated, report column
    assert [e.doc for e in load_test_file(grouped)] == ["r1", "r1", "r2"]
    assert main(["-q", "evaluate", "--test", str(grouped), "--from", "tagger", "--model", cli_model,
                 "--out", str(tmp_path / "r2"), "--no-plots"]) == 0
    md = (tmp_path / "r2" / "test_report.md").read_text(encoding="utf-8")
    assert "intervals over reports" in md and "no report column" not in md and "### Per report" in md
    from tagger.annotation.interop import read_test_file

    ours = tmp_path / "ours.csv"  # ids as tagger writes them place each paragraph in its report, as tag scores it
    ours.write_text("id,text,labels\nr1:0,党员为老人检查线路。,elderly_care\nr1:1,公司召开会议。,none\n", encoding="utf-8")
    examples, notes = read_test_file(ours)
    assert [(e.id, e.doc, e.index) for e in examples] == [("r1:0", "r1", 0), ("r1:1", "r1", 1)] and notes == []

    assert main(["labels", "import", str(plain), "--root", str(proj)]) == 1
    err = capsys.readouterr().err
    assert "without the id and text_sha columns" in err and f"python evaluate.py --test {plain}" in err
    assert not (proj / IMPORTED_FILE).exists()


@pytest.mark.parametrize("content, says", [
    ("Text,Labels\n", "mine.csv has no labelled rows to score: no rows under the header"),
    ("text,labels,report\n甲。,,r1\n乙。, ,r1\n", "mine.csv has no labelled rows to score: every labels cell is empty"),
    (",".join(SUGGEST_COLUMNS) + "\n", "mine.csv has no labelled rows to score: no rows under the header"),
    ("text,Label\n甲。,elderly_care\n", "a doccano CSV export (id,text,label) is not read: export the project from "
                                       "doccano as JSONL"),
    ("text,category\n甲。,elderly_care\n", "this one has no labels column"),
    ("text,labels,id\n甲。,elderly_care,1\n乙。,none,1\n",
     "csv:3: duplicate paragraph id '1' (first at {path}:2); give each row an id of its own, or drop the id column"),
    ("text,labels\n甲。,elder_care\n,elderly_care\n", "2 problems, nothing was scored"),
])
def test_a_csv_that_cannot_be_scored_says_why(cli_model, tmp_path, capsys, content, says):
    """A header-only CSV said 'nothing to import' to evaluate --test (or 'cannot tell which tool wrote this file');
    each file that cannot be scored now says why in the words of the command, and nothing is written."""
    path = tmp_path / "mine.csv"
    path.write_text(content, encoding="utf-8")
    out = tmp_path / "r"
    assert main(["evaluate", "--test", str(path), "--model", cli_model, "--out", str(out), "--no-plots"]) == 1
    err = capsys.readouterr().err
    assert says.format(path=path) in err and "import" not in err and "Traceback" not in err, err
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["doccano", "prodigy", None])
def test_a_doccano_csv_export_says_so_under_from_doccano_too(cli_model, proj, tmp_path, capsys, fmt):
    """evaluate --test dc.csv --from doccano on a doccano CSV export (id,text,label) said '2 problems: line 1: not
    valid JSON …' with no hint: 'a doccano CSV export is not read: export JSONL' showed only when the format was
    told from the content. It shows with --from too, for evaluate and labels import."""
    path = tmp_path / "dc.csv"
    path.write_text("id,text,label\n1,党员为老人检查线路。,elderly_care\n2,公司召开会议。,\n", encoding="utf-8")
    given = ["--from", fmt] if fmt else []
    out = tmp_path / "r"
    assert main(["evaluate", "--test", str(path), *given, "--model", cli_model, "--out", str(out), "--no-plots"]) == 1
    says = ("a doccano CSV export (id,text,label) is not read: export the project from doccano as JSONL and give "
            "that file")
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err, err
    assert not out.exists()
    assert main(["labels", "import", str(path), *given, "--root", str(proj)]) == 1
    assert says in capsys.readouterr().err
    assert not (proj / IMPORTED_FILE).exists()


def test_an_empty_export_says_nothing_to_score_to_evaluate(cli_model, tmp_path, capsys):
    """'[]' (Label Studio's export when no task was annotated) told evaluate --test 'nothing to import'."""
    path = tmp_path / "project-export.json"
    path.write_text("[]\n", encoding="utf-8")
    assert main(["evaluate", "--test", str(path), "--model", cli_model, "--out", str(tmp_path / "r"), "--no-plots"]) == 1
    err = capsys.readouterr().err
    assert "project-export.json: the export holds no tasks (an empty JSON list): nothing to score" in err, err


@pytest.mark.parametrize("given, shape", [
    ("doccano", "read as a doccano export (--from doccano), 8 of its 8 rows could not be read (first: {path}, row 1: "
                "'text' is missing or not text)"),
    ("prodigy", "read as a Prodigy db-out file (--from prodigy), 8 of its 8 examples could not be read (first: "),
    ("tagger", "{path}"),  # evaluate: "a JSON list, neither a CSV nor …"; import: its first line is no CSV header
])
@pytest.mark.parametrize("command", ["evaluate", "import"])
def test_a_wrong_from_says_what_the_file_looks_like(cli_model, proj, tmp_path, capsys, given, shape, command):
    """evaluate --test ls_export.json --from doccano printed "'text' is missing or not text" for each of its tasks and
    never said the file looks like a Label Studio export: one message now, with the count, the first problem, and
    what to pass."""
    path = tmp_path / "ls_export.json"
    tasks = json.loads((FIX / "labelstudio_export.json").read_text(encoding="utf-8"))
    path.write_text(json.dumps((tasks * 2)[:8], ensure_ascii=False), encoding="utf-8")
    argv = (["evaluate", "--test", str(path), "--model", cli_model, "--out", str(tmp_path / "r"), "--no-plots"]
            if command == "evaluate" else ["labels", "import", str(path), "--root", str(proj)])
    assert main([*argv, "--from", given]) == 1
    err = capsys.readouterr().err
    assert shape.format(path=path) in err, err
    assert "this looks like a Label Studio export: drop --from or use --from labelstudio" in err
    assert err.count("\n") == 1 and "problems" not in err  # one message, one line
    assert main(argv) == 0  # without --from: read as what it is


def test_the_hint_names_the_tool_the_file_looks_like_and_only_then(tmp_path):
    """The hint is for a file that does not read as --from says while its content is another tool's (it names that
    tool); a file of the tool --from names with a bad row, or one no tool wrote, gets its rows named as before."""
    for fixture, from_, looks in (("doccano_export.jsonl", "prodigy", "a doccano export: drop --from or use --from "
                                   "doccano"), ("prodigy_export.jsonl", "labelstudio", "a Prodigy db-out file"),
                                  ("external.jsonl", "prodigy", "a labelled JSONL file of tagger's own")):
        with pytest.raises(LabelFileError, match=f"; this looks like {re.escape(looks)}"):
            load_test_file(FIX / fixture, from_)
    one = tmp_path / "one.jsonl"  # read as a Label Studio JSON-MIN row nobody annotated: nothing to score
    one.write_text((FIX / "doccano_export.jsonl").read_text(encoding="utf-8").splitlines()[0], encoding="utf-8")
    with pytest.raises(LabelFileError) as undecided:
        load_test_file(one, "labelstudio")
    assert str(undecided.value).endswith("; this looks like a doccano export: drop --from or use --from doccano")
    assert str(undecided.value).count("looks like") == 1
    ls = tmp_path / "export.json"
    ls.write_text(_ls(lambda t: t[1]["data"].pop("text"))[1], encoding="utf-8")
    with pytest.raises(LabelFileError) as bad_row:
        load_test_file(ls, "labelstudio")
    assert "task 2 (Label Studio id 102): 'text' is missing" in str(bad_row.value)
    assert "looks like" not in str(bad_row.value)
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"body": "甲。"}\n{"body": "乙。"}\n', encoding="utf-8")
    with pytest.raises(LabelFileError) as unknown:
        load_test_file(odd, "doccano")
    assert "2 problems" in str(unknown.value) and "looks like" not in str(unknown.value)


_CELL_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30).filter(
    lambda t: bool(t.strip()))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_CELL_TEXT, st.lists(st.sampled_from(LABELS), unique=True, max_size=3)),
                     min_size=1, max_size=6, unique_by=lambda r: r[0].strip()),
       delimiter=st.sampled_from([",", ";", "\t"]), bom=st.booleans())
def test_a_hand_made_csv_reads_back_whatever_its_texts(tmp_path, rows, delimiter, bom):
    """Any text a spreadsheet can hold (quotes, delimiters, Chinese punctuation) and any labels come back as written,
    each row named by its spreadsheet row number."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(["text", "labels"])
    w.writerows([text, ";".join(labels) or "none"] for text, labels in rows)
    path = tmp_path / "hand.csv"
    path.write_text(("\ufeff" if bom else "") + buf.getvalue(), encoding="utf-8", newline="")
    examples = load_test_file(path)
    assert [(e.text, e.labels) for e in examples] == [(t.strip(), tuple(sorted(ls, key=LABELS.index)) if ls else ())
                                                     for t, ls in rows]
    assert [e.id for e in examples] == [f"hand:{n}" for n in range(2, len(rows) + 2)]


# --------------------------------------------------------------------------- evaluate --test: which CSV is whose
_SCORES = [f"score_{lab}" for lab in LABELS]


def _tag_rows_without_paragraph(reviewed: bool = False):
    """A tagger tag CSV whose paragraph column was deleted: its labels are the model's (an empty cell: no label)."""
    header = ["row_type", "report", "kind", "text", "labels", *_SCORES] + (["reviewed_labels"] if reviewed else [])
    rows = [["paragraph", "r1", "body", HAND[0][1], "elderly_care;volunteer_work", 0.9, 0.1, 0.1, 0.1, 0.9],
            ["paragraph", "r1", "body", HAND[1][1], "", 0.1, 0.1, 0.1, 0.1, 0.1]]
    return header, [r + (["none"] if reviewed else []) for r in rows]


@pytest.mark.parametrize("reviewed", [False, True])
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_tagged_file_without_its_paragraph_column_is_refused_not_scored(cli_model, proj, tmp_path, capsys, reviewed,
                                                                          suffix):
    """A tagger tag file that lost its paragraph column was read as a hand-made CSV and scored against its own
    predictions (F1 1.000; reviewed_labels ignored; tag's empty labels cell, 'no label', dropped as 'not labelled'),
    and labels import advised evaluate --test on it. Both refuse it now, naming the column it lacks."""
    header, rows = _tag_rows_without_paragraph(reviewed)
    path = tmp_path / f"tagged{suffix}"
    if suffix == ".csv":
        with open(path, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([header, *rows])
    else:
        path.write_text("".join(json.dumps(dict(zip(header, r)), ensure_ascii=False) + "\n" for r in rows),
                        encoding="utf-8")
    out = tmp_path / "r"
    assert main(["evaluate", "--test", str(path), "--model", cli_model, "--out", str(out), "--no-plots"]) == 1
    err = capsys.readouterr().err
    assert f"{path}: a tagged file without its column(s) paragraph" in err, err
    assert not out.exists()
    if suffix == ".csv":
        assert main(["labels", "import", str(path), "--root", str(proj)]) == 1
        err = capsys.readouterr().err
        assert f"{path}: a tagged file without its column(s) paragraph" in err and "evaluate" not in err, err
        assert not (proj / IMPORTED_FILE).exists()


@pytest.mark.parametrize("columns", [("report", "paragraph", "text", "labels"), ("paragraph", "text", "labels")])
def test_a_hand_made_csv_with_a_paragraph_column_is_scored(cli_model, tmp_path, capsys, columns):
    """report,paragraph,text,labels (or paragraph,text,labels) made by hand was refused with advice for tagged files
    though the README promises any CSV with text and labels. It is scored: the paragraph names the row (with a
    report: <report>:<n>, placed in its report as tag scores it)."""
    from tagger.annotation.interop import read_test_file

    path = tmp_path / "mine.csv"
    cells = {"report": ["r1", "r1", "r2"], "paragraph": ["0", "1", "r2:5"], "text": [t for _, t, _ in HAND[:3]],
             "labels": [lab for _, _, lab in HAND[:3]]}
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([columns, *zip(*(cells[c] for c in columns))])
    examples, notes = read_test_file(path)
    if "report" in columns:
        assert [(e.id, e.doc, e.index) for e in examples] == [("r1:0", "r1", 0), ("r1:1", "r1", 1), ("r2:5", "r2", 5)]
        assert notes == []
    else:
        assert [(e.id, e.doc, e.index) for e in examples] == [("0", "0", -1), ("1", "1", -1), ("r2:5", "r2", 5)]
        assert notes == ["2 scored rows of mine.csv with no report (no report column, an id without :): each is a "
                         "report of its own (the bootstrap resamples it alone); fill in its report to group it with "
                         "that report's paragraphs."]
    out = tmp_path / "r"
    assert main(["evaluate", "--test", str(path), "--model", cli_model, "--out", str(out), "--no-plots"]) == 0
    assert json.loads((out / "test_report.json").read_text(encoding="utf-8"))["runs"][0]["metrics"]["n"] == 3


@pytest.mark.parametrize("column", ["evidence", "reviewed_by", "reviewed_at"])
def test_a_hand_made_csv_with_an_evidence_or_reviewed_by_column_is_scored(cli_model, tmp_path, capsys, column):
    """text,labels,evidence (or reviewed_by: natural names for someone labelling by hand) was refused by evaluate
    --test as 'a tagged file without its column(s) report, paragraph, score_…'. Only columns no person would name so
    make a file tag's; this one is scored."""
    path = tmp_path / "mine.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["text", "labels", column], *([t, lab, "x"] for _, t, lab in HAND[:3])])
    out = tmp_path / "r"
    assert main(["evaluate", "--test", str(path), "--model", cli_model, "--out", str(out), "--no-plots"]) == 0, \
        capsys.readouterr().err
    assert json.loads((out / "test_report.json").read_text(encoding="utf-8"))["runs"][0]["metrics"]["n"] == 3


@pytest.mark.parametrize("column", ["row_type", "reviewed_labels", "reviewed_sha", "review_rank", "review_margin",
                                    "score_elderly_care"])
def test_a_csv_refused_as_tags_names_the_column_that_made_it_so(cli_model, proj, tmp_path, capsys, column):
    """A CSV refused as tag's said only which of tag's columns it lacked; a person who made it by hand with a
    row_type (or review_rank …) column of their own could not tell why. The refusal names the column and says to
    rename or drop it."""
    path = tmp_path / "mine.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["text", "labels", column], *([t, lab, "1"] for _, t, lab in HAND[:2])])
    out = tmp_path / "r"
    assert main(["evaluate", "--test", str(path), "--model", cli_model, "--out", str(out), "--no-plots"]) == 1
    err = capsys.readouterr().err
    assert f"{path}: a tagged file without its column(s) report, paragraph" in err, err
    assert f"Read as tag's by its column(s) {column}: if you made this file by hand, rename or drop that column" \
        in err, err
    assert main(["labels", "import", str(path), "--root", str(proj)]) == 1
    assert f"Read as tag's by its column(s) {column}: if you made this file" in capsys.readouterr().err


def test_blank_report_cells_are_counted_in_the_report(cli_model, tmp_path, capsys):
    """Blank cells in a report column silently made one-row reports; the report now says how many rows had none."""
    path = tmp_path / "mine.csv"
    path.write_text("report,text,labels\nr1,党员为老人检查线路。,elderly_care\n,公司召开会议。,none\n"
                    ",为老人检查线路。,elderly_care\n", encoding="utf-8")
    out = tmp_path / "r"
    assert main(["evaluate", "--test", str(path), "--model", cli_model, "--out", str(out), "--no-plots"]) == 0
    md = (out / "test_report.md").read_text(encoding="utf-8")
    assert "2 scored rows of mine.csv with an empty report cell: each is a report of its own" in md
    assert "2 scored rows with an empty report cell" in capsys.readouterr().err


@pytest.mark.parametrize("header, lacks", [("id,text,labels", "without the text_sha column of"),
                                           ("text,labels,text_sha", "without the id column of"),
                                           ("text,labels", "without the id and text_sha columns of")])
def test_labels_import_names_only_the_columns_a_csv_lacks(proj, tmp_path, capsys, header, lacks):
    """labels import on id,text,labels said 'without the id and text_sha columns' though id was there."""
    path = tmp_path / "mine.csv"
    cells = {"id": "r1:0", "text": "党员为老人检查线路。", "labels": "elderly_care", "text_sha": text_sha("党员为老人检查线路。")}
    path.write_text(header + "\n" + ",".join(cells[c] for c in header.split(",")) + "\n", encoding="utf-8")
    assert main(["labels", "import", str(path), "--root", str(proj)]) == 1
    err = capsys.readouterr().err
    assert lacks in err and f"python evaluate.py --test {path}" in err, err


def test_a_csv_with_text_sha_but_no_id_is_scored(cli_model, tmp_path):
    """text,labels,text_sha went to the suggestion-CSV reader and was refused for a missing id evaluate never needs."""
    path = tmp_path / "mine.csv"
    path.write_text(f"text,labels,text_sha\n党员为老人检查线路。,elderly_care,{text_sha('党员为老人检查线路。')}\n",
                    encoding="utf-8")
    assert [(e.id, e.labels) for e in load_test_file(path)] == [("mine:2", ("elderly_care",))]


def test_a_wrong_from_counts_the_data_rows_of_a_csv(tmp_path):
    """A one-row CSV given as --from doccano said '2 of its 2 rows': its header counted as a row."""
    path = tmp_path / "mine.csv"
    path.write_text("text,labels\n\"党员为老人\n检查线路。\",elderly_care\n", encoding="utf-8")  # a cell of two lines
    with pytest.raises(LabelFileError, match=r"--from doccano\), 1 of its 1 row could not be read"):
        load_test_file(path, "doccano")


def test_full_width_label_ids_are_read(tmp_path):
    """ｅｌｄｅｒｌｙ＿ｃａｒｅ (typed with a Chinese input method) was refused as an unknown id without a hint."""
    path = tmp_path / "mine.csv"
    path.write_text("text,labels\n党员为老人检查线路。,ｅｌｄｅｒｌｙ＿ｃａｒｅ；ｖｏｌｕｎｔｅｅｒ＿ｗｏｒｋ\n公司召开会议。,ＮＯＮＥ\n",
                    encoding="utf-8")
    assert [e.labels for e in load_test_file(path)] == [("elderly_care", "volunteer_work"), ()]


def test_a_refusal_is_said_in_evaluates_words_without_rewriting_the_file_text(tmp_path):
    """read_test_file turned 'imported' into 'scored' by replacing text in the message, the quoted cells too; the
    refusal now carries what was not done and is said once in the command's words."""
    path = tmp_path / "mine.csv"
    path.write_text("text,labels\n党员为老人检查线路。,nothing was imported\n", encoding="utf-8")
    with pytest.raises(LabelFileError) as exc:
        load_test_file(path)
    message = str(exc.value)
    assert "nothing was imported" in message.split("; nothing was scored")[0] and message.endswith("nothing was scored")


@settings(max_examples=40, deadline=None)
@given(head_breaks=st.integers(0, 2), blanks=st.integers(0, 2), breaks=st.integers(0, 2),
       eol=st.sampled_from(["\n", "\r\n"]), bad=st.sampled_from(["more cells", "never closed"]))
def test_a_labelstudio_csv_row_is_named_by_the_line_it_starts_on(head_breaks, blanks, breaks, eol, bad):
    """Task (one CSV reader that counts file lines itself): after blank lines a Label Studio CSV row with more cells
    than the header was named by the first blank line ("row 3 (line 6)" for line 7), and a quote never closed by the
    file's last line. Each is named by the line its row starts on, under a header of one line or more."""
    import tempfile

    gap = [""] * blanks
    wrong = {"more cells": "2,文字,volunteer_work,x,extra", "never closed": '2,"never closed'}[bad]
    lines = ['annotation_id,text,labels,"no' + eol * head_breaks + 'te"', *gap,
             '1,"段落' + eol * breaks + '文字",volunteer_work,x', *gap, wrong, "3,tail"]
    line = 1 + head_breaks + blanks + 1 + breaks + blanks + 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        path.write_text(eol.join(lines) + eol, encoding="utf-8", newline="")
        with pytest.raises(LabelFileError) as caught:
            read_annotations(path, "labelstudio")
    # on its line, and in a spreadsheet its row (the line less the breaks inside the cells above it)
    where = f"{path}:{line}{sheet_row_note(line, line - head_breaks - breaks)}"
    if bad == "more cells":
        assert f"{where}: more cells than the header" in str(caught.value)
    else:
        assert str(caught.value).startswith(f"{where}: malformed CSV (unexpected end of data)")


# --------------------------------------------------------------------------- one read of the file per command
def _calls_of(monkeypatch, name):
    """The names of the files ``tagger.common.files.<name>`` is called for from here on (its second argument)."""
    import tagger.common.files as files

    names: list[str] = []
    real = getattr(files, name)

    def counting(first, file_name, *args, **kwargs):
        names.append(file_name)
        return real(first, file_name, *args, **kwargs)

    monkeypatch.setattr(files, name, counting)
    return names


def _reads_of(monkeypatch):
    """The names of the files decoded from here on: every reader of text (whole files, streams, JSONL blocks) has
    tagger.common.files.guess_encoding tell the file's encoding first, once per opening."""
    return _calls_of(monkeypatch, "guess_encoding")


def _suggest_csv(path):
    """A filled suggestion CSV of three paragraphs of the Label Studio fixture's tasks."""
    tasks = json.loads((FIX / "labelstudio_export.json").read_text(encoding="utf-8"))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(SUGGEST_COLUMNS)
        for task in tasks[:3]:
            row = {**dict.fromkeys(SUGGEST_COLUMNS, ""), **{k: task["data"][k] for k in ("id", "report", "text",
                                                                                     "text_sha")}, "labels": "elderly_care"}
            w.writerow([row[c] for c in SUGGEST_COLUMNS])
    return path


def _hand_jsonl(path, rows=HAND):
    path.write_text("".join(json.dumps({"report": report, "paragraph": n, "text": text, "labels": labels},
                                       ensure_ascii=False) + "\n" for n, (report, text, labels) in enumerate(rows)),
                    encoding="utf-8")
    return path


def _whole_reads_of(monkeypatch):
    """The names of the files decoded whole from here on (tagger.common.files.decode_bytes, behind read_text_file)."""
    return _calls_of(monkeypatch, "decode_bytes")


def _tagged_copy(tagged, path, reviewed):
    """The ``tagged`` fixture's file as ``path`` (.jsonl or .csv), its one decision kept or not."""
    rows = [json.loads(line) for line in tagged.read_text(encoding="utf-8").splitlines()]
    rows = [{**r, "reviewed_labels": r["reviewed_labels"] if reviewed else None} for r in rows]
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        return path
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), extrasaction="ignore")
        writer.writeheader()
        writer.writerows({**r, "labels": ";".join(r["labels"]), "reviewed_labels": ";".join(r["reviewed_labels"] or [])}
                         for r in rows)
    return path


# (file, --from, exit code, openings: the head read to tell tag's file, then the reading; whole decodings). A
# reviewed file is read a second time, head and rows, to score its decisions with their reports around them
# (run._scores_in_tagged_file): 4 openings; the tagged-file reader streams a CSV as a JSONL (never decoded whole)
_READS = [("hand.csv", None, 0, 2, 1), ("hand.jsonl", None, 0, 2, 1), ("suggest.csv", None, 0, 2, 1),
          ("suggest.csv", "tagger", 0, 2, 1), ("external.jsonl", None, 0, 2, 1),
          ("labelstudio_export.json", None, 0, 1, 1), ("labelstudio_export.json", "labelstudio", 0, 1, 1),
          ("doccano_export.jsonl", None, 0, 2, 1), ("prodigy_export.jsonl", "prodigy", 0, 1, 1),
          ("reviewed.jsonl", None, 0, 4, 0), ("reviewed.jsonl", "tagger", 0, 4, 0), ("reviewed.csv", None, 0, 4, 0),
          ("tagged.jsonl", None, 1, 2, 0), ("tagged.csv", None, 1, 2, 0)]


@pytest.mark.parametrize("name, given, code, openings, whole", _READS)
def test_evaluate_reads_the_test_file_once(cli_model, tagged, tmp_path, monkeypatch, name, given, code, openings,
                                           whole):
    """evaluate --test decoded its file up to four times: to ask whether tag wrote it, whether it is a CSV made by
    hand, to tell which tool wrote it, and to read it (a filled suggestion CSV); then a tag output was decoded whole
    to ask whether tag wrote it, and again by the tagged-file reader (peak memory 507 → 647 MB on a reviewed JSONL of
    100k rows). A JSONL or CSV file is told tag's or not by its head (its first lines, read and decoded alone); then
    it is read once: a file of tag's by the tagged-file reader alone (a JSONL streamed, never decoded whole), any
    other decoded whole once and its text passed on to the reader."""
    path = tmp_path / "in" / name
    path.parent.mkdir()
    if name == "hand.csv":
        _hand_csv(path, ("report", "text", "labels"))
    elif name == "hand.jsonl":
        _hand_jsonl(path)
    elif name == "suggest.csv":
        _suggest_csv(path)
    elif name.startswith(("reviewed.", "tagged.")):
        _tagged_copy(tagged, path, reviewed=name.startswith("reviewed."))
    else:
        shutil.copy(FIX / name, path)
    reads, wholes = _reads_of(monkeypatch), _whole_reads_of(monkeypatch)
    argv = ["-q", "evaluate", "--test", str(path), *(["--from", given] if given else []), "--model", cli_model,
            "--out", str(tmp_path / "r"), "--no-plots"]
    assert main(argv) == code
    assert [n for n in reads if Path(n).name == name] == [str(path)] * openings
    assert [n for n in wholes if Path(n).name == name] == [str(path)] * whole


@pytest.mark.parametrize("name, given", [("suggest.csv", None), ("suggest.csv", "tagger"),
                                         ("labelstudio_export.json", None), ("labelstudio_export.json", "labelstudio"),
                                         ("doccano_export.jsonl", None), ("doccano_export.jsonl", "doccano")])
def test_labels_import_reads_the_file_once(proj, tmp_path, monkeypatch, name, given):
    """labels import decoded its file twice (to tell which tool wrote it, then to read it), a third time for a hint
    when --from was given; once now."""
    path = _suggest_csv(tmp_path / name) if name == "suggest.csv" else Path(shutil.copy(FIX / name, tmp_path / name))
    reads = _reads_of(monkeypatch)
    assert main(["-q", "labels", "import", str(path), *(["--from", given] if given else []), "--root", str(proj)]) == 0
    assert [n for n in reads if Path(n).name == name] == [str(path)]


def _calls_here(monkeypatch, name):
    """The file each call of ``tagger.annotation.interop.<name>`` from here on is for (the name its head, a
    ``_Head``, holds; else its second argument)."""
    import tagger.annotation.interop as interop

    names: list[str] = []
    real = getattr(interop, name)

    def counting(*args):
        head = next((a for a in args if isinstance(a, interop._Head)), None)
        names.append(Path(head.name if head is not None else args[1]).name)
        return real(*args)

    monkeypatch.setattr(interop, name, counting)
    return names


@pytest.mark.parametrize("command, name, given", [
    *((command, name, given) for command in ("import", "evaluate") for name, given in (
        ("suggest.csv", None), ("hand.csv", None), ("hand.csv", "doccano"))),
    ("import", "suggest.csv", "tagger")])  # evaluate --from tagger read it once: told no tool's, then tagger's kind
def test_a_csv_header_is_read_once_per_command(proj, tmp_path, monkeypatch, command, name, given):
    """labels import and evaluate --test read the header of a CSV three to six times (which tool wrote it, which of
    tagger's files it is, its columns, and again for each hint with --from), each time from a copy of the whole
    text: once now."""
    path = _suggest_csv(tmp_path / name) if name == "suggest.csv" else _hand_csv(tmp_path / name)
    heads = _calls_here(monkeypatch, "_csv_head")
    with contextlib.suppress(LabelFileError):  # a hand-made table is not imported; a wrong --from is refused
        import_file(path, proj, fmt=given) if command == "import" else read_test_file(path, given)
    assert heads == [name]


def test_what_a_file_given_with_a_wrong_from_looks_like_is_told_once(tmp_path, monkeypatch):
    """evaluate --test with a wrong --from told what the file looks like twice (the file sniffed again each time):
    for its records that did not read, then again for the error that named them."""
    path = tmp_path / "ls_export.json"
    path.write_text((FIX / "labelstudio_export.json").read_text(encoding="utf-8"), encoding="utf-8")
    hints = _calls_here(monkeypatch, "_looks_like")
    with pytest.raises(LabelFileError, match="this looks like a Label Studio export"):
        read_test_file(path, "doccano")
    assert hints == [path.name]


def test_the_header_of_a_large_csv_is_read_without_copying_its_text():
    """Telling a CSV by its header copied the whole text into a StringIO (four bytes a character) each time: over
    70 MB for a file of 18 million characters, for one line."""
    import tracemalloc

    text = "id,text,labels,text_sha\n" + "r:1,党员为老人检查线路。,elderly_care,0123456789abcdef\n" * 400_000
    tracemalloc.start()
    try:
        assert sniff_format(text, "big.csv") == "tagger"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < len(text) // 10, peak


# --------------------------------------------------------------------------- evaluate --test: JSON lines made by hand
_FULL_WIDTH = [("r3", "社区开展电梯加装接电服务。", "ｅｌｅｖａｔｏｒ＿ｐｏｗｅｒ＿ｈｏｏｋｕｐ；Ｖｏｌｕｎｔｅｅｒ＿ｗｏｒｋ"),
               ("r3", "台区改造完成。", "NONE")]


def test_a_hand_made_jsonl_of_report_paragraph_text_labels_is_scored_as_the_csv(cli_model, proj, tmp_path, capsys):
    """The rows of a hand-made CSV (report, paragraph, text, labels) as JSON lines were read as a tagged file and
    refused for the score_ columns they lack. They are scored as the CSV is: the same paragraphs, ids, reports and
    labels (none, an empty cell left out and counted, full-width ids), the same notes; a list of ids reads too.
    labels import says to score it with evaluate."""
    from tagger.annotation.interop import read_test_file

    rows = HAND + _FULL_WIDTH
    table = tmp_path / "mine.csv"
    with open(table, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([("report", "paragraph", "text", "labels"),
                                  *((r, n, t, lab) for n, (r, t, lab) in enumerate(rows))])
    lines = _hand_jsonl(tmp_path / "mine.jsonl", rows)
    from_csv, csv_notes = read_test_file(table)
    from_jsonl, jsonl_notes = read_test_file(lines)
    assert [(e.id, e.doc, e.text, e.labels, e.index) for e in from_jsonl] == \
        [(e.id, e.doc, e.text, e.labels, e.index) for e in from_csv]
    assert [e.labels for e in from_jsonl] == [("elderly_care", "volunteer_work"), (), ("business_connection_speed",),
                                              ("elevator_power_hookup", "volunteer_work"), ()]
    assert [n.replace("mine.jsonl", "mine.csv") for n in jsonl_notes] == csv_notes
    assert "1 row of mine.jsonl with an empty labels cell left out" in jsonl_notes[0]

    listed = tmp_path / "listed.jsonl"  # labels as a list of ids: [] is no label, as a labelled JSONL has it
    listed.write_text(json.dumps({"report": "r1", "paragraph": 0, "text": HAND[0][1], "labels": ["elderly_care"]},
                                 ensure_ascii=False) + "\n" + json.dumps({"report": "r1", "paragraph": 1, "text":
                                                                          HAND[1][1], "labels": []}, ensure_ascii=False)
                      + "\n", encoding="utf-8")
    assert [(e.id, e.labels) for e in read_test_file(listed)[0]] == [("r1:0", ("elderly_care",)), ("r1:1", ())]

    out = tmp_path / "r"
    assert main(["evaluate", "--test", str(lines), "--model", cli_model, "--out", str(out), "--no-plots"]) == 0, \
        capsys.readouterr().err
    assert json.loads((out / "test_report.json").read_text(encoding="utf-8"))["runs"][0]["metrics"]["n"] == 5
    assert main(["labels", "import", str(lines), "--root", str(proj)]) == 1
    assert f"python evaluate.py --test {lines}" in capsys.readouterr().err
    assert not (proj / IMPORTED_FILE).exists()


@pytest.mark.parametrize("extra", [{"score_elderly_care": 0.9}, dict.fromkeys(_SCORES, 0.1), {"row_type": "paragraph"},
                                   {"reviewed_labels": "none"}])
def test_tags_jsonl_output_stays_refused_as_its_csv_is(cli_model, tmp_path, capsys, extra):
    """The JSON lines tag writes (report, paragraph, text, labels with its score_ columns, row_type, a review's
    columns) are not a person's labels: refused, naming the file as tag's, as the same rows in a CSV are."""
    out = tmp_path / "r"
    said = {}
    for suffix in (".jsonl", ".csv"):
        path = tmp_path / f"tagged{suffix}"
        rows = [{"report": "r1", "paragraph": "r1:0", "kind": "body", "text": HAND[0][1], "labels": "elderly_care",
                 **extra}]
        if suffix == ".jsonl":
            path.write_text(json.dumps(rows[0], ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            with open(path, "w", encoding="utf-8", newline="") as fh:
                csv.writer(fh).writerows([list(rows[0]), list(rows[0].values())])
        assert main(["evaluate", "--test", str(path), "--model", cli_model, "--out", str(out), "--no-plots"]) == 1
        said[suffix] = capsys.readouterr().err.replace(str(path), "FILE")
        assert re.search(r"FILE: a (tagged file without its column\(s\)|file written by tagger tag and not reviewed)",
                         said[suffix]), said
        assert not out.exists()
    assert said[".jsonl"] == said[".csv"]


# --------------------------------------------------------------------------- evaluate --test: telling the files apart
def _tag_rows(tagged, keys):
    """The ``tagged`` fixture's rows with only ``keys`` kept (``jq -c '{report,paragraph,kind,text,labels}'``)."""
    rows = [json.loads(line) for line in tagged.read_text(encoding="utf-8").splitlines()]
    return "".join(json.dumps({k: r[k] for k in keys if k in r}, ensure_ascii=False) + "\n" for r in rows
                   if r.get("row_type", "paragraph") == "paragraph")


@pytest.mark.parametrize("keys", [("report", "paragraph", "kind", "text", "labels"),
                                  ("report", "paragraph", "text", "labels"), ("report", "kind", "paragraph", "labels",
                                                                              "text", "evidence")])
def test_tags_jsonl_with_its_scores_trimmed_away_is_not_scored_as_a_persons_labels(tagged, tmp_path, keys):
    """Tag's JSONL output with its score_ keys trimmed away (jq) was scored as a person's labels: micro-F1 1.000
    against itself, without a word (the model's own labels). Its rows are tag's (labels a list with tag's kind key or
    its paragraph ids <report>:<n>): it is refused, naming the columns it lacks, as before JSON lines made by hand were
    read."""
    trimmed = tmp_path / "trimmed.jsonl"
    trimmed.write_text(_tag_rows(tagged, keys), encoding="utf-8")
    for fmt in (None, "tagger"):
        with pytest.raises(InputError, match=r"trimmed\.jsonl: a tagged file without its column\(s\) score_"):
            load_test_file(trimmed, fmt)
    # the rows a person writes are told from tag's by what tag never writes: labels as a label cell, a paragraph
    # number, an id of their own (a numeric id too)
    rows = [{"report": "r1", "paragraph": "r1:0", "text": "党员志愿者走进敬老院。", "labels": "elderly_care"},
            {"report": "r1", "paragraph": 1, "text": "公司召开会议。", "labels": ["none"]},
            {"id": 7, "report": "r2", "paragraph": "r2:0", "text": "供电公司开辟绿色通道。", "labels": []}]
    for n, row in enumerate(rows):
        path = tmp_path / f"hand{n}.jsonl"
        path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
        assert [e.text for e in load_test_file(path)] == [row["text"]]


def test_a_jsonl_read_from_its_text_splits_lines_as_one_read_from_its_path(tmp_path):
    """evaluate --test read a JSONL file's decoded text, where a lone CR had become a line break: a CR-only file
    was scored while load_jsonl(path) refused it, and a raw CR inside a JSON string gave two errors whose line numbers
    were not grep -n's. The text is split as the file is: at \\n alone."""
    from tagger.data.examples import load_jsonl

    rows = [{"id": f"a:{i}", "doc": "a", "text": t, "labels": []} for i, t in enumerate(["甲。", "乙。"])]
    cr_only = tmp_path / "cr.jsonl"
    cr_only.write_bytes("\r".join(json.dumps(r, ensure_ascii=False) for r in rows).encode() + b"\r")
    in_string = tmp_path / "in_string.jsonl"
    in_string.write_bytes((json.dumps(rows[0], ensure_ascii=False) + "\n" + json.dumps(rows[1], ensure_ascii=False)
                           .replace("乙", "乙\r") + "\n").encode())
    for path in (cr_only, in_string):
        with pytest.raises(LabelFileError) as by_path:
            load_jsonl(path)
        with pytest.raises(LabelFileError) as by_test:
            load_test_file(path)
        assert str(by_test.value) == str(by_path.value)
    assert "in_string.jsonl:2:" in str(by_test.value) and ":3:" not in str(by_test.value)
    hand = tmp_path / "hand.jsonl"  # JSON lines made by hand: the same rule, one error on the line grep -n shows
    hand.write_bytes(b'{"report": "r", "text": "a\rb", "labels": "none"}\r\n{"report": "r", "text": "c", '
                     b'"labels": "none"}\r\n')
    with pytest.raises(LabelFileError, match=r"hand\.jsonl:1: not valid JSON") as bad:
        load_test_file(hand)
    assert "hand.jsonl:2" not in str(bad.value)


@given(st.lists(st.sampled_from(["甲", "\r", "\n", "\r\n", " ", '"']), max_size=12))
def test_text_lines_split_as_a_file_read_in_binary(parts):
    from tagger.common.files import text_lines

    text = "".join(parts)
    assert list(text_lines(text)) == [line.rstrip(b"\n").decode() for line in io.BytesIO(text.encode())]


def test_key_case_is_one_rule_with_or_without_from(tmp_path):
    """JSON lines of Report, Paragraph, Text and Labels were scored with --from tagger, while without --from the same
    file got 'cannot tell which tool wrote this file': keys are read in any case (as a CSV's header is)."""
    path = tmp_path / "caps.jsonl"
    path.write_text("".join(json.dumps({"Report": r, "Paragraph": n, "Text": t, "Labels": lab}, ensure_ascii=False)
                            + "\n" for n, (r, t, lab) in enumerate(HAND)), encoding="utf-8")
    assert sniff_format(path.read_text(encoding="utf-8")) == "tagger"
    ids = [(e.id, e.labels) for e in load_test_file(path)]
    assert ids == [(e.id, e.labels) for e in load_test_file(path, "tagger")] == [
        ("r1:0", ("elderly_care", "volunteer_work")), ("r1:1", ()), ("r2:2", ("business_connection_speed",))]


def test_a_list_of_blank_labels_is_not_labelled_like_an_empty_cell(tmp_path):
    """"labels": [""] was scored as a decided 'no label' while "" means 'not labelled': a list of blanks only is an
    empty cell (left out and counted)."""
    path = tmp_path / "blank.jsonl"
    rows = [("r1", "甲。", "none"), ("r1", "乙。", [""]), ("r1", "丙。", [" ", ""]), ("r1", "丁。", [])]
    path.write_text("".join(json.dumps({"report": r, "text": t, "labels": lab}, ensure_ascii=False) + "\n"
                            for r, t, lab in rows), encoding="utf-8")
    examples, notes = read_test_file(path)
    assert [(e.text, e.labels) for e in examples] == [("甲。", ()), ("丁。", ())]
    assert any(n.startswith("2 rows of blank.jsonl with an empty labels cell left out") for n in notes)


def test_json_list_and_numeric_id_detection_is_coherent(tmp_path):
    """A JSON list of rows with labels, report and a numeric id (no Label Studio field) was taken for a file of
    tagger's own and refused without a --from hint; JSON lines of such rows (a numeric id of a person's) are scored
    as a table made by hand, and the --from labelstudio hint called them 'tagger's own' files. A JSON list (never a
    file of ours) with a numeric id is doccano's, as its 1.x export; its labels as Label Studio JSON-MIN's
    {"choices": [...]} make it Label Studio's; the hint says what a file looks like."""
    rows = [{"id": n, "report": "r1", "text": t, "labels": lab} for n, (_, t, lab) in enumerate(HAND[:3])]
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([{**r, "labels": r["labels"].split(";") if r["labels"] != "none" else []}
                                  for r in rows], ensure_ascii=False), encoding="utf-8")
    assert sniff_format(listed.read_text(encoding="utf-8")) == "doccano"
    assert [e.labels for e in load_test_file(listed)] == [("elderly_care", "volunteer_work"), (),
                                                          ("business_connection_speed",)]
    choices = tmp_path / "min.json"
    choices.write_text(json.dumps([{**r, "labels": {"choices": ["elderly_care", "volunteer_work"]}} for r in rows[:1]],
                                  ensure_ascii=False), encoding="utf-8")
    assert sniff_format(choices.read_text(encoding="utf-8")) == "labelstudio"
    with pytest.raises(LabelFileError, match=r"a JSON list, neither a CSV nor a labelled JSONL file .*; an annotation "
                                             r"tool's export is read with --from labelstudio\|doccano\|prodigy"):
        load_test_file(tmp_path / _write(tmp_path / "nolist.json", '[{"text": "甲。", "labels": []}]'), "tagger")
    lines = tmp_path / "lines.jsonl"
    lines.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert [e.id for e in load_test_file(lines)] == ["0", "1", "2"]
    with pytest.raises(LabelFileError) as hint:
        load_test_file(lines, "labelstudio")
    assert "this looks like a table of labelled paragraphs made by hand (text and labels, to score with python " \
           "evaluate.py --test): drop --from or use --from tagger" in str(hint.value)
    assert "tagger's own" not in str(hint.value)


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path.name


def test_the_sniff_message_says_what_the_csv_lacks_first():
    """The reworded message buried 'this one has no labels column' after the advice, in brackets nested to 'id))'."""
    with pytest.raises(LabelFileError) as exc:
        sniff_format("text,comment\n甲。,x\n", "f.csv")
    message = str(exc.value)
    assert "CSV/JSONL; this one has no labels column: a CSV of labelled paragraphs needs a text and a labels column (" \
           in message
    assert "))" not in message and message.endswith("; pass --from labelstudio|doccano|prodigy|tagger")


def test_a_bom_at_the_start_of_a_later_line_of_tags_jsonl_is_no_traceback(tagged, cli_model, tmp_path):
    """A tagged JSONL whose first row is a summary row and whose next line starts with a BOM (files joined with cat)
    crashed evaluate --test with a traceback (JSONDecodeError: Unexpected UTF-8 BOM, telling tag's file by its head).
    Such a line is read as the JSONL readers read it, a BOM of its own: the file is tag's, its decisions scored."""
    out = tmp_path / "summary.jsonl"
    assert main(["-q", "tag", str(tagged.parent / "incoming"), "--model", cli_model, "--summary", "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row.get("paragraph") == "new_1:2":
            row["reviewed_labels"] = ["old_neighbourhood_retrofit"]
    summary = [r for r in rows if r.get("row_type") != "paragraph"]
    lines = [json.dumps(r, ensure_ascii=False) for r in summary + [r for r in rows if r not in summary]]
    assert len(summary) >= 2 and summary[0]["row_type"] in ("report", "corpus")
    joined = tmp_path / "joined.jsonl"
    joined.write_text(lines[0] + "\n\ufeff" + "\n".join(lines[1:]) + "\n", encoding="utf-8")
    assert [(e.id, e.source) for e in load_test_file(joined)] == [("new_1:2", "reviewed")]


# --------------------------------------------------------------------------- after the csvlines and evalio merges
def test_a_hand_made_csvs_fallback_ids_are_the_spreadsheet_rows_messages_name(tmp_path):
    """A CSV of text and labels without an id column, with a blank line and a line break inside a cell: its last row
    got the id mine:3 (rows read counted) while messages called it mine.csv:5 (row 4 in a spreadsheet) and Excel
    shows row 4. The id is the spreadsheet row, as messages and Excel name the row."""
    path = tmp_path / "mine.csv"
    path.write_bytes('text,labels\n\n"多行\n文本，为老人检查线路。",elderly_care\n志愿者开展义务维修。,nope\n'.encode())
    with pytest.raises(LabelFileError, match=re.escape("mine.csv:5 (row 4 in a spreadsheet): unknown label id")):
        load_test_file(path)
    path.write_bytes('text,labels\n\n"多行\n文本，为老人检查线路。",elderly_care\n志愿者开展义务维修。,volunteer_work\n'
                     .encode())
    assert [e.id for e in load_test_file(path)] == ["mine:3", "mine:4"]
    with pytest.raises(LabelFileError, match="without the id and text_sha columns"):  # import stores none of them
        import_file(path, tmp_path)


@pytest.mark.parametrize("kind_and_id", [("body", "r2:0"), ("body", "0"), ("heading", "r2:0")])
def test_tags_csv_with_its_scores_deleted_is_refused_as_its_jsonl_is(tmp_path, kind_and_id):
    """Tag's CSV with its score columns deleted (report,paragraph,kind,text,labels, ids r2:0) was scored by
    evaluate --test as a CSV made by hand (the model measured against its own labels), while the same rows as JSON
    lines were refused as tag's. Tag's kind column, and no id, tells both."""
    kind, pid = kind_and_id
    row = {"report": "r2", "paragraph": pid, "kind": kind, "text": "供电所为独居老人更换老化电线。", "labels": "elderly_care"}
    as_csv = tmp_path / "trimmed.csv"
    with open(as_csv, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([list(row), list(row.values())])
    as_jsonl = tmp_path / "trimmed.jsonl"
    as_jsonl.write_text(json.dumps({**row, "labels": ["elderly_care"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    said = []
    for path in (as_csv, as_jsonl):
        with pytest.raises(InputError, match=r"a tagged file without its column\(s\) score_") as refused:
            load_test_file(path)
        said.append(str(refused.value).replace(path.name, "FILE"))
        with pytest.raises(LabelFileError, match=r"a tagged file without its column\(s\) score_|written by tagger tag"):
            import_file(path, tmp_path)
    assert said[0].split(" Read as tag's ")[0] == said[1].split(" Read as tag's ")[0]
    assert said[0].endswith(f"Read as tag's by its kind column ({kind!r} in its first row, as tag writes it): if you "
                            "made this file by hand, drop or rename kind, or add an id column"), said[0]
    with open(as_csv, "w", encoding="utf-8", newline="") as fh:  # an id column of its own: made by hand
        csv.writer(fh).writerows([["id", *row], ["a1", *row.values()]])
    assert [e.id for e in load_test_file(as_csv)] == ["a1"]


def test_a_hand_made_csv_may_name_its_paragraphs_report_colon_n(tmp_path):
    """The table's advice lets a hand-made CSV name its paragraphs <report>:<n>; without tag's kind column such a
    table is scored, not refused as tag's trimmed output (its JSON lines, labels as a list, are tag's)."""
    path = tmp_path / "mine.csv"
    path.write_text("report,paragraph,text,labels\nr2,r2:0,供电所为独居老人更换老化电线。,elderly_care\n", encoding="utf-8")
    assert [(e.id, e.labels) for e in load_test_file(path)] == [("r2:0", ("elderly_care",))]


@pytest.mark.parametrize("fmt", ["doccano", "prodigy"])
def test_doccano_and_prodigy_lines_are_split_as_every_jsonl_file_is(tmp_path, fmt):
    """doccano and Prodigy JSONL were split at a lone CR (the text's CRs turned into line breaks): a raw CR inside a
    string gave two errors and a line 3 the file does not have. Their lines are split at \\n alone, as load_jsonl
    splits a labelled JSONL: one error, on the line grep -n shows."""
    rows = [{"text": "为老人\r检查线路。", "label": ["elderly_care"]}, {"text": "志愿者维修。", "label": ["volunteer_work"]}]
    if fmt == "prodigy":
        rows = [{"text": r["text"], "accept": r["label"], "answer": "accept"} for r in rows]
    path = tmp_path / "export.jsonl"
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False).replace("\\r", "\r") + "\r\n" for r in rows).encode())
    with pytest.raises(LabelFileError) as bad:
        load_test_file(path, fmt)
    assert "export.jsonl:1: not valid JSON" in str(bad.value) and "export.jsonl:2" not in str(bad.value), bad.value
    with pytest.raises(LabelFileError) as bad:  # the import also refuses line 2, a task tagger did not export
        import_file(path, tmp_path, fmt=fmt)
    said = str(bad.value)
    assert "2 problems" in said
    assert said.index("export.jsonl:1: not valid JSON") < said.index("export.jsonl:2: no paragraph id"), said
    assert "export.jsonl:3" not in said, said


def test_a_hand_made_jsonl_names_its_lines_as_others_and_in_line_order(tmp_path):
    """JSON lines of labelled paragraphs made by hand named a row 'handtable.jsonl, line 2' where every other reader
    says 'file:2', and their problems came out of line order (lines that are no JSON before bad labels). One style,
    in line order, for the CSV too."""
    path = tmp_path / "hand.jsonl"
    path.write_text('{"report": "r", "text": "甲。", "labels": "none"}\n{"report": "r", "text": "乙。", "labels": "nope"}\n'
                    '{"report": "r", "text": \n', encoding="utf-8")
    with pytest.raises(LabelFileError) as bad:
        load_test_file(path)
    said = str(bad.value)
    assert "hand.jsonl, line" not in said, said
    assert said.index("hand.jsonl:2: unknown label") < said.index("hand.jsonl:3: not valid JSON"), said
    table = tmp_path / "hand.csv"
    table.write_text("text,labels\n甲。,nope\n乙。,none,多\n", encoding="utf-8")
    with pytest.raises(LabelFileError) as bad:
        load_test_file(table)
    said = str(bad.value)
    assert said.index("hand.csv:2: unknown label") < said.index("hand.csv:3: more cells"), said


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_format_detection_reads_the_header_as_the_readers_do(tmp_path, newline):
    """A header name holding a line break (text,labels,"备\\n注") got 'cannot tell which tool wrote this file'
    (detection read the first line, the reader reads the header whole); a blank first line was skipped by detection
    and read as the header by the reader ('the header names no column'). One header reading for both."""
    path = tmp_path / "notes.csv"
    path.write_bytes(newline.join(['text,labels,"备', '注"', "党员为老人检查线路。,elderly_care,x", ""]).encode())
    assert sniff_format(path.read_text(encoding="utf-8")) == "tagger"
    assert [(e.id, e.labels) for e in load_test_file(path)] == [("notes:2", ("elderly_care",))]
    blank = tmp_path / "blank.csv"
    blank.write_bytes(newline.join(["", "text,labels", "党员为老人检查线路。,elderly_care", ""]).encode())
    for fmt in (None, "tagger"):
        with pytest.raises(LabelFileError, match="names no column") as bad:
            load_test_file(blank, fmt)
    assert "cannot tell which tool" not in str(bad.value)


def test_test_file_notes_group_their_counts(tmp_path, caplog):
    """'2000 row(s) of big.csv …' in the notes of evaluate --test: counts grouped by thousands and said in the
    singular or plural, as every other count."""
    path = tmp_path / "big.csv"
    path.write_text("text,labels\n" + "".join(f"段落{n}。,\n" for n in range(2000)) + "党员为老人检查线路。,none\n",
                    encoding="utf-8")
    examples, notes = read_test_file(path)
    assert notes[0].startswith("2,000 rows of big.csv with an empty labels cell left out"), notes
    assert "2,000 rows with an empty labels cell" in caplog.text


# --------------------------------------------------------------------------- readmsg: label-file messages
@pytest.mark.parametrize("header, row", [
    (["report", " paragraph", " kind", " text", " labels"],
     ["r1", " r1:0", " body", " 党员志愿者走进敬老院。", " elderly_care"]),
    (["text", "labels", "kind"], ["党员志愿者走进敬老院。", "elderly_care", "heading"])])
def test_tags_trimmed_csv_is_refused_naming_its_kind_column(cli_model, tmp_path, capsys, header, row):
    """Tag's CSV told by its kind column was refused for another reason: "Read as tag's by its column(s) report,
    paragraph, labels: ... rename or drop them" (a table with those columns and no kind is scored), or, without report
    and paragraph, "not a tagged file: ... write one with tagger tag". Both commands now name the kind column and its
    first row's value, and say what makes the file a table of yours."""
    path = tmp_path / "mine.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, [], row])
    kind = row[[h.strip() for h in header].index("kind")].strip()
    said = (f"Read as tag's by its kind column ({kind!r} in its first row, as tag "
            "writes it): if you made this file by hand, drop or rename kind, or add an id column")
    scored = ["evaluate", "--test", str(path), "--model", cli_model, "--no-plots", "--out", str(tmp_path / "o")]
    for command in (["labels", "import", str(path), "--root", str(tmp_path), "--dry-run"], scored):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert f"{path}: a tagged file without its column(s) " in err and said in err, err
        assert "not a tagged file" not in err and "rename or drop them" not in err, err


CR_ENDS = "its lines end with a carriage return alone (CR, an old Mac format): save it with LF line ends"


def test_tags_jsonl_saved_with_lone_crs_is_named_tags_file(tagged, proj, cli_model, tmp_path, capsys):
    """Tag's JSONL saved with CR-only line ends was called "a labelled JSONL file ... score it with python evaluate.py
    --test" by labels import (its head read split at \\n alone, as one line that is no JSON), advice that then failed.
    It is named tag's file, as the same file with LF ends is; its reader then says how its lines end."""
    path = tmp_path / "tagged_cr.jsonl"
    path.write_bytes(tagged.read_bytes().replace(b"\n", b"\r"))
    assert main(["labels", "import", str(path), "--root", str(proj), "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert f"{path}: a file written by tagger tag; its reviewed paragraphs are imported with: tagger review" in err, err
    assert "labelled JSONL" not in err, err
    for command in (["evaluate", "--test", str(path), "--model", cli_model, "--no-plots", "--out", str(tmp_path / "o")],
                    ["review", str(path), "--export", "--root", str(proj)]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert f"{path}:1: not valid JSON (Extra data): {CR_ENDS}" in err, err


def test_a_hand_made_jsonl_table_saved_with_lone_crs_says_nothing_was_scored(tmp_path):
    """JSON lines of labelled paragraphs made by hand (report, paragraph as a number, labels as a cell) saved with
    CR-only line ends were read as a labelled JSONL (their head split at \\n alone): the refusal lost "; nothing was
    scored" and never said how the lines end. Told a table as with LF ends; its reader names the line ends."""
    path = tmp_path / "mine.jsonl"
    path.write_bytes("".join(json.dumps({"report": r, "paragraph": n, "text": t, "labels": lab}, ensure_ascii=False)
                             + "\r" for n, (r, t, lab) in enumerate(HAND)).encode())
    with pytest.raises(LabelFileError) as refused:
        load_test_file(path)
    assert str(refused.value) == (f"{path}:1: not valid JSON (Extra data): {CR_ENDS}; one JSON object per line; "
                                  "nothing was scored"), refused.value


@pytest.mark.parametrize("fmt", ["doccano", "prodigy", "tagger"])
def test_jsonl_saved_with_lone_crs_is_refused_saying_so(tmp_path, fmt):
    """A doccano, Prodigy or labelled JSONL file saved with CR-only line ends was refused with "line 1: not valid JSON
    (Extra data)" and no hint why. The refusal says its lines end with a lone CR and how to save it."""
    rows = [{"text": t, "label": lab.split(";") if lab else []} for _, t, lab in HAND[:2]]
    if fmt == "prodigy":
        rows = [{"text": r["text"], "accept": r["label"], "answer": "accept"} for r in rows]
    if fmt == "tagger":
        rows = [{"text": r["text"], "labels": r["label"]} for r in rows]
    path = tmp_path / "export.jsonl"
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\r" for r in rows).encode())
    with pytest.raises(LabelFileError, match=re.escape(f"{path}:1: not valid JSON (Extra data): {CR_ENDS}")):
        load_test_file(path)
    if fmt != "tagger":  # labels import reads no labelled JSONL (told by its first line, as with LF ends)
        with pytest.raises(LabelFileError, match=re.escape(f"{path}:1: not valid JSON (Extra data): {CR_ENDS}")):
            import_file(path, tmp_path)
    line = json.dumps({**rows[0], "text": "为老人\r检查线路。"}, ensure_ascii=False).replace("\\r", "\r")
    path.write_bytes((line + "\n").encode())  # a CR inside a string: the JSON error, no such hint
    with pytest.raises(LabelFileError, match="not valid JSON") as refused:
        load_test_file(path, fmt)
    assert "carriage return" not in str(refused.value), refused.value


# --------------------------------------------------------------------------- white space before a file's JSON
_UNICODE_BLANK = [chr(c) for c in range(0x3001) if chr(c).isspace()] + ["\ufeff"]


@pytest.mark.parametrize("lead", ["\u3000", "\xa0", "\x0c", "\ufeff\u3000\r\n\t"])
def test_an_export_with_unicode_white_space_before_its_json_is_read(proj, tmp_path, capsys, lead):
    """A Label Studio export with an ideographic space, a no-break space or a form feed before its '[' was told as
    JSON (its first character that is no white space) and then refused by the JSON parser: 'not valid JSON
    (Expecting value at line 1, column 1)'; with a wrong --from the hint said 'use --from labelstudio', which failed
    the same way. White space is one rule: the file is read as it looks."""
    export = (FIX / "labelstudio_export.json").read_text(encoding="utf-8")
    (tmp_path / "plain").mkdir()
    path, plain = tmp_path / "ls.json", tmp_path / "plain" / "ls.json"
    path.write_text(lead + export + lead, encoding="utf-8")
    plain.write_text(export, encoding="utf-8")
    assert main(["labels", "import", str(path), "--dry-run", "--root", str(proj)]) == 0, capsys.readouterr().err
    assert main(["labels", "import", str(path), "--from", "labelstudio", "--dry-run", "--root", str(proj)]) == 0
    assert main(["labels", "import", str(path), "--from", "doccano", "--dry-run", "--root", str(proj)]) == 1
    assert "use --from labelstudio" in capsys.readouterr().err
    assert read_test_file(path) == read_test_file(plain)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lead=st.text(st.sampled_from([c for c in _UNICODE_BLANK if c != "\n"]), min_size=1, max_size=4),  # a line
       # feed moves the lines below it, and the line numbers that name rows with them
       fixture=st.sampled_from(["labelstudio_export.json", "labelstudio_min.json", "doccano_export.jsonl",
                                "prodigy_export.jsonl", "external.jsonl"]))
def test_any_white_space_before_a_files_first_character_is_read_as_white_space(tmp_path, lead, fixture):
    """The file's first character is told (JSON or not) and its JSON parsed by the same rule of white space: what
    evaluate --test reads (read_test_file) of a file with any Unicode white space before it is the file's own."""
    text = (FIX / fixture).read_text(encoding="utf-8")
    (tmp_path / "lead").mkdir(exist_ok=True)
    (tmp_path / "plain").mkdir(exist_ok=True)
    path, plain = tmp_path / "lead" / fixture, tmp_path / "plain" / fixture
    path.write_text(lead + text, encoding="utf-8", newline="")
    plain.write_text(text, encoding="utf-8", newline="")
    assert read_test_file(path) == read_test_file(plain)
    assert sniff_format(lead + text) == sniff_format(text)


@pytest.mark.parametrize("header", ["text,label\n", "text,labels\n", "\ufefftext,label\r\n\r\n"])
@pytest.mark.parametrize("given, what", [("doccano", "a doccano export (--from doccano), the file has no rows"),
                                         ("prodigy", "a Prodigy db-out file (--from prodigy), the file has no examples")])
def test_a_csv_header_alone_read_as_json_lines_is_said_to_have_no_rows(proj, tmp_path, capsys, header, given, what):
    """--from doccano on a CSV of a header alone said '0 of its 0 rows could not be read': it says the file has none."""
    path = tmp_path / "h.csv"
    path.write_text(header, encoding="utf-8", newline="")
    assert main(["labels", "import", str(path), "--from", given, "--dry-run", "--root", str(proj)]) == 1
    err = capsys.readouterr().err
    assert f"error: {path}: read as {what}: it holds a CSV header alone; " in err and "0 of its 0" not in err
    with pytest.raises(LabelFileError, match=re.escape(f"{path}: read as {what}: it holds a CSV header alone; ")):
        read_test_file(path, given)


@pytest.mark.parametrize("content", ["", "\ufeff", " \r\n", "\ufeff\u3000\n"])
@pytest.mark.parametrize("name", ["e.csv", "e.jsonl"])
def test_an_empty_file_read_from_tagger_is_said_to_be_empty(tmp_path, content, name):
    """evaluate --test --from tagger on an empty or BOM-only file said 'no text and no labels column (the header names
    no column)': it says the file is empty, as it does when the format is told from the content."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    for fmt in ("tagger", None):
        with pytest.raises(LabelFileError, match=f"^{re.escape(str(path))}: the file is empty$"):
            read_test_file(path, fmt)


@pytest.mark.parametrize("header", ["text\n", "\ufefftext\r\n\r\n", "paragraph\n", "文本\n"])
@pytest.mark.parametrize("given, what", [
    ("doccano", "a doccano export (--from doccano), the file has no rows"),
    ("prodigy", "a Prodigy db-out file (--from prodigy), the file has no examples")])
def test_a_one_column_csv_header_alone_read_as_json_lines_is_said_to_have_no_rows(proj, tmp_path, capsys,
                                                                                  header, given, what):
    """text,label got "it holds a CSV header alone" only through the hint a doccano CSV header gives: a header
    of one column (text) said "h.csv:1: not valid JSON (Expecting value)". A CSV with rows is still named line
    by line, and a line that is no CSV either as no JSON."""
    path = tmp_path / "h.csv"
    path.write_text(header, encoding="utf-8", newline="")
    assert main(["labels", "import", str(path), "--from", given, "--dry-run", "--root", str(proj)]) == 1
    err = capsys.readouterr().err
    assert f"error: {path}: read as {what}: it holds a CSV header alone; nothing was imported" in err, err
    assert "not valid JSON" not in err
    for text, said in [("text\n老人\n", f"{path}:2: not valid JSON"), ('"x\n', f"{path}:1: not valid JSON")]:
        path.write_text(text, encoding="utf-8")
        assert main(["labels", "import", str(path), "--from", given, "--dry-run", "--root", str(proj)]) == 1
        assert said in capsys.readouterr().err

@settings(max_examples=60, deadline=None)
@given(blank=st.text(st.sampled_from(_UNICODE_BLANK), min_size=1, max_size=4))
def test_a_jsonl_line_of_white_space_in_any_order_is_blank(blank):
    """_parse_lines took a BOM off the line's start and then str.strip(): "\\ufeff\\u3000" was blank but
    "\\u3000\\ufeff" "not valid JSON". A line is blank by the one rule load_json reads white space by."""
    from tagger.common.files import parse_json_lines

    assert list(parse_json_lines(['{"a": 1}', blank, blank + '{"a": 2}' + blank])) == [
        (1, {"a": 1}, None), (3, {"a": 2}, None)]


# --------------------------------------------------------------------------- several annotators on one paragraph
def _two_annotators(tasks, pid, first, second, ground_truth=None):
    """``tasks`` (Label Studio's export) with ``pid`` decided by two annotators: user 1 chose ``first`` at 10:00,
    user 2 chose ``second`` at 09:00 (``ground_truth``: the one of them, 1 or 2, marked as ground truth)."""
    for task in tasks:
        if task["data"]["paragraph"] == pid:
            a = _annotation(9001, first, "2024-06-03T10:00:00.000000Z")
            b = dict(_annotation(9002, second, "2024-06-03T09:00:00.000000Z"), completed_by=2)
            a["ground_truth"], b["ground_truth"] = ground_truth == 1, ground_truth == 2
            task["annotations"] = [a, b]
    return tasks


def test_conflicting_decisions_of_two_annotators_are_refused_not_one_kept(tagged, proj, cli_model, tmp_path, capsys):
    """Review: a task two annotators decided differently (user 1: elderly_care at 10:00, user 2: volunteer_work at
    09:00) was imported and scored with the later decision, saying only "1 paragraph had several decisions … the
    latest of each was kept": the other annotator's decision was lost unseen. Now the file is refused, the paragraph
    named with each annotator's labels and where they are, with what to do; --keep-latest keeps the latest."""
    out = tmp_path / "tasks.json"
    assert main(["-q", "labels", "export", str(tagged), "--to", "labelstudio", "-o", str(out), "--model", cli_model]) == 0
    tasks = _two_annotators(_annotate_in_labelstudio(json.loads(out.read_text(encoding="utf-8"))), "new_2:1",
                            ["elderly_care"], ["volunteer_work"])
    export = tmp_path / "project-2.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    for argv in (["labels", "import", str(export), "--root", str(proj)],
                 ["evaluate", "--test", str(export), "--model", cli_model, "--out", str(tmp_path / "ev"), "--no-plots"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert re.search(r"project-2\.json, task 5 \(Label Studio id 105\), annotation 1 and annotation 2: paragraph "
                         r"'new_2:1': 2 annotators decided it differently: 'user 1' chose elderly_care, 'user 2' chose "
                         r"volunteer_work\. Settle each", err), err
        assert "--keep-latest" in err and "ground truth" in err and "Traceback" not in err
    assert not (proj / "labels" / "imported.jsonl").exists() and not (tmp_path / "ev" / "test_report.json").exists()
    assert main(["labels", "import", str(export), "--root", str(proj), "--keep-latest"]) == 0
    printed = capsys.readouterr().out
    assert "1 paragraph decided differently by several annotators in project-2.json: the latest decision" in printed
    assert "1 paragraph had several decisions by one annotator" in printed  # new_1:1: one annotator revising
    assert _imported(proj)["new_2:1"]["labels"] == ["elderly_care"]  # 10:00, the latest
    assert main(["-q", "evaluate", "--test", str(export), "--model", cli_model, "--out", str(tmp_path / "ev"),
                 "--no-plots", "--keep-latest"]) == 0
    assert main(["-q", "evaluate", "--keep-latest", "--out", str(tmp_path / "full")]) == 2  # --test FILE only


@pytest.mark.parametrize("truth", [None, 2])
def test_two_annotators_who_agree_or_settled_in_the_tool_are_imported(tagged, proj, cli_model, tmp_path, capsys,
                                                                     truth):
    out = tmp_path / "tasks.json"
    assert main(["-q", "labels", "export", str(tagged), "--to", "labelstudio", "-o", str(out), "--model", cli_model]) == 0
    second = ["elevator_power_hookup"] if truth is None else ["volunteer_work"]
    tasks = _two_annotators(_annotate_in_labelstudio(json.loads(out.read_text(encoding="utf-8"))), "new_2:1",
                            ["elevator_power_hookup"], second, truth)
    export = tmp_path / "project-3.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    assert main(["labels", "import", str(export), "--root", str(proj)]) == 0
    printed = capsys.readouterr().out
    if truth is None:
        assert "1 paragraph decided by several annotators in project-3.json: they agree on each" in printed
        assert _imported(proj)["new_2:1"]["labels"] == ["elevator_power_hookup"]
    else:
        assert "the decision marked ground truth was kept" in printed
        assert _imported(proj)["new_2:1"]["labels"] == ["volunteer_work"]  # user 2's, at 09:00: the settled one


@pytest.mark.parametrize("variant", ["json-min", "csv"])
def test_labelstudio_flat_exports_name_their_annotators(tagged, cli_model, tmp_path, variant):
    out = tmp_path / "tasks.json"
    assert main(["-q", "labels", "export", str(tagged), "--to", "labelstudio", "-o", str(out), "--model", cli_model]) == 0
    tasks = _two_annotators(_annotate_in_labelstudio(json.loads(out.read_text(encoding="utf-8"))), "new_2:1",
                            ["elderly_care"], ["volunteer_work"])
    rows = _json_min(tasks)
    for row in rows:
        if row["annotation_id"] == 9002:
            row["annotator"] = 2
    export = tmp_path / ("export.json" if variant == "json-min" else "export.csv")
    export.write_text(json.dumps(rows, ensure_ascii=False) if variant == "json-min" else _ls_csv(rows), encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"paragraph 'new_2:1': 2 annotators decided it differently: 'user 1' "
                                             r"chose elderly_care, 'user 2' chose volunteer_work"):
        read_annotations(export)
    kept = {a.id: a.labels for a in read_annotations(export, keep_latest=True).annotations}
    assert kept["new_2:1"] == ("elderly_care",)


def _prodigy_decisions(tmp_path, *decisions, ids=False):
    """A ``prodigy db-out`` file of one task, decided as ``decisions``: ``(session, accept, time stamp)`` each (session
    ``None``: a line without ``_annotator_id``/``_session_id``); ``ids``: the task tagger exported (our ids in its
    ``meta``), else one made in Prodigy (keyed by its ``_input_hash``)."""
    lines = [json.loads(line) for line in (FIX / "prodigy_export.jsonl").read_text(encoding="utf-8").splitlines()]
    base = {k: v for k, v in lines[0].items() if k not in ("_annotator_id", "_session_id") and (ids or k != "meta")}
    path = tmp_path / "db-out.jsonl"
    path.write_text("".join(json.dumps({**base, "answer": "accept", "accept": accept, "_timestamp": when,
                                        **({"_annotator_id": who, "_session_id": who} if who else {})},
                                       ensure_ascii=False) + "\n" for who, accept, when in decisions),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("first, second", [("round1-default", "round2-default"),  # after prodigy db-merge
                                           ("2019-03-11_15-15-44", "2019-03-12_09-00-00"),  # older Prodigy
                                           ("news-alice", "news-bob")])  # named sessions: a session is still no person
def test_prodigy_sessions_that_differ_keep_the_latest_with_a_warning(tmp_path, proj, caplog, first, second):
    """Review: a Prodigy ``_annotator_id``/``_session_id`` names a session (the server's start time, or
    ``<dataset>-default``), not a person: one annotator revising in a later session was refused as "2 annotators
    decided it differently", the whole file with it, and the message named the file twice ("db-out.jsonl:1 and
    …/db-out.jsonl:2"). Now the latest decision is kept, and a warning names the paragraph, its sessions and labels."""
    path = _prodigy_decisions(tmp_path, (first, ["elderly_care"], 1717401600), (second, ["volunteer_work"], 1717405200),
                              ids=True)
    with caplog.at_level(logging.WARNING, logger="tagger"):
        parsed = read_annotations(path, "prodigy")
    assert [a.labels for a in parsed.annotations] == [("volunteer_work",)]
    said = (f"{path}:1 and 2: paragraph 'pgfix:0': 2 Prodigy sessions decided it differently: '{first}' chose "
            f"elderly_care, '{second}' chose volunteer_work; kept: line 2 (session '{second}': the latest time stamp)")
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}: 1 paragraph decided differently in several Prodigy sessions: the latest decision of each was kept (a "
        "Prodigy session is not a person: one annotator revising in a later session is another one); if the sessions "
        f"were different annotators, settle it with prodigy review into a new dataset and db-out that. {said}"]
    assert any("decided differently in several Prodigy sessions in db-out.jsonl: the latest decision of each was "
               "kept" in note for note in parsed.notes), parsed.notes
    assert main(["-q", "labels", "import", str(path), "--root", str(proj)]) == 0
    assert _imported(proj)["pgfix:0"]["labels"] == ["volunteer_work"]


def test_labels_import_names_a_paragraph_prodigy_sessions_differ_on_once(tmp_path, proj, capsys):
    """tagger labels import --from prodigy, two sessions differing on a paragraph: the warning named it (its lines,
    sessions, labels and the decision kept), and the note printed under it named it again ("the first: …"). Now the
    warning names it and the note counts (file, what was kept)."""
    path = _prodigy_decisions(tmp_path, ("round1-default", ["elderly_care"], 1717401600),
                              ("round2-default", ["volunteer_work"], 1717405200), ids=True)
    assert main(["labels", "import", str(path), "--from", "prodigy", "--root", str(proj), "--dry-run"]) == 0
    out, err = capsys.readouterr()
    named = "paragraph 'pgfix:0': 2 Prodigy sessions decided it differently"
    assert (out + err).count(named) == 1 and named in err, (out, err)
    assert ("1 paragraph decided differently in several Prodigy sessions in db-out.jsonl: the latest decision of each "
            "was kept\n") in out, out


def test_prodigy_decisions_of_one_session_or_none_named_are_one_annotator_revising(tmp_path, caplog):
    """Review: lines without a session (before a Prodigy upgrade) mixed with lines with one were "2 annotators" and
    refused; a line nobody is named for is no annotator of its own. One session deciding twice is a revision, as are
    lines that name no session at all."""
    for sessions in [(None, "ds-default"), ("ds-default", None), ("news-alice", "news-alice"), (None, None)]:
        path = _prodigy_decisions(tmp_path, (sessions[0], ["elderly_care"], 1717401600),
                                  (sessions[1], ["volunteer_work"], 1717405200))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="tagger"):
            parsed = read_annotations(path, "prodigy")
        assert [a.labels for a in parsed.annotations] == [("volunteer_work",)], sessions
        assert "1 paragraph had several decisions by one annotator" in parsed.notes[0] and len(parsed.notes) == 1
        assert not caplog.records, sessions


def test_prodigy_sessions_that_differ_are_counted_once_named_five_at_most_with_the_decision_kept(tmp_path, caplog):
    """Review: a paragraph sessions decided differently was counted twice (in "N paragraphs had several decisions by
    one annotator … or in several sessions" and in "N paragraphs decided differently in several Prodigy sessions");
    each such paragraph had a warning of its own (hundreds after a db-merge), listing the decisions in file order
    without saying which was kept. Now it is counted once; one warning names the first five, each with the decision
    kept (its line and session) and why, and counts the rest; --debug names them all."""
    line = json.loads((FIX / "prodigy_export.jsonl").read_text(encoding="utf-8").splitlines()[0])
    base = {k: v for k, v in line.items() if k not in ("_annotator_id", "_session_id", "meta")}
    rows = []
    for n in range(7):  # 7 paragraphs (made in Prodigy: keyed by their input hash), each decided in two sessions
        for who, accept, when in (("round2-default", ["volunteer_work"], 1717405200 + n),
                                  ("round1-default", ["elderly_care"], 1717401600 + n)):
            rows.append({**base, "text": f"{base['text']}{n}", "_input_hash": 1000 + n, "answer": "accept",
                         "accept": accept, "_timestamp": when, "_annotator_id": who, "_session_id": who})
    path = tmp_path / "merged.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with caplog.at_level(logging.DEBUG, logger="tagger"):
        parsed = read_annotations(path, "prodigy")
    assert [a.labels for a in parsed.annotations] == [("volunteer_work",)] * 7
    assert len(parsed.notes) == 1 and parsed.notes[0].startswith("7 paragraphs decided differently in several Prodigy "
                                                                  "sessions in merged.jsonl"), parsed.notes
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"{path}: 7 paragraphs decided differently in several Prodigy sessions: the latest "
                                  "decision of each was kept"), warnings[0]
    assert ("settle them with prodigy review into a new dataset and db-out that. The first five: "
            f"{path}:1 and 2: paragraph with the text ") in warnings[0]
    assert ("'round2-default' chose volunteer_work, 'round1-default' chose elderly_care; kept: line 1 (session "
            "'round2-default': the latest time stamp); ") in warnings[0]
    assert warnings[0].count("kept: line") == 5 and warnings[0].endswith("; and 2 more (--debug names them all)")
    everything = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(everything) == 1 and everything[0].count("kept: line") == 7 and "kept: line 13 (" in everything[0]
    # without a time stamp on every line: the last in the file, said so
    for row in rows[:2]:
        del row["_timestamp"]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:2]), encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tagger"):
        assert [a.labels for a in read_annotations(path, "prodigy").annotations] == [("elderly_care",)]
    assert caplog.records[0].getMessage().endswith(
        "kept: line 2 (session 'round1-default': the last in the file: not every line has a time stamp)")


@pytest.mark.parametrize("stamps, kept, said", [
    ((1, 2, 3), ("volunteer_work",), "line 3 (no session named"),  # the latest, named by nobody: warned
    ((1, 3, 2), ("elderly_care",), "line 2 (session 'round2-default'"),  # after round1's last word: warned
    ((2, 3, 1), ("elderly_care",), None)])  # before both sessions' last word: revised by whoever made it
def test_prodigy_sessions_that_agree_and_a_line_naming_no_session_that_differs_are_warned(tmp_path, caplog, stamps,
                                                                                          kept, said):
    """Review: two sessions agreed, a later line naming no session decided otherwise: it was kept with no warning (a
    line naming nobody was left out of the comparison). Now it is compared as a session's would be, unless every
    session decided again after it (then whoever made it revised it)."""
    path = _prodigy_decisions(tmp_path, ("round1-default", ["elderly_care"], 1717401600 + stamps[0]),
                              ("round2-default", ["elderly_care"], 1717401600 + stamps[1]),
                              (None, ["volunteer_work"], 1717401600 + stamps[2]), ids=True)
    with caplog.at_level(logging.WARNING, logger="tagger"):
        parsed = read_annotations(path, "prodigy")
    assert [a.labels for a in parsed.annotations] == [kept]
    if said:
        assert caplog.records[0].getMessage().endswith(
            f"{path}:1, 2 and 3: paragraph 'pgfix:0': 2 Prodigy sessions and a line that names no session decided it "
            "differently: 'round1-default' chose elderly_care, 'round2-default' chose elderly_care, the line that names "
            f"none chose volunteer_work; kept: {said}: the latest time stamp)")
    else:
        assert not caplog.records and "1 paragraph had several decisions by one annotator" in parsed.notes[0]


def _ls_task(*annotations):
    """A Label Studio JSON export of one task made in the tool, with ``annotations``."""
    return [{"id": 7, "data": {"text": "社区党员服务队上门为独居老人更换老化电线。"}, "annotations": list(annotations)}]


def test_a_labelstudio_decision_nobody_is_named_for_is_no_annotator_of_its_own(tmp_path):
    """Review: an annotation without ``completed_by`` beside user 1's counted as a second annotator, and the file was
    refused as "2 annotators decided it differently"; it is one annotator revising (the latest kept)."""
    anonymous = {k: v for k, v in _annotation(71, ["volunteer_work"], "2024-06-03T10:00:00.000000Z").items()
                 if k != "completed_by"}
    path = tmp_path / "project.json"
    path.write_text(json.dumps(_ls_task(_annotation(70, ["elderly_care"], "2024-06-02T10:00:00.000000Z"),
                                        anonymous), ensure_ascii=False), encoding="utf-8")
    parsed = read_annotations(path)
    assert [a.labels for a in parsed.annotations] == [("volunteer_work",)]
    assert "1 paragraph had several decisions by one annotator" in parsed.notes[0]
    # two named annotators who disagree are still refused, the task named once (with the decision naming nobody, made
    # after user 1's: perhaps user 1's last word)
    other = dict(_annotation(72, ["business_connection_speed"], "2024-06-04T10:00:00.000000Z"), completed_by=2)
    path.write_text(json.dumps(_ls_task(_annotation(70, ["elderly_care"], "2024-06-02T10:00:00.000000Z"), anonymous,
                                        other), ensure_ascii=False), encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"project\.json, task 1 \(Label Studio id 7\), annotation 1, annotation 2 "
                                             r"and annotation 3: paragraph .*: 2 annotators and an annotation that "
                                             r"names no annotator decided it differently: 'user 1' chose elderly_care, "
                                             r"the annotation that names none chose volunteer_work, 'user 2' chose "
                                             r"business_connection_speed\. Settle each"):
        read_annotations(path)


@pytest.mark.parametrize("unnamed_on, unnamed_labels, agreed", [
    ("2024-06-04", ["volunteer_work"], False),  # after both: refused (it was kept, and the note said "they agree")
    ("2024-06-02T12", ["volunteer_work"], False),  # after user 1's last word: perhaps user 1's revision, refused
    ("2024-06-01", ["volunteer_work"], True),  # before both last words: whoever made it decided again since
    ("2024-06-04", ["elderly_care"], True)])  # alike: they agree
def test_a_labelstudio_decision_nobody_is_named_for_does_not_override_two_who_agree(tmp_path, unnamed_on,
                                                                                      unnamed_labels, agreed):
    """Review: user 1 and user 2 chose elderly_care, a later annotation without ``completed_by`` volunteer_work:
    volunteer_work was imported, with the note "1 paragraph decided by several annotators …: they agree on each". A
    decision naming nobody that differs from the annotators' agreement (and came after one of their last words) is a
    conflict: refused; --keep-latest keeps the latest. Agreed, the paragraph keeps the decision they agree on."""
    when = f"{unnamed_on}T10:00:00.000000Z" if "T" not in unnamed_on else f"{unnamed_on}:00:00.000000Z"
    anonymous = {k: v for k, v in _annotation(72, unnamed_labels, when).items() if k != "completed_by"}
    path = tmp_path / "project.json"
    path.write_text(json.dumps(_ls_task(_annotation(70, ["elderly_care"], "2024-06-02T10:00:00.000000Z"),
                                        dict(_annotation(71, ["elderly_care"], "2024-06-03T10:00:00.000000Z"),
                                             completed_by=2), anonymous), ensure_ascii=False), encoding="utf-8")
    if agreed:
        parsed = read_annotations(path)
        assert [a.labels for a in parsed.annotations] == [("elderly_care",)]
        assert parsed.notes == ["1 paragraph decided by several annotators in project.json: they agree on each"]
        return
    with pytest.raises(LabelFileError, match=r"project\.json, task 1 \(Label Studio id 7\), annotation 1, annotation 2 "
                                             r"and annotation 3: paragraph .*: 2 annotators and an annotation that "
                                             r"names no annotator decided it differently: 'user 1' chose elderly_care, "
                                             r"'user 2' chose elderly_care, the annotation that names none chose "
                                             r"volunteer_work\. Settle each"):
        read_annotations(path)
    parsed = read_annotations(path, keep_latest=True)
    latest_one = ("volunteer_work",) if unnamed_on == "2024-06-04" else ("elderly_care",)
    assert [a.labels for a in parsed.annotations] == [latest_one]
    assert parsed.notes[0].startswith("1 paragraph decided differently by several annotators in project.json: the "
                                      "latest decision of each was kept (--keep-latest)"), parsed.notes


@pytest.mark.parametrize("second_by", [1, 2])
def test_a_labelstudio_ground_truth_mark_settles_its_paragraph_always(tmp_path, second_by):
    """Review: README says a decision marked ground truth settles its paragraph; but when one annotator revised it
    (or annotators agreed with the latest), the latest won over the older decision marked ground truth."""
    starred = dict(_annotation(70, ["elderly_care"], "2024-06-02T10:00:00.000000Z"), ground_truth=True)
    later = dict(_annotation(71, ["volunteer_work"], "2024-06-03T10:00:00.000000Z"), completed_by=second_by)
    path = tmp_path / "project.json"
    path.write_text(json.dumps(_ls_task(starred, later), ensure_ascii=False), encoding="utf-8")
    parsed = read_annotations(path)
    assert [a.labels for a in parsed.annotations] == [("elderly_care",)]
    assert parsed.notes == ["1 paragraph with several decisions in project.json: the decision marked ground truth was "
                            "kept"]


def test_with_time_stamps_on_some_decisions_the_one_kept_is_the_one_named():
    """Review: with time stamps on only some of a paragraph's decisions, each annotator's latest was chosen by its own
    decisions' order (by stamp when all of that annotator's had one) and the kept one by the paragraph's (the last in
    the file): a session was named as choosing elderly_care (stamp 10) while its later line in the file, volunteer_work
    (stamp 1), was kept. One order for the paragraph: the decision kept is the one its annotator is named with."""
    from dataclasses import replace

    from tagger.annotation.interop import Annotation, latest

    a = Annotation("p.jsonl:1", "x", ("elderly_care",), id="r:1", key="r:1", stamp=10.0, order=(0, 0), by="ds-a",
                   session=True)
    b = replace(a, where="p.jsonl:2", labels=("volunteer_work",), stamp=None, order=(0, 1), by="ds-b")
    c = replace(a, where="p.jsonl:3", labels=("volunteer_work",), stamp=1.0, order=(0, 2))
    chosen = latest([a, b, c])
    assert [x.labels for x in chosen.annotations] == [("volunteer_work",)] and chosen.sessions == []  # they agree
    people = [replace(x, session=False, by={"ds-a": "ana", "ds-b": "bo"}[x.by]) for x in (a, b, c)]
    chosen = latest(people)
    assert [x.labels for x in chosen.annotations] == [("volunteer_work",)] and chosen.conflicts == []
    assert chosen.agreed == 1


def test_a_test_csv_row_with_a_trailing_comma_is_read(tmp_path):
    """evaluate --test refused a CSV of one's own whose rows end in a comma ("more cells than the header has columns
    (cells with commas must be quoted)": no cell held a comma), which labels import reads. Empty cells beyond the
    header are read as the row; one that holds something is still refused."""
    path = tmp_path / "mine.csv"
    path.write_text("text,labels\n供电所员工走进敬老院为老人检修电器。,elderly_care,\n公司召开党委会议。,none,,\n",
                    encoding="utf-8")
    assert [(e.text, e.labels) for e in load_test_file(path)] == [
        ("供电所员工走进敬老院为老人检修电器。", ("elderly_care",)), ("公司召开党委会议。", ())]
    path.write_text("text,labels\n供电所员工走进敬老院为老人检修电器。,elderly_care,volunteer_work\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"mine.csv:2: more cells than the header has columns"):
        load_test_file(path)
