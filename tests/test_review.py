"""The review queue: ``tagger tag --review`` ranks, ``tagger review`` records decisions in the file,
resumes after a kill, exports to labels/imported.jsonl; the page works in a real browser."""

import contextlib
import csv
import json
import logging
import re
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tagger.apps.batch import ReviewQueue, review_budget
from tagger.apps.cli import main
from tagger.apps.review import FLUSH_EVERY, TaggedFile, make_review_server
from tagger.data.examples import text_sha
from tagger.data.tagged import review_commands, review_journal
from tagger.errors import InputError, UsageError
from tagger.labels import LABELS
from tagger.model.uncertainty import margin



@pytest.fixture
def tagged(cli_model, root, tmp_path):
    out = tmp_path / "tagged.jsonl"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "20%", "-o", str(out)]) == 0
    return out


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --------------------------------------------------------------------------- the queue
def test_review_budget_parses_shares_and_counts():
    assert review_budget("15%") == ("share", 0.15) and review_budget("0.3") == ("share", 0.3)
    assert review_budget("120") == ("count", 120)
    for bad in ("abc", "150%", "-3", "1.5", "0", "0%", "0.0"):  # 0: nothing flagged, a queue review refuses
        with pytest.raises(UsageError):
            review_budget(bad)


def test_queue_flags_the_least_certain_and_keeps_stories_together():
    thresholds = np.full(5, 0.5)
    q = ReviewQueue(thresholds, ("count", 3))
    scores = {"a:0": 0.9, "a:1": 0.55, "b:0": 0.51, "b:1": 0.1, "b:2": 0.45, "c:0": 0.99}
    rows = [{"report": p.split(":")[0], "paragraph": p, **{f"score_{lab}": 0.0 for lab in LABELS}} for p in scores]
    for r in rows:
        r["score_elderly_care"] = scores[r["paragraph"]]
    q.add(rows)
    ranks = q.ranks()
    flagged = {rows[i]["paragraph"]: rank for i, rank in ranks.items()}
    # the three closest to 0.5: b:0 (0.51), a:1 (0.55), b:2 (0.45); report b first (it holds the least certain),
    # its paragraphs in reading order, then report a
    assert flagged == {"b:0": 1, "b:2": 2, "a:1": 3}
    assert rows[0]["review_margin"] == pytest.approx(margin(np.array([[0.9, 0, 0, 0, 0]]), thresholds)[0], abs=1e-4)


def test_tag_review_writes_the_queue_into_the_output(tagged):
    rows = _rows(tagged)
    flagged = sorted((r for r in rows if r["review"]), key=lambda r: r["review_rank"])
    assert len(flagged) == round(0.2 * len(rows))
    assert [r["review_rank"] for r in flagged] == list(range(1, len(flagged) + 1))
    assert all(r["review_rank"] is None for r in rows if not r["review"])
    worst_unflagged = min(r["review_margin"] for r in rows if not r["review"])
    assert all(r["review_margin"] <= worst_unflagged for r in flagged)
    assert not list(tagged.parent.glob(".tagged.jsonl.*"))  # no spool file left


@pytest.mark.parametrize("args", [["--review", "10%"], ["--review", "10%", "-o", "x.txt", "--format", "table"]])
def test_review_needs_a_file_output(cli_model, root, args, tmp_path, capsys):
    args = [a if a != "x.txt" else str(tmp_path / "x.txt") for a in args]
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, *args]) == 2
    assert "tagger review FILE" in capsys.readouterr().err


# --------------------------------------------------------------------------- decisions in the file
def test_decisions_are_written_into_the_file_beside_the_models_tags(tagged):
    store = TaggedFile(tagged)
    before = {r["paragraph"]: r["labels"] for r in _rows(tagged)}
    first, second = store.queue[:2]
    store.decide(first, ["volunteer_work", "elderly_care"], "ana")
    store.decide(second, [], "ana")
    assert store.journal.exists() and _rows(tagged)[0].get("reviewed_labels") is None  # journalled, not merged yet
    store.flush()
    rows = {r["paragraph"]: r for r in _rows(tagged)}
    assert rows[first]["reviewed_labels"] == ["elderly_care", "volunteer_work"] and rows[first]["reviewed_by"] == "ana"
    assert rows[second]["reviewed_labels"] == [] and rows[second]["reviewed_at"]
    assert {p: r["labels"] for p, r in rows.items()} == before  # the model's tags are never changed
    assert not store.journal.exists()
    store.close()
    with TaggedFile(tagged) as again:
        assert again.done() == 2 and again.first_open() == 2  # resumes after the reviewed ones
        with pytest.raises(ValueError, match="unknown label"):
            again.decide(again.queue[2], ["not_a_label"])


def test_every_flush_every_decisions_the_file_is_rewritten(tagged):
    store = TaggedFile(tagged)
    assert len(store.queue) >= 3
    for pid in store.queue[:3]:
        store.decide(pid, ["elderly_care"])
    assert sum(r.get("reviewed_labels") is not None for r in _rows(tagged)) == (3 if FLUSH_EVERY <= 3 else 0)


