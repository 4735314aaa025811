"""A file tagger tag wrote, named as an input, is read back a report at a time (JSONL): checked whole first, then
read again as its reports are scored, never held whole (a 60,000-report file of 1.3 GB was read whole first, with no
progress shown). What is read back, and what is said of it, is what the whole read gives."""
import csv
import itertools
import json
import logging
import signal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tagger.common.files as files
import tagger.common.progress as progress
import tagger.data.tagged as tagged
from tagger import LABELS
from tagger.apps.batch import iter_records
from tagger.data.examples import text_sha
from tagger.data.tagged import (TaggedReport, hold_review_lock, read_back, read_back_streamed, review_journal,
                                 review_lock)
from tagger.errors import InputError

SCORES = [f"score_{lab}" for lab in LABELS]


@pytest.fixture(autouse=True, scope="module")
def _read_in_parts():
    """The tests here are of the read in parts, which only a file of over ``KEPT_BYTES`` gets: every file here is
    read so, small as it is (the bound's own tests, at the end, set it themselves)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tagged, "KEPT_BYTES", 0)
        yield


def _row(report, index, text="正文", labels=(), scores=None, kind="body", **more):
    scores = scores or [0.1] * len(LABELS)
    return {"row_type": "paragraph", "report": report, "paragraph": f"{report}:{index}", "kind": kind, "text": text,
            "company": more.pop("company", "甲"), "labels": list(labels), **dict(zip(SCORES, scores)), **more}


def _write(path, rows):
    """``rows`` as a tagged JSONL file, or CSV by ``path``'s suffix (labels as ``a;b``, a decision of no label
    ``none``, no decision empty)."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        return path

    def cell(key, value):
        if isinstance(value, list):
            return ";".join(value) if value or key != "reviewed_labels" else "none"
        return "" if value is None else str(value)

    names = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        writer.writerows([cell(k, r.get(k)) for k in names] for r in rows)
    return path


def _full(back, reports):
    """Everything a read back holds, the fields equality leaves out too."""
    return ([(repr(r), r.meta, r.source, r.model, r.left_out, [(repr(p), p.written, p.set_aside) for p in r.paragraphs])
             for r in reports],
            back.kept, back.decisions, back.not_carried, back.model, back.stale, back.left_out, back.conflicts,
            back.count, back.cut_kept)


