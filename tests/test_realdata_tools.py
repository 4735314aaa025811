"""tools/realdata.py: putting a dev report's text back only when it hashes like the committed manifest."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

from tagger.text.report import split_report

TOOLS = Path(__file__).resolve().parents[1] / "tools" / "realdata.py"
URL = "http://example.org/news/2021/0301/1.html"
TEXT = "供电公司服务进社区\n党员志愿者走进敬老院,为孤寡老人义务检查线路。\n公司召开党委会议。"


@pytest.fixture()
def realdata(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("realdata_under_test", TOOLS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "DATA", tmp_path / "data")
    monkeypatch.setattr(module, "DEV_RAW", tmp_path / "data" / "real" / "raw")
    monkeypatch.setattr(module, "CLAIMS", tmp_path / "data" / "claims.tsv")
    monkeypatch.setattr(module, "SOURCES", tmp_path / "labels" / "sources.csv")
    monkeypatch.setattr(module, "HINTS", tmp_path / "labels" / "dev_hints.csv")
    monkeypatch.setattr(module, "reserved_url", lambda url: "reserved" in url)
    monkeypatch.setattr(module, "reserved_text", lambda path: False)
    doc = f"real_{module.url_key(URL)[:12]}"
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "dev_docs.csv").write_text(
        "doc,url,grid,province,year,script,mix\n"
        f"{doc},{URL},sgcc,Anhui,2021,simplified,positive\n"
        "real_000000000000,http://example.org/missing.html,csg,Yunnan,2020,traditional,hard_negative\n",
        encoding="utf-8")
    rows = ["doc,index,sha256,length,kind,labels"]
    rows += [f"{doc},{p.index},{hashlib.sha256(p.text.encode()).hexdigest()},{len(p.text)},{p.kind},none"
             for p in split_report(TEXT, doc)]
    rows += [f"real_000000000000,0,{'ab' * 32},3,body,volunteer_work"]  # a well-formed sha256 of no text
    (tmp_path / "labels" / "dev_manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    module.doc = doc
    return module


def test_restore_puts_back_a_text_that_hashes_like_the_manifest(realdata, tmp_path, capsys):
    assert realdata.cmd_restore(URL, TEXT + "\n") == 0
    assert (tmp_path / "data" / "real" / "raw" / f"{realdata.doc}.txt").read_text(encoding="utf-8") == TEXT + "\n"
    assert f"restored\t{realdata.doc}\t3 paragraphs" in capsys.readouterr().out


def test_restore_refuses_a_different_text_and_names_the_first_paragraph_that_differs(realdata, tmp_path, capsys):
    assert realdata.cmd_restore(URL, TEXT.replace("党委会议", "职工大会")) == 3
    assert not (tmp_path / "data" / "real" / "raw" / f"{realdata.doc}.txt").exists()
    assert "2 of 3 paragraphs match; first differing index 2" in capsys.readouterr().err


def test_restore_refuses_a_text_with_paragraphs_the_manifest_does_not_list(realdata, tmp_path, capsys):
    # a search excerpt that runs on into the next story: every listed paragraph matches, yet the dev set's check
    # would call the report changed (and refuse to measure any of it) until the extra line is taken out
    assert realdata.cmd_restore(URL, TEXT + "\n酷暑时节,记者走访了几处河道,提醒市民注意防溺水安全。") == 3
    assert not (tmp_path / "data" / "real" / "raw" / f"{realdata.doc}.txt").exists()
    assert "all 3 paragraphs match, but the text has 1 more the manifest does not list (first: index 3)" in \
        capsys.readouterr().err


def test_restore_refuses_pages_outside_the_dev_set(realdata, capsys):
    assert realdata.cmd_restore("http://example.org/other.html", TEXT) == 2
    assert "not a dev-set report" in capsys.readouterr().err


def test_missing_lists_what_is_known_without_text(realdata, capsys):
    assert realdata.cmd_restore(URL, TEXT) == 0
    capsys.readouterr()
    assert realdata.cmd_missing() == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == ["real_000000000000\thttp://example.org/missing.html\tcsg\tYunnan\t2020\ttraditional"
                                    "\thard_negative\tvolunteer_work\t1 paragraphs, lengths 3"]
    assert "1 of 2 dev reports missing" in out.err


def test_the_committed_dev_set_counts_as_held_by_the_dev_side(realdata):
    assert realdata.holders([], realdata.url_key(URL)) == {"dev"}
    assert realdata.holders([], realdata.url_key("http://example.org/free.html")) == set()


def test_pages_the_committed_log_says_a_side_read_are_held_when_data_is_new(realdata, tmp_path, monkeypatch, capsys):
    """On a new machine (data/claims.tsv gone) seen said "free" for a page a genre author had read, by the committed
    log labels/sources.csv, and a dev collector could save it into the dev set: held by the log now, both ways."""
    monkeypatch.setattr(realdata, "PAGES", tmp_path / "data" / "pages")
    read, seen = "http://example.org/genre-read.html", "http://example.org/dev-seen.html"
    (tmp_path / "labels" / "sources.csv").write_text(
        "url,used_for,role,date\n"
        f"{read},genre reading,genre-a,2026-12-01\n"
        f"{seen},search result seen while finding dev-set reports,dev,2026-12-01\n"
        "http://example.org/probe.html,search probe by the coordinator,coord,2026-12-01\n", encoding="utf-8")
    realdata.cmd_seen("dev", [read, "http://example.org/probe.html"])
    assert capsys.readouterr().out.splitlines() == [f"genre\t{read}", "free\thttp://example.org/probe.html"]
    assert realdata.cmd_save("dev", read, "党员志愿者走进敬老院,为孤寡老人义务检查线路。" * 3) == 3
    assert "the genre side already holds" in capsys.readouterr().err
    assert not (tmp_path / "data" / "real" / "raw").exists()
    assert realdata.cmd_save("genre-b", seen, "党员志愿者走进敬老院,为孤寡老人义务检查线路。" * 3) == 3
    assert "the dev side already holds" in capsys.readouterr().err


def test_status_names_committed_dev_reports_a_genre_author_saw(realdata, capsys):
    """With data/ new (claims of the dev side lost), status said 0 although genre authors had seen
    reports of the committed dev set in their search results."""
    realdata.cmd_seen("genre-x", [URL, "http://example.org/free.html"])
    capsys.readouterr()
    assert realdata.cmd_status() == 0
    out = capsys.readouterr().out
    assert "dev pages also seen by a genre role: 1" in out and f"{realdata.doc}\tgenre-x\t{URL}" in out


def test_a_page_the_dev_side_saved_is_not_free_and_is_not_saved_again(realdata, tmp_path, monkeypatch, capsys):
    """A dev collector was told "free" for reports already in the dev set, saved two again and so overwrote
    their labelled texts: seen says "saved (dev)", and save refuses, pointing to restore."""
    monkeypatch.setattr(realdata, "SOURCES", tmp_path / "labels" / "sources.csv")
    monkeypatch.setattr(realdata, "PAGES", tmp_path / "data" / "pages")
    new = "http://example.org/new.html"
    realdata.cmd_seen("dev", [URL, new])
    assert capsys.readouterr().out.splitlines() == [f"saved (dev)\t{URL}", f"free\t{new}"]
    assert realdata.cmd_save("dev", URL, "另一个文本。" * 20) == 3
    assert "is saved already" in capsys.readouterr().err
    assert not (tmp_path / "data" / "real" / "raw" / f"{realdata.doc}.txt").exists()
    assert realdata.cmd_save("dev", new, "党员志愿者走进敬老院,为孤寡老人义务检查线路。" * 3) == 0
    capsys.readouterr()
    assert realdata.cmd_save("dev", new, "党员志愿者走进敬老院。" * 10) == 3  # saved in this round: also refused
    realdata.cmd_seen("genre-x", [new])
    assert capsys.readouterr().out.strip() == f"dev\t{new}"


def test_a_mirror_of_a_saved_dev_report_in_the_other_script_is_refused(realdata, tmp_path, monkeypatch, capsys):
    """Round 5: a collector saved a traditional-script mirror of a report already in the dev set (another url,
    so seen said free); it was caught by hand. save now refuses the same story in either script."""
    monkeypatch.setattr(realdata, "SOURCES", tmp_path / "labels" / "sources.csv")
    monkeypatch.setattr(realdata, "PAGES", tmp_path / "data" / "pages")
    story = ("3月5日,国网某县供电公司党员服务队走进城东敬老院,为28位孤寡老人免费检查室内线路,更换老化插座。"
             "临走时队员们又教老人们怎样看电表,留下了服务卡片。")
    assert realdata.cmd_save("dev", "http://example.org/a.html", story) == 0
    mirror = ("3月5日,國網某縣供電公司黨員服務隊走進城東敬老院,為28位孤寡老人免費檢查室內線路,更換老化插座。"
              "臨走時隊員們又教老人們怎樣看電表,留下了服務卡片。")
    capsys.readouterr()
    assert realdata.cmd_save("dev", "http://example.org/big5/a.html", mirror) == 3
    assert "refused: the same story as real_" in capsys.readouterr().err
    other = "近日,国网某市供电公司为幸福小区实施一户一表改造,更换老化表箱和进户线,小区300余户居民告别了合用电表。" * 2
    assert realdata.cmd_save("dev", "http://example.org/b.html", other) == 0


def test_a_page_without_a_url_is_named_by_its_key_in_committed_files(realdata, tmp_path, monkeypatch):
    """Round 4: pages without a url went into labels/dev_docs.csv and sources.csv as "nourl:<their first 20
    characters>" — real text in committed files. They are named by their key there; it keys the same page."""
    monkeypatch.setattr(realdata, "SOURCES", tmp_path / "labels" / "sources.csv")
    monkeypatch.setattr(realdata, "PAGES", tmp_path / "data" / "pages")
    url = "nourl:日前,某供电所党员服务队来到敬老院"
    committed = realdata.committed_url(url)
    assert committed.startswith("nourl-key:") and "服务队" not in committed
    assert realdata.url_key(committed) == realdata.url_key(url)
    assert realdata.committed_url("http://a.cn/1.html") == "http://a.cn/1.html"
    assert realdata.cmd_save("dev", url, "日前,某供电所党员服务队来到敬老院,为老人们检查线路。" * 3) == 0
    logged = (tmp_path / "labels" / "sources.csv").read_text(encoding="utf-8")
    assert committed in logged and "nourl:" not in logged