def test_csv_files_round_trip(cli_model, root, tmp_path):
    out = tmp_path / "tagged.csv"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "10", "-o", str(out)]) == 0
    store = TaggedFile(out)
    store.decide(store.queue[0], ["business_connection_speed"], "bo")
    store.decide(store.queue[1], [], "bo")
    store.flush()
    import csv

    rows = {r["paragraph"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows[store.queue[0]]["reviewed_labels"] == "business_connection_speed"
    assert rows[store.queue[1]]["reviewed_labels"] == "none"
    store.close()
    with TaggedFile(out) as again:
        assert again.done() == 2


def test_a_killed_session_resumes_from_the_journal(tagged):
    code = (f"from tagger.apps.review import TaggedFile\nimport os, signal\ns = TaggedFile({str(tagged)!r})\n"
            "s.decide(s.queue[0], ['elderly_care'], 'k')\ns.decide(s.queue[1], ['volunteer_work'], 'k')\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert all(r.get("reviewed_labels") is None for r in _rows(tagged))  # killed before any merge
    store = TaggedFile(tagged)  # the journal is replayed and merged
    assert store.done() == 2 and store.first_open() == 2
    rows = {r["paragraph"]: r for r in _rows(tagged)}
    assert rows[store.queue[1]]["reviewed_labels"] == ["volunteer_work"]


def test_export_goes_through_the_validated_import(tagged, project, capsys):
    assert main(["review", str(tagged), "--export", "--root", str(project)]) == 1  # nothing reviewed yet
    assert "no reviewed paragraph" in capsys.readouterr().err
    with TaggedFile(tagged) as store:
        store.decide(store.queue[0], ["elderly_care"])
        store.flush()
        assert main(["review", str(tagged), "--export", "--root", str(project)]) == 1  # a session has it open
        assert "another review session" in capsys.readouterr().err
    # the queue of the seeds is labelled already: the import skips them, naming why
    assert main(["review", str(tagged), "--export", "--root", str(project)]) == 0
    assert "skipped" in capsys.readouterr().out


_MONTHS = {"m1": ["社区网格员走访独居老人,登记用电需求。", "营业厅为小微企业开通办电快速通道。"],
           "m2": ["供电所党员为五保户更换老化插座。", "电力志愿者在广场讲解安全用电知识。"]}


def _monthly_queues(cli_model, tmp_path, months=None, queue=None):
    """Monthly exports of one name: m1/export.csv and m2/export.csv (``months``: month → texts) tagged separately
    with --review 100% into m1/q.jsonl, m2/q.jsonl (``queue``: month → the queue's path), every paragraph decided
    (volunteer_work); every queue's ids are export:2:0, export:3:0."""
    queues = {}
    for month, texts in (months or _MONTHS).items():
        folder = tmp_path / month
        folder.mkdir()
        with open(folder / "export.csv", "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([("text",), *((t,) for t in texts)])
        queues[month] = queue(month) if queue else folder / "q.jsonl"
        queues[month].parent.mkdir(exist_ok=True)
        assert main(["-q", "tag", str(folder / "export.csv"), "--review", "100%", "-o", str(queues[month]),
                     "--model", cli_model]) == 0
        with TaggedFile(queues[month]) as store:
            assert sorted(store.queue) == ["export:2:0", "export:3:0"]
            for pid in store.queue:
                store.decide(pid, ["volunteer_work"], month)
    return queues


def test_monthly_queues_tagged_separately_are_both_exported_with_an_id_prefix(cli_model, project, tmp_path, capsys):
    """Two months' queues of one input name hold the same ids: the second export was refused ("imported earlier
    with another text") and the fixes it named (tag again, remove the old rows) threw one reviewer's work away. The
    refusal names --id-prefix with the folder's name; with it both months are in labels/imported.jsonl, and the
    training data reads them."""
    from tagger.data.examples import load_training_data

    queues = _monthly_queues(cli_model, tmp_path)
    assert main(["review", str(queues["m1"]), "--export", "--root", str(project)]) == 0
    capsys.readouterr()
    imported = project / "labels" / "imported.jsonl"
    before = imported.read_bytes()
    assert main(["review", str(queues["m2"]), "--export", "--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert "export:2:0 was imported earlier with another text" in err
    assert f"tagger review {queues['m2']} --export --id-prefix q (its ids become q/<id>" in err, err
    assert imported.read_bytes() == before  # nothing imported
    assert main(["review", str(queues["m2"]), "--export", "--root", str(project), "--id-prefix", "m2", "--dry-run"]) == 0
    assert "2 added, 0 updated, 0 unchanged (dry run: nothing written)" in capsys.readouterr().out
    assert imported.read_bytes() == before
    assert main(["review", str(queues["m2"]), "--export", "--root", str(project), "--id-prefix", "m2"]) == 0
    assert "2 added, 0 updated, 0 unchanged\n" in capsys.readouterr().out
    rows = [json.loads(line) for line in imported.read_text(encoding="utf-8").splitlines()]
    assert {(r["id"], r["doc"], r["text"]) for r in rows} == {
        *((f"export:{i + 2}:0", f"export:{i + 2}", t) for i, t in enumerate(_MONTHS["m1"])),
        *((f"m2/export:{i + 2}:0", f"m2/export:{i + 2}", t) for i, t in enumerate(_MONTHS["m2"]))}
    read = {ex.id: ex for ex in load_training_data(project) if ex.source == "imported"}
    assert {"export:2:0", "export:3:0", "m2/export:2:0", "m2/export:3:0"} <= read.keys()
    assert read["m2/export:3:0"].doc == "m2/export:3" and read["m2/export:3:0"].labels == ("volunteer_work",)
    # the same prefix again: the decisions are there (unchanged); another month under a prefix taken is refused,
    # naming both causes and a prefix free
    assert main(["review", str(queues["m2"]), "--export", "--root", str(project), "--id-prefix", "m2"]) == 0
    assert main(["review", str(queues["m1"]), "--export", "--root", str(project), "--id-prefix", "m2"]) == 1
    err = capsys.readouterr().err
    assert "m2/export:2:0 was imported earlier with another text\n" in err and "m2/export:3:0 was imported earlier " \
           "with another text\n  For the 2 ids above that other texts have: either the report was corrected since " \
           f"that import: remove the old rows from {imported} and import again (--update overwrites labels, never a " \
           "text); or another report has the same id: the ids of this export (--id-prefix m2) are taken by other reports' " \
           f"paragraphs: export it under a prefix no earlier export used: tagger review {queues['m1']} --export " \
           "--id-prefix q" in err, err


def test_the_prefix_named_for_each_file_of_one_folder_is_free(cli_model, project, tmp_path, capsys):
    """The refusal named the folder as prefix, the same for every file of it: reviews/june.jsonl and
    reviews/july.jsonl were both told --id-prefix reviews, and the second was refused again. It names a prefix no
    imported id has: the file's name, else its folder's and its name."""
    months = {"may": _MONTHS["m1"], "june": _MONTHS["m2"], "july": ["台区经理上门为残疾人客户抄表。", "供电公司开展电力设施保护宣传。"],
              "june2": ["抢修队连夜恢复山区供电。", "客户经理为养殖户办理增容。"]}
    queues = _monthly_queues(cli_model, tmp_path, months, lambda m: tmp_path / (
        "archive/june.jsonl" if m == "june2" else f"reviews/{m}.jsonl"))
    assert main(["review", str(queues["may"]), "--export", "--root", str(project)]) == 0
    for month, prefix in (("june", "june"), ("july", "july"), ("june2", "archive/june")):
        capsys.readouterr()
        assert main(["review", str(queues[month]), "--export", "--root", str(project)]) == 1
        err = capsys.readouterr().err
        assert f"tagger review {queues[month]} --export --id-prefix {prefix} (its ids become {prefix}/<id>" in err, err
        assert main(["review", str(queues[month]), "--export", "--root", str(project), "--id-prefix", prefix]) == 0
    ids = [json.loads(line)["id"] for line in (project / "labels" / "imported.jsonl").read_text("utf-8").splitlines()]
    assert sorted(ids) == sorted(f"{p}export:{i}:0" for p in ("", "june/", "july/", "archive/june/") for i in (2, 3))


def _correct_and_decide_again(path):
    """The queue's paragraph a:1 corrected in the file since its export, and decided again on the corrected text."""
    rows = _rows(path)
    rows[1]["text"] = "a second, corrected"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with TaggedFile(path) as store:
        store.decide("a:1", [], "ana")


def test_a_report_corrected_since_its_export_is_told_apart_from_another_file(project, tmp_path, capsys):
    """The refusal of an id imported earlier with another text named only --id-prefix, also when the report had
    been corrected since its export, where following it imports the paragraph twice with conflicting labels. It
    names both causes, each with its fix; --update is no way out (it overwrites labels, never a text)."""
    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3"])
    with TaggedFile(path) as store:
        store.decide("a:1", ["volunteer_work"], "ana")
    assert main(["review", str(path), "--export", "--root", str(project)]) == 0
    _correct_and_decide_again(path)
    capsys.readouterr()
    for update in ([], ["--update"]):
        assert main(["review", str(path), "--export", "--root", str(project), *update]) == 1
        err = capsys.readouterr().err
        assert ("a:1 was imported earlier with another text. Either the report was corrected since that import: "
                f"remove the old rows from {project / 'labels' / 'imported.jsonl'} and import again (--update "
                "overwrites labels, never a text); or another report has the same id: keep these decisions under ids "
                f"of their own: tagger review {path} --export --id-prefix q (its ids become q/<id>") in err, err


def test_a_press_release_reposted_in_two_reports_is_exported_once_or_refused_naming_both(project, tmp_path, capsys):
    """Two reviewed paragraphs with one text refused the whole export even with the same decision ("q.jsonl, row 2:
    same paragraph text as q.jsonl, row 1 (a:0); keep one row"), "row N" counting decisions, not lines of the file.
    The same decision is imported once and said so; other decisions are refused naming both paragraphs, their
    labels and their lines."""
    reposted = "公司发布新闻稿,党员服务队为孤寡老人检查线路。"
    path = _queue_file(tmp_path / "q.jsonl", {"a": ["a first", reposted], "b": ["b first", "b second", reposted]},
                       ["a:1", "b:2", "b:0"])
    with TaggedFile(path) as store:
        store.decide("a:1", ["elderly_care", "volunteer_work"], "ana")
        store.decide("b:0", [], "ana")
        store.decide("b:2", ["volunteer_work"], "ana")
    capsys.readouterr()
    assert main(["review", str(path), "--export", "--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert (f"{path}:5 (b:2, labels volunteer_work): same paragraph text as {path}:2 (a:1, labels "
            "elderly_care;volunteer_work) with other labels") in err, err
    assert not (project / "labels" / "imported.jsonl").exists()
    with TaggedFile(path) as store:
        store.decide("b:2", ["volunteer_work", "elderly_care"], "ana")
    assert main(["review", str(path), "--export", "--root", str(project)]) == 0
    out = capsys.readouterr().out
    assert "2 added" in out and "1 paragraph with the text and the decision of another one (the same paragraph in " \
        "two reports) was imported once" in out, out
    imported = [json.loads(line) for line in (project / "labels" / "imported.jsonl").read_text("utf-8").splitlines()]
    assert [(r["id"], r["labels"]) for r in imported] == [("a:1", ["elderly_care", "volunteer_work"]), ("b:0", [])]


def test_a_decision_changed_since_an_export_under_another_prefix_names_that_prefix(project, tmp_path, capsys, caplog):
    """Exported again under another --id-prefix than last time (or none), with --update, a decision changed since
    was skipped as "labelled elsewhere with OTHER labels" and the command ended well: the change was lost unless
    one guessed why. The warning names the prefix those paragraphs were imported under and the command to update
    them, which does."""
    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3"])
    with TaggedFile(path) as store:
        store.decide("a:1", ["volunteer_work"], "ana")
        store.decide("a:3", [], "ana")
    assert main(["review", str(path), "--export", "--root", str(project), "--id-prefix", "m2"]) == 0
    with TaggedFile(path) as store:
        store.decide("a:1", ["elderly_care"], "ana")  # changed since
    for prefix, earlier in ((["--id-prefix", "m3"], " --id-prefix m2"), ([], " --id-prefix m2")):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert main(["review", str(path), "--export", "--root", str(project), *prefix, "--update"]) == 0
        mine = f"{prefix[1]}/" if prefix else ""
        assert (f"{path}: 1 decision not updated: the paragraphs were imported earlier under other ids, with other "
                "labels, which are kept (exported from this file then, under another --id-prefix?). To update them, "
                f"export it under the ids it had then — 1 imported with --id-prefix m2 ({mine}a:1 as m2/a:1): "
                f"tagger review {path} --export{earlier} --update") in caplog.text, caplog.text
    assert main(["review", str(path), "--export", "--root", str(project), "--id-prefix", "m2", "--update"]) == 0
    assert "0 added, 1 updated" in capsys.readouterr().out
    labels = {r["id"]: r["labels"] for r in map(json.loads, (project / "labels" / "imported.jsonl").read_text(
        "utf-8").splitlines())}
    assert labels == {"m2/a:1": ["elderly_care"], "m2/a:3": []}


def test_the_commands_review_export_suggests_quote_the_file_path(project, tmp_path, capsys, caplog):
    """A queue at "a b/c d.jsonl" was told to run tagger review a b/c d.jsonl --export --id-prefix 'c d': the prefix
    quoted, the path not, so the command pasted into a shell named two files. Every command review --export
    suggests quotes the path (and the prefix) as the shell needs."""
    import shlex

    (tmp_path / "a b").mkdir()
    path = _queue_file(tmp_path / "a b" / "c d.jsonl", QUEUE, ["a:1", "a:3"])
    quoted = shlex.quote(str(path))
    assert " " in str(path) and quoted != str(path)
    assert main(["review", str(path), "--export", "--root", str(project)]) == 1
    assert f"(tagger review {quoted})" in capsys.readouterr().err
    with TaggedFile(path) as store:
        store.decide("a:1", ["volunteer_work"], "ana")
    assert main(["review", str(path), "--export", "--root", str(project), "--id-prefix", "m 2"]) == 0
    with TaggedFile(path) as store:
        store.decide("a:1", ["elderly_care"], "ana")  # changed since
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert main(["review", str(path), "--export", "--root", str(project), "--update"]) == 0
    logged = caplog.text + capsys.readouterr().err  # the CLI's log handler may be the one that got it
    assert f"(a:1 as m 2/a:1): tagger review {quoted} --export --id-prefix 'm 2' --update" in logged, logged
    _correct_and_decide_again(path)
    capsys.readouterr()
    assert main(["review", str(path), "--export", "--root", str(project), "--id-prefix", "m 2"]) == 1
    err = capsys.readouterr().err
    assert "the ids of this export (--id-prefix 'm 2') are taken by other reports' paragraphs: export it under a " \
           f"prefix no earlier export used: tagger review {quoted} --export --id-prefix 'c d'" in err, err


def test_a_dry_run_makes_no_lock_file(project, tmp_path, capsys):
    """review --export --dry-run (and labels import --dry-run) made labels/.imported.lock: a dry run makes
    nothing."""
    from tagger.data.examples import text_sha

    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1"])
    with TaggedFile(path) as store:
        store.decide("a:1", ["volunteer_work"], "ana")
        store.flush()
    label_csv = tmp_path / "to_label.csv"
    label_csv.write_text(f"id,text,text_sha,labels\nz:0,{QUEUE['b'][0]},{text_sha(QUEUE['b'][0])},none\n",
                         encoding="utf-8")
    listing = lambda: sorted(p.relative_to(project) for p in project.rglob("*"))  # noqa: E731
    before = listing()
    assert main(["review", str(path), "--export", "--root", str(project), "--dry-run"]) == 0
    assert main(["labels", "import", str(label_csv), "--root", str(project), "--dry-run"]) == 0
    assert "1 added, 0 updated, 0 unchanged (dry run: nothing written)" in capsys.readouterr().out
    assert listing() == before


@pytest.mark.parametrize("prefix, problem", [
    ("m2/", "ends with / ('m2/'): the / between the prefix and each id is added (--id-prefix m2 gives m2/export:2:0)"),
    ("/m2", "starts with / ('/m2')"), ("/", "starts with / ('/')"), ("..", "has a '..' part ('..')"),
    ("a/../b", "has a '..' part"), ("a/./b", "has a '.' part"), ("a//b", "has an empty part, // ('a//b')"),
    ("a\\b", "contains a backslash ('a\\\\b'); separate the parts of a prefix with / (2024/m2)"),
    ("m" * 3000, "--id-prefix '" + "m" * 29 + "…" + "m" * 28 + "': is 3,000 characters long; keep it to 100 or fewer")])
def test_an_id_prefix_that_would_make_odd_ids_is_refused(tagged, project, prefix, problem, capsys):
    """--id-prefix took m2/ (ids m2//export:2:0), /, .., a backslash and 3,000 characters."""
    assert main(["review", str(tagged), "--export", "--root", str(project), "--id-prefix", prefix]) == 2
    assert problem in capsys.readouterr().err


@pytest.mark.parametrize("args, problem", [(["--id-prefix", " m2"], "--id-prefix ' m2': has white space"),
                                           (["--id-prefix", "m\u20282"], "invisible character U+2028"),
                                           (["--id-prefix", "m2", "--no-export"], "--id-prefix only applies to --export"),
                                           (["--dry-run", "--no-export"], "--dry-run only applies to --export")])
def test_id_prefix_and_dry_run_are_checked(tagged, project, args, problem, capsys):
    export = [] if "--no-export" in args else ["--export"]
    args = [a for a in args if a != "--no-export"]
    assert main(["review", str(tagged), *export, "--root", str(project), *args]) == 2
    assert problem in capsys.readouterr().err


@pytest.mark.parametrize("name, taken, prefix", [
    ("reviews/june.jsonl", [], "june"),
    ("reviews/june.jsonl", ["june/a:1"], "reviews/june"),
    ("reviews/june.jsonl", ["june/a:1", "reviews/june/a:1"], "june-2"),
    # neither name can be a prefix (an invisible character): batch was never offered, batch-2 came first
    ("reviews/june\u200b.jsonl", [], "batch"),
    ("reviews/june\u200b.jsonl", ["batch/a:1"], "batch-2"),
    ("reviews/-june.jsonl", ["reviews/-june/a:1"], "reviews/-june-2"),
    # a name of 99 characters, taken: june-2 was 101 characters, a prefix --id-prefix refuses
    ("r/" + "j" * 99 + ".jsonl", ["j" * 99 + "/a:1"], "j" * 98 + "-2"),
    ("r/" + "j" * 100 + ".jsonl", ["j" * 100 + "/a:1", *(f"{'j' * 98}-{n}/a:1" for n in range(2, 10))],
     "j" * 97 + "-10")])
def test_free_id_prefix_offers_the_plain_name_first_then_numbers_that_fit(name, taken, prefix):
    from tagger.apps.review import free_id_prefix

    assert free_id_prefix(name, taken) == prefix


_PREFIX_CHARS = st.sampled_from(["j", "u", "n", "e", "月", " ", "-", ".", "'", "\u200b", "\u3000"])


@settings(max_examples=200, deadline=None)
@given(stem=st.builds(lambda t, n: t + "j" * n, st.text(_PREFIX_CHARS, max_size=10),
                      st.sampled_from([0, 1, 90, 97, 98, 99, 100, 105])).filter(lambda t: t.strip(".")),
       folder=st.text(_PREFIX_CHARS, max_size=12).filter(lambda t: t.strip(".")),
       taken=st.sets(st.integers(0, 12), max_size=13))
def test_free_id_prefix_is_always_one_id_prefix_takes_and_no_id_has(stem, folder, taken):
    """Whatever the file's name, the prefix the refusal names is free and one --id-prefix takes (a number added to
    a long name made one over the limit, refused when the user ran the command the refusal named)."""
    from tagger.apps.review import free_id_prefix, id_prefix_problem

    named = [stem, f"{folder}/{stem}", "batch"]
    candidates = named + [f"{n[:100 - 3]}-{k}" for n in named for k in range(2, 5)]
    ids = [f"{candidates[i]}/a:1" for i in taken if i < len(candidates)]
    prefix = free_id_prefix(f"/tmp/{folder}/{stem}.jsonl", ids)
    assert id_prefix_problem(prefix) is None and not prefix.startswith("-")
    assert not any(pid.startswith(prefix + "/") for pid in ids)
    free = not any(pid.startswith(stem + "/") for pid in ids)
    if free and id_prefix_problem(stem) is None and not stem.startswith("-"):
        assert prefix == stem


def _folder_bytes(folder):
    return {f.name: f.read_bytes() for f in folder.iterdir()}


@pytest.mark.parametrize("lock_file", [True, False])
def test_export_reads_a_queue_in_a_folder_not_writable(project, tmp_path, monkeypatch, capsys, lock_file):
    """review --export refused a queue in a read-only folder ("its folder is not writable, so decisions could not be
    saved") though it only reads the file. It exports it now, the decisions journalled beside it included, writing
    nothing there; the lock a session made is still taken (a session holding it refuses the export), and where none
    was made and none can be (the export reads without it: no session can have the file open)."""
    from tagger.common import locks

    folder = tmp_path / "ro"
    folder.mkdir()
    path = _queue_file(folder / "q.jsonl", QUEUE, ["a:1", "a:3", "b:0"])
    with TaggedFile(path) as store:
        store.decide("a:1", ["volunteer_work"], "ana")
        store.flush()
        store.decide("a:3", [], "ana")  # in the journal only: a killed session's
    assert review_journal(path).exists()
    real_open = locks.os.open

    def no_new_file(name, flags, *args):
        if flags & locks.os.O_CREAT and str(name).endswith(".review-lock"):
            raise PermissionError(13, "Permission denied", name)
        return real_open(name, flags, *args)

    if not lock_file:
        (folder / ".q.jsonl.review-lock").unlink()
        monkeypatch.setattr(locks.os, "open", no_new_file)
    before = _folder_bytes(folder)
    import tagger.apps.review as review

    monkeypatch.setattr(review.os, "access", lambda p, mode: mode != review.os.W_OK)
    with pytest.raises(InputError, match="folder is not writable"):
        TaggedFile(path)  # a session needs to write
    assert main(["review", str(path), "--export", "--root", str(project), "--dry-run"]) == 0
    assert "2 added, 0 updated, 0 unchanged (dry run: nothing written)" in capsys.readouterr().out
    assert not (project / "labels" / "imported.jsonl").exists()
    assert main(["review", str(path), "--export", "--root", str(project)]) == 0
    imported = [json.loads(line) for line in (project / "labels" / "imported.jsonl").read_text("utf-8").splitlines()]
    assert {r["id"]: r["labels"] for r in imported} == {"a:1": ["volunteer_work"], "a:3": []}
    assert _folder_bytes(folder) == before  # nothing written, made or removed beside the file
    if lock_file:
        monkeypatch.undo()
        with TaggedFile(path):  # a session has it open: the export waits for it, read-only folder or not
            monkeypatch.setattr(review.os, "access", lambda p, mode: mode != review.os.W_OK)
            assert main(["review", str(path), "--export", "--root", str(project)]) == 1
            assert "another review session has this file open" in capsys.readouterr().err


def test_a_store_opened_to_read_only_refuses_to_write(tmp_path):
    """Review: TaggedFile(path, queue=False) (what --export opens) set a stale decision aside in memory only, and a
    flush() from Python then rewrote the file without it, no stale journal written: the decision was in neither
    place. Saving refuses on a store opened to read only; the file and its folder stay as they were."""
    folder = tmp_path / "reviews"
    folder.mkdir()
    path = _queue_file(folder / "q.jsonl", QUEUE, ["a:1", "b:0"])
    with TaggedFile(path) as store:
        store.decide("b:0", ["volunteer_work"], "ana")
        store.flush()
        store.decide("a:1", [], "ana")  # in the journal only
    rows = _rows(path)
    for r in rows:
        if r["paragraph"] == "b:0":
            r["text"] = "b first, corrected"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    before = _folder_bytes(folder)
    with TaggedFile(path, queue=False) as store:
        assert store.read_only
        with pytest.raises(InputError, match="opened to read only .*nothing is written"):
            store.flush()
    assert _folder_bytes(folder) == before


@pytest.mark.parametrize("dry_run", [True, False])
def test_export_only_reads_a_queue_in_a_folder_it_could_write(project, tmp_path, caplog, capsys, dry_run):
    """review --export (even with --dry-run, which said "nothing written") rewrote the reviewed file in a folder it
    could write: a killed session's journal was merged into it and deleted, a decision on a text edited since was
    moved out of it into the stale journal, and a lock file was made. The export only reads, in any folder: the
    file and its folder are byte for byte as they were, the journalled decision is exported and the stale one left
    out with a warning."""
    folder = tmp_path / "reviews"
    folder.mkdir()
    path = _queue_file(folder / "q.jsonl", QUEUE, ["a:1", "a:3", "b:0"])
    with TaggedFile(path) as store:
        store.decide("a:1", ["volunteer_work"], "ana")
        store.decide("b:0", [], "ana")
        store.flush()
        store.decide("a:3", [], "ana")  # in the journal only: a killed session's
    rows = _rows(path)
    for r in rows:
        if r["paragraph"] == "b:0":
            r["text"] = "b first, corrected"  # edited after the decision: that decision is stale
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    review_lock_file = folder / ".q.jsonl.review-lock"
    review_lock_file.unlink()  # none made by the export either
    before = _folder_bytes(folder)
    with caplog.at_level(logging.INFO):
        assert main(["review", str(path), "--export", "--root", str(project), *(["--dry-run"] * dry_run)]) == 0
    assert _folder_bytes(folder) == before
    said = capsys.readouterr()
    logged = caplog.text + said.err  # the CLI's handler writes to stderr once a test before set it up, else caplog
    assert "2 added, 0 updated, 0 unchanged" + (" (dry run: nothing written)" if dry_run else "\n") in said.out
    assert ("1 review decision was made on another text than its paragraph holds now (the text was edited after the "
            f"decision: b:0 at {path}:6): left out of this export (it only reads: the file is left as it is, and "
            f"still holds it); review it again (tagger review {path} adds it to its review queue") in logged
    assert "1 decision of an interrupted session read from .q.jsonl.review-journal.jsonl" in logged
    imported = project / "labels" / "imported.jsonl"
    if dry_run:
        assert not imported.exists()
    else:
        assert {r["id"]: r["labels"] for r in map(json.loads, imported.read_text("utf-8").splitlines())} == {
            "a:1": ["volunteer_work"], "a:3": []}
    with TaggedFile(path) as store:  # the next session does what the export left: merges, sets aside
        assert store.row("a:3")["reviewed_labels"] == [] and store.row("b:0")["reviewed_labels"] is None
    assert not review_journal(path).exists()


def test_decisions_of_a_file_tagged_again_without_a_queue_can_be_exported_as_the_force_refusal_says(
        tagged, cli_model, project, root, tmp_path, capsys):
    """A reviewed queue tagged again (no --review) holds its decisions and no queue; tag --force over it said to
    export them with review --export, which refused a file without a queue: the advice went in a circle."""
    with TaggedFile(tagged) as store:
        store.decide(store.queue[0], ["volunteer_work"], "ana")
        store.flush()
    again = tmp_path / "again.jsonl"
    assert main(["-q", "tag", str(tagged), "-o", str(again), "--model", cli_model]) == 0
    assert not any(r.get("review") for r in _rows(again)) and sum(r.get("reviewed_labels") is not None
                                                                   for r in _rows(again)) == 1
    assert main(["-q", "tag", str(tagged), "-o", str(again), "--force", "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert f"then: tagger review {again} --export) and then add --discard-reviews" in err, err
    with pytest.raises(InputError, match="--review"):
        TaggedFile(again)  # the page still needs a queue
    plain = tmp_path / "plain.jsonl"  # neither decisions nor a queue: the advice is not "tagger review" (it refuses)
    assert main(["-q", "tag", str(root / "seeds"), "-o", str(plain), "--model", cli_model]) == 0
    assert main(["review", str(plain), "--export", "--root", str(project)]) == 1
    assert "no review decision to export, and no review queue to make them in" in capsys.readouterr().err
    assert main(["review", str(again), "--export", "--root", str(project)]) == 0
    assert "skipped" in capsys.readouterr().out  # a seed paragraph: labelled already, named
    workbook = tmp_path / "again.xlsx"
    assert main(["-q", "tag", str(again), "-o", str(workbook), "--model", cli_model]) == 0
    assert main(["-q", "tag", str(again), "-o", str(workbook), "--force", "--model", cli_model]) == 1
    assert (f"then: tagger tag {workbook} -o DECISIONS.jsonl, then tagger review DECISIONS.jsonl --export)"
            in capsys.readouterr().err)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_the_summary_rows_of_a_reviewed_file_count_its_decisions(cli_model, root, tmp_path, suffix):
    """Review: after tagger review a queue's report and corpus rows (--summary) still held the model's counts, while
    the README says every format's summary counts are the final labels (and tagger stats counts the decisions)."""
    from tagger.data.tagged import read_tagged

    queue = tmp_path / f"q{suffix}"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--summary", "--review", "20%",
                 "-o", str(queue)]) == 0
    with TaggedFile(queue) as store:
        labelled = [p for p in store.queue if store.rows[store.by_id[p]]["labels"]]
        store.decide(labelled[0], [], "ana")
        store.decide(store.queue[-1], list(LABELS), "ana")
        store.flush()
    final = read_tagged(queue)
    if suffix == ".jsonl":
        summary = [r for r in _rows(queue) if r["row_type"] != "paragraph"]
    else:
        with queue.open(encoding="utf-8-sig", newline="") as fh:
            summary = [r for r in csv.DictReader(fh) if r["row_type"] != "paragraph"]
    corpus = next(r for r in summary if r["row_type"] == "corpus")
    for lab in LABELS:
        assert int(corpus[f"count_{lab}"]) == sum(lab in f for f in final["effective_labels"])
        for r in summary:
            if r["row_type"] == "report":
                mine = final[final["report"] == r["report"]]["effective_labels"]
                assert int(r[f"count_{lab}"]) == sum(lab in f for f in mine), (r["report"], lab)
    assert all(int(corpus[f"count_{lab}"]) > 0 for lab in LABELS)  # the last decision gave every label


def test_a_file_without_a_queue_is_refused(cli_model, root, tmp_path):
    plain = tmp_path / "plain.jsonl"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(plain)]) == 0
    with pytest.raises(InputError, match="--review"):
        TaggedFile(plain)
    with pytest.raises(InputError, match=".jsonl or .csv"):
        TaggedFile(tmp_path / "x.tsv")  # a tagged .parquet: the commands that review it (below)
    (tmp_path / "folder.jsonl").mkdir()  # user test 3: a folder was "no such file"
    with pytest.raises(InputError, match="folder.jsonl: is a directory; give the file tagger tag --review wrote"):
        TaggedFile(tmp_path / "folder.jsonl")


@pytest.mark.parametrize("name, content, problem", [
    ("gone.jsonl", None, "gone.jsonl: no such file"), ("notes.txt", "x", "review works on .jsonl or .csv"),
    ("bad.jsonl", "not json\n", "bad.jsonl:1"), ("plain.jsonl", '{"report": "r", "paragraph": "r:0"}\n', "--review")])
def test_a_file_that_cannot_be_reviewed_is_refused_before_the_model_is_loaded(tmp_path, monkeypatch, capsys, name,
                                                                              content, problem):
    """tagger review FILE loaded the model (seconds) before it looked at the file: a missing or bad file was
    refused only after that."""
    import tagger.model.persistence

    def loaded(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(tagger.model.persistence, "load_model", loaded)
    if content is not None:
        (tmp_path / name).write_text(content, encoding="utf-8")
    assert main(["review", str(tmp_path / name), "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert problem in err and "the model was loaded" not in err


def test_a_tagged_workbook_is_refused_naming_the_commands_that_review_it(cli_model, tagged, tmp_path, capsys):
    """`tagger review queue.xlsx` was told "review works on .jsonl or .csv files written by tagger tag --review", and
    not how to get one. A review saves by rewriting the file, which a workbook (or Parquet, SQLite) file is not: the
    refusal names the commands, and they work: the decisions come along into a CSV queue of the undecided ones."""
    import shlex

    with TaggedFile(tagged) as store:
        decided = store.queue[0]
        store.decide(decided, ["volunteer_work"], "ana")
        store.flush()
    book = tmp_path / "queue book.xlsx"
    assert main(["-q", "tag", str(tagged), "--model", cli_model, "-o", str(book)]) == 0
    (tmp_path / "queue book.csv").write_text("taken", encoding="utf-8")  # a name in use is not offered
    capsys.readouterr()
    assert main(["review", str(book)]) == 1
    err = capsys.readouterr().err
    out = tmp_path / "queue book-2.csv"
    tag = f"tagger tag {shlex.quote(str(book))} -o {shlex.quote(str(out))} --review 15%"
    assert "does not rewrite an Excel workbook" in err and f"review that: {tag}, then tagger review " \
           f"{shlex.quote(str(out))}" in err, err
    assert main([*shlex.split(tag)[1:], "--model", cli_model]) == 0
    with TaggedFile(out) as store:
        assert store.row(decided)["reviewed_labels"] == ["volunteer_work"] and store.queue
        assert decided not in store.queue_set
    assert main(["review", str(book), "--export"]) == 1
    out = shlex.quote(str(tmp_path / "queue book-3.csv"))  # -2 is taken now
    assert f"export that: tagger tag {shlex.quote(str(book))} -o {out}, then tagger review {out} --export" in \
           capsys.readouterr().err
    for suffix, what in ((".parquet", "a Parquet file"), (".sqlite", "a SQLite database")):
        with pytest.raises(InputError, match=f"q{suffix}: no such file; check its name and path$"):
            TaggedFile(tmp_path / f"q{suffix}")
        assert main(["-q", "tag", str(tagged), "--model", cli_model, "-o", str(tmp_path / f"q{suffix}")]) == 0
        with pytest.raises(InputError, match=f"does not rewrite {what}; .*tagger tag .*q{suffix} -o .*q.csv --review 15%"):
            TaggedFile(tmp_path / f"q{suffix}")


def test_an_input_workbook_is_refused_as_no_tagged_file_naming_how_to_tag_it(cli_model, tmp_path, capsys):
    """`tagger review 报告.xlsx` on an input table (columns 编号/内容, not tag's) was told to run tagger tag 报告.xlsx -o
    报告.csv --review 15%, which failed ("no column 'text'"). It is said to be no tagged file, and the commands it
    names, with the --text-column its hint names, tag it to a queue that review opens."""
    import shlex

    import pandas as pd

    book = tmp_path / "报告.xlsx"
    texts = ["党员服务队为孤寡老人免费检查线路。", "公司召开会议。", "企业接电时间压缩至15天。", "老旧小区改造完成配电房升级。",
             "加装电梯接电工程顺利完成。", "志愿者走进社区开展用电安全宣传。", "供电所开展安全培训。", "为独居老人更换老化电线。"]
    pd.DataFrame({"编号": [f"a{i}" for i in range(len(texts))], "内容": texts}).to_excel(book, index=False)
    out = shlex.quote(str(tmp_path / "报告.csv"))
    tag = f"tagger tag {shlex.quote(str(book))} -o {out} --review 15%"
    for export, has in (([], "no review queue"), (["--export"], "no review decisions to export")):
        assert main(["review", str(book), *export]) == 1
        err = capsys.readouterr().err
        assert (f"{book}: not a file tagger tag wrote (its columns are not tag's), so it has {has}; to review its "
                f"reports, tag them to a CSV queue and review that: {tag} (with --text-column NAME if its reports' "
                f"text is in a column not named text), then tagger review {out}") in err, err
    assert main([*shlex.split(tag)[1:], "--model", cli_model]) == 1  # as the hint says: its text is in 内容
    assert "no column 'text'" in capsys.readouterr().err
    assert main([*shlex.split(tag)[1:], "--text-column", "内容", "--model", cli_model]) == 0
    with TaggedFile(shlex.split(out)[0]) as store:  # tagger review 报告.csv opens it
        assert len(store.rows) == len(texts) and store.queue


def test_a_suggested_command_names_a_file_starting_with_a_dash_so_that_it_runs(cli_model, tagged, tmp_path,
                                                                             monkeypatch, capsys):
    """`tagger review ./-dash.xlsx` suggested `tagger tag -dash.xlsx -o -dash.csv …`, which the argument parser took
    as options; every suggested command names such a file ./-dash.xlsx (tagger.common.terminal.shell_arg)."""
    import shlex

    monkeypatch.chdir(tmp_path)
    assert main(["-q", "tag", str(tagged), "--model", cli_model, "-o", "./-dash.xlsx"]) == 0
    capsys.readouterr()
    assert main(["review", "./-dash.xlsx"]) == 1
    err = capsys.readouterr().err
    tag = "tagger tag ./-dash.xlsx -o ./-dash.csv --review 15%"
    assert f"review that: {tag}, then tagger review ./-dash.csv" in err, err
    assert main([*shlex.split(tag)[1:], "--model", cli_model]) == 0
    with TaggedFile(tmp_path / "-dash.csv") as store:
        assert store.queue


def test_the_queue_message_quotes_the_file_it_names(cli_model, tmp_path):
    """"open it with: tagger review june book.csv" named two files to a shell: the path is quoted."""
    import subprocess
    import sys

    report = tmp_path / "r.txt"
    report.write_text("党员服务队为孤寡老人免费检查线路。\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "tagger", "tag", str(report), "--model", cli_model, "--review", "50%",
                          "-o", "june book.csv"], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "(open it with: tagger review 'june book.csv')" in run.stderr, run.stderr


def test_a_folder_without_a_suffix_is_said_to_be_a_folder(tmp_path):
    """`tagger review out` (the folder tagger tag wrote into) was told "review works on .jsonl or .csv files", as
    `stats FOLDER` was told of a "suffix-less file" before it said what it is."""
    (tmp_path / "out").mkdir()
    with pytest.raises(InputError, match="out: is a directory; give the file tagger tag --review wrote"):
        TaggedFile(tmp_path / "out")


def test_a_csv_queue_shows_its_items(cli_model, root, tmp_path):
    """A CSV tagged file has no reviewed_by / reviewed_at columns until the first save: the page's item
    request used to fail with a KeyError (HTTP 500) on every position."""
    from tagger.apps.review import QueueApp

    out = tmp_path / "tagged.csv"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "3", "-o", str(out)]) == 0
    with TaggedFile(out) as store:
        app = QueueApp(store, "bo")
        item = app.item(0)
        assert item["reviewed_labels"] is None and item["reviewed_by"] is None and item["text"]
        app.decide_request({"paragraph": item["paragraph"], "labels": ["elderly_care"]})
        assert app.item(0)["reviewed_by"] == "bo"


def _kill_after_deciding(tagged, labels):
    code = (f"from tagger.apps.review import TaggedFile\nimport os, signal\ns = TaggedFile({str(tagged)!r})\n"
            f"s.decide(s.queue[0], {labels!r}, 'k')\nos.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("change", ["edited", "gone"])
def test_a_journal_left_by_a_killed_session_never_lands_on_another_text(tagged, caplog, change):
    """Tagged again under the same name, or its text edited, the file holds another paragraph under the id: a
    decision journalled on the old text is left out (with a warning), not put on the new one. The warning said
    "made on paragraphs this file no longer holds (tagged again since?)" of a paragraph still there, its text
    edited: it says which happened."""
    with TaggedFile(tagged) as store:
        pid = store.queue[0]
    _kill_after_deciding(tagged, ["elderly_care"])
    rows = _rows(tagged)
    for r in rows:  # the same ids, another text: what tagging other reports into this name gives, or an edit
        if r.get("paragraph") == pid:
            if change == "edited":
                r["text"] = "公司召开党委会议,传达上级精神。"
            else:
                r["paragraph"] = pid + "999"
    tagged.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with caplog.at_level("WARNING"), TaggedFile(tagged) as store:
        assert store.done() == 0 and store.row(store.queue[0])["reviewed_labels"] is None
        assert not store.journal.exists()  # dropped: it would warn at every opening
    assert ("1 decision in .tagged.jsonl.review-journal.jsonl not applied (1 made on "
            + {"edited": "another text than the paragraph holds now: its text was edited (or the file tagged "
                         "again) since",
               "gone": "paragraphs this file no longer holds: tagged again since?"}[change] + ")") in caplog.text
    assert all(r.get("reviewed_labels") is None for r in _rows(tagged))


def test_a_journal_on_the_same_text_is_restored(tagged):
    _kill_after_deciding(tagged, ["volunteer_work"])
    with TaggedFile(tagged) as store:
        assert store.done() == 1 and store.row(store.queue[0])["reviewed_labels"] == ["volunteer_work"]


def test_one_review_session_at_a_time(tagged, capsys):
    """Two sessions on one file used to both save 'ok' and the second save dropped the first's decisions."""
    store = TaggedFile(tagged)
    with pytest.raises(InputError, match="another review session has this file open"):
        TaggedFile(tagged)
    code = f"from tagger.apps.review import TaggedFile\nTaggedFile({str(tagged)!r})\n"  # another process, too
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "another review session" in proc.stderr
    assert main(["review", str(tagged), "--port", "0", "--no-evidence"]) == 1
    assert "another review session" in capsys.readouterr().err
    store.close()
    with TaggedFile(tagged) as again:  # free once the first session ended
        assert again.queue == store.queue


def test_a_refused_command_names_the_session_that_has_the_file_open(tagged, cli_model, capsys):
    """A second session (or --export, or tag -o into the file) was refused with "another review session has this
    file open (tagger review)": not which one, so a reviewer who left a session running in another terminal, or a
    colleague's, could not find it. The session writes who reviews, its process, since when and its page's address
    into the lock, and the refusal names them."""
    import os

    server = make_review_server(tagged, "ana", None, "127.0.0.1", 0)
    try:
        with pytest.raises(InputError) as refused:
            TaggedFile(tagged)
        said = str(refused.value)
        assert "another review session has this file open (tagger review by ana, process " in said
        assert f"process {os.getpid()}, since " in said and f"at {server.url})" in said
        assert main(["review", str(tagged), "--port", "0", "--no-evidence"]) == 1
        assert f"(tagger review by ana, process {os.getpid()}" in capsys.readouterr().err
        assert main(["tag", str(tagged), "--model", cli_model, "-o", str(tagged.with_suffix(".csv"))]) == 1
        assert f"a review session has this file open (tagger review by ana, process {os.getpid()}" in \
            capsys.readouterr().err
    finally:
        server.server_close()
        server.app.store.close()


def test_a_session_started_while_a_retag_holds_the_file_names_the_retag(tagged, monkeypatch):
    """tagger tag OLD.jsonl (a file a session opened before) holds its review lock till the last report is read again;
    a session started meanwhile said "another review session has this file open", though none was. The re-tag
    writes what it is into the lock file, and the session names it."""
    import tagger.data.tagged as tagged_module

    with TaggedFile(tagged):  # a session opened it once: its lock file is there
        pass
    monkeypatch.setattr(tagged_module, "KEPT_BYTES", 0, raising=False)  # as a large file: read again as it is scored
    back = tagged_module.read_back_streamed(tagged, progress=False)
    next(back.reports)
    said = "a re-tag (tagger tag reading it back to score its reports again) has this file open; wait for it to end"
    with pytest.raises(InputError, match=re.escape(said)):
        TaggedFile(tagged)
    code = f"from tagger.apps.review import TaggedFile\nTaggedFile({str(tagged)!r})\n"  # another process, too
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and said in proc.stderr and "another review session" not in proc.stderr
    back.reports.close()
    with TaggedFile(tagged) as store:  # free once the re-tag ended; its note gone with it
        with pytest.raises(InputError, match="another review session has this file open"):
            TaggedFile(tagged)
        assert store.queue


def test_two_retags_of_one_file_run_side_by_side(tagged, cli_model, tmp_path, monkeypatch, capsys):
    """Two re-tags of one tagged file (two models to compare, say) refused each other once a review session had opened
    it ("a re-tag ... has this file open; wait for it to end"), though both only read it; and a re-tag refused by a
    session was told that none of the file's reports could be tagged "until it is corrected". Re-tags now share the
    lock: they run side by side, while a session (or tag -o into the file) is still refused, naming the re-tag; and a
    re-tag a session refuses is told which file and to stop the session, nothing about correcting it."""
    import tagger.data.tagged as tagged_module

    with TaggedFile(tagged):  # a session opened it once: its lock file is there
        pass
    monkeypatch.setattr(tagged_module, "KEPT_BYTES", 0, raising=False)  # as a large file: read again as it is scored
    first = tagged_module.read_back_streamed(tagged, progress=False)
    next(first.reports)  # holds the lock till its last report
    second = tagged_module.read_back_streamed(tagged, progress=False)  # was refused
    assert [r.report for r in second.reports] == [r.report for r in tagged_module.read_back(tagged).reports]
    out = tmp_path / "again.jsonl"
    code = ("import sys; from tagger.apps.cli import main; "
            f"sys.exit(main(['-q', 'tag', {str(tagged)!r}, '-o', {str(out)!r}, '--model', {cli_model!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr  # another process too
    said = "a re-tag (tagger tag reading it back to score its reports again) has this file open; wait for it to end"
    with pytest.raises(InputError, match=re.escape(said)):
        TaggedFile(tagged)
    first.reports.close()
    with TaggedFile(tagged):
        assert main(["-q", "tag", str(tagged), "-o", str(tmp_path / "refused.jsonl"), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert re.search(re.escape(f"{tagged}: a review session has this file open (tagger review, process ") + r"\d+, since [^)]+\); stop it first", err), err
    assert "corrected" not in err


def test_a_retag_and_tag_into_a_file_no_session_opened_are_kept_apart(tagged, cli_model, root, tmp_path, monkeypatch,
                                                                      capsys):
    """The review lock was taken only where a session had once made its lock file: a re-tag of a file never reviewed
    and a tag -o into it ran at once (the file replaced under the re-tag reading it), and so did two tag -o into one
    output. The lock is taken whether a session opened the file or not — two re-tags still share it — and a lock
    file made for it goes with it: nothing is left beside the files."""
    import tagger.data.tagged as tagged_module
    from tagger.data.tagged import TAG_OUTPUT, hold_review_lock, review_lock

    assert not review_lock(tagged).exists()  # no session ever opened it
    before, seeds = tagged.read_bytes(), str(root / "seeds")
    monkeypatch.setattr(tagged_module, "KEPT_BYTES", 0, raising=False)  # as a large file: read again as it is scored
    first = tagged_module.read_back_streamed(tagged, progress=False)
    next(first.reports)  # holds the lock till its last report
    second = tagged_module.read_back_streamed(tagged, progress=False)  # re-tags share it
    assert [r.report for r in second.reports] == [r.report for r in tagged_module.read_back(tagged).reports]
    assert main(["-q", "tag", seeds, "--model", cli_model, "-o", str(tagged), "--force"]) == 1
    assert (f"{tagged}: a re-tag (tagger tag reading it back to score its reports again) has this file open; wait for "
            "it to end, then try again") in capsys.readouterr().err
    assert tagged.read_bytes() == before
    first.reports.close()
    assert not review_lock(tagged).exists()
    out = tmp_path / "new.jsonl"
    for path, argv in ((out, [seeds, "-o", str(out)]), (tagged, [str(tagged), "-o", str(tmp_path / "again.jsonl")])):
        with hold_review_lock(path, "x", holder=TAG_OUTPUT):  # a tag -o writing it
            assert main(["-q", "tag", *argv, "--model", cli_model]) == 1
            assert (f"{path}: tagger tag (writing its output into it) has this file open; wait for it to end, then try "
                    "again") in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "again.jsonl").exists()
    assert main(["-q", "tag", seeds, "--model", cli_model, "-o", str(out)]) == 0
    assert main(["-q", "tag", str(tagged), "--model", cli_model, "-o", str(tmp_path / "again.jsonl")]) == 0
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".review-lock")]

@pytest.mark.parametrize("review", [[], ["--review", "1"]])
def test_tag_into_a_folder_not_made_yet_holds_the_output_lock_and_leaves_nothing_when_it_fails(cli_model, tmp_path,
                                                                                               monkeypatch, capsys,
                                                                                               review):
    """cli: ``tagger tag a.txt -o new/out.jsonl`` with ``new`` not made yet took no lock on its output (the lock file
    could not be made before the folder was): a review session or a second run into new/out.jsonl was not kept
    out. The folder is made first and the lock held while the rows are written; a run that fails leaves neither the
    folder nor a lock file."""
    from tagger.apps import batch
    from tagger.data.tagged import TAG_OUTPUT, hold_review_lock
    from tagger.errors import FileInUseError

    src = tmp_path / "a.txt"
    src.write_text("党员志愿者走进敬老院,为孤寡老人义务检查线路。\n", encoding="utf-8")
    out = tmp_path / "new" / "sub" / "out.jsonl"
    refused, real_write = [], batch.Writer.write

    def another_run_tries(self, chunk):
        with pytest.raises(FileInUseError, match="has this file open"):
            with hold_review_lock(out, "x", holder=TAG_OUTPUT):  # another tag -o into it (or a session)
                pass
        refused.append(out)
        real_write(self, chunk)

    monkeypatch.setattr(batch.Writer, "write", another_run_tries)
    assert main(["-q", "tag", str(src), "-o", str(out), "--model", cli_model, *review]) == 0
    assert refused and out.exists() and sorted(p.name for p in out.parent.iterdir()) == ["out.jsonl"]

    def fails(self, chunk):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(batch.Writer, "write", fails)
    other = tmp_path / "other" / "out.jsonl"
    assert main(["-q", "tag", str(src), "-o", str(other), "--model", cli_model, *review]) == 1
    assert "No space left on device" in capsys.readouterr().err and not (tmp_path / "other").exists()


@pytest.mark.parametrize("end", [signal.SIGTERM, signal.SIGKILL])
def test_the_review_lock_file_stays_by_design_and_never_blocks_the_next_session(tagged, cli_model, root, end, capsys):
    """User test: .FILE.review-lock stays beside the file after a session ends normally. It is a flock on a
    file that is never removed (removing it would let two sessions lock two different files): the lock ends
    with the process, so the file left behind by a session that stopped (SIGTERM: exit 0, decisions saved)
    or was killed never blocks the next session, nor tag -o into the file; the README says so."""
    from tagger.data.tagged import review_lock

    proc = subprocess.Popen([sys.executable, "-m", "tagger", "review", str(tagged), "--port", "0",
                             "--no-evidence"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "review queue of" in proc.stdout.readline()  # the session has the file open
        with pytest.raises(InputError, match="another review session has this file open"):
            TaggedFile(tagged)
        proc.send_signal(end)
        assert proc.wait(timeout=60) == (0 if end == signal.SIGTERM else -signal.SIGKILL), proc.stderr.read()
    finally:
        proc.kill()
        proc.communicate()
    assert review_lock(tagged).exists()  # left behind, as designed
    with TaggedFile(tagged) as again:  # not blocked by it
        again.decide(again.queue[0], ["volunteer_work"], "ana")
        again.flush()
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "20%", "-o", str(tagged),
                 "--force", "--discard-reviews"]) == 0, capsys.readouterr().err
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert ("`.FILE.review-lock` beside the file stays when a session ends, by design: the lock is the "
            "operating system's (flock) on it, and ends with the process that held it") in readme


@pytest.mark.parametrize("port", ["99999", "-1", "70000"])
def test_a_port_outside_the_range_is_a_usage_error(tagged, port, capsys):
    assert main(["review", str(tagged), "--port", port]) == 2
    assert "port from 0 to 65535" in capsys.readouterr().err
    assert main(["serve", "--port", port]) == 2
    assert "port from 0 to 65535" in capsys.readouterr().err
    with pytest.raises(InputError, match="cannot listen"):  # the Python API
        make_review_server(tagged, port=int(port))
    with TaggedFile(tagged):  # and the file was let go
        pass


def test_duplicate_report_ids_are_refused_for_a_review(cli_model, tmp_path, capsys):
    """Two input reports with one id gave both the same paragraph ids: the queue showed one twice and the
    other never, and one decision counted twice."""
    src = tmp_path / "dup.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in (
        ("A", "党员服务队为孤寡老人检查线路。"), ("A", "公司召开会议。"), ("B", "为老旧小区改造线路。"))),
        encoding="utf-8")
    out = tmp_path / "d.jsonl"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--review", "100%", "-o", str(out),
                 "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "dup.jsonl:2: report id 'A' is given to two input reports (first at" in err and not out.exists()
    assert main(["-q", "tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    rows = _rows(out)  # without --review the two reports stay apart, as before; a review of such a file is refused
    for n, r in enumerate(rows):
        r.update(review=True, review_rank=n + 1)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(InputError, match=r"paragraph id 'A:0' appears twice \(first at "):
        TaggedFile(out)
    src.write_text(src.read_text(encoding="utf-8").replace('"A", "text": "公司', '"C", "text": "公司'), encoding="utf-8")
    assert main(["-q", "tag", str(src), "--id-column", "id", "--review", "100%", "-o", str(out), "--force",
                 "--model", cli_model]) == 0
    with TaggedFile(out) as store:  # unique ids: every paragraph once in the queue
        assert sorted(store.queue) == sorted(r["paragraph"] for r in _rows(out))


# --------------------------------------------------------------------------- the page in a real browser
def test_reviewing_in_the_browser_changes_the_file_and_resumes(browser, tagged, seed_model, tmp_path):
    from tagger.analysis.stats import corpus_stats
    from tagger.data.tagged import read_tagged

    before = corpus_stats(read_tagged(tagged)).tables["corpus"].set_index("label")["paragraphs"]
    model_rows = {r["paragraph"]: r for r in _rows(tagged)}
    server = make_review_server(tagged, "tester", seed_model, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        from playwright.sync_api import expect

        page = browser.new_context().new_page()
        page.goto(server.url)
        page.wait_for_selector("#cb-elderly_care")
        total = len(server.app.store.queue)
        assert page.inner_text("#progress").startswith(f"1 of {total}")
        first = server.app.store.queue[0]
        for box in LABELS:  # clear, then tick elderly (key 1) and volunteer (key 5)
            if page.is_checked(f"#cb-{box}"):
                page.click(f"#cb-{box}")
        page.keyboard.press("1")
        page.keyboard.press("5")
        page.keyboard.press("Enter")
        expect(page.locator("#progress")).to_have_text(re.compile(r"^2 of"))
        page.keyboard.press("0")  # no label for the second
        expect(page.locator("#progress")).to_have_text(re.compile(r"^3 of"))
        page.keyboard.press("s")
        expect(page.locator("#status")).to_have_text(re.compile(r"^written to"))
        rows = {r["paragraph"]: r for r in _rows(tagged)}
        assert rows[first]["reviewed_labels"] == ["elderly_care", "volunteer_work"]
        assert rows[first]["reviewed_by"] == "tester"
        assert rows[server.app.store.queue[1]]["reviewed_labels"] == []
        # a new session starts at the third paragraph
        page.goto(server.url)
        expect(page.locator("#progress")).to_have_text(re.compile(r"^3 of"))
        assert "<" not in page.inner_text("#text")  # shown as text
        # tagger stats counts the two decisions instead of the model's tags, and says so
        decided = {first: ["elderly_care", "volunteer_work"], server.app.store.queue[1]: []}
        out = tmp_path / "stats.csv"
        assert main(["-q", "stats", str(tagged), "-o", str(out)]) == 0
        import pandas as pd

        table = pd.read_csv(out, encoding="utf-8-sig")
        corpus = table[table.table == "corpus"].set_index("label")
        assert any(sorted(new) != sorted(model_rows[p]["labels"]) for p, new in decided.items())  # a visible change
        for lab in LABELS:
            change = sum((lab in new) - (lab in model_rows[p]["labels"]) for p, new in decided.items())
            assert corpus.at[lab, "paragraphs"] == before[lab] + change
            assert corpus.at[lab, "reviewed_paragraphs"] == 2
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_stats_say_when_decisions_wait_in_the_journal(tagged, caplog):
    """Decisions of a killed (or still open) session are in the journal, not the file: the counts say so."""
    from tagger.data.tagged import read_tagged

    _kill_after_deciding(tagged, ["elderly_care"])
    with caplog.at_level("WARNING"):
        read_tagged(tagged)
    assert "1 review decision is not in the file yet" in caplog.text
    with TaggedFile(tagged):  # merged on opening
        pass
    caplog.clear()
    with caplog.at_level("WARNING"):
        assert read_tagged(tagged)["reviewed"].sum() == 1
    assert "not in the file yet" not in caplog.text


def test_a_journal_of_an_earlier_release_is_restored_and_stale_decisions_are_kept(tagged):
    """Entries without the text's hash (written before the check) are restored as before; entries whose text
    is gone are not applied but kept beside the file, never deleted."""
    with TaggedFile(tagged) as store:
        first, second = store.queue[:2]
        journal = store.journal
    journal.write_text(json.dumps({"paragraph": first, "labels": ["elderly_care"], "by": "old", "at": "x"}) + "\n"
                       + json.dumps({"paragraph": second, "labels": [], "by": "k", "at": "y", "sha": "0" * 64}) + "\n",
                       encoding="utf-8")
    with TaggedFile(tagged) as store:
        assert store.row(first)["reviewed_labels"] == ["elderly_care"] and store.row(second)["reviewed_labels"] is None
    kept = journal.with_name(journal.name.removesuffix(".jsonl") + ".stale.jsonl")
    assert not journal.exists() and json.loads(kept.read_text(encoding="utf-8"))["paragraph"] == second


def test_a_journal_cut_inside_a_character_by_a_kill_still_opens(tagged, caplog):
    """A kill while a decision was being journalled can cut its line inside a multi-byte character: the session
    read the journal as UTF-8 text and every opening of the file crashed with UnicodeDecodeError. The whole
    lines are restored; the cut one is set aside in the stale journal (it never reached the file)."""
    with TaggedFile(tagged) as store:
        first, second = store.queue[:2]
        journal = store.journal
    whole = json.dumps({"paragraph": first, "labels": ["elderly_care"], "by": "审核员", "at": "x"},
                       ensure_ascii=False).encode("utf-8")
    cut = json.dumps({"paragraph": second, "labels": [], "by": "审核员"}, ensure_ascii=False).encode("utf-8")[:-3]
    journal.write_bytes(whole + b"\n" + cut)
    from tagger.data.tagged import review_work, warn_unmerged

    assert review_work(tagged) == 2  # was 0: `tag --force` would have replaced the file without asking
    with caplog.at_level(logging.WARNING, logger="tagger"):
        warn_unmerged(tagged)
    assert "2 review decisions are not in the file yet" in caplog.text  # was silent
    with TaggedFile(tagged) as store:
        assert store.row(first)["reviewed_labels"] == ["elderly_care"] and store.row(second)["reviewed_labels"] is None
    assert not journal.exists()


def test_a_decision_after_a_line_cut_by_a_kill_is_not_lost(tagged, caplog):
    """A kill cut the journal's only line (no line end): opening the file restored nothing and left the cut line
    in the journal, so the next decision was appended onto it, one line that reads as nothing; killed again, that
    decision was lost. The cut line is set aside byte for byte (with a warning) and the journal starts afresh."""
    from tagger.data.tagged import stale_journal

    with TaggedFile(tagged) as store:
        first, second = store.queue[:2]
        journal = store.journal
    cut = json.dumps({"paragraph": first, "labels": [], "by": "审核员"}, ensure_ascii=False).encode("utf-8")[:-3]
    journal.write_bytes(cut)
    with caplog.at_level(logging.WARNING, logger="tagger"):
        with TaggedFile(tagged) as store:  # closed without a save: as a kill leaves the journal
            store.decide(second, ["elderly_care"], "ana")
    assert "could not be read" in caplog.text and stale_journal(tagged).read_bytes() == cut + b"\n"
    with TaggedFile(tagged) as again:
        assert again.row(second)["reviewed_labels"] == ["elderly_care"]


@pytest.mark.parametrize("odd", [b'[1, 2]', b'"r"', b'{"paragraph": ["r:1"], "labels": []}',
                                 b'{"paragraph": 7, "labels": []}', b'{"paragraph": "P", "labels": [], "sha": 5}'])
def test_a_journal_line_of_another_shape_is_set_aside_not_a_crash(tagged, caplog, odd):
    """A journal line that is JSON but not a decision's shape (a hand-edited journal: a list, a paragraph id that is
    no text or a list, a hash that is a number) ended every opening of the file, its export and tag's read-back in a
    bare TypeError or AttributeError ('unhashable type: list', "'list' object has no attribute 'get'"). It is read
    as a line a kill cut: set aside in the stale journal with a warning, the decisions around it applied."""
    from tagger.data.tagged import read_back, review_work, stale_journal

    with TaggedFile(tagged) as store:
        first, second = store.queue[:2]
        journal = store.journal
    odd = odd.replace(b'"P"', json.dumps(first).encode())
    good = json.dumps({"paragraph": second, "labels": ["elderly_care"], "by": "ana"}).encode()
    journal.write_bytes(odd + b"\n" + good + b"\n")
    assert review_work(tagged) == 2  # the odd line counted as a decision of its own, as a cut one is
    back = read_back(tagged)  # tagger tag reading the file back
    assert back.decisions == 1 and len(back.not_carried) == 1, back.not_carried
    with caplog.at_level(logging.WARNING, logger="tagger"):
        with TaggedFile(tagged) as store:
            assert store.row(first)["reviewed_labels"] is None
            assert store.row(second)["reviewed_labels"] == ["elderly_care"]
    assert "could not be read" in caplog.text and stale_journal(tagged).read_bytes() == odd + b"\n"


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                     max_leaves=8)
_LINE = st.fixed_dictionaries({}, optional={"paragraph": st.sampled_from(["r:1", "r:2"]) | _JSON,
                                            "labels": st.sampled_from([None, [], ["elderly_care"]]) | _JSON,
                                            "was": st.sampled_from([None, [], ["volunteer_work"]]) | _JSON,
                                            "by": _JSON, "at": _JSON, "sha": _JSON}) | _JSON


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_LINE.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8")) | st.binary(max_size=20),
                      max_size=6))
def test_any_journal_is_replayed_or_set_aside_never_a_crash(lines):
    """Whatever a journal holds (JSON of any shape, bytes a kill cut), its readers apply a line or set it aside:
    no line but the journal's is set aside, and every paragraph a replay applies is counted as pending."""
    from tagger.data.tagged import _journalled_paragraphs, replay_journal

    rows = {"r:1": {"text": "走访五户", "reviewed_labels": None}, "r:2": {"text": "更换线路", "reviewed_labels": []}}
    replay = replay_journal(lines, rows)
    assert set(replay.applied) <= set(rows)
    assert all(line in lines for _, line, _ in replay.left_out)
    changed, undone = _journalled_paragraphs(lines)
    assert set(replay.applied) <= changed | undone  # what a replay applies is counted as pending


def test_tag_will_not_replace_a_file_under_review(cli_model, root, tagged, capsys):
    """A session's next save would have written its old rows back over the new tagging."""
    before = tagged.read_bytes()
    with TaggedFile(tagged):
        assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(tagged), "--force"]) == 1
        assert "a review session has this file open" in capsys.readouterr().err
        assert tagged.read_bytes() == before
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "5%", "-o", str(tagged),
                 "--force"]) == 0


def test_a_file_whose_lock_file_name_is_too_long_is_read_back(cli_model, tagged, tmp_path, capsys):
    """Tagging again a tagged file whose name is a few characters short of the file system's limit was refused
    ('.<name>.review-lock: File name too long'): read back looked for its review lock file, whose name is longer; no
    session can have opened such a file (review, and tag -o, already took it so)."""
    long = tagged.rename(tmp_path / f"{'月' * 80}.jsonl")  # 246 bytes: its lock file's name, 259, is too long
    assert main(["-q", "tag", str(long), "--model", cli_model, "-o", str(tmp_path / "again.jsonl")]) == 0, \
        capsys.readouterr().err


def _named_bytes(path, size):
    """``path`` renamed beside itself to a name of ``size`` bytes (Chinese characters, 3 bytes each, then ``a``)."""
    stem = size - len(path.suffix)
    return path.rename(path.with_name("月" * (stem // 3) + "a" * (stem % 3) + path.suffix))


@pytest.mark.parametrize("size", [228, 234, 246, 254])  # 246 up: the lock file's name is too long too
def test_a_file_whose_journal_name_is_too_long_is_refused_by_a_session_and_exported(tagged, project, tmp_path,
                                                                                    capsys, size):
    """tagger review F and tagger review F --export of a file whose name is 234-254 bytes ended in a bare
    "error: …/.<name>.review-journal.jsonl: File name too long", naming a hidden file, no advice (and a session on a
    name too long for its lock file went on without the lock). A session is refused before anything is made beside
    the file, naming it and how short to rename it; --export only reads: no journal can exist, so it is exported."""
    with TaggedFile(tagged) as store:
        store.decide(store.queue[0], ["elderly_care"])
        store.flush()
    long = _named_bytes(tagged, size)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(InputError) as refused:
        TaggedFile(long)
    assert str(refused.value) == (
        f"{long}: its name ({size} bytes) is too long for the journal tagger review keeps beside it, which adds 28 "
        "bytes to it (a name in this folder is at most 255 bytes); rename the file to at most 227 bytes (keep .jsonl) "
        "and review it again")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no lock file made beside it
    assert main(["review", str(long), "--port", "0", "--no-evidence"]) == 1
    assert "rename the file to at most 227 bytes" in capsys.readouterr().err
    assert main(["review", str(long), "--export", "--root", str(project), "--dry-run"]) == 0, capsys.readouterr().err
    assert "imported.jsonl: 0 added" in capsys.readouterr().out  # the seeds are labelled already: one conflict
    with TaggedFile(_named_bytes(long, 227)) as store:  # the longest name whose stale journal fits in 255 bytes
        store.decide(store.queue[1], ["elderly_care"])
        store.flush()


def _name_of(size, suffix=".jsonl"):
    """A file name of ``size`` bytes (Chinese characters, 3 bytes each, then ``a``) ending in ``suffix``."""
    stem = size - len(suffix)
    return "月" * (stem // 3) + "a" * (stem % 3) + suffix


@pytest.mark.parametrize("size", [228, 232])
def test_tag_review_refuses_an_output_name_review_would_refuse(cli_model, root, tmp_path, capsys, size):
    """tagger tag -o <228-232 bytes>.jsonl --review 50% wrote the queue, which tagger review then refused (its
    journal's name too long): refused up front, with review's reason, and nothing is written."""
    out = tmp_path / "out" / _name_of(size)
    out.parent.mkdir()
    assert main(["tag", str(root / "seeds"), "--model", cli_model, "--review", "50%", "-o", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"error: {out}: its name ({size} bytes) is too long for the journal tagger review keeps beside it, "
        "which adds 28 bytes to it (a name in this folder is at most 255 bytes); choose an --output name of "
        "at most 227 bytes (keep .jsonl)\n")
    assert list(out.parent.iterdir()) == []
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "50%", "-o",
                 str(out.with_name(_name_of(227)))]) == 0


def test_export_of_a_queue_without_decisions_names_no_review_command_that_would_refuse(tagged, project,
                                                                                      capsys):
    """review NAME --export on a queue with no decision said "(tagger review NAME)", which refuses a name too
    long for its journal: it says why and to rename the file first."""
    long = _named_bytes(tagged, 230)
    assert main(["review", str(long), "--export", "--root", str(project), "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert err.endswith("; it holds no reviewed paragraph to export yet: rename it to at most 227 bytes "
                        "(keep .jsonl), review it, then export that\n") and "(tagger review" not in err, err
    short = _named_bytes(long, 227)
    assert main(["review", str(short), "--export", "--root", str(project), "--dry-run"]) == 1
    assert "no reviewed paragraph to export yet (tagger review " in capsys.readouterr().err


@pytest.mark.parametrize("size", [236, 241, 242])
def test_tag_discard_reviews_into_a_name_no_file_fits_beside_leaves_nothing(cli_model, root, tmp_path, capsys,
                                                                            size):
    """tag --force --discard-reviews -o <241-byte name> was refused (its temp file's name too long) but left a
    new .NAME.review-lock behind: refused before the lock is made."""
    out = tmp_path / "out" / _name_of(size)
    out.parent.mkdir()
    assert main(["tag", str(root / "seeds"), "--model", cli_model, "--force", "--discard-reviews", "-o",
                 str(out)]) == 1
    assert "the file name is too long for the temp file written beside it first" in capsys.readouterr().err
    assert list(out.parent.iterdir()) == []


def test_labels_export_warns_when_decisions_wait_in_the_journal(tagged, cli_model, tmp_path, caplog):
    _kill_after_deciding(tagged, ["elderly_care"])
    with caplog.at_level("WARNING"):
        assert main(["-q", "labels", "export", str(tagged), "--to", "doccano", "-o", str(tmp_path / "d.jsonl"),
                     "--model", cli_model]) == 0
    assert "1 review decision is not in the file yet" in caplog.text


def test_a_file_changed_by_another_program_is_not_overwritten(tagged):
    """A spreadsheet saving the tagged file while the page is open: the session's next save used to write
    its old rows back over it. Now it refuses, keeps the decisions in the journal, and a new session merges
    them into the file as it is now."""
    store = TaggedFile(tagged)
    first = store.queue[0]
    store.decide(first, ["elderly_care"], "ana")
    rows = _rows(tagged)
    rows[-1]["note"] = "edited elsewhere"
    tagged.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    edited = tagged.read_bytes()
    with pytest.raises(InputError, match="changed on disk since this review session opened it"):
        store.flush()
    assert tagged.read_bytes() == edited and store.journal.exists()
    store.close()
    with TaggedFile(tagged) as again:
        assert again.row(first)["reviewed_labels"] == ["elderly_care"]
    merged = _rows(tagged)
    assert merged[-1]["note"] == "edited elsewhere" and {r["paragraph"]: r for r in merged}[first]["reviewed_by"] == "ana"


def test_second_review_pass_findings(tagged, cli_model, root, tmp_path, monkeypatch, capsys):
    """Found by a second QA pass: a symlink bypassed the one-session lock and the refusal of tag -o; a
    session with nothing to save failed at its stop after an outside edit; a decision outside the queue was
    accepted; reviewed paragraphs outside the queue were left out of --export; a read-only folder let a
    session open whose every decision then failed."""
    link = tmp_path / "link.jsonl"
    link.symlink_to(tagged)
    with TaggedFile(tagged) as store:
        with pytest.raises(InputError, match="another review session"):
            TaggedFile(link)
        assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(link), "--force"]) == 1
        assert "a review session has this file open" in capsys.readouterr().err
        outside = next(pid for pid in store.by_id if pid not in store.queue_set)
        with pytest.raises(InputError, match="not in the review queue"):
            store.decide(outside, ["elderly_care"])
        rows = _rows(tagged)
        rows[-1]["note"] = "edited elsewhere"
        tagged.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        store.flush()  # nothing decided: nothing to save, no error, the edit stays
        assert _rows(tagged)[-1]["note"] == "edited elsewhere"
    rows = _rows(tagged)
    off_queue = next(r for r in rows if r.get("row_type", "paragraph") == "paragraph" and not r["review"])
    off_queue.update(reviewed_labels=["volunteer_work"], reviewed_by="x", reviewed_at="t")
    tagged.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with TaggedFile(tagged) as store:
        assert [r.id for r in store.export_rows()] == [off_queue["paragraph"]]
    import tagger.apps.review as review

    monkeypatch.setattr(review.os, "access", lambda path, mode: False)
    with pytest.raises(InputError, match="folder is not writable"):
        TaggedFile(tagged)


def test_a_lock_file_made_by_another_user_still_locks(tmp_path, monkeypatch):
    """A lock file another user created (0644) cannot be opened for writing: it is locked through a
    read-only descriptor instead of not at all (a second user's session used to open and delete the
    first's journal)."""
    import os as _os

    from tagger.common import locks
    from tagger.common.locks import LockHeld, file_lock

    lock = tmp_path / ".x.lock"
    lock.touch()
    real_open = _os.open

    def no_write(path, flags, *args):
        if flags & _os.O_RDWR:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    with file_lock(lock):  # this user: can write it
        monkeypatch.setattr(locks.os, "open", no_write)
        with pytest.raises(LockHeld), file_lock(lock, wait=False):  # the other user: read-only, still refused
            pass
    with file_lock(lock, wait=False) as locked:
        assert locked is True


def test_report_ids_that_tag_accepts_survive_review_and_export(cli_model, project, tmp_path, capsys):
    """An id with white space at its ends or a line separator was tagged and reviewed, then refused by
    --export (import keeps ids clean), and a leading apostrophe was silently dropped: tag now refuses such
    rows by name, and every id it accepts — a formula sign, an inner space, a colon — comes out of --export
    intact."""
    src = tmp_path / "odd.csv"
    rows = [(" r1 ", "党员志愿者走进敬老院,为孤寡老人义务检查线路。"), ("a\u2028b", "供电所为企业开辟绿色通道,报装接电只用三天。"),
            ("'r2", "供电公司为老旧小区开展一户一表改造,更换老化线路。"), ("=r4", "党员服务队上门为企业办理报装,当天接电。"),
            ("周报 5:2", "志愿者走访慰问困难群众,送去米面油。")]
    with open(src, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("id", "text"), *rows])
    out = tmp_path / "t.jsonl"
    args = ["tag", str(src), "--id-column", "id", "--review", "100%", "-o", str(out), "--model", cli_model]
    assert main(args) == 1 and not out.exists()
    assert "odd.csv:2: 'id' value has white space at its ends (' r1 ')" in capsys.readouterr().err
    assert main([*args, "--on-error", "skip"]) == 3
    err = capsys.readouterr().err
    assert "odd.csv:3: 'id' value contains the invisible character U+2028 (LINE SEPARATOR)" in err
    assert "odd.csv:4: 'id' value starts with ' (\"'r2\"), which spreadsheets hide" in err
    with TaggedFile(out) as store:
        assert sorted(store.queue) == ["=r4:0", "周报 5:2:0"]
        for pid in store.queue:
            store.decide(pid, ["volunteer_work"], "ana")
    assert main(["review", str(out), "--export", "--root", str(project)]) == 0
    imported = [json.loads(line) for line in (project / "labels" / "imported.jsonl").read_text("utf-8").splitlines()]
    assert sorted(r["id"] for r in imported) == ["=r4:0", "周报 5:2:0"]


@pytest.mark.parametrize("saved", [True, False])
def test_tag_force_never_drops_review_decisions_unasked(tagged, cli_model, root, saved, capsys):
    """tag --force over a reviewed file used to replace it, decisions and all, without a word: it now refuses,
    naming how many decisions (in the file, or still in the journal of a killed session) would be lost."""
    if saved:
        with TaggedFile(tagged) as store:
            store.decide(store.queue[0], ["elderly_care"], "ana")
            store.decide(store.queue[1], [], "ana")
    else:
        _kill_after_deciding(tagged, ["volunteer_work"])
    before = tagged.read_bytes()
    args = ["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "20%", "-o", str(tagged), "--force"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"{tagged}: holds {'2 review decisions' if saved else '1 review decision'}" in err and "--discard-reviews" in err
    assert "stop its review session if one is open, then: tagger review" in err  # user test: export is refused meanwhile
    assert tagged.read_bytes() == before
    assert main([*args, "--discard-reviews"]) == 0
    if saved:
        assert not any(r.get("reviewed_labels") for r in _rows(tagged))


@pytest.mark.parametrize("flushed", [False, True])
def test_a_paragraph_decided_again_counts_as_one_decision(tagged, cli_model, root, flushed, capsys, caplog):
    """Hunt: a session decided one paragraph three times (a change of mind) and was killed; tag --force refused
    with "holds 3 review decisions … replacing it would lose them", stats said "3 review decisions are not in
    the file yet" and the next session "3 decisions of an interrupted session restored", for one decision (the
    journal's lines were counted). Decided and saved, then decided again, it was 2. Each counts the paragraphs
    decided: 1."""
    with TaggedFile(tagged) as store:  # closed without a save, as a kill leaves it: the journal holds the rest
        p = store.queue[0]
        store.decide(p, ["elderly_care"], "ana")
        if flushed:
            store.flush()
        store.decide(p, [], "ana")
        store.decide(p, ["volunteer_work"], "ana")
    assert main(["stats", str(tagged)]) == 0
    err = capsys.readouterr().err
    assert f"{tagged}: 1 review decision is not in the file yet" in err, err
    args = ["tag", str(root / "seeds"), "--model", cli_model, "--review", "20%", "-o", str(tagged), "--force"]
    assert main(args) == 1
    assert f"{tagged}: holds 1 review decision (tagger review)" in capsys.readouterr().err
    with caplog.at_level("INFO"):
        TaggedFile(tagged, queue=False).close()  # --export reads the journal
        with TaggedFile(tagged) as store:  # a session merges it
            assert store.done() == 1
    said = [m for m in caplog.messages if "of an interrupted session" in m]
    assert len(said) == 2 and all(": 1 decision of an interrupted session" in m for m in said), said


def test_an_undo_waiting_in_the_journal_counts_only_where_it_changes_the_file(tagged, cli_model, root, capsys):
    """Review of the undo: an undo is journalled as a line whose labels are null, and the counts of decisions
    waiting in a journal took it for a decision: a paragraph decided and undone in the same session (which
    changes nothing) made stats say "… not in the file yet" and tag --force ask before replacing the file. It
    now counts only where the journal would change the file: an undo of a decision the file holds (it clears it)."""
    from tagger.data.tagged import set_journal_aside

    with TaggedFile(tagged) as store:  # closed without a save, as a kill leaves it: the journal holds the rest
        held, undone, kept = store.queue[:3]
        store.decide(held, ["elderly_care"], "ana")
        store.flush()  # the file holds this decision: its undo would clear it
        store.undo(held, "ana")
        store.decide(undone, ["volunteer_work"], "ana")
        store.undo(undone, "ana")  # made and undone in this session: nothing to change
        store.decide(kept, [], "ana")
    assert main(["stats", str(tagged)]) == 0
    assert f"{tagged}: 2 review decisions are not in the file yet" in capsys.readouterr().err
    args = ["tag", str(root / "seeds"), "--model", cli_model, "--review", "20%", "-o", str(tagged), "--force"]
    assert main(args) == 1
    assert f"{tagged}: holds 1 review decision (tagger review)" in capsys.readouterr().err  # kept (held: undone)
    with TaggedFile(tagged) as store:
        store.decide(kept, ["volunteer_work"], "ana")
        store.flush()
    with TaggedFile(tagged) as store:  # a session that decided and undid one paragraph, then was killed
        store.decide(undone, ["elderly_care"], "ana")
        store.undo(undone, "ana")
    assert main(["stats", str(tagged)]) == 0
    assert "not in the file yet" not in capsys.readouterr().err
    assert main(args) == 1
    assert f"{tagged}: holds 1 review decision (tagger review)" in capsys.readouterr().err  # kept's, in the file
    assert set_journal_aside(tagged) == 0


def test_tag_force_replaces_a_file_whose_only_decision_the_journal_undoes(tagged, cli_model, root, capsys):
    """Hunt: a decision saved into the file, then undone in the same session, which was killed (the undo waits in
    the journal): tag --force refused, "holds 1 review decision (tagger review); replacing it would lose them",
    while --export said there was none to export. An undo is no decision to lose: the file is replaced."""
    with TaggedFile(tagged) as store:  # closed without a save, as a kill leaves it
        pid = store.queue[0]
        store.decide(pid, ["elderly_care"], "ana")
        store.flush()
        store.undo(pid, "ana")
    assert main(["review", str(tagged), "--export", "--dry-run", "--root", str(root)]) == 1
    assert "no reviewed paragraph to export" in capsys.readouterr().err
    args = ["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "20%", "-o", str(tagged), "--force"]
    assert main(args) == 0, capsys.readouterr().err
    with TaggedFile(tagged) as store:  # the undo left in the journal lands on nothing
        assert store.done() == 0


def test_tag_force_replaces_a_tagged_file_without_decisions(tagged, cli_model, root):
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(tagged), "--force"]) == 0


@pytest.mark.parametrize("ext", ["jsonl", "csv", "parquet", "sqlite", "xlsx"])
def test_tag_force_does_not_read_the_old_output_whole(cli_model, root, tmp_path, monkeypatch, ext):
    """A user re-tagged a corpus of 50,000 reports daily with -o tagged.jsonl --force: before tagging began the
    run spent 12 s and 1.6 GB (peak RSS, over 400 MB for the tagging itself) reading the whole previous output
    into a table, only to learn that it held no review decisions. A file whose bytes (or, for a workbook, its
    header) never name the reviewed_labels column holds none: it is no longer read."""
    from tagger.data import tagged as tagged_module

    out = tmp_path / f"out.{ext}"
    args = ["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(out)]
    assert main(args) == 0

    def read_whole(path):
        raise AssertionError(f"{path} was read whole")

    monkeypatch.setitem(tagged_module.READERS, f".{ext}", read_whole)
    assert main([*args, "--force"]) == 0


@pytest.mark.parametrize("ext", ["jsonl", "csv"])  # the formats tag --review writes
def test_counting_review_decisions_reads_only_the_reviewed_column(cli_model, root, tmp_path, monkeypatch, ext):
    """A file that does hold review decisions was still read whole (texts, scores, evidence) to count them before
    tag --force replaced it: for 50,000 reports, gigabytes to learn one number. Only what counting needs is read."""
    from tagger.data import tagged as tagged_module
    from tagger.data.tagged import review_work

    out = tmp_path / f"out.{ext}"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "3", "-o", str(out)]) == 0
    with TaggedFile(out) as store:
        store.decide(store.queue[0], ["elderly_care"], "bo")
        store.flush()
    reader, asked = tagged_module.READERS[f".{ext}"], []

    def spy(path, columns=None, **kwargs):
        asked.append(None if columns is None else set(columns))
        return reader(path, columns=columns, **kwargs)

    monkeypatch.setitem(tagged_module.READERS, f".{ext}", spy)
    assert review_work(out) == 1
    assert asked and all(a is not None and "text" not in a and "reviewed_labels" in a for a in asked), asked


def test_a_csv_queue_a_spreadsheet_saved_with_semicolons_is_reviewed_and_kept_so(cli_model, root, tmp_path):
    """Excel in a ';' locale saves the tagged CSV with ';' and decimal commas: review read one column (no
    'report' column), and a session would have written the file back with ','. Now it reads the file as
    saved, shows the scores, and keeps the ';' when it saves; a header naming a column twice is refused."""
    from tagger.apps.review import QueueApp

    out = tmp_path / "tagged.csv"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "3", "-o", str(out)]) == 0
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    score_cols = [i for i, c in enumerate(rows[0]) if c.startswith("score_")]
    for r in rows[1:]:
        for i in score_cols:
            r[i] = r[i].replace(".", ",")
    with open(out, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, delimiter=";", lineterminator="\r\n").writerows(rows)
    with TaggedFile(out) as store:
        item = QueueApp(store, "bo").item(0)
        assert 0 <= item["scores"]["elderly_care"] <= 1 and item["text"]
        store.decide(store.queue[0], ["elderly_care"], "bo")
        store.flush()
    header = out.read_bytes().decode("utf-8-sig").split("\r\n", 1)[0]
    assert header.startswith("row_type;report;paragraph") and "reviewed_labels" in header
    with TaggedFile(out) as again:
        assert again.done() == 1
    out.write_text(header.replace("report;paragraph", "report;report") + "\r\n", encoding="utf-8")
    with pytest.raises(InputError, match="names column 'report' twice"):
        TaggedFile(out)