def _both(path, caplog, rows=2):
    """The whole read and the streamed one (``rows`` rows a part) of ``path``, with what each logged."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tagger"):
        whole = read_back(path)
        said_whole = [r.getMessage() for r in caplog.records]
        caplog.clear()
        streamed = read_back_streamed(path, rows=rows, progress=False)
        reports = list(streamed.reports)
        said_streamed = [r.getMessage() for r in caplog.records]
    return _full(whole, whole.reports), said_whole, _full(streamed, reports), said_streamed


@st.composite
def tagged_rows(draw):
    """Rows tag writes (a report's rows together), some of them as hand edits leave them: a report id given to two
    input reports (its rows twice, one after the other), a kept value edited on one row, decisions (one made on
    another text), scores that disagree with the labels, summary rows."""
    rows, summary, reviewed = [], draw(st.booleans()), draw(st.booleans())  # as tag writes them: on every row, or none
    for n in range(draw(st.integers(1, 6))):
        report = f"r{n}"
        for copy in range(draw(st.sampled_from([1, 1, 2]))):
            start = len(rows)
            for i in range(draw(st.integers(1, 4))):
                scores = draw(st.lists(st.sampled_from([0.05, 0.4, 0.6, 0.95]), min_size=5, max_size=5))
                labels = [lab for lab, s in zip(LABELS, scores) if s > 0.5] if draw(st.integers(0, 4)) else ["elderly_care"]
                text = f"第{n}篇第{copy}份第{i}段。"
                more = dict.fromkeys(["reviewed_labels", "reviewed_by", "reviewed_at", "reviewed_sha"]) if reviewed else {}
                if reviewed and draw(st.integers(0, 3)) == 0:
                    more = {"reviewed_labels": draw(st.sampled_from([[], ["volunteer_work"]])), "reviewed_by": "bo",
                            "reviewed_at": "2024-06-01T10:00:00+00:00",
                            "reviewed_sha": text_sha(text if draw(st.integers(0, 3)) else "另一段")}
                company = draw(st.sampled_from(["甲", "甲", "乙"]))
                rows.append(_row(report, i, text, labels, scores, draw(st.sampled_from(["body", "body", "heading"])),
                                 company=company, **more))
            if summary:
                rows.append({"row_type": "report", "report": report, "n_paragraphs": len(rows) - start})
    if summary:
        rows.append({"row_type": "corpus", "report": "(all)",
                     "n_paragraphs": sum(r["row_type"] == "paragraph" for r in rows), "reports": n + 1, "left_out": 2})
    return rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=tagged_rows(), part=st.integers(1, 5), suffix=st.sampled_from([".jsonl", ".csv"]))
def test_read_a_part_at_a_time_it_is_what_the_whole_read_gives_and_says(tmp_path_factory, caplog, rows, part, suffix):
    path = _write(tmp_path_factory.mktemp("t") / f"t{suffix}", rows)
    whole, said_whole, streamed, said_streamed = _both(path, caplog, part)
    assert streamed == whole
    assert said_streamed == said_whole  # and never read whole (said): tag writes a report's rows together


@settings(max_examples=40, deadline=None)
@given(rows=tagged_rows(), part=st.integers(1, 5), bad=st.data(), suffix=st.sampled_from([".jsonl", ".csv"]))
def test_a_bad_cell_anywhere_is_refused_before_any_report_as_the_whole_read_refuses_it(tmp_path_factory, rows, part,
                                                                                        bad, suffix):
    paragraph_rows = [r for r in rows if r["row_type"] == "paragraph"]
    row = bad.draw(st.sampled_from(paragraph_rows))
    column, value = bad.draw(st.sampled_from([("kind", "foo"), ("labels", ["elderly"]), ("score_volunteer_work", 7),
                                              ("paragraph", "x:y"), ("report", "")]))
    row[column] = value
    path = _write(tmp_path_factory.mktemp("t") / f"t{suffix}", rows)
    with pytest.raises(InputError) as whole:
        read_back(path)
    with pytest.raises(InputError) as streamed:
        read_back_streamed(path, rows=part, progress=False)  # raised here: no report was given
    assert str(streamed.value) == str(whole.value)



@settings(max_examples=30, deadline=None)
@given(rows=tagged_rows(), part=st.integers(1, 5), bad=st.data(), suffix=st.sampled_from([".jsonl", ".csv"]))
def test_a_bad_0_1_cell_is_named_before_summary_rows_that_count_other_rows(tmp_path_factory, rows, part, bad,
                                                                           suffix):
    """Read whole (read_back: a workbook, Parquet, SQLite, or a JSONL or CSV file that cannot be read in parts), a
    file whose summary rows count other paragraph rows, or whose left_out is no number, was refused for that, a bad
    0/1 cell before it left unnamed; read in parts, for the bad cell. One body: the bad cell, the first in the file."""
    rows = [r for r in rows if r["row_type"] == "paragraph"]
    for r in rows:  # a workbook's 0/1 columns, saved as CSV (or JSONL)
        r.update({lab: int(lab in r["labels"]) for lab in LABELS})
    row = bad.draw(st.sampled_from(rows))
    row[bad.draw(st.sampled_from(LABELS))] = "yes"
    counted, left_out = bad.draw(st.sampled_from([(len(rows) + 1, 0), (len(rows), "two")]))
    rows.append({"row_type": "corpus", "report": "(all)", "n_paragraphs": counted, "left_out": left_out})
    path = _write(tmp_path_factory.mktemp("t") / f"t{suffix}", rows)
    with pytest.raises(InputError) as whole:
        read_back(path)
    with pytest.raises(InputError) as streamed:
        read_back_streamed(path, rows=part, progress=False)
    assert str(whole.value) == str(streamed.value)
    assert f"column {next(lab for lab in LABELS if row[lab] == 'yes')} is 'yes', expected 1" in str(whole.value)

def test_journalled_decisions_are_carried_as_the_whole_read_carries_them(tmp_path, caplog):
    rows = [_row("a", 0, "甲段"), _row("a", 1, "乙段"), _row("b", 0, "丙段"), _row("c", 0, "丁段")]
    path = _write(tmp_path / "t.jsonl", rows)
    lines = [{"paragraph": "b:0", "labels": ["elderly_care"], "by": "bo", "at": "2024-06-01T10:00:00+00:00",
              "sha": text_sha("丙段")},
             {"paragraph": "a:1", "labels": [], "by": "bo", "at": "2024-06-01T10:01:00+00:00", "sha": text_sha("别的")},
             {"paragraph": "gone:0", "labels": [], "by": "bo", "at": "2024-06-01T10:02:00+00:00", "sha": text_sha("x")}]
    review_journal(path).write_text("".join(json.dumps(x) + "\n" for x in lines) + '{"paragraph": "cut',
                                    encoding="utf-8")
    whole, said_whole, streamed, said_streamed = _both(path, caplog, rows=1)
    assert streamed == whole and said_streamed == said_whole
    assert whole[2] == 1 and len(whole[3]) == 3  # one carried, three named


_WHO_OR_WHEN = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["", " ", "2026-12-06T10:00:00+00:00"]),
                        st.integers(-10 ** 6, 10 ** 6))


@settings(max_examples=40, deadline=None, database=None)
@given(by=_WHO_OR_WHEN, at=_WHO_OR_WHEN)
def test_a_journalled_decision_reads_back_as_the_file_holding_it_does(tmp_path_factory, by, at):
    """jsonl 3: who and when of a decision left in a review session's journal were read by another rule (text or
    nothing) than the file's reviewed_by / reviewed_at cells a session merges them into: a journalled "by": 7 was no
    one's until a session merged it, then '7'; "by": "" was carried into a re-tag's output as "" (the cell: none).
    Read back either way, the decision is the same."""
    folder = tmp_path_factory.mktemp("who")
    rows = [_row("a", 0, "甲段：供电所走访独居老人。"), _row("a", 1, "乙段：党员服务队检修线路。")]
    sha = text_sha(rows[1]["text"])
    merged = _write(folder / "merged.jsonl", [rows[0], {**rows[1], "reviewed_labels": ["elderly_care"],
                                                        "reviewed_by": by, "reviewed_at": at, "reviewed_sha": sha}])
    journalled = _write(folder / "journalled.jsonl", rows)
    review_journal(journalled).write_text(json.dumps({"paragraph": "a:1", "labels": ["elderly_care"], "by": by,
                                                      "at": at, "sha": sha}) + "\n", encoding="utf-8")
    expected = read_back(merged).reports[0].paragraphs[1].decision
    assert expected.labels == ("elderly_care",)
    assert read_back(journalled).reports[0].paragraphs[1].decision == expected
    streamed = read_back_streamed(journalled, rows=1, progress=False)
    assert list(streamed.reports)[0].paragraphs[1].decision == expected


@pytest.mark.parametrize("rows, why", [
    ([_row("a", 0), _row("b", 0), _row("a", 1), _row("b", 1)], "the rows of report 'a' are not together"),
    ([_row("a", 0), _row("b", 0), _row("a", 1), _row("b", 1)], "the rows of report 'a' are not together (CSV)"),
    ([_row("a", 0), _row("b", 0), _row("c", 0, note="x")], "key 'note' first appears on line 3 or after"),
    ([_row("a", 0), _row("b", 0), {"row_type": "corpus", "report": "(all)", "n_paragraphs": 2, "left_out": 1}],
     "its kept columns are known only at its end"),
])
def test_a_file_that_cannot_be_read_a_part_at_a_time_is_read_whole_and_said_so(tmp_path, caplog, rows, why):
    """A report's rows moved apart by hand (sorted by kind), a key of paragraph rows first found late, a kept column
    known only at the end: read whole, as before, the same reports."""
    csv_file = why.endswith(" (CSV)")
    path = _write(tmp_path / ("t.csv" if csv_file else "t.jsonl"), rows)
    whole, said_whole, streamed, said = _both(path, caplog, rows=1)
    assert streamed == whole
    assert said == [f"{path}: {why.removesuffix(' (CSV)')}: read back whole", *said_whole]


def _lines_read(monkeypatch) -> list[int]:
    """The line numbers the latest reading of a JSONL file has given so far (each reading starts the list anew)."""
    read: list[int] = []
    lines = tagged.iter_json_lines

    def counted(*args, **kwargs):
        read.clear()
        for item in lines(*args, **kwargs):
            read.append(item[0])
            yield item

    monkeypatch.setattr(tagged, "iter_json_lines", counted)
    return read


def test_the_reports_come_before_the_last_line_is_read_again(tmp_path, monkeypatch):
    """The memory bound: the second reading gives the first report before it reads the file's last line."""
    path = _write(tmp_path / "t.jsonl", [_row(f"r{n}", i) for n in range(50) for i in range(3)])
    read = _lines_read(monkeypatch)
    back = read_back_streamed(path, rows=10, progress=False)
    assert max(read) == 150  # the first pass read it all
    first = next(back.reports)
    assert first.report == "r0" and max(read) < 30  # the second, a part
    assert [r.report for r in itertools.chain([first], back.reports)] == [f"r{n}" for n in range(50)]
    assert back.count == 50


