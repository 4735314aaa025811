"""``tagger stats A B ...``: several tagged files (a month's output each) counted together."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagger.analysis.stats import corpus_stats, model_notes, same_model
from tagger.apps.cli import main
from tagger.data.tagged import PLACE, read_tagged, read_tagged_files
from tagger.errors import InputError
from tagger.labels import LABELS

E, R, EV, B, V = LABELS


def _month(path: Path, month: str, rows: list[tuple[str, list[str]]]) -> Path:
    """A tagged JSONL as a month's ``tagger tag export.csv`` writes it: its reports are export:1, export:2 …"""
    out = []
    for pid, labels in rows:
        out.append({"row_type": "paragraph", "report": pid.rsplit(":", 1)[0], "paragraph": pid, "kind": "body",
                    "text": f"{month}的段落{pid}。", "labels": labels,
                    **{f"score_{lab}": (0.9 if lab in labels else 0.1) + int(month[-2:]) / 1000 for lab in LABELS},
                    "company": "甲公司", "date": f"{month}-15"})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    return path


JAN = [("export:1:0", [E]), ("export:1:1", [E, V]), ("export:2:0", [B])]
FEB = [("export:1:0", [R]), ("export:2:0", []), ("export:2:1", [V]), ("export:3:0", [B])]


def _counts(path: Path) -> dict:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    return {(r["table"], r.get("month", ""), r["label"]): (int(r["paragraphs"]), int(r["reports"])) for r in rows}


def test_two_months_with_the_same_report_ids_are_counted_as_their_own_reports(tmp_path, capsys):
    """Each month's tag run names its reports export:1, export:2 …: counted together, January's export:2 and
    February's are two reports (named with their files), and every count is the sum of the two files' counts."""
    jan, feb = _month(tmp_path / "2023-01.jsonl", "2023-01", JAN), _month(tmp_path / "2023-02.jsonl", "2023-02", FEB)
    both, one, two = tmp_path / "both.csv", tmp_path / "jan.csv", tmp_path / "feb.csv"
    assert main(["stats", str(jan), str(feb), "--by", "month", "-o", str(both)]) == 0
    err = capsys.readouterr().err
    assert "INFO tagger.data.tagged: 2 report ids are used in more than one file for different reports" in err, err
    assert "'export:1 (2023-01.jsonl)' and 'export:1 (2023-02.jsonl)'" in err  # export:3 is February's alone
    assert "WARNING" not in err
    assert main(["stats", str(jan), "--by", "month", "-o", str(one)]) == 0
    assert main(["stats", str(feb), "--by", "month", "-o", str(two)]) == 0
    total, a, b = _counts(both), _counts(one), _counts(two)
    corpus = {k: v for k, v in total.items() if k[0] == "corpus"}
    for key, (paragraphs, reports) in corpus.items():  # the whole corpus: the two months' sums
        assert (paragraphs, reports) == (a[key][0] + b[key][0], a[key][1] + b[key][1]), key
    first = next(csv.DictReader(io.StringIO(both.read_text(encoding="utf-8-sig"))))
    assert (first["total_paragraphs"], first["total_reports"]) == ("7", "5")  # Feb's export:1, export:2 are new reports
    by_month = {k: v for k, v in total.items() if k[0] == "groups"}
    assert by_month == {**{k: v for k, v in a.items() if k[0] == "groups"},
                        **{k: v for k, v in b.items() if k[0] == "groups"}}


def test_the_frame_of_several_files_names_each_row_by_its_file(tmp_path):
    jan, feb = _month(tmp_path / "jan.jsonl", "2023-01", JAN), _month(tmp_path / "feb.jsonl", "2023-02", FEB)
    df = read_tagged_files([jan, feb], ["date"])
    assert df.index.name == PLACE and list(df.index)[:2] == [f"{jan}:1", f"{jan}:2"] and df.index[-1] == f"{feb}:4"
    assert list(df["report"]) == ["export:1 (jan.jsonl)", "export:1 (jan.jsonl)", "export:2 (jan.jsonl)",
                                  "export:1 (feb.jsonl)", "export:2 (feb.jsonl)", "export:2 (feb.jsonl)", "export:3"]
    assert not any(c.startswith("score_") for c in df.columns)  # read to compare reports, not returned
    assert corpus_stats(df, warn=False).reports == 5
    one = read_tagged_files([jan], ["date"])  # one file: its rows as read_tagged gives them, by place
    assert list(one["report"]) == list(read_tagged(jan, ["date"])["report"])
    with pytest.raises(TypeError, match=r"pass \["):
        read_tagged_files(str(jan))