def test_a_tagged_csv_whose_rows_end_in_empty_cells_is_read_as_it_is(cli_model, root, tmp_path, capsys):
    """files: a spreadsheet that saved an empty column right of the last one (a trailing comma on every row) made
    tagger stats, review and tag's read-back stop at "more fields than the header"; empty cells beyond the header
    are read as the row, as the label files' readers read them (tagger.common.files.cells_beyond_header)."""
    from tagger.data.tagged import read_back, read_tagged

    out = tmp_path / "tagged.csv"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "3", "-o", str(out)]) == 0
    frame, back = read_tagged(out), read_back(out)
    with TaggedFile(out) as store:
        queue = store.queue
    _rewrite_csv(out, lambda rows: [row.append(" " if n == 3 else "") for n, row in enumerate(rows) if n])
    assert out.read_bytes().decode("utf-8-sig").split("\r\n")[1].endswith(",")
    assert read_tagged(out).equals(frame)
    assert [(r.report, [p.text for p in r.paragraphs]) for r in read_back(out).reports] == [
        (r.report, [p.text for p in r.paragraphs]) for r in back.reports]
    assert main(["stats", str(out)]) == 0 and "error" not in capsys.readouterr().err
    with TaggedFile(out) as store:
        assert store.queue == queue
        store.decide(queue[0], ["elderly_care"], "ana")
        store.flush()
    assert read_tagged(out)["reviewed_labels"].notna().sum() == 1
    with open(out, encoding="utf-8-sig", newline="") as f:  # saved without the empty column
        rows = list(csv.reader(f))
    assert {len(row) for row in rows} == {len(rows[0])}