def test_tag_gives_a_tagged_files_first_report_before_it_reads_its_last_line(tmp_path, monkeypatch):
    """tagger tag read a tagged file named as an input whole before its first report was scored."""
    path = _write(tmp_path / "t.jsonl", [_row(f"r{n}", i) for n in range(3000) for i in range(2)])
    read = _lines_read(monkeypatch)
    first = next(iter(iter_records([str(path)], model_name="m")))
    assert isinstance(first, TaggedReport) and first.report == "r0"
    assert max(read) < 6000


def test_the_read_shows_progress_off_a_terminal(tmp_path, monkeypatch, caplog):
    """Nothing was said while a large tagged file was read back; now logged lines count the lines read (a bar on a
    terminal)."""
    path = _write(tmp_path / "t.jsonl", [_row(f"r{n}", 0) for n in range(30)])
    ticks = itertools.count(step=100.0)
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(ticks))
    monkeypatch.setattr(progress, "shows_progress", lambda enabled=None: bool(enabled))
    monkeypatch.setattr(tagged, "shows_progress", lambda enabled=None: bool(enabled))
    with caplog.at_level(logging.INFO, logger="tagger"):
        back = read_back_streamed(path, rows=5)
    assert any(r.getMessage().startswith("reading t.jsonl: ") and " lines done in " in r.getMessage()
               for r in caplog.records)
    assert back.count == 30