def test_a_genre_reader_cannot_save_the_story_of_a_dev_report(realdata, tmp_path, monkeypatch, capsys):
    """2026-12-06: a genre collector saved a dev report's story from a result without a url (its nourl: key differs
    from the dev report's url, so seen said free). Only the dev role was checked for the same story; now every role
    but the second reader is (the second reader reads dev reports on purpose)."""
    monkeypatch.setattr(realdata, "SOURCES", tmp_path / "labels" / "sources.csv")
    monkeypatch.setattr(realdata, "PAGES", tmp_path / "data" / "pages")
    story = ("3月5日,国网某县供电公司党员服务队走进城东敬老院,为28位孤寡老人免费检查室内线路,更换老化插座。"
             "临走时队员们又教老人们怎样看电表,留下了服务卡片。")
    assert realdata.cmd_save("dev", "http://example.org/a.html", story) == 0
    capsys.readouterr()
    assert realdata.cmd_save("genre-corpus", "nourl:3月5日,国网某县供电公司党员服务队", story) == 3
    err = capsys.readouterr().err
    assert "the same story as real_" in err and "genre side must not read dev-set reports" in err
    assert not (tmp_path / "data" / "pages" / "genre-corpus").exists()
    other = "近日,国网某市供电公司为幸福小区实施一户一表改造,更换老化表箱和进户线,小区300余户居民告别了合用电表。" * 2
    assert realdata.cmd_save("genre-corpus", "http://example.org/b.html", other) == 0