def _rewrite_csv(path, change):
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    change(rows)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)


def test_a_csv_row_longer_than_its_header_is_refused_not_trimmed_on_save(cli_model, root, tmp_path):
    """A note typed right of the last column (no header cell) was dropped without a word when a review
    session saved the file; now the file is refused on opening, naming the line, and stays as it was."""
    out = tmp_path / "tagged.csv"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "3", "-o", str(out)]) == 0
    _rewrite_csv(out, lambda rows: rows[2].append("check with Li"))
    before = out.read_bytes()
    with pytest.raises(InputError, match=r"tagged\.csv:3: more fields than the header.*column name"):
        TaggedFile(out)
    assert out.read_bytes() == before


def test_review_ranks_and_label_cells_as_other_programs_write_them(cli_model, root, tmp_path):
    """pandas writes the rank 2 as 2.0 (a traceback before); a JSONL file may carry label cells
    ("a;b", "none") as stats accepts them (the page broke on them); anything else is named by line."""
    out = tmp_path / "tagged.csv"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "3", "-o", str(out)]) == 0

    def as_floats(rows):
        i = rows[0].index("review_rank")
        for r in rows[1:]:
            r[i] = f"{float(r[i]):.1f}" if r[i] else r[i]

    _rewrite_csv(out, as_floats)
    with TaggedFile(out) as store:
        assert len(store.queue) == 3 and all(isinstance(store.row(p)["review_rank"], int) for p in store.queue)
    rows = []
    with TaggedFile(out) as store:
        rows = [dict(r) for r in store.rows]
    jl = tmp_path / "cells.jsonl"
    for r in rows:
        r["labels"] = ";".join(r["labels"]) or "none"
    jl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    from tagger.apps.review import QueueApp

    with TaggedFile(jl) as store:
        item = QueueApp(store, "bo").item(0)
        assert isinstance(item["labels"], list) and all(lab in LABELS for lab in item["labels"])
    for key, value, message in [("review_rank", "abc", "review_rank must be a whole number"),
                                ("review_rank", 1.5, "review_rank must be a whole number"),
                                ("paragraph", ["a"], "paragraph must be text"),
                                ("labels", "elderly", "unknown label")]:
        bad = [dict(r) for r in rows]
        flagged = next(i for i, r in enumerate(bad) if r.get("review_rank") not in (None, ""))
        bad[flagged][key] = value
        jl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in bad), encoding="utf-8")
        with pytest.raises(InputError, match=rf"cells\.jsonl:{flagged + 1}: .*{message}"):
            TaggedFile(jl)


def test_a_paragraph_longer_than_csvs_default_field_limit_is_reviewed(cli_model, tmp_path):
    report = tmp_path / "long.txt"
    report.write_text("供电公司为老旧小区更换老化线路。" * 9000 + "\n社区志愿者看望空巢老人。\n", encoding="utf-8")
    out = tmp_path / "tagged.csv"
    assert main(["-q", "tag", str(report), "--model", cli_model, "--review", "2", "-o", str(out)]) == 0
    with TaggedFile(out) as store:
        assert max(len(r["text"]) for r in store.rows) > 131_072 and len(store.queue) == 2


def test_a_csv_session_keeps_the_numbers_tag_wrote(cli_model, root, tmp_path):
    """tagger tag writes a negative review_margin (the least certain paragraphs have one) as a number; a
    review session guarded it as text ('-0.25: a formula guard) when it saved the file, so a spreadsheet or
    pandas read the column as text. Every cell but the review columns now stays as tag wrote it."""
    out = tmp_path / "tagged.csv"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "3", "-o", str(out)]) == 0

    def negative_margins(rows):
        col = rows[0].index("review_margin")
        for r in rows[1:]:
            r[col] = "-0.25"
    _rewrite_csv(out, negative_margins)
    with open(out, encoding="utf-8-sig", newline="") as f:
        before = list(csv.reader(f))
    with TaggedFile(out) as store:
        store.decide(store.queue[0], ["elderly_care"], "=ana")
        store.flush()
    with open(out, encoding="utf-8-sig", newline="") as f:
        after = list(csv.reader(f))
    width = len(before[0])
    assert [r[:width] for r in after] == before
    assert after[0][width:] == ["reviewed_labels", "reviewed_by", "reviewed_at", "reviewed_sha"]
    assert any(r[width + 1] == "'=ana" for r in after[1:])  # text is still guarded


def test_a_score_cell_that_is_no_score_is_named_when_the_file_opens(cli_model, root, tmp_path):
    """A score typed over in a spreadsheet ('n/a') opened, and the page then failed with an internal error
    (ValueError, a traceback on the console); now the file is refused with its line, as tagger stats does."""
    out = tmp_path / "tagged.csv"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "3", "-o", str(out)]) == 0
    _rewrite_csv(out, lambda rows: rows[2].__setitem__(rows[0].index("score_volunteer_work"), "n/a"))
    with pytest.raises(InputError, match=r"tagged\.csv:3: score_volunteer_work is 'n/a', expected a score"):
        TaggedFile(out)


@pytest.mark.parametrize("cell, ok", [("0,25", True), (" 1 ", True), ("0", True), ("1.5", False), ("-0.1", False),
                                      ("nan", False), ("inf", False), ("true", False), ("0x1", False), ("1e-3", True)])
def test_review_and_stats_read_a_score_cell_alike(cli_model, root, tmp_path, cell, ok):
    """The review page and every counting command (read_tagged) each had their own test of a score cell; now one
    (data.tagged.as_score): a file one opens, the other reads."""
    from tagger.data.tagged import read_tagged

    out = tmp_path / "tagged.csv"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "3", "-o", str(out)]) == 0
    _rewrite_csv(out, lambda rows: rows[2].__setitem__(rows[0].index("score_volunteer_work"), cell))
    for read in (TaggedFile, read_tagged):
        if ok:
            read(out)
        else:
            with pytest.raises(InputError, match=r"tagged\.csv:3: score_volunteer_work is .*, expected a score"):
                read(out)


def test_ctrl_c_ends_a_session_with_its_decisions_saved_and_exit_0(tagged, monkeypatch, capsys):
    """Ctrl-C is how a review session is stopped ("Ctrl-C to stop"): it exited 130 with "interrupted" after
    saving every decision. The banner shows a file name's control characters escaped, as every message does."""
    from tagger.apps import web

    named = tagged.with_name("t\x1b[2Jx.jsonl")
    tagged.rename(named)

    def serve(self, *args, **kwargs):
        self.app.store.decide(self.app.store.queue[0], ["volunteer_work"], "ana")
        raise KeyboardInterrupt

    monkeypatch.setattr(web.WebServer, "serve_forever", serve)
    assert main(["-q", "review", str(named), "--port", "0", "--no-evidence"]) == 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out and "t\\x1b[2Jx.jsonl" in out and "interrupted" not in err
    assert sum(r.get("reviewed_labels") == ["volunteer_work"] for r in _rows(named)) == 1