def test_a_report_tagged_into_two_files_is_named_not_counted_as_two_months_work(tmp_path, capsys):
    """The same report in two files (February's export re-ran January's rows): its paragraphs are counted twice,
    and the warning names the rows — while reports that only share an id are counted apart."""
    jan = _month(tmp_path / "jan.jsonl", "2023-01", JAN)
    copy = tmp_path / "jan_again.jsonl"
    shutil.copy(jan, copy)
    feb = _month(tmp_path / "feb.jsonl", "2023-02", FEB)
    assert main(["stats", str(jan), str(copy), str(feb)]) == 0
    err = capsys.readouterr().err
    assert ("3 paragraph ids appear in more than one of the files for the same texts (e.g. 'export:1:0 (jan.jsonl)' "
            f"at {jan}:1 and {copy}:1): the same reports were tagged into two files") in err, err
    assert "in more than one trend month group" not in err  # feb's export:1 is not taken for jan's


def test_a_file_given_twice_is_refused_before_any_output(tmp_path, capsys):
    jan = _month(tmp_path / "jan.jsonl", "2023-01", JAN)
    out = tmp_path / "s.csv"
    for second in (str(jan), str(tmp_path / "." / "jan.jsonl")):
        assert main(["stats", str(jan), second, "-o", str(out)]) == 1
        err = capsys.readouterr().err
        assert "jan.jsonl: given twice" in err and "counted twice" in err and "Traceback" not in err, err
        assert not out.exists()


def test_a_bad_row_is_named_with_its_file(tmp_path, capsys):
    jan = _month(tmp_path / "jan.jsonl", "2023-01", JAN)
    rows = [json.loads(line) for line in _month(tmp_path / "feb.jsonl", "2023-02", FEB).read_text().splitlines()]
    rows[2]["date"] = "someday"
    feb = tmp_path / "feb.jsonl"
    feb.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "s.csv"
    assert main(["stats", str(jan), str(feb), "--by", "month", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{feb}:3: date is 'someday', not a date" in err and not out.exists(), err
    assert main(["stats", str(jan), str(feb), "--by", "month", "--on-error", "skip", "-o", str(out)]) == 0
    assert f"the first: {feb}:3: date is 'someday'" in capsys.readouterr().err
    assert main(["stats", str(jan), str(feb), "--by", "region", "-o", str(tmp_path / "t.csv")]) == 2
    err = capsys.readouterr().err
    assert f"{jan}: no column 'region' to group by" in err, err


def test_an_output_that_is_one_of_the_inputs_is_refused(tmp_path, capsys):
    jan, feb = _month(tmp_path / "jan.jsonl", "2023-01", JAN), _month(tmp_path / "feb.jsonl", "2023-02", FEB)
    before = feb.read_bytes()
    assert main(["stats", str(jan), str(feb), "-o", str(feb.with_suffix(".csv")), "--html", str(tmp_path / "r.html")]) == 0
    assert main(["stats", str(jan), str(tmp_path / "feb.csv"), "-o", str(tmp_path / "x.csv")]) == 1  # stats' own counts
    capsys.readouterr()
    assert main(["stats", str(jan), str(feb), "--force", "-o", str(feb)]) != 0
    assert feb.read_bytes() == before
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "jan.jsonl, feb.jsonl" in page



def test_files_tagged_by_different_models_are_named(cli_model, root, tmp_path, capsys, edited_thresholds):
    """Counts over months tagged by different models (or one .npz with edited thresholds) mix their decisions:
    said, with each file's model; files of one model say it once."""
    seeds = sorted((root / "seeds").glob("*.txt"))[:2]
    jan, feb, mar = tmp_path / "jan.xlsx", tmp_path / "feb.xlsx", tmp_path / "mar.sqlite"
    assert main(["-q", "tag", str(seeds[0]), "--model", cli_model, "-o", str(jan)]) == 0
    assert main(["-q", "tag", str(seeds[1]), "--model", cli_model, "-o", str(feb)]) == 0
    strict = edited_thresholds(elderly_care=0.999)
    assert main(["-q", "tag", str(seeds[1]), "--model", strict, "-o", str(mar)]) == 0
    capsys.readouterr()
    assert main(["stats", str(jan), str(feb)]) == 0
    out, err = capsys.readouterr()
    assert "different models" not in out + err and "tagged by model: tagger.npz (sha256" in out, out
    assert main(["stats", str(jan), str(mar)]) == 0
    out, err = capsys.readouterr()
    assert "the files were tagged by different models or thresholds (" in err and "jan.xlsx: tagger.npz" in err, err
    assert "tagged by model: different models: tagger.npz (" in out and " for jan.xlsx; tagger.npz (" in out
    assert " for mar.sqlite\n" in out
    jsonl = tmp_path / "apr.jsonl"
    assert main(["-q", "tag", str(seeds[0]), "--model", cli_model, "-o", str(jsonl)]) == 0
    capsys.readouterr()
    assert main(["stats", str(jan), str(jsonl)]) == 0
    out, err = capsys.readouterr()
    assert "different models" not in out + err and " for jan.xlsx; not recorded in apr.jsonl" in out, out


def test_same_model_compares_the_npz_and_its_thresholds_not_its_name():
    a = {"model_sha256": "ab", "model_file": "a.npz", "thresholds": dict.fromkeys(LABELS, 0.4)}
    assert same_model(a, {**a, "model_file": "b.npz"})
    assert not same_model(a, {**a, "thresholds": {**a["thresholds"], E: 0.5}})
    assert not same_model(a, {**a, "model_sha256": "cd"}) and not same_model(a, None) and same_model(None, None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.tuples(st.integers(1, 3), st.lists(st.sampled_from(LABELS), max_size=2, unique=True)),
                         min_size=1, max_size=4), min_size=2, max_size=3))
