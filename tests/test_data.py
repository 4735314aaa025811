import csv
import json

import pytest

from tagger.data import data_hash, label_matrix, load_jsonl, load_seed_labels, load_training_data, text_sha
from tagger.errors import LabelFileError
from tagger.schema import LABELS


def _rows(project):
    with open(project / "labels" / "seeds.csv", encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _write(project, rows, **kw):
    with open(project / "labels" / "seeds.csv", "w", encoding=kw.get("encoding", "utf-8"),
              newline="") as fh:
        csv.writer(fh, lineterminator=kw.get("eol", "\n")).writerows(rows)


def _load(project):
    return load_seed_labels(project / "labels" / "seeds.csv", project / "seeds")


def test_real_labels_cover_every_paragraph(resources):
    seeds = [e for e in resources.examples if e.source == "seed"]
    assert len(seeds) == 109
    y = label_matrix(seeds)
    assert y.shape == (109, len(LABELS))
    assert (y.sum(0) > 0).all()  # every label occurs in the seeds


def test_every_authored_row_is_marked(resources):
    authored = [e for e in resources.examples if e.source == "authored"]
    assert authored, "labels/authored.jsonl is part of the training data"
    assert all(e.id.startswith("authored:") for e in authored)


def test_unknown_label_names_file_and_line(project):
    rows = _rows(project)
    rows[5][2] = "elderly_care;senior_care"
    _write(project, rows)
    with pytest.raises(LabelFileError, match=r"seeds\.csv:6: unknown label id 'senior_care'"):
        _load(project)


def test_duplicate_row(project):
    rows = _rows(project)
    _write(project, rows + [rows[3]])
    with pytest.raises(LabelFileError, match=rf"seeds\.csv:{len(rows) + 1}: duplicate row .*first at line 4"):
        _load(project)


def test_text_drift_after_seed_changed(project):
    path = project / "seeds" / "002_e2866e68cd292b62.txt"
    text = path.read_text(encoding="utf-8").replace("元通一巷10号院是一个老旧小区", "元通一巷12号院是一个老旧小区")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"002_e2866e68cd292b62:6 changed since it was labelled"):
        _load(project)


def test_missing_row(project):
    rows = _rows(project)
    _write(project, rows[:-1])
    with pytest.raises(LabelFileError, match="have no row, e.g. 004_0d1b6c3aac7013de:24"):
        _load(project)


def test_empty_and_headerless_files(project):
    (project / "labels" / "seeds.csv").write_text("", encoding="utf-8")
    with pytest.raises(LabelFileError, match="empty"):
        _load(project)
    (project / "labels" / "seeds.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match="missing column"):
        _load(project)


def test_excel_style_export_is_accepted(project):
    """BOM + CRLF + quoted newline in the free-text column: harmless encoding variants."""
    rows = _rows(project)
    rows[1][4] = rows[1][4] + "\n(备注)"
    with open(project / "labels" / "seeds.csv", "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
    assert len(_load(project)) == 109


def test_jsonl_errors_name_the_line(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a", "labels": []}\n{"text": "b", "labels": ["nope"]}\n', encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"t\.jsonl:2: unknown label id 'nope'"):
        load_jsonl(path)
    path.write_text('{"text": "a", "labels": []}\n{"labels": []}\n', encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"t\.jsonl:2: missing or non-string \"text\""):
        load_jsonl(path)
    path.write_text('{"text": "a", "labels": []}\n{"text": "a", broken\n', encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"t\.jsonl:2: not valid JSON"):
        load_jsonl(path)
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match="no rows"):
        load_jsonl(path)


def test_jsonl_ok(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": "x", "labels": ["volunteer_work", "elderly_care"], "doc": "d"},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    (ex,) = load_jsonl(path)
    assert ex.labels == ("elderly_care", "volunteer_work") and ex.doc == "d" and ex.id == "t:1"


def test_data_hash_changes_with_labels(root, project):
    a = data_hash(load_training_data(root))
    assert a == data_hash(load_training_data(root))
    rows = _rows(project)
    rows[1][2] = "volunteer_work"
    _write(project, rows)
    assert data_hash(load_training_data(project)) != a


def test_text_sha_ignores_surrounding_whitespace():
    assert text_sha("  段落。 ") == text_sha("段落。") != text_sha("段落")