@pytest.mark.parametrize("decisions", [0, 2])
def test_the_end_of_a_session_says_how_many_decisions_it_made(tagged, monkeypatch, capsys, decisions):
    """A session that decided nothing ended "saved 4 of 4 decisions into FILE", as if it had saved four: the end
    says how many decisions the session made (a paragraph decided twice counts once), or that there was none."""
    from tagger.apps import web

    with TaggedFile(tagged) as store:  # decided in an earlier session
        store.decide(store.queue[0], ["volunteer_work"], "ana")
        total = len(store.queue)

    def serve(self, *args, **kwargs):
        store = self.app.store
        for pid in store.queue[1:1 + decisions]:
            store.decide(pid, [], "bo")
            store.decide(pid, ["elderly_care"], "bo")
        raise KeyboardInterrupt

    monkeypatch.setattr(web.WebServer, "serve_forever", serve)
    assert main(["review", str(tagged), "--port", "0", "--no-evidence"]) == 0
    err = capsys.readouterr().err
    if decisions:
        assert f"saved 2 decisions of this session into {tagged} (3 of {total} in its queue reviewed)" in err, err
    else:
        assert (f"nothing to save: no decision made in this session of {tagged} (1 of {total} in its queue "
                "reviewed)") in err, err
    assert "saved 1 of" not in err


def test_a_signal_while_a_session_takes_its_lock_leaves_it_free_and_unnamed(tagged):
    """A review session stopped (Ctrl-C, SIGTERM) between its lock taken and its let-go registered (an ExitStack
    between its enter_context and the push of the exit) kept the lock held, its note naming the session, for as long
    as the error lived: another session was refused. The lock is taken and registered as one step, signals held;
    one that lands there, or anywhere else in the session's start, lets the lock go and empties its note."""
    from helpers import registers_exit, signalled_at_each_line

    from tagger.common.locks import lock_note
    from tagger.data.tagged import hold_review_lock, review_lock

    def session():
        with TaggedFile(tagged) as store:
            return len(store.queue)

    def check(stop):
        assert lock_note(review_lock(tagged)) is None, f"a note left by {stop!r}"
        with hold_review_lock(tagged, "x"):  # not held
            pass

    queued, stopped = signalled_at_each_line(
        session, lambda code: registers_exit(code) or code is TaggedFile.__init__.__code__, check)
    assert queued and stopped > 10


@pytest.mark.parametrize("saved_between", [True, False])
def test_a_session_whose_decisions_were_all_undone_says_the_file_holds_what_it_held(tagged, monkeypatch, capsys,
                                                                                    saved_between):
    """A decision saved into the file, then undone in the same session, ended with "nothing to save: no decision
    made in this session", though the file had been rewritten twice (with the decision, then without it): the end
    says it was saved and holds the decisions it held when the session began."""
    from tagger.apps import web

    before = [r.get("reviewed_labels") for r in _rows(tagged)]

    def serve(self, *args, **kwargs):
        store = self.app.store
        store.decide(store.queue[0], ["volunteer_work"], "ana")
        if saved_between:
            store.flush()  # the page's "save"
            assert [r.get("reviewed_labels") for r in _rows(tagged)] != before
        store.undo(store.queue[0], "ana")
        raise KeyboardInterrupt

    monkeypatch.setattr(web.WebServer, "serve_forever", serve)
    assert main(["review", str(tagged), "--port", "0", "--no-evidence"]) == 0
    err = capsys.readouterr().err
    assert "nothing to save" not in err, err
    assert (f"saved into {tagged}: each decision of this session was undone, so it holds the decisions it held when "
            "the session began (0 of ") in err, err
    assert [r.get("reviewed_labels") for r in _rows(tagged)] == before


def test_a_file_changed_on_disk_when_the_session_stops_is_said_for_that_moment(tagged, monkeypatch, capsys):
    """The file changed on disk (a spreadsheet saved it) and the session stopped: its last save was refused with
    "stop this session and open tagger review FILE again", though the session had stopped. It says to open it
    again; while the session runs, the page's advice still says to stop it first."""
    from tagger.apps import web

    def serve(self, *args, **kwargs):
        store = self.app.store
        store.decide(store.queue[0], ["volunteer_work"], "ana")
        tagged.write_bytes(tagged.read_bytes() + b"\n")  # another program's save
        with pytest.raises(InputError, match="stop this session and open tagger review"):
            store.flush()  # the page's "save" while the session runs
        raise KeyboardInterrupt

    monkeypatch.setattr(web.WebServer, "serve_forever", serve)
    assert main(["review", str(tagged), "--port", "0", "--no-evidence"]) == 1
    err = capsys.readouterr().err
    assert (f"The decisions are kept in .{tagged.name}.review-journal.jsonl: open tagger review {tagged} again to "
            "merge them into the file as it is now") in err, err
    assert "stop this session" not in err


def test_a_second_ctrl_c_while_the_decisions_are_written_says_where_they_are(tagged, monkeypatch, capsys):
    """An impatient second Ctrl-C while a large queue was written ended with only "interrupted" (exit 130), though
    the README says the decisions are saved: they are in the journal, and now the run says so (review)."""
    from tagger.apps import review, web

    def serve(self, *args, **kwargs):
        self.app.store.decide(self.app.store.queue[0], ["volunteer_work"], "ana")
        raise KeyboardInterrupt

    def flush(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(web.WebServer, "serve_forever", serve)
    monkeypatch.setattr(review.TaggedFile, "flush", flush)
    assert main(["review", str(tagged), "--port", "0", "--no-evidence"]) == 130
    err = capsys.readouterr().err
    assert (f"stopped while writing the decisions into {tagged}: it does not hold the latest ones yet; they are kept "
            f"in .{tagged.name}.review-journal.jsonl and are put into it the next time it is opened with tagger "
            f"review {tagged}") in err
    monkeypatch.undo()
    with review.TaggedFile(tagged) as store:  # as said: the next session puts the decision into the file
        assert store.done() == 1


def test_discard_reviews_sets_a_killed_sessions_journal_aside(tagged, cli_model, root, caplog):
    """User test: `tag --force --discard-reviews` over a file whose session was killed left its journal, and the
    next session restored the decision onto the new file (same texts, same ids). The journal is moved to the
    stale journal (never thrown away), and the refusal says that exporting alone does not unblock --force."""
    _kill_after_deciding(tagged, ["elderly_care"])
    with TaggedFile(tagged) as store:  # the session restores it into the file
        pid = next(p for p in store.queue if store.row(p)["reviewed_labels"] is not None)
    _kill_after_deciding(tagged, ["volunteer_work"])  # and a second killed session leaves one in the journal
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "20%", "-o", str(tagged),
                 "--force"]) == 1
    with caplog.at_level("INFO"):
        assert main(["tag", str(root / "seeds"), "--model", cli_model, "--review", "20%", "-o", str(tagged),
                     "--force", "--discard-reviews"]) == 0
    assert "1 review decision of an earlier session discarded" in caplog.text
    from tagger.data.tagged import review_journal, stale_journal

    assert not review_journal(tagged).exists() and len(stale_journal(tagged).read_text().splitlines()) == 1
    with TaggedFile(tagged) as store:
        assert store.done() == 0 and store.row(pid)["reviewed_labels"] is None


def test_neighbours_follow_reading_order_when_a_spreadsheet_sorted_the_rows(cli_model, root, tmp_path):
    """User test: a queue sorted by review_rank in a spreadsheet showed a report's heading after its paragraph:
    neighbours came from the file's row order, not the report's."""
    out = tmp_path / "q.csv"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "20%", "-o", str(out)]) == 0
    with TaggedFile(out) as store:
        expected = {pid: store.neighbours(pid) for pid in store.queue}
        expected = {pid: ([r["paragraph"] for r in b], [r["paragraph"] for r in a]) for pid, (b, a) in expected.items()}
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    out.write_text("\ufeff" + "\n".join([lines[0], *reversed(lines[1:])]) + "\n", encoding="utf-8")
    with TaggedFile(out) as store:
        got = {pid: ([r["paragraph"] for r in b], [r["paragraph"] for r in a])
               for pid, (b, a) in ((p, store.neighbours(p)) for p in store.queue)}
    assert got == expected
    pid = next(p for p in got if got[p][0] and got[p][1])
    index = int(pid.rsplit(":", 1)[1])
    assert all(int(p.rsplit(":", 1)[1]) < index for p in got[pid][0])


def test_a_guarded_text_cell_stays_guarded_after_a_review(cli_model, tmp_path):
    """User test: a paragraph whose text is -2.5, written by tag as '-2.5 (a spreadsheet would read a formula or
    a number), lost its guard at the review's first save: a cell guarded in the file is guarded again; the
    numbers tag wrote (a negative review_margin) stay numbers."""
    src = tmp_path / "r.txt"
    src.write_text("党员志愿者走进敬老院,为孤寡老人义务检查线路。\n-2.5\n公司为小区更换老化线路,实现一户一表。\n", encoding="utf-8")
    out = tmp_path / "q.csv"
    assert main(["-q", "tag", str(src), "--model", cli_model, "--review", "100%", "-o", str(out)]) == 0
    before = out.read_text(encoding="utf-8-sig")
    assert "'-2.5" in before
    with TaggedFile(out) as store:
        store.decide(store.queue[0], ["elderly_care"], "ana")
        store.flush()
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert any(r["reviewed_by"] == "ana" for r in rows)  # the file was rewritten
    assert [r["text"] for r in rows if r["paragraph"] == "r:1"] == ["'-2.5"]
    margins = [float(r["review_margin"]) for r in rows]
    assert all(not r["review_margin"].startswith("'") for r in rows) and margins


def test_decisions_after_an_outside_edit_are_kept_and_answered_with_a_warning(cli_model, root, tmp_path):
    """User test: after a spreadsheet saved the queue mid-session, every decision that fell on a merge answered
    400 "changed on disk" although it was journalled, so the page stayed on the paragraph and the reviewer
    repeated work that was kept. The decision is answered with a warning and the page moves on."""
    from tagger.apps.review import QueueApp

    out = tmp_path / "q.jsonl"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "100%", "-o", str(out)]) == 0
    with TaggedFile(out) as store:
        app = QueueApp(store, "ana")
        rows = _rows(out)
        rows[-1]["note"] = "edited elsewhere"
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        answers = [app.decide_request({"paragraph": pid, "labels": []})
                   for pid in store.queue[:FLUSH_EVERY + 2]]
        assert all(a["ok"] for a in answers) and answers[-1]["done"] == FLUSH_EVERY + 2
        assert "changed on disk" in answers[FLUSH_EVERY - 1]["warning"] and "warning" not in answers[0]
        assert len(store.journal.read_text(encoding="utf-8").splitlines()) == FLUSH_EVERY + 2
    with TaggedFile(out) as again:  # the next session merges them into the file as it is now
        assert again.done() == FLUSH_EVERY + 2
    assert _rows(out)[-1]["note"] == "edited elsewhere"


def test_a_decision_never_waits_for_the_rewrite_and_one_made_during_it_is_kept(tmp_path, monkeypatch):
    """At-scale hunt: every 20th decision froze the page for 2-6 s on a large queue, its request rewriting the whole
    file. The rewrite runs outside the decision's request; a decision made while it writes stays in the journal and
    goes into the next rewrite, in order, and the file is whole at every moment."""
    import tagger.apps.review as review

    monkeypatch.setattr(review, "FLUSH_EVERY", 3)
    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:0", "a:1", "a:2", "a:3", "a:4"])
    real, writers = review.atomic_write, []
    writing, go_on = threading.Event(), threading.Event()

    @contextlib.contextmanager
    def held_write(target, *args, **kwargs):  # the rewrite of the file waits until the test lets it go on
        if Path(target) == path:
            writers.append(threading.current_thread())
            writing.set()
            go_on.wait(5)  # only so that the code before the fix (the wait in the decision itself) ends
        with real(target, *args, **kwargs) as fh:
            yield fh

    monkeypatch.setattr(review, "atomic_write", held_write)
    with TaggedFile(path) as store:
        answers = [store.decide(pid, ["volunteer_work"], "ana") for pid in ["a:0", "a:1", "a:2"]]
        assert writing.wait(5) and writers and threading.current_thread() not in writers  # not in its request
        assert all("warning" not in a for a in answers)
        store.decide("a:0", [], "bo")  # while the file is written: a later decision on a paragraph in it
        store.decide("a:3", ["elderly_care"], "bo")
        assert all(r.get("reviewed_labels") is None for r in _rows(path))  # not written over yet
        go_on.set()
    kept = {r["paragraph"]: r["reviewed_labels"] for r in _rows(path)}
    assert kept["a:0"] == ["volunteer_work"] and kept["a:2"] == ["volunteer_work"] and kept["a:3"] is None
    journal = [json.loads(line)["paragraph"] for line in review_journal(path).read_text(encoding="utf-8").splitlines()]
    assert journal == ["a:0", "a:3"]  # the ones made during the write, not yet in the file
    with TaggedFile(path) as again:  # the next session merges them, the later decision on a:0 winning
        assert again.row("a:0")["reviewed_labels"] == [] and again.row("a:3")["reviewed_labels"] == ["elderly_care"]
        assert again.done() == 4
    assert not review_journal(path).exists()


def test_an_outside_edit_made_while_the_file_is_rewritten_is_not_written_over(tmp_path, monkeypatch):
    """Review of the background rewrite: another program that wrote the file while a rewrite was under way (the rows
    were checked against the file before the write began, not after) had its edit replaced without a word. The file
    is checked again just before the new one replaces it: the edit stays, the decisions stay in the journal, and the
    next decision's answer says why the file waits."""
    import tagger.apps.review as review

    monkeypatch.setattr(review, "FLUSH_EVERY", 3)
    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:0", "a:1", "a:2", "a:3", "a:4"])
    real = review.TaggedFile._recount
    writing, go_on = threading.Event(), threading.Event()

    def held(self, rows):  # the rewrite, its rows taken and checked against the file, waits until the edit is made
        writing.set()
        go_on.wait(5)
        return real(self, rows)

    monkeypatch.setattr(review.TaggedFile, "_recount", held)
    with TaggedFile(path) as store:
        for pid in ["a:0", "a:1", "a:2"]:
            store.decide(pid, ["volunteer_work"], "ana")
        assert writing.wait(5)
        rows = _rows(path)
        rows[-1]["note"] = "edited elsewhere"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        go_on.set()
        store._saver.join(5)
        answer = store.decide("a:3", ["elderly_care"], "ana")
        assert "changed on disk" in answer["warning"]
    assert _rows(path)[-1]["note"] == "edited elsewhere"  # not written over
    assert all(r.get("reviewed_labels") is None for r in _rows(path))
    with TaggedFile(path) as again:  # the next session merges the journal into the file as it is now
        assert again.done() == 4 and again.row("a:3")["reviewed_labels"] == ["elderly_care"]
    assert _rows(path)[-1]["note"] == "edited elsewhere"


def test_review_f2_findings(cli_model, root, tmp_path):
    """Review of the user-test fixes: a cell guarded in the file whose value became None (a reviewer '@ana' then
    one without a name) crashed every save and every opening of the file; the journal set aside by
    --discard-reviews was re-encoded (an id with U+2028 split in two) and counted by lines, not paragraphs; an
    id whose index is a superscript digit crashed the opening; tag --discard-reviews took no review lock on a
    file no session had opened, so a session started meanwhile journalled into a journal being set aside."""
    from tagger.data.tagged import review_journal, review_lock, set_journal_aside, stale_journal

    out = tmp_path / "q.csv"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "10%", "-o", str(out),
                 "--discard-reviews"]) == 0
    assert not review_lock(out).exists()  # taken while the file was written and its journal set aside, then gone
    with TaggedFile(out) as store:
        first = store.queue[0]
        store.decide(first, ["elderly_care"], "@ana")
        store.flush()
    assert "'@ana" in out.read_text(encoding="utf-8-sig")
    with TaggedFile(out) as store:
        store.decide(first, [], "")
        store.flush()
    with TaggedFile(out) as store:
        assert store.row(first)["reviewed_labels"] == [] and not store.row(first)["reviewed_by"]

    journal = review_journal(out)
    lines = [json.dumps({"paragraph": p, "labels": [], "by": None, "at": "x", "sha": "y"}, ensure_ascii=False)
             for p in ("r\u20281:1", "r\u20281:1", "r1:0")]
    journal.write_bytes(("\n".join(lines) + "\n").encode("utf-8") + b'{"paragraph": "r1:2", "lab\xe4')
    assert set_journal_aside(out) == 3  # two paragraphs decided, and a line cut by a kill
    assert stale_journal(out).read_bytes().startswith(("\n".join(lines) + "\n").encode("utf-8"))
    assert not journal.exists()

    from tagger.apps.review import _paragraph_index

    assert [_paragraph_index(p) for p in ("r:12", "r:²", "r:2a", "r")] == [12, None, None, None]


# --------------------------------------------------------------------------- the page's script, as a reviewer uses it
def _queue_file(path, reports, queue, evidence=None):
    """A tiny tagged JSONL file: ``reports`` maps a report id to its paragraphs' texts, ``queue`` lists the
    paragraph ids flagged for review in rank order; the model tagged every paragraph it holds "elderly" in
    elderly_care. ``evidence`` maps a paragraph id to its evidence terms."""
    rows = []
    for report, texts in reports.items():
        for i, text in enumerate(texts):
            pid = f"{report}:{i}"
            labels = ["elderly_care"] if "elderly" in text else []
            rows.append({"report": report, "paragraph": pid, "kind": "body", "text": text, "labels": labels,
                         **{f"score_{lab}": (0.7 if lab in labels else 0.1) for lab in LABELS},
                         "review": pid in queue, "review_rank": queue.index(pid) + 1 if pid in queue else None,
                         "review_margin": 0.05, **({"evidence": evidence[pid]} if pid in (evidence or {}) else {})})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


QUEUE = {"a": ["a first", "a second, elderly", "a third", "a fourth", "a fifth"], "b": ["b first", "b second"]}