def test_counted_together_is_the_sum_of_the_files(tmp_path_factory, months):
    """Any files of reports sharing ids: the corpus counts are the sums of each file's counts (no report of one
    file merged with another file's)."""
    folder = tmp_path_factory.mktemp("months")
    paths, single = [], []
    for m, reports in enumerate(months):
        rows, seen = [], {}
        for report, labels in reports:
            k = seen[report] = seen.get(report, -1) + 1
            rows.append((f"export:{report}:{k}", labels))
        path = _month(folder / f"2023-0{m + 1}.jsonl", f"2023-0{m + 1}", rows)
        paths.append(path)
        single.append(corpus_stats(read_tagged(path, ["date"]), warn=False).tables["corpus"])
    together = corpus_stats(read_tagged_files(paths, ["date"]), warn=False).tables["corpus"]
    total = sum(t.set_index("label")[["paragraphs", "reports"]] for t in single)
    assert together.set_index("label")[["paragraphs", "reports"]].equals(total)


def test_model_notes_say_nothing_for_one_model_or_unknown_ones():
    from tagger.analysis.stats import CorpusStats

    s = CorpusStats("a, b", [], None, 0, 0, 0)
    s.set_models([("a.xlsx", {"model_sha256": "ab"}), ("b.jsonl", None)])
    assert model_notes(s) == [] and s.model is None and s.model_line().endswith(" for a.xlsx; not recorded in b.jsonl")
    s.set_models([("a.jsonl", None), ("b.jsonl", None)])
    assert model_notes(s) == [] and s.model_line().startswith("not recorded in the files")
    with pytest.raises(InputError, match="given twice"):
        read_tagged_files([Path(__file__), Path(__file__)])


# --------------------------------------------------------------------------- the diff review's findings
def _rewrite(path: Path, out: Path, change) -> Path:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    rows = change(rows)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return out


def test_a_month_tagged_again_by_a_retrained_model_is_a_copy_not_new_reports(tmp_path, capsys):
    """Review: same rows and texts with other scores (a retrained model, or a reviewed file re-tagged) were taken
    for new reports, and January counted twice with only an INFO line."""
    jan = _month(tmp_path / "jan.jsonl", "2023-01", JAN)
    again = _rewrite(jan, tmp_path / "jan_retrained.jsonl",
                     lambda rows: [{**r, **{k: min(1.0, v * 1.05) for k, v in r.items() if k.startswith("score_")}}
                                   for r in rows])
    assert main(["stats", str(jan), str(again)]) == 0
    out, err = capsys.readouterr()
    assert "3 paragraph ids appear in more than one of the files for the same texts" in err, err
    assert "used in more than one file for different reports" not in err


def test_a_sorted_copy_is_a_copy(tmp_path, capsys):
    """Review: a copy sorted in a spreadsheet (rows in another order) was taken for other reports in part."""
    jan = _month(tmp_path / "jan.jsonl", "2023-01", JAN)
    shuffled = _rewrite(jan, tmp_path / "jan_sorted.jsonl", lambda rows: rows[::-1])
    assert main(["stats", str(jan), str(shuffled)]) == 0
    out, err = capsys.readouterr()
    assert "3 paragraph ids appear in more than one of the files for the same texts" in err, err
    assert "in 2 reports" in out  # the copies' reports once


def test_two_reports_of_one_id_with_other_texts_are_two_reports(tmp_path, capsys):
    jan = _month(tmp_path / "jan.jsonl", "2023-01", JAN)
    other = _rewrite(jan, tmp_path / "other.jsonl", lambda rows: [{**r, "text": r["text"] + "另一篇。"} for r in rows])
    assert main(["stats", str(jan), str(other)]) == 0
    out, err = capsys.readouterr()
    assert "in 4 reports" in out and "for the same texts" not in err, out + err


def test_a_file_appended_to_itself_is_named_beside_a_copy_in_another_file(tmp_path, capsys):
    """Review: a note on ids in two files hid the note on a file appended to itself."""
    jan = _month(tmp_path / "jan.jsonl", "2023-01", JAN)
    copy = tmp_path / "jan_again.jsonl"
    shutil.copy(jan, copy)
    feb = _month(tmp_path / "feb.jsonl", "2023-02", FEB)
    twice = tmp_path / "feb_twice.jsonl"
    twice.write_bytes(feb.read_bytes() * 2)
    assert main(["stats", str(twice), str(jan), str(copy)]) == 0
    err = capsys.readouterr().err
    assert "4 paragraph ids appear on more than one row within a file (e.g. 'export:1:0 (feb_twice.jsonl)' at " in err
    assert f"{twice}:1 and 5" in err
    assert "3 paragraph ids appear in more than one of the files for the same texts" in err