def test_a_file_changed_between_the_readings_is_refused(tmp_path):
    path = _write(tmp_path / "t.jsonl", [_row("a", 0), _row("b", 0)])
    back = read_back_streamed(path, rows=1, progress=False)
    _write(path, [_row("a", 0), _row("b", 0), _row("c", 0)])
    with pytest.raises(InputError, match="changed while it was read back"):
        next(back.reports)


def _counted_reads(monkeypatch):
    """The readings of a tagged file from now on (JSONL: its lines parsed; CSV: its lines decoded), by path."""
    reads: list[str] = []
    lines, text = tagged.iter_json_lines, tagged.read_text_lines

    def counted_lines(path, *args, **kwargs):
        reads.append(str(path))
        return lines(path, *args, **kwargs)

    def counted_text(path, *args, **kwargs):
        reads.append(str(path))
        return text(path, *args, **kwargs)

    monkeypatch.setattr(tagged, "iter_json_lines", counted_lines)
    monkeypatch.setattr(tagged, "read_text_lines", counted_text)
    return reads


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=tagged_rows(), part=st.integers(1, 5), suffix=st.sampled_from([".jsonl", ".csv"]))
def test_a_file_up_to_the_bound_is_read_once_and_gives_what_the_read_in_parts_gives(tmp_path_factory, caplog,
                                                                                  monkeypatch, rows, part, suffix):
    """A small tagged file was parsed twice (checked, then read again a report at a time): 45-90 % more time for
    nothing where holding it costs little. Up to KEPT_BYTES on disk it is read once and its reports kept: the same
    reports, warnings and counts as a byte over the bound (read in parts) and as read_back, and no second reading."""
    path = _write(tmp_path_factory.mktemp("t") / f"t{suffix}", rows)
    size = path.stat().st_size
    with monkeypatch.context() as patch:
        reads = _counted_reads(patch)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="tagger"):
            kept = read_back_streamed(path, rows=part, progress=False, kept_bytes=size)
            kept_reports = list(kept.reports)
            said_kept = [r.getMessage() for r in caplog.records]
        assert reads == [str(path)]  # read once: the reports came from that reading
        reads.clear()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="tagger"):
            parts = read_back_streamed(path, rows=part, progress=False, kept_bytes=size - 1)
            parts_reports = list(parts.reports)
            said_parts = [r.getMessage() for r in caplog.records]
        assert reads == [str(path)] * 2  # a byte over: checked, then read again
    whole, said_whole, _, _ = _both(path, caplog, part)
    assert _full(kept, kept_reports) == _full(parts, parts_reports) == whole
    assert said_kept == said_parts == said_whole