@contextlib.contextmanager
def _review_page(browser, path, reviewer="ana", **context_options):
    """The review page of ``path`` served on a free port and opened in a new browser context; every dialog the
    page opens (an ``alert`` of injected script) is dismissed and kept in ``page.dialogs``."""
    server = make_review_server(path, reviewer, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = browser.new_context(**context_options)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.dialogs = []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.goto(server.url)
        page.wait_for_selector("#cb-volunteer_work")
        yield server, page
    finally:
        context.close()
        server.shutdown()
        server.server_close()
        thread.join(5)
        server.app.store.close()


def _progress(page, text):
    from playwright.sync_api import expect

    expect(page.locator("#progress")).to_have_text(text)


def _checked(page):
    return [lab for lab in LABELS if page.is_checked(f"#cb-{lab}")]


def test_the_page_is_laid_out_for_a_phone(browser, tmp_path):
    """Visual QA: the review page had no viewport meta tag, so a phone laid it out 980 px wide and shrank it to a
    third, the paragraph unreadable without zooming (tagger serve's page and the HTML report have it)."""
    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3", "b:0"])
    with _review_page(browser, path, viewport={"width": 400, "height": 800}, is_mobile=True) as (_, page):
        assert page.evaluate("window.innerWidth") == 400
        assert page.evaluate("document.documentElement.scrollWidth") <= 400


def test_a_long_unbroken_line_wraps_in_the_page(browser, tmp_path):
    """User test: a paragraph holding a long link (or any run of Latin letters without a space), as the current
    paragraph or a neighbour, and a long report id without a space, made the page 20,000 px wide: the label boxes
    and buttons stayed at its left, the text ran off to the right, read by scrolling sideways (a long file name too,
    in the title). It wraps."""
    link = "http://example.com/" + "a" * 2000
    report = "report_" + "x" * 300
    path = _queue_file(tmp_path / ("queue_" + "y" * 150 + ".jsonl"), {report: ["为孤寡老人检查线路。" + link, link + " elderly", "第三段。"]},
                       [f"{report}:1"])
    with _review_page(browser, path, viewport={"width": 800, "height": 800}) as (_, page):
        assert page.inner_text("#text").startswith(link)
        assert page.evaluate("document.documentElement.scrollWidth") <= 800


def test_the_page_walks_the_queue_to_its_end_with_neighbours_progress_and_resumption(browser, tmp_path):
    """A reviewer goes through a queue of three by the page's buttons: progress after each decision and after going
    back, the report's neighbours around each paragraph, a reload resuming at the first paragraph not decided, and
    "end of the queue" exactly after the last decision (the page said it one item early)."""
    from playwright.sync_api import expect

    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3", "b:0"])
    with _review_page(browser, path) as (server, page):
        status = page.locator("#status")
        _progress(page, "1 of 3 · 0 reviewed")
        assert page.inner_text("#text") == "a second, elderly" and _checked(page) == ["elderly_care"]
        assert page.locator("#context-before p").all_inner_texts() == ["a first [-]"]
        assert page.locator("#context-after p").all_inner_texts() == ["a third [-]", "a fourth [-]"]
        page.click("#accept")
        _progress(page, "2 of 3 · 1 reviewed")
        expect(status).to_have_text("saved a:1: elderly_care (1 of 3)")
        assert page.inner_text("#text") == "a fourth"
        assert page.locator("#context-before p").all_inner_texts() == ["a second, elderly [elderly_care]",
                                                                      "a third [-]"]
        assert page.locator("#context-after p").all_inner_texts() == ["a fifth [-]"]
        page.click("#prev")
        _progress(page, "1 of 3 · 1 reviewed")
        expect(page.locator("#meta")).to_have_text("a:1 (body) · reviewed by ana")
        page.click("#next")
        _progress(page, "2 of 3 · 1 reviewed")
        page.click("#none")  # the last but one: not the end of the queue yet
        _progress(page, "3 of 3 · 2 reviewed")
        expect(status).to_have_text("saved a:3: no label (2 of 3)")
        assert page.locator("#context-before p").count() == 0  # another report: a:4 is not b:0's neighbour
        assert page.locator("#context-after p").all_inner_texts() == ["b second [-]"]
        page.reload()  # a new page mid-queue resumes at the first paragraph not decided
        _progress(page, "3 of 3 · 2 reviewed")
        assert page.inner_text("#text") == "b first" and page.inner_text("#status") == ""
        page.click("#prev")
        _progress(page, "2 of 3 · 2 reviewed")
        page.click("#prev")
        _progress(page, "1 of 3 · 2 reviewed")
        page.click("#accept")  # a decision taken again moves on and counts once
        _progress(page, "2 of 3 · 2 reviewed")
        page.click("#next")
        _progress(page, "3 of 3 · 2 reviewed")
        page.click("#accept")  # the last one: the end of the queue, on the paragraph just decided
        expect(status).to_have_text("end of the queue: all saved")
        _progress(page, "3 of 3 · 3 reviewed")
        expect(page.locator("#meta")).to_have_text("b:0 (body) · reviewed by ana")
        store = server.app.store
        assert [store.row(p)["reviewed_labels"] for p in store.queue] == [["elderly_care"], [], []]


def test_a_decision_from_a_second_tab_that_had_not_seen_it_is_refused_and_shown(browser, tmp_path):
    """User test: the page open in two tabs (or two people on one --host page); tab 1 decided a paragraph, then tab 2,
    still showing it undecided, decided it otherwise: tab 1's decision was replaced without a word, tab 2 saying
    "saved". Tab 2's decision is refused, naming the one made meanwhile, which it then shows; decided again there, it
    is a change of mind and stands. One tab going back to a paragraph it decided changes it as before."""
    from playwright.sync_api import expect

    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3"])
    with _review_page(browser, path) as (server, page):
        other = page.context.new_page()
        other.goto(server.url)
        other.wait_for_selector("#cb-volunteer_work")
        page.keyboard.press("Enter")  # tab 1: the model's label
        _progress(page, "2 of 2 · 1 reviewed")
        other.keyboard.press("0")  # tab 2, on a:1 still shown undecided: no label
        expect(other.locator("#status")).to_contain_text("a:1 was decided meanwhile")
        assert "elderly_care (by ana at " in other.text_content("#status")
        expect(other.locator("#meta")).to_have_text("a:1 (body) · reviewed by ana")
        _progress(other, "1 of 2 · 1 reviewed")
        assert _checked(other) == ["elderly_care"]
        assert server.app.store.row("a:1")["reviewed_labels"] == ["elderly_care"]
        other.keyboard.press("0")  # seen now: a change of mind
        expect(other.locator("#status")).to_have_text("saved a:1: no label (1 of 2)")
        assert server.app.store.row("a:1")["reviewed_labels"] == []
        page.keyboard.press("p")  # tab 1 back on a:1 (shown as it is now) decides it again
        _progress(page, "1 of 2 · 1 reviewed")
        page.keyboard.press("1")
        page.keyboard.press("Enter")
        expect(page.locator("#status")).to_have_text("saved a:1: elderly_care (1 of 2)")


def test_the_label_boxes_are_with_the_paragraph_they_decide(browser, tmp_path):
    """The page showed the paragraph under review in its box, then the report's next two paragraphs, then the
    label check boxes: the boxes stood right under a neighbour and read as its labels. They are in the box of
    the paragraph they decide, with the buttons after it, and the next paragraphs of the report come below."""
    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1"])
    with _review_page(browser, path) as (server, page):
        assert page.locator("#context-after p").count() == 2
        box = page.locator("#current").bounding_box()
        labels = page.locator("#labels").bounding_box()
        assert box["y"] <= labels["y"] and labels["y"] + labels["height"] <= box["y"] + box["height"]
        buttons = page.locator("nav").bounding_box()
        after = page.locator("#context-after p").first.bounding_box()
        assert box["y"] + box["height"] <= buttons["y"] < after["y"]


def test_the_page_says_which_labels_are_the_models_and_what_the_numbers_are(browser, tmp_path):
    """The model's labels were told only by bold type, and the numbers beside the labels had no word: on a
    paragraph already decided, the ticks are the reviewer's and nothing said which labels the model had given.
    Each label the model gave says "model's label", the numbers are called the model's scores, and the help
    line says what a tick is."""
    from playwright.sync_api import expect

    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3"])
    with _review_page(browser, path) as (server, page):
        rows = {lab: page.locator(f"#labels label:has(#cb-{lab})") for lab in LABELS}
        marked = [lab for lab, row in rows.items() if "model's label" in row.inner_text()]
        assert marked == ["elderly_care"]
        assert rows["elderly_care"].locator(".score").get_attribute("title") == "the model's score for elderly_care"
        page.keyboard.press("1")  # not elderly_care, but volunteer_work
        page.keyboard.press("5")
        page.keyboard.press("Enter")
        _progress(page, "2 of 2 · 1 reviewed")
        page.keyboard.press("p")
        expect(page.locator("#meta")).to_have_text("a:1 (body) · reviewed by ana")
        assert _checked(page) == ["volunteer_work"]  # the reviewer's decision
        assert [lab for lab, row in rows.items() if "model's label" in row.inner_text()] == ["elderly_care"]
        help_text = page.inner_text(".help")
        assert "Ticked" in help_text and "model's score" in help_text


_COUNT_FETCHES = """() => { window.fetches = []; const real = window.fetch;
  window.fetch = (url, opts) => { window.fetches.push(String(url)); return real(url, opts); }; }"""


def test_keyboard_shortcuts_and_typing_in_a_text_box(browser, tmp_path):
    """Keys 1-5 toggle their label, Enter saves the ticked ones, 0 saves no label, n and p move, s writes the file;
    typed into a text box (the page's, an extension's) the same keys are text, not shortcuts."""
    from playwright.sync_api import expect

    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3", "b:0"])
    with _review_page(browser, path) as (server, page):
        store = server.app.store
        _progress(page, "1 of 3 · 0 reviewed")
        for k, lab in enumerate(LABELS, 1):  # each key toggles its own label, and only it
            page.keyboard.press(str(k))
            assert _checked(page) == sorted({"elderly_care"} ^ {lab}, key=LABELS.index)
            page.keyboard.press(str(k))
            assert _checked(page) == ["elderly_care"]
        for key in "125":
            page.keyboard.press(key)
        page.keyboard.press("Enter")
        _progress(page, "2 of 3 · 1 reviewed")
        assert store.row("a:1")["reviewed_labels"] == ["old_neighbourhood_retrofit", "volunteer_work"]
        page.keyboard.press("3")
        page.keyboard.press("0")  # no label, whatever is ticked
        _progress(page, "3 of 3 · 2 reviewed")
        assert store.row("a:3")["reviewed_labels"] == []
        page.keyboard.press("p")
        _progress(page, "2 of 3 · 2 reviewed")
        assert _checked(page) == []  # the decision, not the model's tags
        page.keyboard.press("p")
        _progress(page, "1 of 3 · 2 reviewed")
        assert _checked(page) == ["old_neighbourhood_retrofit", "volunteer_work"]
        page.keyboard.press("Shift+N")  # Caps Lock on, or Shift held: the letter keys still work
        _progress(page, "2 of 3 · 2 reviewed")
        page.keyboard.press("Shift+S")
        expect(page.locator("#status")).to_have_text("written to q.jsonl")
        assert {r["paragraph"]: r["reviewed_labels"] for r in _rows(path) if r["reviewed_labels"] is not None} == \
            {"a:1": ["old_neighbourhood_retrofit", "volunteer_work"], "a:3": []}

        page.evaluate("""() => { const f = document.createElement("form"); f.id = "typing";
          f.innerHTML = '<input type="text" id="t-text"><input type="search" id="t-search"><textarea id="t-area">' +
                        '</textarea><div id="t-edit" contenteditable="true"></div>';
          document.body.append(f); }""")
        page.evaluate(_COUNT_FETCHES)
        for box in ("#t-text", "#t-search", "#t-area", "#t-edit"):
            page.click(box)
            page.keyboard.type("1250nps")
            page.keyboard.press("Enter")
            typed = page.eval_on_selector(box, "e => e.isContentEditable ? e.innerText : e.value")
            assert typed.replace("\n", "") == "1250nps", box
            assert _checked(page) == [], box  # a:3's decision still ticked, nothing toggled
            assert page.evaluate("window.fetches") == [], box  # nothing decided, moved or saved
        _progress(page, "2 of 3 · 2 reviewed")
        assert store.done() == 2 and page.inner_text("#status") == "written to q.jsonl"
        page.click("#cb-elderly_care")  # a ticked box has the focus: its keys are shortcuts again
        page.keyboard.press("2")
        assert _checked(page) == ["elderly_care", "old_neighbourhood_retrofit"]
        page.keyboard.press("Enter")
        _progress(page, "3 of 3 · 2 reviewed")
        assert store.row("a:3")["reviewed_labels"] == ["elderly_care", "old_neighbourhood_retrofit"]


def test_enter_pressed_twice_before_the_answer_decides_once(browser, tmp_path):
    """A double press of Enter (or a held key) sent a second decision for the same paragraph before the first was
    answered: the page then moved on twice, past the next paragraph, which the reviewer never saw."""
    from playwright.sync_api import expect

    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3", "b:0"])
    with _review_page(browser, path) as (server, page):
        page.evaluate(_COUNT_FETCHES)
        sent = page.evaluate("""() => { for (const i of [1, 2])  // two presses in one task: neither answered yet
          document.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true}));
          return [...window.fetches]; }""")  # read in the same task: no answer can have come in between
        assert sent == ["/api/decide"]
        expect(page.locator("#status")).to_have_text("saved a:1: elderly_care (1 of 3)")
        _progress(page, "2 of 3 · 1 reviewed")
        page.keyboard.press("0")  # the next decision goes through
        _progress(page, "3 of 3 · 2 reviewed")
        assert len(server.app.store.journal.read_text(encoding="utf-8").splitlines()) == 2


def test_moving_while_a_decision_is_on_its_way_names_the_paragraph_decided_and_skips_none(browser, tmp_path):
    """n (or p) pressed before a decision's answer came (a save of a large file takes seconds): the answer named the
    paragraph moved to as the one saved, and moved on from there, past a paragraph the reviewer never saw."""
    from playwright.sync_api import expect

    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3", "b:0"])
    with _review_page(browser, path) as (server, page):
        store, real = server.app.store, server.app.store.decide
        answer = threading.Event()

        def slow(*args, **kwargs):
            answer.wait(10)
            return real(*args, **kwargs)

        store.decide = slow
        page.keyboard.press("Enter")  # a:1 decided; its answer waits
        page.keyboard.press("n")
        _progress(page, "2 of 3 · 0 reviewed")
        answer.set()
        expect(page.locator("#status")).to_have_text("saved a:1: elderly_care (1 of 3)")
        _progress(page, "2 of 3 · 1 reviewed")  # the paragraph after a:1, not after a:3
        assert page.inner_text("#text") == "a fourth"


def _scrolled(page):
    """Wait for the page to have scrolled down (a key's scroll is animated); fail if it never does."""
    for _ in range(100):
        if page.evaluate("window.scrollY") > 0:
            return
        page.wait_for_timeout(50)
    raise AssertionError("the page did not scroll")


@pytest.mark.parametrize("clicked, decision", [("#accept", ["elderly_care"]), ("#none", [])])
def test_space_after_a_click_scrolls_and_decides_nothing(browser, tmp_path, clicked, decision):
    """A click on "accept and next" (or "no label") left the button with the focus, and each Space after it (the
    browser's scroll key) pressed it again: three Spaces decided the next three paragraphs as shown, unread. Space
    now scrolls and decides nothing, whether the button was clicked or reached by Tab; Enter on a button reached by
    Tab presses it once, and lets go of the focus."""
    path = _queue_file(tmp_path / "q.jsonl", {"a": [f"a {i} elderly " + "text " * 200 for i in range(6)]},
                       [f"a:{i}" for i in range(5)])
    with _review_page(browser, path, viewport={"width": 600, "height": 400}) as (server, page):
        store = server.app.store
        page.click(clicked)
        _progress(page, "2 of 5 · 1 reviewed")
        assert store.row("a:0")["reviewed_labels"] == decision
        page.evaluate(_COUNT_FETCHES)
        page.evaluate("window.scrollTo(0, 0)")
        for _ in range(3):
            page.keyboard.press(" ")
        _scrolled(page)  # Space scrolled the page
        page.keyboard.press("Shift+ ")
        assert page.evaluate("window.fetches") == []  # nothing decided
        _progress(page, "2 of 5 · 1 reviewed")
        page.focus("#accept")  # reached by Tab
        for _ in range(3):
            page.keyboard.press(" ")
        assert page.evaluate("window.fetches") == [] and store.done() == 1
        page.focus("#none")
        page.keyboard.press("Enter")  # the focused button, once: a:1 no label
        _progress(page, "3 of 5 · 2 reviewed")
        assert store.row("a:1")["reviewed_labels"] == []
        assert page.evaluate("document.activeElement.tagName") == "BODY"
        page.keyboard.press(" ")
        page.keyboard.press(" ")
        _progress(page, "3 of 5 · 2 reviewed")
        assert page.evaluate("window.fetches") == ["/api/decide", "/api/item?position=2"]
        assert len(store.journal.read_text(encoding="utf-8").splitlines()) == 2


def test_space_on_a_label_box_scrolls_and_changes_no_label(browser, tmp_path):
    """A label box clicked kept the focus, and Space (said to only scroll) toggled it back: the next Enter saved
    labels the reviewer had not chosen. A clicked label box (or its label) lets go of the focus, and Space on one
    reached by Tab scrolls too; keys 1-5 toggle."""
    path = _queue_file(tmp_path / "q.jsonl", {"a": ["a elderly " + "text " * 300, "a two"]}, ["a:0", "a:1"])
    with _review_page(browser, path, viewport={"width": 600, "height": 400}) as (server, page):
        page.click("#cb-volunteer_work")  # the box
        page.click("text=elevator_power_hookup")  # its label's text
        assert _checked(page) == ["elderly_care", "elevator_power_hookup", "volunteer_work"]
        assert page.evaluate("document.activeElement.tagName") == "BODY"
        page.evaluate("window.scrollTo(0, 0)")
        for _ in range(2):
            page.keyboard.press(" ")
        _scrolled(page)
        page.focus("#cb-elderly_care")  # reached by Tab
        page.keyboard.press(" ")
        assert _checked(page) == ["elderly_care", "elevator_power_hookup", "volunteer_work"]
        page.keyboard.press("2")  # keys toggle
        page.keyboard.press("Enter")
        _progress(page, "2 of 2 · 1 reviewed")
        assert server.app.store.row("a:0")["reviewed_labels"] == ["elderly_care", "old_neighbourhood_retrofit",
                                                                  "elevator_power_hookup", "volunteer_work"]


@pytest.mark.parametrize("focused", ["#next", None])
def test_a_held_key_decides_once(browser, tmp_path, focused):
    """A held Enter (the key repeating) on a "skip" button reached by Tab pressed it once, and its repeats then
    accepted the following paragraphs unread (and held with nothing focused, each repeat accepted one). A deciding
    key's repeats are ignored, as are a toggle's (a held 1 would flicker the label)."""
    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3", "b:0", "b:1"])
    with _review_page(browser, path) as (server, page):
        store = server.app.store
        if focused:
            page.focus(focused)
        page.keyboard.down("Enter")
        _progress(page, "2 of 4 · 0 reviewed" if focused else "2 of 4 · 1 reviewed")
        page.evaluate(_COUNT_FETCHES)
        for _ in range(3):
            page.keyboard.down("Enter")  # repeats: the key is still down
        page.keyboard.up("Enter")
        for _ in range(3):
            page.keyboard.down("0")  # no label, once
        page.keyboard.up("0")
        _progress(page, "3 of 4 · 1 reviewed" if focused else "3 of 4 · 2 reviewed")
        page.keyboard.down("1")  # toggled once
        for _ in range(2):
            page.keyboard.down("1")
        page.keyboard.up("1")
        assert _checked(page) == ["elderly_care"]
        assert page.evaluate("window.fetches") == ["/api/decide", "/api/item?position=2"]
        assert store.done() == (1 if focused else 2)


def test_a_failed_load_is_shown_not_swallowed(browser, tmp_path):
    """When the server cannot give the next paragraph, the page opening, or a save, the reviewer reads why on the
    page (in red), and the page stays where it was; a server that stopped is said too."""
    from playwright.sync_api import expect

    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3", "b:0"])
    with _review_page(browser, path) as (server, page):
        status = page.locator("#status")
        app, real = server.app, server.app.item

        def failing(position):
            if position == 1:
                raise InputError("q.jsonl: line 4 could not be read")
            return real(position)

        app.item = failing
        page.keyboard.press("Enter")  # decided, but the next paragraph does not come
        expect(status).to_have_text("q.jsonl: line 4 could not be read")
        expect(status).to_have_class("error")
        _progress(page, "1 of 3 · 0 reviewed")  # still on the paragraph just decided
        assert app.store.done() == 1
        app.item = lambda position: 1 / 0  # a bug in the server: a 500 answer
        page.click("#next")
        expect(status).to_have_text("internal error: ZeroDivisionError: division by zero")
        del app.item
        page.click("#next")
        _progress(page, "2 of 3 · 1 reviewed")

        path.unlink()  # the file went away mid-session: a save says so
        page.keyboard.press("0")
        _progress(page, "3 of 3 · 2 reviewed")
        page.keyboard.press("s")
        expect(status).to_contain_text("changed on disk since this review session opened it; not overwritten")
        expect(status).to_have_class("error")

        for broken in ("**/api/info", "**/api/item?*"):  # the page's first answers fail
            other = page.context.new_page()
            other.route(broken, lambda route: route.fulfill(status=500, json={"error": "internal error: OSError"}))
            other.goto(server.url)
            expect(other.locator("#status")).to_have_text("internal error: OSError")
            expect(other.locator("#status")).to_have_class("error")
            other.close()

        server.shutdown()  # tagger review stopped (Ctrl-C) while the page stays open
        server.server_close()
        gone = re.compile(r"^no answer from tagger review \(was it stopped\?\): ")
        page.click("#prev")
        expect(status).to_have_text(gone)
        page.evaluate('document.getElementById("status").textContent = ""')
        page.keyboard.press("Enter")  # a decision that did not reach the server is not said to be saved
        expect(status).to_have_text(gone)
        expect(status).to_have_class("error")
        _progress(page, "3 of 3 · 2 reviewed")


def test_an_error_is_cleared_once_the_page_moves_on(browser, tmp_path):
    """A red error (a paragraph that could not be fetched) stayed on the page after the next n or p succeeded,
    so the reviewer read it as being about the paragraph now shown; it goes once a paragraph is shown, and a
    decision still says what it saved."""
    from playwright.sync_api import expect

    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3", "b:0"])
    with _review_page(browser, path) as (server, page):
        status, app, real = page.locator("#status"), server.app, server.app.item
        app.item = lambda position: (_ for _ in ()).throw(InputError("q.jsonl: line 4 could not be read"))
        page.click("#next")
        expect(status).to_have_text("q.jsonl: line 4 could not be read")
        app.item = real
        page.click("#next")
        _progress(page, "2 of 3 · 0 reviewed")
        expect(status).to_have_text("")
        expect(status).not_to_have_class("error")
        page.keyboard.press("0")
        expect(status).to_have_text("saved a:3: no label (1 of 3)")


def test_a_decision_answered_with_a_warning_is_shown_and_the_page_moves_on(browser, tmp_path, monkeypatch):
    """A spreadsheet saved the file mid-session: each decision that falls on a merge is journalled and answered with a
    warning. The page shows it (not "saved", not "end of the queue: all saved") and goes on to the next paragraph."""
    from playwright.sync_api import expect

    import tagger.apps.review as review

    monkeypatch.setattr(review, "FLUSH_EVERY", 2)
    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3", "b:0"])
    with _review_page(browser, path) as (server, page):
        status = page.locator("#status")
        rows = _rows(path)
        rows[0]["note"] = "edited elsewhere"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        page.keyboard.press("Enter")
        expect(status).to_have_text("saved a:1: elderly_care (1 of 3)")
        expect(status).not_to_have_class("error")
        page.keyboard.press("0")  # the second: a merge, refused
        _progress(page, "3 of 3 · 2 reviewed")
        expect(status).to_have_text(re.compile(r"^saved a:3: no label \(2 of 3\); kept in the journal, not in the "
                                               r"file: .*changed on disk since this review session opened it"))
        expect(status).to_have_class("error")
        page.keyboard.press("Enter")  # the last one, refused again: the warning, not "all saved"
        _progress(page, "3 of 3 · 3 reviewed")
        expect(status).to_have_text(re.compile(r"^saved b:0: no label \(3 of 3\); kept in the journal"))
        expect(status).to_have_class("error")
    assert _rows(path)[0]["note"] == "edited elsewhere" and all(r.get("reviewed_labels") is None for r in _rows(path))
    assert len(review_journal(path).read_text(encoding="utf-8").splitlines()) == 3


def test_the_page_highlights_the_evidence_in_the_text_across_a_character_reference(browser, tmp_path):
    """README said "tagger review highlights evidence across one [character reference]", but the review page only
    listed the terms under the text. It marks them in the text as tagger serve does (one implementation:
    highlight_segments), across an &nbsp; inside a term, the text shown as written."""
    text = "供电所为孤寡&nbsp;老人检查线路,孤寡老人很高兴。"
    path = _queue_file(tmp_path / "q.jsonl", {"r": [text, "另一段"]}, ["r:0", "r:1"],
                       evidence={"r:0": {"elderly_care": ["孤寡老人"], "volunteer_work": ["检查 线路"]},
                                 "r:1": {"elderly_care": ["孤寡老人"]}})
    with TaggedFile(path) as store:
        from tagger.apps.review import QueueApp

        item = QueueApp(store).item(0)
        assert "".join(s["text"] for s in item["segments"]) == text
        marked = [(s["text"], s["labels"]) for s in item["segments"] if s["labels"]]
        assert marked == [("孤寡&nbsp;老人", ["elderly_care"]), ("检查线路", ["volunteer_work"]),
                          ("孤寡老人", ["elderly_care"])]
    with _review_page(browser, path) as (server, page):
        assert page.inner_text("#text") == text
        marks = page.locator("#text mark.ev")
        assert marks.all_inner_texts() == ["孤寡&nbsp;老人", "检查线路", "孤寡老人"]
        assert marks.first.get_attribute("title") == "evidence: elderly_care"
        assert page.locator("#text mark.ev *").count() == 0
        page.keyboard.press("n")  # the next paragraph: its terms, not the last one's
        _progress(page, "2 of 2 · 0 reviewed")
        assert page.inner_text("#text") == "另一段" and marks.count() == 0


def test_report_text_with_markup_is_shown_as_text_never_run(browser, tmp_path):
    """Markup and script in a report's text, its neighbours, ids, evidence terms, the reviewer's name and the file's
    name are shown as the characters they are. The page's Content-Security-Policy is bypassed here, so it is the
    page's own handling that is tested: an ``alert`` that ran would be a dialog."""
    from playwright.sync_api import expect

    img, script, quotes = ("<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>",
                           "\"quoted\" 'single' &amp; <b onmouseover=alert(3)>bold</b>")
    report = "r<svg onload=alert(4)>"
    path = tmp_path / "q<img src=y onerror=alert(5)>.jsonl"
    _queue_file(path, {report: [script, img, quotes]}, [f"{report}:1"],
                evidence={f"{report}:1": {"elderly_care": ["<i onclick=alert(6)>老人</i>", "'\"</script>"]}})
    with _review_page(browser, path, reviewer="<img src=z onerror=alert(7)>", bypass_csp=True) as (server, page):
        assert page.inner_text("#file") == path.name
        assert page.inner_text("#text") == img
        assert page.locator("#context-before p").all_inner_texts() == [script + " [-]"]
        assert page.locator("#context-after p").all_inner_texts() == [quotes + " [-]"]
        assert page.inner_text("#meta") == f"{report}:1 (body)"
        assert page.inner_text("#evidence") == "evidence — elderly_care: <i onclick=alert(6)>老人</i>, '\"</script>"
        page.keyboard.press("Enter")
        expect(page.locator("#status")).to_have_text("end of the queue: all saved")
        expect(page.locator("#meta")).to_have_text(f"{report}:1 (body) · reviewed by <img src=z onerror=alert(7)>")
        # no element was made of the text: only the page's own (a label span beside each neighbour, the label boxes)
        assert page.locator("#text mark.ev").count() > 0  # "<i" of an evidence term: marked, as text
        made = page.locator("#file *, #current *:not(#meta, #text, #text > mark.ev, #evidence, #labels, #labels *), "
                            "#meta *, #text *:not(#text > mark.ev), #text mark.ev *, "
                            "#evidence *, "
                            ".context p *:not(span.labels, bdi), .context bdi *, "
                            "img, svg, script:not([src='/app.js']), b, i")
        assert made.count() == 0
        page.hover("#context-after p")
        page.reload()  # a round trip more for an image's error (onerror) to come
        _progress(page, "1 of 1 · 1 reviewed")
        assert page.dialogs == []


def test_a_bidi_control_in_report_text_or_the_file_name_turns_around_nothing_else(browser, tmp_path):
    """User test: a neighbour paragraph holding a right-to-left override (U+202E, as pasted from a web page) turned
    around the model's labels shown after it too, "[-]" drawn before the text's end as if part of it; the file's name
    with one read backwards in the title. A text is isolated from what follows it; a name shows the character as an
    escape."""
    from playwright.sync_api import expect

    rlo = "供电公司\u202e反向文字 [volunteer_work]"
    path = _queue_file(tmp_path / "q\u202eabc.jsonl", {"a": [rlo, "a second, elderly", rlo]}, ["a:1"])
    with _review_page(browser, path) as (_, page):
        assert page.inner_text("#file") == "q\\u202eabc.jsonl"
        for box in ("#context-before p", "#context-after p"):
            assert page.locator(box).inner_text() == rlo + " [-]"  # the text as it is
            text_right, labels_left = page.evaluate("""(box) => { const p = document.querySelector(box);
              const range = document.createRange(); range.selectNodeContents(p.firstChild);
              return [range.getBoundingClientRect().right, p.querySelector("span.labels").getBoundingClientRect().left];
            }""", box)
            assert labels_left >= text_right - 1  # the labels after the text, not inside its reversed run
        page.keyboard.press("Enter")
        expect(page.locator("#status")).to_have_text("end of the queue: all saved")
        page.keyboard.press("s")
        expect(page.locator("#status")).to_have_text("written to q\\u202eabc.jsonl")


def test_the_end_of_the_queue_says_when_paragraphs_were_skipped(browser, tmp_path):
    """A reviewer skipped a paragraph (n) and decided the last one: the page said "end of the queue: all saved" with a
    paragraph never decided. It says how many are left, and a reload goes to the skipped one."""
    from playwright.sync_api import expect

    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3", "b:0"])
    with _review_page(browser, path) as (server, page):
        page.keyboard.press("Enter")
        _progress(page, "2 of 3 · 1 reviewed")
        page.keyboard.press("n")
        _progress(page, "3 of 3 · 1 reviewed")
        page.keyboard.press("0")
        expect(page.locator("#status")).to_have_text("end of the queue, but 1 of 3 not reviewed yet (skipped): reload "
                                                     "the page to go to the first of them")
        _progress(page, "3 of 3 · 2 reviewed")
        page.reload()
        _progress(page, "2 of 3 · 2 reviewed")
        assert page.inner_text("#text") == "a fourth"


# --------------------------------------------------------------------------- a text an .xlsx output cut at Excel's limit
def _cut_text():
    """A paragraph longer than an Excel cell (made up), as tag -o FILE.xlsx wrote it: cut, with the note saying so."""
    from tagger.common.xlsx import safe_text

    return safe_text("，".join(["党员服务队走进幸福里社区为独居老人免费检修室内线路"] * 1400) + "。")


CUT_QUEUE = {"a": ["a first", _cut_text()], "b": ["b first, elderly"]}


def _as_spreadsheet_csv(jsonl, path):
    """A tagged JSONL queue as a CSV a spreadsheet saved (labels as a label cell, TRUE/FALSE, empty for none)."""
    def cell(value):
        if isinstance(value, list):
            return ";".join(value)
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        return "" if value is None else value

    rows = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows({k: cell(v) for k, v in r.items()} for r in rows)
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_text_an_xlsx_output_cut_is_said_to_be_cut_and_left_out_of_the_export(project, tmp_path, suffix, capsys):
    """A paragraph longer than Excel's 32,767 characters per cell reaches a review queue cut (the rows of a tagged
    workbook, saved by a spreadsheet or tagged again): the page showed it as if whole, and --export sent the cut text
    into labels/imported.jsonl as a labelled paragraph. The page's item says it is cut; a decision on it is kept in
    the file, and --export leaves it out with a warning naming file, line and paragraph, and imports the rest."""
    from tagger.apps.review import QueueApp
    from tagger.data.examples import IMPORTED_FILE

    path = _queue_file(tmp_path / "q.jsonl", CUT_QUEUE, ["a:1", "b:0"])
    if suffix == ".csv":
        path = _as_spreadsheet_csv(path, tmp_path / "q.csv")
    with TaggedFile(path) as store:
        app = QueueApp(store, "ana")
        assert [app.item(k)["cut"] for k in range(2)] == [True, False]
        for pid in store.queue:
            store.decide(pid, ["elderly_care"], "ana")
        store.flush()
    with TaggedFile(path) as store:
        assert store.done() == 2
    assert main(["review", str(path), "--export", "--root", str(project)]) == 0
    err, line = capsys.readouterr().err, 2 if suffix == ".jsonl" else 3  # a CSV's header is line 1
    assert f"{path}: left out 1 reviewed paragraph(s) whose text an .xlsx output cut" in err
    assert f"{path}:{line} (a:1)" in err and "tag the report to .jsonl, .csv, .parquet or .sqlite" in err
    imported = [json.loads(line) for line in (project / IMPORTED_FILE).read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["text"]) for r in imported if r["id"] in ("a:1", "b:0")] == [("b:0", "b first, elderly")]