def test_a_month_column_in_one_file_and_dates_in_another_are_refused(tmp_path, capsys):
    """Review: --by month counted one file's own 'month' column and the other's dates: February in (missing)."""
    jan = _rewrite(_month(tmp_path / "j.jsonl", "2023-01", JAN), tmp_path / "jan.jsonl",
                   lambda rows: [{**r, "month": "2023-01"} for r in rows])
    feb = _month(tmp_path / "feb.jsonl", "2023-02", FEB)
    out = tmp_path / "s.csv"
    assert main(["stats", str(jan), str(feb), "--by", "month", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--by month: {jan} has a column named 'month'" in err and f"{feb} has none" in err and not out.exists()


def test_a_file_without_dates_among_dated_ones_is_named(tmp_path, capsys):
    jan = _month(tmp_path / "jan.jsonl", "2023-01", JAN)
    feb = _rewrite(_month(tmp_path / "f.jsonl", "2023-02", FEB), tmp_path / "feb.jsonl",
                   lambda rows: [{k: v for k, v in r.items() if k != "date"} for r in rows])
    assert main(["stats", str(jan), str(feb)]) == 0
    err = capsys.readouterr().err
    assert f"{feb} has no 'date' column: its paragraphs have no date and are not in the monthly trend" in err, err


def test_a_hard_link_is_the_same_file(tmp_path, capsys):
    jan = _month(tmp_path / "jan.jsonl", "2023-01", JAN)
    link = tmp_path / "jan_link.jsonl"
    os.link(jan, link)
    assert main(["stats", str(jan), str(link)]) == 1
    assert f"{link}: given twice (as {jan} and {link}: one file)" in capsys.readouterr().err


def test_columns_given_as_one_string_are_refused_for_several_files(tmp_path):
    jan, feb = _month(tmp_path / "jan.jsonl", "2023-01", JAN), _month(tmp_path / "feb.jsonl", "2023-02", FEB)
    with pytest.raises(TypeError, match=r"columns=\['company'\]"):
        read_tagged_files([jan, feb], "company")


def test_the_page_and_the_model_line_of_files_of_different_models(cli_model, root, tmp_path, capsys, edited_thresholds):
    """Review: the model warning was not on the HTML page, and the model line listed every file's model in full."""
    seeds = sorted((root / "seeds").glob("*.txt"))[:2]
    strict = edited_thresholds(elderly_care=0.999)
    outs = []
    for k, (model, seed) in enumerate([(cli_model, seeds[0]), (cli_model, seeds[1]), (strict, seeds[0])]):
        outs.append(tmp_path / f"m{k}.xlsx")
        assert main(["-q", "tag", str(seed), "--model", model, "-o", str(outs[-1])]) == 0
    page = tmp_path / "r.html"
    assert main(["stats", *map(str, outs), "--html", str(page)]) == 0
    out, err = capsys.readouterr()
    line = next(x for x in out.splitlines() if x.startswith("tagged by model: "))
    assert line.startswith("tagged by model: different models: tagger.npz (") and line.count("tagger.npz (") == 2
    assert "for m0.xlsx, m1.xlsx; tagger.npz (" in line and line.endswith("for m2.xlsx")
    html = page.read_text(encoding="utf-8")
    assert "the files were tagged by different models or thresholds" in html
    corpus = corpus_stats(read_tagged_files(outs), warn=False)
    assert corpus.files == [str(o) for o in outs]


def test_stats_outputs_caught_by_a_glob_are_named(tmp_path, capsys):
    jan = _month(tmp_path / "jan.jsonl", "2023-01", JAN)
    counts, page = tmp_path / "counts.xlsx", tmp_path / "r.html"
    assert main(["stats", str(jan), "-o", str(counts), "--html", str(page)]) == 0
    capsys.readouterr()
    for other in (counts, page):
        assert main(["stats", str(jan), str(other)]) == 1
        err = capsys.readouterr().err
        assert f"{other}: not a tagged file but" in err and "give the tagged file it came from" in err, err


# --------------------------------------------------------------------------- the second review's findings
def test_one_line_replies_of_different_months_are_different_reports(tmp_path, capsys):
    """Review: '本月无新增情况。' on the same CSV row of each month's export (same id, same text) was taken for one
    report tagged into three files — 2 reports lost and advice to delete real ones. Their dates differ."""
    paths = []
    for m in (1, 2, 3):
        path = _rewrite(_month(tmp_path / f"m{m}.jsonl", f"2023-0{m}", [("export:14:0", [])]), tmp_path / f"0{m}.jsonl",
                        lambda rows: [{**r, "text": "本月无新增情况。"} for r in rows])
        paths.append(str(path))
    assert main(["stats", *paths, "--by", "month"]) == 0
    out, err = capsys.readouterr()
    assert "3 paragraphs in 3 reports" in out and "same texts" not in err and "more than one month" not in err, err


def _renumbered(row: dict) -> dict:
    """A row of a month exported again with a row added at the top: its reports numbered anew."""
    return {**row, "report": row["report"].replace("export:", "export:1"),
            "paragraph": row["paragraph"].replace("export:", "export:1")}


@pytest.mark.parametrize("change", [
    # Review: a re-run of January whose ids shifted by one was counted twice with only the INFO line every set of
    # months prints.
    pytest.param(lambda r: r, id="renumbered"),
    # The copy rule across files digested the kept cells in the file's column order: the same month with its
    # columns in another order (date before company) was counted twice unnamed; now by column name, as tag does.
    pytest.param(lambda r: {**{k: v for k, v in r.items() if k not in ("company", "date")}, "date": r["date"],
                            "company": r["company"]}, id="columns-in-another-order"),
    # One copy rule for tag and stats (report_content) first digested texts as read: a space typed at a text's ends
    # in the copy, which the older rule ignored, made the same month count twice unnamed.
    pytest.param(lambda r: {**r, "text": f" {r['text']}  "}, id="spaces-at-a-texts-ends"),
])
def test_a_month_exported_again_under_other_ids_is_named(tmp_path, capsys, change):
    jan = _month(tmp_path / "jan.jsonl", "2023-01", JAN)
    again = _rewrite(jan, tmp_path / "jan_again.jsonl", lambda rows: [_renumbered(change(r)) for r in rows])
    assert main(["stats", str(jan), str(again)]) == 0
    err = capsys.readouterr().err
    # export:1 (two paragraphs) is named; export:2, one short line, is no evidence (months repeat such replies)
    assert "1 report in one file is in another file under another id, with the same texts and kept cells (e.g. " \
           f"'export:1' in {jan} is 'export:11' in {again})" in err, err


def test_tag_and_stats_apply_one_copy_rule():
    """The copy rule was written twice: in tagger.pipeline (tag, within a run) and in tagger.data.tagged (stats,
    across files), with two digests. One now, in tagger.data.tagged; tagger.pipeline's public names are it."""
    import tagger.data.tagged as tagged
    import tagger.pipeline as pipeline

    assert pipeline.earlier_copy is tagged.earlier_copy and pipeline.report_content is tagged.report_content


def test_paths_as_a_shell_glob_writes_them(tmp_path, capsys, monkeypatch):
    """Review: './02.jsonl' was looked up as '02.jsonl': a false 'no date column' warning, or none at all."""
    monkeypatch.chdir(tmp_path)
    _month(tmp_path / "01.jsonl", "2023-01", JAN)
    _rewrite(_month(tmp_path / "x.jsonl", "2023-02", FEB), tmp_path / "02.jsonl",
             lambda rows: [{k: v for k, v in r.items() if k != "date"} for r in rows])
    assert main(["stats", "./01.jsonl", "./02.jsonl"]) == 0
    err = capsys.readouterr().err
    assert "./02.jsonl has no 'date' column" in err and "./01.jsonl has" not in err, err


def test_files_of_one_name_in_two_folders_are_named_by_their_paths(cli_model, root, tmp_path, capsys, edited_thresholds):
    seed = sorted((root / "seeds").glob("*.txt"))[0]
    strict = edited_thresholds(elderly_care=0.999)
    a, b = tmp_path / "01" / "tagged.xlsx", tmp_path / "02" / "tagged.xlsx"
    a.parent.mkdir()
    b.parent.mkdir()
    assert main(["-q", "tag", str(seed), "--model", cli_model, "-o", str(a)]) == 0
    assert main(["-q", "tag", str(seed), "--model", strict, "-o", str(b)]) == 0
    capsys.readouterr()
    assert main(["stats", str(a), str(b)]) == 0
    out, err = capsys.readouterr()
    assert f" for {a}; tagger.npz (" in out and out.count(f"for {b}") == 1, out
    assert f"({a}: tagger.npz (" in err, err


def test_an_offset_written_after_utc_keeps_its_sign():
    from tagger.analysis.stats import month_and_offset

    assert month_and_offset("2023-12-31 23:30 UTC+8") == ("2023-12", "+08:00")
    assert month_and_offset("2023-12-31 23:30 GMT+08:00") == ("2023-12", "+08:00")
    assert month_and_offset("2023-12-31 23:30 GMT-05:30") == ("2023-12", "-05:30")


# --------------------------------------------------------------------------- the third review's findings
def test_what_tells_reports_apart_does_not_depend_on_by(tmp_path, capsys):
    """Review: one-line replies of two companies under one id were one report without --by company and two with it;
    a column one file lacked split every report."""
    jan = _month(tmp_path / "jan.jsonl", "2023-01", [("export:2:0", [])])
    other = _rewrite(jan, tmp_path / "other.jsonl", lambda rows: [{**r, "company": "丙公司"} for r in rows])
    for by in ([], ["--by", "company"], ["--by", "month"]):
        assert main(["stats", str(jan), str(other), *by]) == 0
        out, err = capsys.readouterr()
        assert "2 paragraphs in 2 reports" in out and "same texts" not in err, (by, out, err)
    dateless = _rewrite(jan, tmp_path / "dateless.jsonl", lambda rows: [{k: v for k, v in r.items() if k != "date"}
                                                                      for r in rows])
    assert main(["stats", str(jan), str(dateless)]) == 0
    out, err = capsys.readouterr()
    assert "2 paragraphs in 1 report;" in out and "for the same texts" in err, out + err  # the columns both have agree


def test_a_kept_number_reads_alike_in_csv_and_xlsx(tmp_path):
    """Review: a kept 1.0 was '1.0' in the CSV and 1 in the workbook: the same report counted twice."""
    from tagger.data.tagged import _cell_key

    assert {_cell_key("1.0"), _cell_key(1), _cell_key(1.0), _cell_key(" 1 ")} == {"1"}
    assert _cell_key("2023-01-05 00:00:00") == _cell_key(__import__("datetime").datetime(2023, 1, 5)) == "2023-01-05"
    assert _cell_key("国网甲") != _cell_key("国网丙")


# --------------------------------------------------------------------------- statsfix2 (review of statsfix)
def test_a_file_without_kind_counted_with_others_is_named_in_a_warning(tmp_path, capsys):
    """tagger stats t.jsonl old.jsonl, old.jsonl without its kind column: joined, the frame had the column (empty
    in old.jsonl's rows), so nothing said that old.jsonl's headings were counted as paragraphs."""
    from helpers import tagged_rows, write_tagged

    rows = tagged_rows(summary=False)
    rows[2]["kind"] = "heading"
    tagged = write_tagged(tmp_path / "t.jsonl", rows)
    old_rows = tagged_rows(summary=False)
    for row in old_rows:
        row["report"] = "old" + row["report"]
        row["paragraph"] = "old" + row["paragraph"]
        row["text"] = "旧" + row["text"]
        del row["kind"]
    old = write_tagged(tmp_path / "old.jsonl", old_rows)
    assert main(["stats", str(tagged), str(old)]) == 0
    err = capsys.readouterr().err
    assert err.count(f"{old}: no 'kind' column: headings and captions cannot be told from body paragraphs") == 1, err
    assert f"{tagged}: no 'kind'" not in err


def test_a_kind_capitalised_or_spaced_by_a_spreadsheet_is_read_as_its_kind(tmp_path, capsys):
    """relfix: a tagged file whose kind cells a spreadsheet's autocorrect capitalised (Body, HEADING) or padded was
    refused by tagger stats and by tag's read-back ("kind 'Body' is not body, heading or caption"); they are read as
    body, heading, caption in any case, spaces around taken away (checked_kinds, the one rule)."""
    from helpers import tagged_rows, write_tagged
    from tagger.data.tagged import read_back

    for suffix in (".jsonl", ".csv"):
        rows, edited = tagged_rows(summary=False), tagged_rows(summary=False)
        for i, (kind, written) in enumerate((("body", "Body"), ("heading", "HEADING"), ("caption", " Caption "),
                                             ("body", "BODY\u00a0"), ("body", " "))):
            rows[i]["kind"], edited[i]["kind"] = kind, written
        plain = write_tagged(tmp_path / f"plain{suffix}", rows)
        path = write_tagged(tmp_path / f"t{suffix}", edited)
        assert main(["stats", str(plain), "--by", "company", "-o", str(tmp_path / "counts_plain.csv"), "--force"]) == 0
        assert main(["stats", str(path), "--by", "company", "-o", str(tmp_path / "counts_t.csv"), "--force"]) == 0, \
            capsys.readouterr().err
        assert (tmp_path / "counts_t.csv").read_bytes() == (tmp_path / "counts_plain.csv").read_bytes()
        assert read_tagged(path)["kind"].tolist()[:5] == ["body", "heading", "caption", "body", "body"]
        back = [p.kind for r in read_back(path).reports for p in r.paragraphs]
        assert back == [p.kind for r in read_back(plain).reports for p in r.paragraphs]
        assert back[:5] == ["body", "heading", "caption", "body", "body"]


def test_kind_has_one_rule_for_corpus_stats_read_tagged_and_tags_read_back(tmp_path):
    """corpus_stats(df) counted kind 'foo' as a body paragraph (the file readers refuse it), and tag's read-back
    refused an empty kind that stats counts as body. One check (checked_kinds): empty is body, others refused."""
    import pandas as pd

    from helpers import tagged_rows, write_tagged
    from tagger.data.tagged import read_back

    df = pd.DataFrame({"report": ["r1", "r1"], "paragraph": ["r1:0", "r1:1"], "labels": [[], []],
                       "kind": ["body", "foo"]})
    with pytest.raises(InputError, match=r"^row 1 of the frame: kind 'foo' is not body, heading or caption"):
        corpus_stats(df, warn=False)
    assert corpus_stats(df.assign(kind=["", None]), warn=False).paragraphs == 2  # empty: body
    for suffix in (".jsonl", ".csv"):
        rows = tagged_rows(summary=False)
        rows[0]["kind"] = ""
        path = write_tagged(tmp_path / f"t{suffix}", rows)
        assert read_tagged(path)["kind"].iloc[0] == "body"
        assert read_back(path).reports[0].paragraphs[0].kind == "body"  # refused before: kind '' is not body …


def test_a_tagged_file_of_no_paragraphs_is_counted_as_empty_not_refused_as_foreign(seed_model, tmp_path, capsys):
    """tag_frame on a frame of no reports, to_parquet, then read_tagged (or tagger stats) refused the file "no
    paragraph rows; write a tagged file with tagger tag …", as if tagger had not written it. It reads as an empty
    frame; corpus_stats and tagger stats give empty tables with a note saying why."""
    import pandas as pd

    import tagger

    none = pd.DataFrame({"id": pd.Series([], dtype=object), "text": pd.Series([], dtype=object),
                         "company": pd.Series([], dtype=object)})
    path = tmp_path / "e.parquet"
    tagger.tag_frame(seed_model, none, id_column="id", keep=["company"]).to_parquet(path)
    df = read_tagged(path)
    assert len(df) == 0 and {"effective_labels", "reviewed", "company"} <= set(df.columns)
    with pytest.warns(UserWarning, match="no paragraph rows to count"):
        stats = corpus_stats(df, by=["company"])
    assert (stats.paragraphs, stats.reports) == (0, 0) and stats.tables["pivot"].empty
    csv_path = tmp_path / "e.csv"
    csv_path.write_text(",".join(["row_type", "report", "paragraph", "kind", "text", "labels",
                                  *(f"score_{lab}" for lab in LABELS)]) + "\n", encoding="utf-8")
    for file in (path, csv_path):
        assert main(["stats", str(file)]) == 0
        out, err = capsys.readouterr()
        assert "0 paragraphs in 0 reports" in out and f"{file}: no paragraph rows to count" in err, (out, err)


# --------------------------------------------------------------------------- copies inside one tagged file
_STORY = ("国网邯郸供电公司组织党员服务队走进纺织厂家属院，为独居老人检查室内线路、更换老化插座，并留下了联系卡。",
          "服务队队员表示，将定期回访，确保老人们用电安全。")


def _copied(path: Path, company_of_copy: str = "甲公司", short: bool = False) -> Path:
    """A tagged file holding report r1 again as r9 (its paragraphs, texts and kept cells), as a file tagged before
    tagger tag warned about it holds it, with r2 between them; ``short``: the story is a one-line reply instead."""
    from helpers import write_tagged

    texts = ("本月无新增情况。",) if short else _STORY
    rows = []
    for report, company in (("r1", "甲公司"), ("r2", "乙公司"), ("r9", company_of_copy)):
        for k, text in enumerate(texts if report != "r2" else ("另一篇报道，讲的是营业厅为小微企业办电提速，三天之内完成了接电。",)):
            rows.append({"row_type": "paragraph", "report": report, "paragraph": f"{report}:{k}", "kind": "body",
                         "text": text, "labels": [E], **{f"score_{lab}": 0.9 if lab == E else 0.1 for lab in LABELS},
                         "company": company, "date": "2023-05-06"})
    return write_tagged(path, rows)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".xlsx", ".sqlite", ".parquet"])