def test_a_file_up_to_the_bound_is_not_read_again_and_its_review_lock_goes_at_once(tmp_path, monkeypatch):
    """The default bound, KEPT_BYTES: a tagged file of at most so many bytes is read once (the reports are there before
    they are asked for), and a review session can open it while its reports are scored; a larger one is read again
    as they come, its lock held till the last."""
    path = _write(tmp_path / "t.jsonl", [_row(f"r{n}", i) for n in range(40) for i in range(3)])
    review_lock(path).touch()  # a review session opened it once: its lock is taken
    monkeypatch.setattr(tagged, "KEPT_BYTES", path.stat().st_size)
    reads = _counted_reads(monkeypatch)
    back = read_back_streamed(path, rows=10, progress=False)
    with hold_review_lock(path, "x"):  # free: nothing more is read from the file
        assert [r.report for r in back.reports] == [f"r{n}" for n in range(40)]
    assert len(reads) == 1
    monkeypatch.setattr(tagged, "KEPT_BYTES", path.stat().st_size - 1)
    back = read_back_streamed(path, rows=10, progress=False)
    assert next(back.reports).report == "r0" and len(reads) == 3  # checked, then read again
    with pytest.raises(InputError, match="has this file open"):
        with hold_review_lock(path, "x"):
            pass
    back.reports.close()


def test_the_second_reading_does_not_look_again_for_keys_given_twice(tmp_path, monkeypatch):
    """The second reading of a large tagged JSONL file looked again, on every line, for a key given twice (a fifth of
    its parse), which the first reading of the unchanged file had refused. Now only the first looks, and still refuses
    one anywhere."""
    rows = [_row(f"r{n}", i) for n in range(20) for i in range(3)]
    path = _write(tmp_path / "t.jsonl", rows)
    looked: list[str] = []
    twice = files._key_given_twice

    def counted(line, obj):
        looked.append(line)
        return twice(line, obj)

    monkeypatch.setattr(files, "_key_given_twice", counted)
    back = read_back_streamed(path, rows=10, progress=False)
    assert len(list(back.reports)) == 20
    assert len(looked) == 60  # each line once, by the first reading
    with path.open("a", encoding="utf-8") as fh:  # a last line giving its text twice
        fh.write(json.dumps(_row("r20", 0), ensure_ascii=False)[:-1] + ', "text": "另"}\n')
    with pytest.raises(InputError, match="the key 'text' is given more than once"):
        read_back_streamed(path, rows=10, progress=False)