def test_the_page_says_a_text_is_cut(browser, tmp_path):
    """The review page showed a cut text as if it were the whole paragraph: it now says, above it, that the text is cut
    and what a decision on it does; a whole paragraph shows no such note."""
    from playwright.sync_api import expect

    path = _queue_file(tmp_path / "q.jsonl", CUT_QUEUE, ["a:1", "b:0"])
    with _review_page(browser, path) as (server, page):
        _progress(page, "1 of 2 · 0 reviewed")
        expect(page.locator("#cut")).to_be_visible()
        assert "cut at the Excel cell limit" in page.inner_text("#cut")
        assert "review --export leaves it out" in page.inner_text("#cut")
        page.keyboard.press("Enter")
        _progress(page, "2 of 2 · 1 reviewed")
        expect(page.locator("#cut")).to_be_hidden()
        assert page.inner_text("#text") == "b first, elderly"


def test_a_row_of_an_unknown_row_type_is_refused_by_name(tagged):
    """A queue cut short inside a row's first cell ('par' where 'paragraph' was being written) opened without that
    row: its paragraph left the queue without a word. The review names the line, as stats and labels export do."""
    rows = _rows(tagged)
    rows[3]["row_type"] = "par"
    tagged.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(InputError, match=rf"{re.escape(str(tagged))}:4: row_type 'par' is not paragraph, report or "
                                          "corpus; is this the file tagger tag wrote, and was it cut short"):
        TaggedFile(tagged)


def test_a_summary_row_flagged_by_hand_never_enters_the_queue(tagged):
    """A report row with review true and a rank (a spreadsheet's fill-down) entered the queue: the JSONL queue died
    with KeyError 'paragraph', a CSV one got an empty item. Only paragraph rows are queued."""
    rows = _rows(tagged)
    first = next(r for r in rows if r.get("review"))
    rows.append({"row_type": "report", "report": first["report"], "n_paragraphs": 3, "review": True, "review_rank": 0})
    tagged.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with TaggedFile(tagged) as store:
        assert store.queue and all(pid in store.by_id for pid in store.queue)
        assert len(store.queue) == sum(1 for r in rows if r.get("row_type", "paragraph") == "paragraph" and r.get("review"))


def test_headings_and_captions_never_enter_the_queue_and_a_count_near_the_corpus_is_questioned():
    """User test: with --review 100% the queue began with a heading, whose label the codebook fixes (none), and
    --review 15 (the % forgotten) flagged 12 of 12 paragraphs without a word. Headings and captions are not
    queued (they cannot be flagged, whatever the budget), and a count that flags more than half of what can be
    reviewed is named with the share it meant."""
    thresholds = np.full(5, 0.5)
    kinds = {"a:0": "heading", "a:1": "body", "a:2": "caption", "b:0": "body", "b:1": "body"}
    rows = [{"report": p[0], "paragraph": p, "kind": k, **{f"score_{lab}": 0.0 for lab in LABELS}}
            for p, k in kinds.items()]
    for r in rows:  # the heading and the caption the least certain by their scores
        r["score_elderly_care"] = 0.5 if r["kind"] != "body" else 0.9
    q = ReviewQueue(thresholds, ("share", 1.0))
    q.add(rows)
    assert sorted(rows[i]["paragraph"] for i in q.ranks()) == ["a:1", "b:0", "b:1"]
    q = ReviewQueue(thresholds, ("count", 2))
    q.add([dict(r) for r in rows])
    logger, records = logging.getLogger("tagger.apps.batch"), []  # whatever a CLI run did to propagation
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        assert len(q.ranks()) == 2
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in records] == [
        "--review 2 flags 2 of the 3 paragraphs that can be reviewed (a number is a count of paragraphs; a share "
        "is written with %, e.g. 15%)"]
    for amount, n in ((3, 6), (60, 100)):  # half or less, or a count of 50 or more: meant as a count, no warning
        q = ReviewQueue(thresholds, ("count", amount))
        q.add([{**rows[1], "paragraph": f"x:{i}", "report": "x"} for i in range(n)])
        records.clear()
        logger.addHandler(handler)
        try:
            q.ranks()
        finally:
            logger.removeHandler(handler)
        assert records == [], (amount, n)


@pytest.mark.parametrize("ext", ["csv", "jsonl"])
def test_the_reports_themselves_given_to_review_are_named_as_not_a_tagged_file(tmp_path, ext):
    """User test: tagger review reports.csv (the input, not the tagged file) said "reports.csv:2: report must be text,
    got NoneType; is this the file tagger tag wrote?". It names the columns a queue needs and the command that writes
    them, as stats does, before any row is read."""
    path = tmp_path / f"reports.{ext}"
    if ext == "csv":
        path.write_text("id,text\nR1,党员服务队为老人检查线路。\n", encoding="utf-8")
    else:
        path.write_text(json.dumps({"id": "R1", "text": "党员服务队为老人检查线路。"}, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    with pytest.raises(InputError, match=r"reports\.\w+: no report, paragraph, labels, review, review_rank column\(s\): "
                                         r"it is no file tagger tag wrote; tag it with --review and review that: "
                                         rf"tagger tag {re.escape(str(path))} -o \S+ --review 15%"):
        TaggedFile(path)


@pytest.mark.parametrize("ext", ["csv", "jsonl"])
def test_a_file_tagged_without_review_is_refused_naming_the_commands_with_the_file(cli_model, tmp_path, capsys, ext):
    """tagger review of a file tagged without --review said "tag it with tagger tag ... --review 15% -o FILE first":
    the user had to work out the command and a name for its output. It names both, as the stale-decision note does
    (review_commands), and so does review --export of such a file without a decision."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "r1.txt").write_text("供电所党员为五保户更换老化插座。\n\n营业厅为小微企业开通办电快速通道。\n",
                                            encoding="utf-8")
    plain = tmp_path / f"plain {ext}.{ext}"
    assert main(["-q", "tag", str(tmp_path / "in"), "--model", cli_model, "-o", str(plain)]) == 0
    commands = review_commands(plain)
    assert commands.startswith(f"tagger tag '{plain}' -o ")
    with pytest.raises(InputError) as refused:
        TaggedFile(plain)
    assert str(refused.value) == (f"{plain}: no review, review_rank column(s): it was tagged without --review, so it "
                                  "has no review queue; tag it again with one (its review decisions come along) and "
                                  f"review that: {commands}")
    capsys.readouterr()
    assert main(["review", str(plain), "--export", "--root", str(tmp_path), "--dry-run"]) == 1
    assert f"no review queue to make them in: tag it with one, {commands}, then export that" in \
        capsys.readouterr().err


@pytest.mark.parametrize("name, problem", [("bob\n\x1b[31mx", "invisible character U+000A"), (" bob", "white space"),
                                           ("'bob", "starts with '")])
def test_a_reviewer_name_is_checked_as_an_id_is(tagged, capsys, name, problem):
    """Bad-input test: --reviewer went raw into reviewed_by (a line feed, an escape sequence), which spreadsheets,
    labels import and terminals read back; it is refused as such an id is, before the page starts."""
    assert main(["review", str(tagged), "--reviewer", name, "--port", "0", "--no-evidence"]) == 2
    err = capsys.readouterr().err
    assert "--reviewer" in err and problem in err and "\x1b" not in err


def test_the_queue_message_says_what_the_share_is_taken_from(cli_model, tmp_path):
    """User test: "--review 20%" said "17 of 83 paragraphs flagged", which read as 20 % not reached: the 83 held 23
    headings, which are never flagged. The message says how many could be flagged and why the rest cannot."""
    import subprocess
    import sys

    report = tmp_path / "r.txt"
    report.write_text("社区服务\n党员服务队为孤寡老人免费检查线路。\n企业接电时间压缩至15天。\n公司召开会议。\n",
                      encoding="utf-8")
    def tag_review(src, share, out):  # the INFO line goes to stderr of a real run
        run = subprocess.run([sys.executable, "-m", "tagger", "tag", str(src), "--model", cli_model, "--review",
                              share, "-o", str(out)], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return run.stderr

    out = tmp_path / "t.jsonl"
    assert ("review queue: 2 of 4 paragraphs flagged, from the 3 that can be (1 heading or caption never flagged; a "
            "share counts every paragraph)") in tag_review(report, "50%", out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for row in rows:  # a person decided one paragraph: tagged again, it is settled, and said so
        row["reviewed_labels"] = [] if row["paragraph"] == "r:3" else None
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert ("review queue: 1 of 4 paragraphs flagged, from the 2 that can be (1 heading or caption and 1 paragraph "
            "decided already never flagged; a share counts every paragraph)") in tag_review(out, "25%",
                                                                                           tmp_path / "again.jsonl")


def test_a_paragraph_id_given_twice_is_named_by_its_file_lines(cli_model, tmp_path):
    """A paragraph id given twice was named by its places in the list of rows read ("rows 1 and 2"): neither the lines
    of a JSONL file with a summary row or a blank line above, nor a CSV's lines or spreadsheet rows. It is named as
    every other review message names a row: file:line, a CSV's spreadsheet row where that differs."""
    src = tmp_path / "dup.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in (
        ("A", "党员服务队为孤寡老人检查线路。"), ("B", "公司召开会议。"))), encoding="utf-8")
    out = tmp_path / "d.jsonl"
    assert main(["-q", "tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    rows = [r for r in _rows(out) if r.get("row_type", "paragraph") == "paragraph"]
    for n, r in enumerate(rows):
        r.update(review=True, review_rank=n + 1, paragraph="A:0", report="A")
    out.write_text("\n" + "".join(json.dumps(r, ensure_ascii=False) + "\n\n" for r in rows), encoding="utf-8")
    with pytest.raises(InputError) as refused:
        TaggedFile(out)
    said = str(refused.value)
    assert said.startswith(f"{out}:4: paragraph id 'A:0' appears twice (first at {out}:2): "), said
    table = tmp_path / "d.csv"
    with open(table, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in
                             {**r, "text": "多行\n" + r["text"]}.items()})
    with pytest.raises(InputError) as refused:
        TaggedFile(table)
    assert str(refused.value).startswith(f"{table}:4 (row 3 in a spreadsheet): paragraph id 'A:0' appears twice "
                                         f"(first at {table}:2): "), refused.value


def test_a_file_with_no_paragraph_flagged_names_the_commands_that_flag_some(tagged):
    """A queue with every flag taken away (in a spreadsheet) said "(tagger tag ... --review 15%)": it names the
    commands with the user's file (review_commands)."""
    rows = _rows(tagged)
    for row in rows:
        row["review"] = False
    tagged.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(InputError) as refused:
        TaggedFile(tagged)
    assert str(refused.value) == (f"{tagged}: no paragraph is flagged for review; tag it again to flag the ones the "
                                  f"model is least sure of: {review_commands(tagged)}")


def test_the_copy_named_for_a_review_of_a_long_named_workbook_is_one_review_opens(cli_model, root, tmp_path, capsys):
    """tagger review <232-byte name>.xlsx named the commands that review it — tag it to <same stem>.csv (231 bytes)
    with --review, then review that — but tag refused that --output name (too long for review's journal): the
    commands led nowhere. The copy's stem is cut to the longest name review takes, and both commands run."""
    book = tmp_path / _name_of(232, ".xlsx")
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(book)]) == 0
    capsys.readouterr()
    assert main(["review", str(book), "--port", "0", "--no-evidence"]) == 1
    tag, review = re.search(r"review that: (tagger tag .*?), then (tagger review .*)$", capsys.readouterr().err).groups()
    out = shlex.split(review)[2]
    assert shlex.split(tag)[4] == out and len(out.encode()) == len(str(tmp_path).encode()) + 1 + 226  # 月: 3 bytes
    assert Path(out).name.startswith("月" * 74) and Path(out).name.endswith(".csv")
    assert main(["-q", *shlex.split(tag)[1:], "--model", cli_model]) == 0, capsys.readouterr().err
    with TaggedFile(out) as store:
        assert store.queue


@settings(max_examples=60, deadline=None)
@given(start=st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)), max_size=30),
       fill=st.sampled_from(["a", "月", "é", "𠀀"]), size=st.integers(0, 250), taken=st.integers(0, 2))
def test_review_copy_is_a_name_review_takes(tmp_path_factory, start, fill, size, taken):
    """Property: whatever the name of the file to review (any characters, up to 255 bytes), the copy review_copy
    names is free, has a name a review session takes (review_name_problem), and starts with as much of the stem as
    fits — also when copies of that name exist already."""
    from tagger.data.tagged import review_copy, review_name_problem

    stem = start + fill * size  # long names too: most of the file system's 255 bytes
    while len(stem.encode()) > 250:
        stem = stem[:-1]
    assume(stem not in ("", ".", ".."))
    folder = tmp_path_factory.mktemp("copies")
    path = folder / f"{stem}.xlsx"
    for _ in range(taken):
        Path(shlex.split(review_copy(path))[0]).write_text("")
    copy = Path(shlex.split(review_copy(path))[0])
    assert copy.parent == folder and not copy.exists() and review_name_problem(copy) is None
    kept = copy.name.rsplit(".", 1)[0]
    kept = re.sub(r"-\d+$", "", kept) if taken else kept
    assert stem.startswith(kept) and len(kept.encode()) > min(len(stem.encode()), 200) - 4


@pytest.mark.parametrize("hidden", [".review-journal.jsonl", ".review-lock"])
def test_a_journal_or_lock_that_cannot_be_looked_at_is_an_error_not_taken_for_none(tagged, project, monkeypatch,
                                                                                   capsys, hidden):
    """review --export took any error of looking for the journal (or the lock) beside the file for "there is none",
    a guard meant for a name too long for the file system: a journal it could not look at (permission denied) was
    exported without its decisions, a lock without a check, exit 0. The one guard (path_exists) passes a name too
    long only; any other error is said, naming the file."""
    import errno

    _kill_after_deciding(tagged, ["elderly_care"])  # a decision waits in the journal
    beside = tagged.with_name(f".{tagged.name}{hidden}")
    real_exists = Path.exists

    def exists(self, *args, **kwargs):
        if self == beside:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_exists(self, *args, **kwargs)

    monkeypatch.setattr(Path, "exists", exists)
    assert main(["review", str(tagged), "--export", "--root", str(project), "--dry-run"]) == 1
    assert capsys.readouterr().err == f"error: {beside}: Permission denied\n"


def test_path_exists_is_false_for_a_name_too_long_only(tmp_path):
    from tagger.common.files import path_exists

    assert not path_exists(tmp_path / ("月" * 90)) and path_exists(tmp_path)
    assert not path_exists(tmp_path / "none")