def test_a_report_given_twice_in_one_tagged_file_under_two_ids_is_named(tmp_path, capsys, suffix):
    """Hunt: tag and tag_frame warn about a report given twice under two ids, and stats did across files, but
    stats on ONE file tagged before that warning (or two outputs joined) counted the copy silently."""
    path = _copied(tmp_path / f"old{suffix}")
    assert main(["stats", str(path), "--by", "company"]) == 0
    err = capsys.readouterr().err
    assert ("1 report in one file is in that file again under another id, with the same texts and kept cells (e.g. "
            f"'r1' in {path} is 'r9' in {path}): the same reports tagged twice into one file") in err, err
    assert "delete the rows of one of them" in err and err.count("under another id") == 1, err


def test_only_a_copy_of_texts_and_kept_cells_is_named_not_another_company_s_or_a_one_line_reply(tmp_path, capsys):
    """The rule of tag's and of several files': another company's copy of a story is its own report, and short
    replies (本月无新增情况) repeat."""
    paths = [_copied(tmp_path / "copy.jsonl"), _copied(tmp_path / "other.jsonl", company_of_copy="丙公司"),
             _copied(tmp_path / "short.jsonl", short=True)]
    named = []
    for path in paths:
        assert main(["stats", str(path)]) == 0
        named.append("under another id" in capsys.readouterr().err)
    assert named == [True, False, False]