@pytest.mark.parametrize("bound", ["read in parts", "read once"])
def test_retagging_a_tagged_csv_decodes_no_file_whole(cli_model, tmp_path, monkeypatch, bound):
    """A tagged CSV was decoded whole by each of its readings: once for its header (the columns it brings along), then
    by the first pass and by the second (a file of over KEPT_BYTES): its text held whole each time, 1.47 GB at the
    peak of re-tagging one of a million paragraphs (384 MB). It is read line by line now, and tagged again to the same
    bytes."""
    from tagger.apps.cli import main

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"r{n}", "company": "国网甲供电公司", "text": "为民服务 暖心行动\n党员志愿者"
                                       f"第{n}次走进敬老院，为孤寡老人义务检查线路。"}, ensure_ascii=False) + "\n"
                           for n in range(30)), encoding="utf-8")
    first, again = tmp_path / "t.csv", tmp_path / "again.csv"
    assert main(["-q", "tag", str(src), "--keep-columns", "company", "-o", str(first), "--model", cli_model]) == 0
    if bound == "read once":
        monkeypatch.setattr(tagged, "KEPT_BYTES", first.stat().st_size)
    whole: list[str] = []
    decode = files.decode_bytes

    def counted(data, name, *args, **kwargs):
        whole.append(name)
        return decode(data, name, *args, **kwargs)

    monkeypatch.setattr(files, "decode_bytes", counted)
    assert main(["-q", "tag", str(first), "-o", str(again), "--model", cli_model]) == 0
    assert whole == []
    assert again.read_bytes() == first.read_bytes()


@pytest.mark.parametrize("kept", [False, True])
def test_a_signal_while_the_review_lock_is_taken_leaves_it_neither_held_nor_behind(tmp_path, kept):
    """A re-tag stopped (Ctrl-C, SIGTERM) between the review lock taken and its let-go registered (an ExitStack
    between its enter_context and the push of the exit) left the lock held, its file beside the input, for as long
    as the error lived (for good where it outlived the interpreter's end): the lock is taken and registered as one
    step, signals held; one that lands there, or anywhere else in read_back_streamed, lets the lock go and leaves no
    lock file."""
    from helpers import registers_exit, signalled_at_each_line

    path = _write(tmp_path / "t.jsonl", [_row("a", 0), _row("a", 1), _row("b", 0)])
    lock = review_lock(path)

    def read():
        back = read_back_streamed(path, rows=1, progress=False, kept_bytes=10**9 if kept else 0)
        return [r.report for r in back.reports]

    def check(stop):
        assert not lock.exists(), f"a lock file left by {stop!r}"
        with hold_review_lock(path, "x"):  # not held
            pass

    reports, stopped = signalled_at_each_line(
        read, lambda code: registers_exit(code) or code is read_back_streamed.__code__, check)
    assert reports == ["a", "b"] and stopped > 10 and not lock.exists()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_retag_stopped_by_a_signal_lets_its_inputs_review_lock_go_when_it_ends(cli_model, tmp_path, monkeypatch,
                                                                                   signum):
    """The CLI kept the exception a Ctrl-C or SIGTERM raised (to know it again were Python to drop it in a
    finaliser), and with it every frame it unwound: the read-back's reports, which hold the input's review lock, lived
    on after main() returned 143 — another session was refused, and the lock file stayed beside the input when the
    process ended (the CLI left .first.jsonl.review-lock behind). The run keeps no such exception: the lock is let
    go, its file gone, as main() returns."""
    from tagger.apps import batch, outcome
    from tagger.apps.cli import main

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"r{n}", "text": f"党员志愿者第{n}次走进敬老院，为孤寡老人义务检查线路。"},
                                      ensure_ascii=False) + "\n" for n in range(12)), encoding="utf-8")
    first = tmp_path / "first.jsonl"
    assert main(["-q", "tag", str(src), "-o", str(first), "--model", cli_model]) == 0
    monkeypatch.setattr(tagged, "KEPT_BYTES", 0)  # read back in two passes: the second holds the lock as it reads
    handler = outcome.on_sigterm if signum == signal.SIGTERM else outcome.on_sigint
    real_write = batch.Writer.write

    def write_then_signal(self, chunk):
        real_write(self, chunk)
        handler(signum, None)  # as the signal's handler runs here

    monkeypatch.setattr(batch.Writer, "write", write_then_signal)
    code = main(["-q", "tag", str(first), "-o", str(tmp_path / "again.jsonl"), "--model", cli_model, "--chunk-size",
                 "5"])  # stopped after its first 5 reports: the read-back holds the lock still
    assert code == (143 if signum == signal.SIGTERM else 130)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.jsonl", "in.jsonl"]
    with hold_review_lock(first, "x", stays=True, holder="a review session"):  # not held: a session may open it
        pass