def _rewrite(path, pid, **fields):
    """Another program (a script, a spreadsheet) writes a decision into the file."""
    rows = _rows(path)
    for r in rows:
        if r.get("paragraph") == pid:
            r.update(fields)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_a_decision_made_in_the_file_after_a_journalled_one_stands(tagged, caplog):
    """User test: a session decided p = elderly_care (journalled); another program then wrote p = volunteer_work
    by "excel" into the file, so the save was refused ("kept in journal"); the next session said "2 decisions …
    restored" and put ana's older decision over the later one, with no word. The file's later decision stands; the
    journal's is set aside in the stale journal, and one warning names the paragraph, both decisions and who made
    them; the session's other decision is restored."""
    with TaggedFile(tagged) as store:
        p, q = store.queue[:2]
        store.decide(p, ["elderly_care"], "ana")
        _rewrite(tagged, p, reviewed_labels=["volunteer_work"], reviewed_by="excel",
                 reviewed_at="2030-01-01T00:00:00+00:00")
        store.decide(q, [], "ana")
        with pytest.raises(InputError, match="changed on disk"):
            store.flush()
    with caplog.at_level("WARNING"), TaggedFile(tagged) as store:
        assert (store.row(p)["reviewed_labels"], store.row(p)["reviewed_by"]) == (["volunteer_work"], "excel")
        assert store.row(q)["reviewed_labels"] == []
    warned = [r.getMessage() for r in caplog.records if p in r.getMessage()]
    assert len(warned) == 1
    assert (f"{p} keeps the file's volunteer_work by excel at 2030-01-01T00:00:00+00:00, later than the journal's "
            "elderly_care by ana at ") in warned[0]
    assert "kept in .tagged.jsonl.review-journal.stale.jsonl" in warned[0]
    assert "not applied" not in caplog.text  # named once, not counted again in a second warning
    on_disk = {r["paragraph"]: r for r in _rows(tagged) if r.get("paragraph")}
    assert on_disk[p]["reviewed_labels"] == ["volunteer_work"] and on_disk[q]["reviewed_labels"] == []
    kept = [json.loads(line) for line in (tagged.parent / ".tagged.jsonl.review-journal.stale.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert [(k["paragraph"], k["labels"], k["by"]) for k in kept] == [(p, ["elderly_care"], "ana")]
    # the file's decision is the one the journalled ones replaced (a session changed its mind, twice, and ended
    # without saving): the journal's last decision applies, as it always did
    with TaggedFile(tagged) as store:
        r = store.queue[2]
        store.decide(r, ["elderly_care"], "bo")
        store.flush()  # the file holds bo's decision
        store.decide(r, ["volunteer_work"], "ana")
        store.decide(r, [], "ana")  # journalled only
    with TaggedFile(tagged) as store:
        assert (store.row(r)["reviewed_labels"], store.row(r)["reviewed_by"]) == ([], "ana")
    stale = tagged.parent / ".tagged.jsonl.review-journal.stale.jsonl"
    assert len(stale.read_text(encoding="utf-8").splitlines()) == 1


@pytest.mark.parametrize("reader", ["session", "export", "tag"])
def test_a_paragraph_decided_twice_in_the_journal_is_named_once_in_a_conflict(tagged, cli_model, tmp_path, caplog,
                                                                               reader):
    """User test: a session decided p twice (elderly_care, then none: a change of mind) and was killed; a script
    wrote a later decision on p into the file. Opening it warned "2 review decisions … conflict …: p keeps the
    file's …, later than the journal's elderly_care …; p keeps the file's …, later than the journal's none …": one
    paragraph named twice, counted as two. It is named once, with the session's last decision."""
    with TaggedFile(tagged) as store:  # closed without a save: the decisions stay in the journal, as a kill leaves them
        p = store.queue[0]
        store.decide(p, ["elderly_care"], "ana")
        store.decide(p, [], "ana")
    _rewrite(tagged, p, reviewed_labels=["volunteer_work"], reviewed_by="excel",
             reviewed_at="2099-01-01T00:00:00+00:00")
    with caplog.at_level("WARNING"):
        if reader == "tag":
            assert main(["-q", "tag", str(tagged), "-o", str(tmp_path / "again.jsonl"), "--model", cli_model]) == 0
        else:
            with TaggedFile(tagged, queue=reader == "session") as store:
                assert store.row(p)["reviewed_labels"] == ["volunteer_work"]
    warned = [r.getMessage() for r in caplog.records if "conflict" in r.getMessage()]
    assert len(warned) == 1 and warned[0].count(f"{p} keeps the file's") == 1, warned
    assert "1 review decision in .tagged.jsonl.review-journal.jsonl conflicts with one" in warned[0]
    assert "later than the journal's none by ana" in warned[0] and "elderly_care by ana" not in warned[0]


def test_export_and_tag_keep_a_later_decision_in_the_file_over_the_journal(tagged, cli_model, tmp_path, caplog):
    """``--export`` (it reads the journal in memory) and ``tagger tag`` of the file (it carries journalled
    decisions over) put the older journalled decision over the file's later one too."""
    with TaggedFile(tagged) as store:
        p = store.queue[0]
        store.decide(p, ["elderly_care"], "ana")
    _rewrite(tagged, p, reviewed_labels=["volunteer_work"], reviewed_by="excel", reviewed_at="2030-01-01")
    with caplog.at_level("WARNING"), TaggedFile(tagged, queue=False) as store:
        assert store.row(p)["reviewed_labels"] == ["volunteer_work"]
    assert f"{p} keeps the file's volunteer_work by excel" in caplog.text and "left out of this export" in caplog.text
    out = tmp_path / "again.jsonl"
    assert main(["-q", "tag", str(tagged), "-o", str(out), "--model", cli_model]) == 0
    got = {r["paragraph"]: r for r in _rows(out) if r.get("paragraph")}
    assert (got[p]["reviewed_labels"], got[p]["reviewed_by"]) == (["volunteer_work"], "excel")


@pytest.mark.parametrize("file_at", ["2020-01-01T00:00:00+00:00", "2020-01-01 00:00:00", "", "6/1/2099 9:00", None])
def test_the_later_of_a_journalled_decision_and_the_files_stands(tagged, caplog, file_at):
    """Review: a script wrote p = elderly_care by excel into the file at 16:39:38 while a session was open; the
    session decided volunteer_work at 16:39:40; the save was refused, the session killed. The next session kept
    the file's decision, saying it was made after the journal's ("keeps the file's … at …16:39:38, not the
    journal's … at …16:39:40"). Where both carry a time that parses, the later one stands; where the journal's
    wins, the file's replaced decision is named and kept in the stale journal (nothing vanishes unsaid). Where the
    file's has no time that parses, or was cleared (``None``: "no decision (cleared)", not "none"), the file's
    stands, and the warning does not call it the later one."""
    with TaggedFile(tagged) as store:
        p = store.queue[0]
        if file_at is None:  # the file's decision before the session decided: cleared by hand meanwhile
            store.decide(p, ["elderly_care"], "bo")
            store.flush()
        _rewrite(tagged, p, reviewed_labels=None if file_at is None else ["elderly_care"], reviewed_by="excel",
                 reviewed_at=file_at or "" if file_at is not None else "2020-01-01T00:00:00+00:00")
        store.decide(p, ["volunteer_work"], "ana")
        with pytest.raises(InputError, match="changed on disk"):
            store.flush()
    stale = tagged.parent / ".tagged.jsonl.review-journal.stale.jsonl"
    with caplog.at_level("WARNING"), TaggedFile(tagged) as store:
        decided = (store.row(p)["reviewed_labels"], store.row(p)["reviewed_by"])
    warned = [r.getMessage() for r in caplog.records if p in r.getMessage()]
    assert len(warned) == 1
    kept = [json.loads(line) for line in stale.read_text(encoding="utf-8").splitlines()]
    on_disk = {r["paragraph"]: r for r in _rows(tagged) if r.get("paragraph")}[p]
    if file_at in ("2020-01-01T00:00:00+00:00", "2020-01-01 00:00:00"):  # the journal's is later: it stands
        assert decided == (["volunteer_work"], "ana") and on_disk["reviewed_labels"] == ["volunteer_work"]
        assert (f"{p} takes the journal's volunteer_work by ana at " in warned[0]
                and f"later than the file's elderly_care by excel at {file_at}" in warned[0])
        assert ("The file's decision replaced is kept in .tagged.jsonl.review-journal.stale.jsonl (with the row it "
                "was in)") in warned[0]
        assert [(k["paragraph"], k["labels"], k["by"], k["at"]) for k in kept] == [(p, ["elderly_care"], "excel",
                                                                                    file_at)]
        assert kept[0]["from"].startswith(f"{tagged}:")
    else:  # no time to compare: the file's, written after the session read the row, stands
        file_labels = None if file_at is None else ["elderly_care"]
        assert decided[0] == file_labels and on_disk["reviewed_labels"] == file_labels
        said = "no decision (cleared)" if file_at is None else "elderly_care by excel"
        assert f"{p} keeps the file's {said}" in warned[0] and said + " (no time" in warned[0].replace(
            " at 6/1/2099 9:00", "")
        assert ("(no time to tell which is later: the file's decision, made after the session read the row, stands "
                "over the session's), not the journal's volunteer_work by ana at ") in warned[0]
        assert "later than" not in warned[0] and "none by" not in warned[0]
        assert [(k["paragraph"], k["labels"], k["by"]) for k in kept] == [(p, ["volunteer_work"], "ana")]


def test_export_and_tag_name_a_later_journalled_decision_and_the_files_it_replaces(tagged, cli_model, tmp_path,
                                                                                   caplog):
    """``--export`` and ``tagger tag`` of the file carry the later decision too, naming the file's one the journal's
    replaces; ``tagger tag`` named no decision it left out ("1 review decision journalled beside it … not carried
    over: …"): it names each (up to five, then "…"), with its reason, in the one wording of review and export."""
    with TaggedFile(tagged) as store:
        p, q = store.queue[:2]
        store.decide(p, ["elderly_care"], "ana")
        store.decide(q, ["elderly_care"], "ana")
    _rewrite(tagged, p, reviewed_labels=["volunteer_work"], reviewed_by="excel", reviewed_at="2020-01-01")
    _rewrite(tagged, q, reviewed_labels=["volunteer_work"], reviewed_by="excel", reviewed_at="2099-01-01")
    with caplog.at_level("WARNING"), TaggedFile(tagged, queue=False) as store:
        assert store.row(p)["reviewed_labels"] == ["elderly_care"] and store.row(q)["reviewed_labels"] == [
            "volunteer_work"]
    assert (f"{p} takes the journal's elderly_care by ana at " in caplog.text
            and "later than the file's volunteer_work by excel at 2020-01-01" in caplog.text)
    assert f"{q} keeps the file's volunteer_work by excel at 2099-01-01, later than the journal's" in caplog.text
    assert ("the file's decision replaced is left out of this export (it only reads: the file is left as it is)"
            in caplog.text)
    caplog.clear()
    out = tmp_path / "again.jsonl"
    with caplog.at_level("WARNING"):
        assert main(["-q", "tag", str(tagged), "-o", str(out), "--model", cli_model]) == 0
    got = {r["paragraph"]: r for r in _rows(out) if r.get("paragraph")}
    assert (got[p]["reviewed_labels"], got[p]["reviewed_by"]) == (["elderly_care"], "ana")
    assert (got[q]["reviewed_labels"], got[q]["reviewed_by"]) == (["volunteer_work"], "excel")
    warned = [r.getMessage() for r in caplog.records if "conflict" in r.getMessage()]
    assert len(warned) == 1 and f"{p} takes the journal's elderly_care by ana" in warned[0]
    assert f"{q} keeps the file's volunteer_work by excel at 2099-01-01" in warned[0]
    assert ("The journal's decision set aside is not carried over (it stays in the journal); the file's decision "
            f"replaced is not carried over (it stays in {tagged}, which this run leaves as it is)") in warned[0]


def test_a_small_review_share_flags_one_paragraph_and_none_is_never_suggested(cli_model, tmp_path, capsys):
    """User test: tag reports --review 0.5% on 11 paragraphs said "review queue: 0 of 11 paragraphs flagged … (open
    it with: tagger review qq.jsonl)", and that review was refused: "no paragraph is flagged". A positive share flags
    at least one paragraph when any can be; when none can be (headings, decided already), no review is suggested."""
    reports = tmp_path / "rep"
    reports.mkdir()
    (reports / "a.txt").write_text("供电公司志愿者走进社区\n\n3月5日，供电公司青年志愿者来到幸福社区，为孤寡老人免费检修家用"
                                   "电器。\n\n志愿者们还向居民讲解安全用电知识。\n\n今年以来，公司累计完成线路改造12公里。\n",
                                   encoding="utf-8")
    out = tmp_path / "q.jsonl"
    assert main(["tag", str(reports), "--model", cli_model, "--review", "0.5%", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert sum(bool(r["review"]) for r in _rows(out)) == 1 and "review queue: 1 of 4 paragraphs flagged" in err
    with TaggedFile(out) as store:  # the suggested review opens
        assert len(store.queue) == 1
    rows = _rows(out)
    for r in rows:  # every paragraph decided: none can be flagged again
        if r["kind"] != "heading":
            r["reviewed_labels"], r["reviewed_by"] = [], "ana"
    decided = tmp_path / "decided.jsonl"
    decided.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert main(["tag", str(decided), "--model", cli_model, "--review", "0.5%", "-o", str(tmp_path / "again.jsonl")]) == 0
    err = capsys.readouterr().err
    assert ("review queue: none of the 4 paragraphs can be flagged (1 heading or caption and 3 paragraphs decided "
            "already): nothing for tagger review to open") in err
    assert "open it with" not in err


@pytest.mark.parametrize("decided", [False, True])
def test_a_file_where_no_paragraph_can_be_flagged_is_refused_without_advice_that_flags_none(cli_model, tmp_path, decided):
    """Found exploring (a report of headings only, tagged with --review 100%): tag warned that none of its paragraphs
    can be flagged, and review then advised tagging again with --review 15%, which flags none either. It says why."""
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "0\\n\\n0"}\n', encoding="utf-8")
    queue = tmp_path / "q.jsonl"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--review", "100%", "-o", str(queue),
                 "--model", cli_model]) == 0
    if decided:  # the same once a body paragraph is decided: tag flags no decided paragraph
        rows = _rows(queue)
        rows[0].update(kind="body", reviewed_labels=[], reviewed_by="ana", reviewed_at="2024-06-01T10:00:00+00:00",
                       reviewed_sha=text_sha(rows[0]["text"]))
        queue.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(InputError) as refused:
        TaggedFile(queue)
    assert str(refused.value) == (f"{queue}: no paragraph is flagged for review, and tagging it again flags none: "
                                  "each of its 2 paragraphs is a heading or caption (never flagged) or decided "
                                  "already; nothing to review")


def _decision_read_by(reader, tagged, p, cli_model, tmp_path):
    """The decision ``reader`` (a review session, its ``--export``, or ``tagger tag`` reading the file back) gives
    paragraph ``p`` of ``tagged`` with its journal."""
    if reader == "tag":
        out = tmp_path / "again.jsonl"
        assert main(["-q", "tag", str(tagged), "-o", str(out), "--model", cli_model]) == 0
        return {r["paragraph"]: r for r in _rows(out) if r.get("paragraph")}[p]["reviewed_labels"]
    with TaggedFile(tagged, queue=reader == "session") as store:
        return store.row(p)["reviewed_labels"]


@pytest.mark.parametrize("reader", ["session", "export", "tag"])
def test_a_conflict_names_the_journals_last_decision_the_one_applied(tagged, cli_model, tmp_path, caplog, reader):
    """A session decided p = elderly_care, later than a decision a script wrote into the file, then changed its mind
    (p = none) and was killed. The journal's last decision was applied, but the warning named the first: "p takes
    the journal's elderly_care by ana …" though p got none. It names what is applied, the session's last word."""
    with TaggedFile(tagged) as store:  # closed without a save: the decisions stay in the journal, as a kill leaves them
        p = store.queue[0]
        _rewrite(tagged, p, reviewed_labels=["volunteer_work"], reviewed_by="excel",
                 reviewed_at="2020-01-01T00:00:00+00:00")  # written while the session was open, before its decisions
        store.decide(p, ["elderly_care"], "ana")
        store.decide(p, [], "ana")
    with caplog.at_level("WARNING"):
        assert _decision_read_by(reader, tagged, p, cli_model, tmp_path) == []
    warned = [r.getMessage() for r in caplog.records if "conflict" in r.getMessage()]
    assert len(warned) == 1 and "1 review decision in .tagged.jsonl.review-journal.jsonl conflicts" in warned[0]
    assert f"{p} takes the journal's none by ana at " in warned[0], warned
    assert "later than the file's volunteer_work by excel at 2020-01-01T00:00:00+00:00" in warned[0]
    assert "elderly_care" not in warned[0]
    if reader == "session":  # the file's decision replaced is kept once in the stale journal
        stale = tagged.parent / ".tagged.jsonl.review-journal.stale.jsonl"
        kept = [json.loads(line) for line in stale.read_text(encoding="utf-8").splitlines()]
        assert [(k["paragraph"], k["labels"], k["by"]) for k in kept] == [(p, ["volunteer_work"], "excel")]


@pytest.mark.parametrize("reader", ["session", "export", "tag"])
def test_a_conflict_won_by_an_undo_names_the_decision_after_it_in_every_reader(tagged, cli_model, tmp_path, caplog,
                                                                               reader):
    """A session undid p, later than a decision a script wrote into the file meanwhile, then decided p = none and
    was killed. Review and --export named the decision applied ("p takes the journal's none by ana"), while tagger
    tag, reading the journal with a reader of its own, named the undo ("takes the journal's no decision
    (cleared)"). One reader of a journal (replay_journal): each names the session's last word."""
    with TaggedFile(tagged) as store:  # closed without a save: the decisions stay in the journal, as a kill leaves them
        p = store.queue[0]
        store.decide(p, ["elderly_care"], "ana")
        store.flush()
        _rewrite(tagged, p, reviewed_labels=["volunteer_work"], reviewed_by="excel",
                 reviewed_at="2020-01-01T00:00:00+00:00")  # written while the session was open, before its undo
        store.undo(p, "ana")
        store.decide(p, [], "ana")
    with caplog.at_level("WARNING"):
        assert _decision_read_by(reader, tagged, p, cli_model, tmp_path) == []
    warned = [r.getMessage() for r in caplog.records if "conflict" in r.getMessage()]
    assert len(warned) == 1 and f"{p} takes the journal's none by ana at " in warned[0], warned
    assert "later than the file's volunteer_work by excel at 2020-01-01T00:00:00+00:00" in warned[0]
    assert "no decision (cleared)" not in warned[0]


# --------------------------------------------------------------------------- undo
def _kill_after(tagged, steps):
    """A session that makes ``steps`` (``(position in the queue, labels or None for an undo)``) and is killed."""
    code = (f"from tagger.apps.review import TaggedFile\nimport os, signal\ns = TaggedFile({str(tagged)!r})\n"
            f"for at, labels in {steps!r}:\n    s.decide(s.queue[at], labels, 'k')\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def test_an_undo_takes_a_decision_back_and_the_journal_the_file_and_the_export_agree(tagged):
    """A wrong click on the review page could only be overwritten by another decision: a paragraph never went back
    to not reviewed. An undo takes the decision back — journalled like a decision (labels null), so a killed
    session's replay, a re-tag reading the file back, the file written and --export agree that it is not
    reviewed, and the progress counts it out."""
    from tagger.data.tagged import read_back

    with TaggedFile(tagged) as store:
        first, second = store.queue[:2]
        store.decide(first, ["elderly_care"], "ana")
        store.decide(second, [], "ana")
        entry = store.undo(first, "ana", ["elderly_care"])
        assert entry["labels"] is None and entry["was"] == ["elderly_care"]
        assert store.row(first)["reviewed_labels"] is None and store.row(first)["reviewed_by"] is None
        assert store.done() == 1 and store.decided == {second} and store.first_open() == 0
        assert json.loads(store.journal.read_text(encoding="utf-8").splitlines()[-1])["labels"] is None
        assert store.undo(first, "ana") == {"paragraph": first, "labels": None, "was": None}  # nothing to undo
        assert len(store.journal.read_text(encoding="utf-8").splitlines()) == 3  # and nothing journalled
        store.flush()
    rows = {r["paragraph"]: r for r in _rows(tagged)}  # the session's last save
    assert rows[first]["reviewed_labels"] is None and rows[first]["reviewed_at"] is None
    assert rows[second]["reviewed_labels"] == []

    _kill_after(tagged, [(1, ["volunteer_work"]), (2, ["elderly_care"]), (1, None)])  # killed: the journal only
    back = read_back(tagged)  # a re-tag carries the journal's decisions over
    decisions = {p.id: p.decision for r in back.reports for p in r.paragraphs}
    assert decisions[first] is None and decisions[second] is None and decisions[store.queue[2]] is not None
    with TaggedFile(tagged, queue=False) as reader:  # --export reads the journal: the decision left, not the undone
        assert [row.id for row in reader.export_rows()] == [store.queue[2]]
    with TaggedFile(tagged) as again:  # replayed: the undo applies, as it did in the session
        assert again.done() == 1 and again.row(second)["reviewed_labels"] is None
    rows = {r["paragraph"]: r for r in _rows(tagged)}
    assert rows[second]["reviewed_labels"] is None and rows[store.queue[2]]["reviewed_labels"] == ["elderly_care"]


def test_an_undo_of_an_earlier_sessions_decision_is_said_at_the_end(tagged, monkeypatch, capsys):
    """The end of a session counts an undo of a decision made before it, not as a decision of its own."""
    from tagger.apps import web

    with TaggedFile(tagged) as store:
        store.decide(store.queue[0], ["volunteer_work"], "ana")
        total = len(store.queue)

    def serve(self, *args, **kwargs):
        self.app.store.undo(self.app.store.queue[0], "bo")
        raise KeyboardInterrupt

    monkeypatch.setattr(web.WebServer, "serve_forever", serve)
    assert main(["review", str(tagged), "--port", "0", "--no-evidence"]) == 0
    err = capsys.readouterr().err
    assert f"saved into {tagged}: 1 earlier decision undone in this session (0 of {total} in its queue reviewed)" in err
    assert all(r.get("reviewed_labels") is None for r in _rows(tagged))


def test_an_undo_over_http_is_refused_when_another_tab_decided_meanwhile(tmp_path):
    """The undo keeps the two-tabs protection of a decision: a tab whose page showed another decision than the
    paragraph holds now is answered 409 and changes nothing. The review page's addresses asked with the wrong
    method are answered 405 (tagger.apps.web's routing)."""
    import urllib.error
    import urllib.request

    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3"])
    server = make_review_server(path, "ana", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def post(address, body):
        req = urllib.request.Request(server.url + address, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    try:
        assert post("api/decide", {"paragraph": "a:1", "labels": ["elderly_care"], "seen": None})[0] == 200  # tab 1
        assert post("api/decide", {"paragraph": "a:1", "labels": [], "seen": ["elderly_care"]})[0] == 200  # tab 2
        status, answer = post("api/undo", {"paragraph": "a:1", "seen": ["elderly_care"]})  # tab 1, not seen it
        assert status == 409 and "a:1 was decided meanwhile, in another tab" in answer["error"], answer
        assert server.app.store.row("a:1")["reviewed_labels"] == []
        status, answer = post("api/undo", {"paragraph": "a:1", "seen": []})
        assert status == 200 and answer["done"] == 0 and answer["labels"] is None
        assert server.app.store.row("a:1")["reviewed_labels"] is None
        assert post("api/undo", {"labels": []}) == (400, {"error": 'expected {"paragraph": "<id>", "seen": [...] '
                                                                   'or null}'})
        for address in ("api/undo", "api/decide", "api/save"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(server.url + address, timeout=60)
            assert (refused.value.code, refused.value.headers["Allow"]) == (405, "POST")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        server.app.store.close()


def test_the_page_undoes_a_decision_with_u(browser, tmp_path):
    """User test: a decision taken by mistake (Enter on a paragraph not read) could not be taken back on the page.
    Key u (or the undo button) takes the shown paragraph's decision back: it is not reviewed again, the progress
    counts it out, and the page stays on it; with nothing to undo the button is disabled and u says so."""
    from playwright.sync_api import expect

    path = _queue_file(tmp_path / "q.jsonl", QUEUE, ["a:1", "a:3"])
    with _review_page(browser, path) as (server, page):
        expect(page.locator("#undo")).to_be_disabled()
        page.keyboard.press("Enter")
        _progress(page, "2 of 2 · 1 reviewed")
        page.keyboard.press("p")
        _progress(page, "1 of 2 · 1 reviewed")
        expect(page.locator("#undo")).to_be_enabled()
        page.keyboard.press("u")
        _progress(page, "1 of 2 · 0 reviewed")
        expect(page.locator("#status")).to_have_text("undone a:1: not reviewed (0 of 2)")
        expect(page.locator("#meta")).to_have_text("a:1 (body)")
        expect(page.locator("#undo")).to_be_disabled()
        assert server.app.store.row("a:1")["reviewed_labels"] is None
        page.keyboard.press("u")
        expect(page.locator("#status")).to_have_text("nothing to undo: a:1 is not reviewed")
        page.keyboard.press("0")  # decided again, then undone with the button
        _progress(page, "2 of 2 · 1 reviewed")
        page.keyboard.press("p")
        page.click("#undo")
        _progress(page, "1 of 2 · 0 reviewed")
        assert [json.loads(line)["labels"] for line in server.app.store.journal.read_text("utf-8").splitlines()] == [
            ["elderly_care"], None, [], None]


@pytest.mark.parametrize("saved_between", [True, False])
def test_a_ctrl_c_python_dropped_in_a_finaliser_does_not_stop_the_session_saving(tagged, monkeypatch, capsys,
                                                                                 saved_between):
    """A Ctrl-C whose handler ran while Python was inside a finaliser (its exception dropped: the session goes on)
    had every later save of the session refused by the commit gate meant for tagger tag's output: the page's save
    raised KeyboardInterrupt (a save in the background: unhandled in its thread), and the save as the session stopped
    said "stopped while writing the decisions into …" and ended 130, the decisions left in the journal. A session,
    which declares no output, saves on Ctrl-C: the dropped one stops none of its saves, and the Ctrl-C acted on
    after it (the session stops: exit 0) stands for it."""
    from helpers import drop_a_signal

    from tagger.apps import outcome, web

    decided = None

    def serve(self, *args, **kwargs):
        nonlocal decided
        store = self.app.store
        drop_a_signal(signal.SIGINT)
        decided = store.queue[0]
        store.decide(decided, ["volunteer_work"], "ana")
        if saved_between:
            store.flush()  # the page's "save"
        outcome.on_sigint(signal.SIGINT, None)  # the second Ctrl-C, acted on: its handler raises KeyboardInterrupt

    monkeypatch.setattr(web.WebServer, "serve_forever", serve)
    assert main(["review", str(tagged), "--port", "0", "--no-evidence"]) == 0
    err = capsys.readouterr().err
    assert "stopped while writing" not in err and "Traceback" not in err and "interrupted" not in err, err
    assert [r["reviewed_labels"] for r in _rows(tagged) if r.get("paragraph") == decided] == [["volunteer_work"]]
    assert not review_journal(tagged).exists()  # merged into the file


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_python_dropped_in_a_finaliser_stops_the_session_as_ctrl_c_does(tagged, monkeypatch, capsys,
                                                                                  signum):
    """A reviewer pressed Ctrl-C (or a service manager sent SIGTERM) as the handler ran inside a finaliser (a
    __del__, a weakref or gc callback): Python dropped its exception and the session went on without a word, the page
    still open. The server's loop acts on it at its next turn: the session stops as on Ctrl-C ("review stopped"), its
    decisions saved into the file, exit 0."""
    from helpers import serve_after_a_dropped_signal

    from tagger.apps import outcome

    decided = None

    def decide(server):
        nonlocal decided
        decided = server.app.store.queue[0]
        server.app.store.decide(decided, ["volunteer_work"], "ana")

    serve_after_a_dropped_signal(monkeypatch, signum, before=decide)
    assert main(["review", str(tagged), "--port", "0", "--no-evidence"]) == 0
    err = capsys.readouterr().err
    assert "review stopped" in err and "interrupted" not in err and "terminated" not in err, err
    assert "Exception ignored" not in err and "Traceback" not in err, err
    assert [r["reviewed_labels"] for r in _rows(tagged) if r.get("paragraph") == decided] == [["volunteer_work"]]
    assert not review_journal(tagged).exists()  # merged into the file
    assert outcome.Run.dropped is None  # acted on


@pytest.mark.parametrize("under_way", [False, True])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_python_dropped_as_the_session_stops_ends_it_as_the_signal_does(tagged, monkeypatch, capsys,
                                                                                 signum, under_way):
    """Review: the reviewer pressed Ctrl-C, and a second Ctrl-C (or a SIGTERM) came while the page stopped —
    waiting for the requests under way — as its handler ran inside a finaliser: Python dropped its exception, the
    wait went on, the decisions were saved, and only then the command ended "interrupted", 130. The signal itself
    there stops the wait (a warning names the request not waited for), the decisions are saved and the session ends
    0: so does the dropped one."""
    from helpers import close_after_a_dropped_signal

    from tagger.apps import outcome

    decided = None

    def decide(server):
        nonlocal decided
        decided = server.app.store.queue[0]
        server.app.store.decide(decided, ["volunteer_work"], "ana")

    close_after_a_dropped_signal(monkeypatch, signum, under_way, before=decide)
    assert main(["review", str(tagged), "--port", "0", "--no-evidence"]) == 0
    err = capsys.readouterr().err
    assert "review stopped" in err and "interrupted" not in err and "terminated" not in err, err
    assert ("stopped without waiting for 1 request(s) under way" in err) == under_way, err
    assert "Exception ignored" not in err and "Traceback" not in err, err
    assert [r["reviewed_labels"] for r in _rows(tagged) if r.get("paragraph") == decided] == [["volunteer_work"]]
    assert not review_journal(tagged).exists()  # merged into the file
    assert outcome.Run.dropped is None  # acted on