@pytest.mark.parametrize("command", ["seen", "save", "restore"])
def test_a_url_with_a_line_break_is_refused_before_it_splits_the_claims_file(realdata, tmp_path, command, capsys):
    """2026-12-06: a nourl: key copied with a line break in it split its line of data/claims.tsv, and every later
    run of the tool failed reading the file."""
    args = {"seen": ["genre-x", "nourl:日前,某供电所\n党员服务队"], "save": ["genre-x", "nourl:日前\t某供电所"],
            "restore": ["http://example.org/a\r.html"]}[command]
    assert realdata.main([command, *args]) == 2
    assert "must be one line" in capsys.readouterr().err
    assert not (tmp_path / "data" / "claims.tsv").exists()


def test_hints_are_each_present_reports_distinctive_words_and_keep_the_rows_of_reports_not_here(realdata, tmp_path,
                                                                                             capsys):
    """A new machine starts without the dev texts, and helpers had only a url, a province and a year to word a
    search that finds a page again (about 55 % found). `hints` commits each present report's most distinctive words
    — places, organisations, topics; never a person's name, never a phrase — and `missing` shows them."""
    hints = tmp_path / "labels" / "dev_hints.csv"
    hints.write_text("doc,terms\nreal_000000000000,昆明 抢修 台风\n", encoding="utf-8")  # made on another machine
    raw = tmp_path / "data" / "real" / "raw"
    raw.mkdir(parents=True)
    (raw / f"{realdata.doc}.txt").write_text("国网宜宾供电公司李华来到土地堂社区，为火龙果基地施工。火龙果园通电，火龙果丰收。\n",
                                             encoding="utf-8")
    assert realdata.main(["hints", "--k", "3"]) == 0
    rows = hints.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "doc,terms" and rows[2] == "real_000000000000,昆明 抢修 台风"  # kept: its text is not here
    doc, terms = rows[1].split(",")
    assert doc == realdata.doc and terms.split()[0] == "火龙果" and len(terms.split()) == 3  # three times in the report
    assert "李华" not in terms and all(2 <= len(t) <= 8 for t in terms.split())
    assert "hints for 1 of 2 dev reports written" in capsys.readouterr().err
    (raw / f"{realdata.doc}.txt").unlink()
    assert realdata.cmd_missing() == 0
    out = {line.split("\t")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert out["real_000000000000"].endswith("\thints 昆明 抢修 台风") and out[doc].endswith(f"\thints {terms}")
    assert realdata.main(["hints", "--k", "0"]) == 2  # not a number of words: the usage, nothing written