def test_a_copy_inside_one_of_several_files_is_named_as_such(tmp_path, capsys):
    """With several files a copy inside one of them was silent too (only copies across files were looked for)."""
    jan, old = _month(tmp_path / "jan.jsonl", "2023-01", JAN), _copied(tmp_path / "old.jsonl")
    assert main(["stats", str(jan), str(old)]) == 0
    err = capsys.readouterr().err
    assert f"1 report in one file is in that file again under another id, with the same texts and kept cells (e.g. 'r1' in {old} is 'r9' in {old})" in err, err
    assert "another file under another id" not in err, err


def test_read_tagged_files_of_one_file_names_a_copy_and_gives_only_the_columns_asked(tmp_path, caplog):
    path = _copied(tmp_path / "old.jsonl")
    df = read_tagged_files([path], ["date"])
    assert "'r1' in " in caplog.text and "is 'r9' in" in caplog.text
    assert "text" not in df.columns and "company" not in df.columns and df.index.name == "line"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(st.characters(categories=["Lo", "Lu", "Nd", "Po", "Sm"], exclude_characters="\x00"),
                        min_size=1, max_size=20), min_size=1, max_size=3),
       st.integers(1, 5), st.sampled_from([".jsonl", ".csv"]))
def test_a_copy_is_named_when_its_texts_are_long_enough(tmp_path_factory, caplog, texts, times, suffix):
    """Any texts: a report again under another id is named by stats of its one file when its texts hold at least
    COPY_MIN_CHARS characters, as tag and several files decide, and not below."""
    from helpers import write_tagged

    from tagger.data.tagged import COPY_MIN_CHARS

    texts = [text * times for text in texts]  # short and long reports alike
    rows = [{"row_type": "paragraph", "report": report, "paragraph": f"{report}:{k}", "kind": "body", "text": text,
             "labels": [], **{f"score_{lab}": 0.1 for lab in LABELS}, "company": "甲", "date": "2023-05-06"}
            for report in ("a", "b") for k, text in enumerate(texts)]
    path = write_tagged(tmp_path_factory.mktemp("copy") / f"t{suffix}", rows)
    caplog.clear()
    read_tagged_files([path], ["company"])
    named = "'a' in " in caplog.text and "is 'b' in" in caplog.text
    assert named == (sum(map(len, texts)) >= COPY_MIN_CHARS), caplog.text


@pytest.mark.parametrize("files", [1, 2])
@pytest.mark.parametrize("fmt", ["jsonl-null", "jsonl-missing", "parquet"])
def test_a_row_whose_text_was_cleared_is_counted_not_refused(tmp_path, capsys, fmt, files):
    """Review: once stats read one file's texts to look for copies inside it, a paragraph row whose text was cleared
    by hand (null in JSONL or Parquet, the key gone) refused the whole file ("no 'text' value"), where the counts
    never need a text (and an .xlsx or CSV with the cell emptied was counted). The texts read only to tell reports
    apart are optional now; with several files too."""
    import pandas as pd

    jan = _rewrite(_month(tmp_path / "jan.jsonl", "2023-01", JAN), tmp_path / "jan_cleared.jsonl",
                   lambda rows: [{k: v for k, v in r.items() if k != "text"} if fmt == "jsonl-missing" and i == 1
                                 else {**r, "text": None} if i == 1 else r for i, r in enumerate(rows)])
    if fmt == "parquet":
        frame = pd.DataFrame([json.loads(line) for line in jan.read_text(encoding="utf-8").splitlines()])
        jan = tmp_path / "jan_cleared.parquet"
        frame.to_parquet(jan)
    paths = [jan] if files == 1 else [jan, _month(tmp_path / "feb.jsonl", "2023-02", FEB)]
    assert main(["stats", *map(str, paths), "--by", "company", "-o", str(tmp_path / "out.csv")]) == 0, \
        capsys.readouterr().err
    rows = csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8-sig")))
    group = next(r for r in rows if r["table"] == "groups" and r["company"] == "甲公司")
    assert int(group["total_paragraphs"]) == (3 if files == 1 else 7), group


def test_debug_lists_every_copy_the_warning_gives_one_example_of(tmp_path, capsys):
    """Review: the copy warning gives one example; with many copies a user told to delete the rows of one of each
    pair had no way to list them. --debug lists them all."""
    jan = _month(tmp_path / "jan.jsonl", "2023-01", [("export:1:0", [E]), ("export:1:1", [E, V]),
                                                    ("export:2:0", [B]), ("export:2:1", [B])])
    again = _rewrite(jan, tmp_path / "jan_again.jsonl", lambda rows: [_renumbered(r) for r in rows])
    assert main(["stats", str(jan), str(again)]) == 0
    assert "all 2 reports" not in capsys.readouterr().err
    assert main(["--debug", "stats", str(jan), str(again)]) == 0
    err = capsys.readouterr().err
    assert f"all 2 reports in another file under another id: 'export:1' in {jan} is 'export:11' in {again}; " \
           f"'export:2' in {jan} is 'export:12' in {again}" in err, err
