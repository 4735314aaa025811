"""The review page: pure helpers, the JSON API over real HTTP, and the page in headless Chromium."""

import http.client
import json
import logging
import re
import shutil
import socket
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tagger.apps.cli import build_parser
from tagger.apps.server import (
    MAX_PARAGRAPHS,
    PAGE_HTML,
    PAGE_JS,
    char_forms,
    decode_upload,
    highlight_segments,
    make_server,
    report_name,
)
from tagger.data.examples import IMPORTED_FILE, text_sha
from tagger.errors import InputError, LabelFileError

ELDER = "3月5日,国网某市供电公司党员志愿服务队走进城东敬老院,为28位孤寡老人免费检查室内线路,更换老化插座,并送去米面油等慰问品。"
RETROFIT = "该公司对建成于上世纪80年代的红星小区实施一户一表改造,更换老化表箱和进户线,小区300余户居民告别了合用电表。"
MEETING = "公司召开党委会议,传达学习上级会议精神,部署下一阶段重点工作。"
INJECTION = "<script>alert(1)</script><img src=x onerror=alert(2)><b>加粗</b>供电公司为老旧小区实施一户一表改造。"
REPORT = "\n".join(["社区里的供电服务队", ELDER, RETROFIT, MEETING]) + "\n"


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def template(tmp_path_factory, root):
    """A project copy without the (slow to load) authored supplement."""
    work = tmp_path_factory.mktemp("template")
    for name in ("seeds", "labels"):
        shutil.copytree(root / name, work / name)
    for path in (work / "labels").glob("authored*.jsonl"):
        path.unlink()
    return work


@pytest.fixture(scope="module")
def model(seed_model):
    """The model trained on the seed paragraphs (conftest)."""
    return seed_model


@pytest.fixture
def project(tmp_path, template):
    work = tmp_path / "proj"
    for name in ("seeds", "labels"):
        shutil.copytree(template / name, work / name)
    return work


def _start(model, project, **kw):
    server = make_server(model, project, port=0, model_name="m.npz", **kw)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def _stop(server, thread):
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def served(model, project):
    server, thread = _start(model, project)
    yield server, project
    _stop(server, thread)


def _request(server, path, body=None, ctype="application/json", headers=None, method=None):
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(server.url.rstrip("/") + path, data=data, method=method,
                                 headers={**({"Content-Type": ctype} if data is not None else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw, status, hdrs = resp.read(), resp.status, resp.headers
    except urllib.error.HTTPError as exc:
        raw, status, hdrs = exc.read(), exc.code, exc.headers
    ctype_back = hdrs.get("Content-Type", "")
    return status, (json.loads(raw) if ctype_back.startswith("application/json") else raw.decode("utf-8")), hdrs


# --------------------------------------------------------------------------- pure helpers
def test_report_name():
    assert report_name("some/dir/报告 2021.txt", "x", uploaded=True) == "报告 2021"
    assert report_name("C:\\a\\b:c.TXT", "x", uploaded=True) == "b_c"
    assert report_name("some/dir/报告 2021.txt", "x") == "some_dir_报告 2021"  # typed: all of it kept
    assert report_name("C:\\a\\b:c.TXT", "x") == "C_a_b_c"
    assert report_name("<img src=x>", "x") == "img src_x"
    assert report_name("", "abc") == report_name(None, "abc") == report_name(" ..", "abc") == "web_ba7816bf8f01"
    assert len(report_name("长" * 200, "x")) == 80


def _word_file(path, paragraphs) -> bytes:
    """A minimal Word file of ``paragraphs`` (written to ``path`` too, unless it is None)."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    buffer = io.BytesIO()
    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
                   f'2006/main"><w:body>{body}</w:body></w:document>')
    if path is not None:
        path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def test_an_uploaded_word_file_unpacking_far_beyond_the_limit_is_refused_before_it_is_parsed():
    """A 0.9 MB .docx under the 2 MB limit unpacked to 250 MiB: the server worked 28 s and took 1.4 GB before
    refusing it, as its text was over the limit (review)."""
    data = _word_file(None, ["党员服务队走进敬老院。"] * 5000)  # about 250 kB of XML, a few kB zipped
    assert len(data) < 10_000
    with pytest.raises(InputError, match=r"^b.docx: its document part unpacks to [\d,]+ bytes, more than an upload "
                                         r"of this size may \(160,000 bytes\); split the report$"):
        decode_upload(data, "b.docx", max_bytes=10_000)
    assert "党员服务队" in decode_upload(data, "b.docx", max_bytes=200_000)


def test_decode_upload():
    assert decode_upload("第一段。\r\n第二段。".encode("gb18030"), "r.txt") == "第一段。\n第二段。"
    assert decode_upload("\ufeff正文。".encode("utf-8"), "R.TXT") == "正文。"
    assert decode_upload("正文。".encode("utf-16"), "r.txt") == "正文。"  # the package's one decoder: BOMs too
    with pytest.raises(InputError, match=r"r.txt: .*; save the file as UTF-8 text and upload it again") as err:
        decode_upload(bytes(range(256)) * 4, "r.txt")  # user test: the fix said --encoding, which the page lacks
    assert "--encoding" not in str(err.value)
    form = "标题\t党员服务队走进幸福社区\n日期\t2023-05-06\n单位\t某公司\n正文\t党员服务队为老人检查线路。\n"
    assert decode_upload(form.encode("utf-8"), "form.txt") == form  # a form's fields: a report (review F2)
    with pytest.raises(InputError, match=r"to tag one report per row, name it .tsv and run tagger tag s.tsv "
                                         r"--text-column 正文"):
        decode_upload("序号\t标题\t正文\n1\t暖心\t党员为老人检查线路。\n".encode("utf-8"), "s.txt")
    sheet = "id\ttext\r\nr1\t党员服务队为老人检查线路。\r\n".encode("utf-16")  # a sheet saved as 'Unicode Text'
    with pytest.raises(InputError, match=r"r.txt: a table \(2 tab-separated columns: id, text\), not a report's text"):
        decode_upload(sheet, "r.txt")
    with pytest.raises(InputError, match=r"r.pdf: only .txt \(plain text\), .docx \(Word\) or .html \(a saved web page\) "):
        decode_upload(b"text", "r.pdf")
    page = "<html><body><nav>首页</nav><p>第一段。</p><p>第二段。</p></body></html>"  # a saved page: markup kept
    assert decode_upload(page.encode("gb18030"), "r.HTM") == page  # for the reader (split_report) to parse
    short = '<meta http-equiv="Content-Type" content="text/html; charset=big5"><p>黨員檢查線路。</p>'
    assert decode_upload(short.encode("big5"), "r.html") == short  # as tag reads it: in its declared encoding
    with pytest.raises(InputError, match=r"r.docx: not a readable .docx file"):
        decode_upload(b"text", "r.docx")
    word = _word_file(None, ["第一段。", "第二段。"])
    assert decode_upload(word, "R.DOCX") == "第一段。\n第二段。\n"
    small = _word_file(None, ["长" * 2000])  # compresses to a few hundred bytes; its text is 6 KB
    assert len(small) < 1000
    with pytest.raises(InputError, match="r.docx: its text is over the limit of 1000 bytes"):
        decode_upload(small, "r.docx", max_bytes=1000)
    with pytest.raises(InputError, match="over the limit of 10 bytes; split the report"):
        decode_upload(b"x" * 11, "r.txt", max_bytes=10)
    with pytest.raises(InputError, match="over the limit of 10 bytes; a saved page holds its scripts and styles too"):
        decode_upload(b"<p>x</p>" * 2, "r.html", max_bytes=10)  # splitting a page is not what to do
    with pytest.raises(InputError, match="binary file"):
        decode_upload(b"PK\x03\x04\x00\x00", "r.txt")
    with pytest.raises(InputError, match="r.txt: cannot decode"):
        decode_upload(b"\x80\x80abc", "r.txt")


def test_highlight_segments():
    segs = highlight_segments("黨員志願者為孤寡老人檢查線路。", {"elderly_care": ["孤寡老人", "检查 线路"],
                                                           "volunteer_work": ["志愿者", "检查"]})
    assert "".join(s["text"] for s in segs) == "黨員志願者為孤寡老人檢查線路。"
    marked = {s["text"]: s["labels"] for s in segs if s["labels"]}
    assert marked == {"志願者": ["volunteer_work"], "孤寡老人": ["elderly_care"],
                      "檢查": ["elderly_care", "volunteer_work"], "線路": ["elderly_care"]}
    assert highlight_segments("ＡＢＣ企业", {"business_connection_speed": ["abc"]})[0] == {
        "text": "ＡＢＣ", "labels": ["business_connection_speed"]}
    assert highlight_segments("", {}) == [] and highlight_segments("文字", {}) == [{"text": "文字", "labels": []}]
    # A space the normaliser drops between Chinese characters, and an invisible character, do not hide a term.
    segs = highlight_segments("孤寡 老\u200b人。", {"elderly_care": ["孤寡老人"]})
    assert segs == [{"text": "孤寡 老\u200b人", "labels": ["elderly_care"]}, {"text": "。", "labels": []}]
    # Shared forms (one normaliser call for many paragraphs) give the same result; missing ones are computed.
    forms = char_forms("黨員志願者為孤寡老人檢查線路。")
    assert highlight_segments("志願者", {"volunteer_work": ["志愿者"]}, forms) == [
        {"text": "志願者", "labels": ["volunteer_work"]}]
    assert highlight_segments("老人們", {"elderly_care": ["老人们"]}, forms)[0]["labels"] == ["elderly_care"]


def test_highlight_segments_mark_evidence_across_a_character_reference():
    """Diff review, finding 4: the model reads 孤寡&nbsp;老人 as 孤寡老人 (its evidence says so), but the page marked
    nothing: the text was mapped to its normalised form character by character, and a reference of several
    characters never maps."""
    text = "党员服务队为孤寡&nbsp;老人免费检查室内线路&#12290;&ldquo;孤寡&amp;nbsp;老人&rdquo;"
    evidence = {"elderly_care": ["孤寡老人"], "volunteer_work": ["线路。"]}
    segs = highlight_segments(text, evidence)
    assert "".join(s["text"] for s in segs) == text
    assert {s["text"]: s["labels"] for s in segs if s["labels"]} == {
        "孤寡&nbsp;老人": ["elderly_care"], "孤寡&amp;nbsp;老人": ["elderly_care"], "线路&#12290;": ["volunteer_work"]}
    assert highlight_segments(text, evidence, char_forms(text)) == segs  # shared forms lack the decoded characters


def test_tag_decodes_each_paragraph_once_and_marks_it_as_highlight_segments_does(model, project, monkeypatch):
    """A paragraph's character references were decoded twice per request (for the shared forms, then again for its
    highlights); now once, and the answer is what highlighting each paragraph on its own gives."""
    import tagger.apps.server as server_module
    from tagger.apps.server import ReviewApp

    text = ("社区里的供电服务队&nbsp;\n"
            "党员志愿服务队为28位孤寡&nbsp;老人免费检查室内线路&#12290;更换老化插座&amp;nbsp;并送去慰问品&#x3002;\n"
            "该公司对小区实施一户一表改造&#12290;&ldquo;孤寡&amp;nbsp;老人&rdquo;居民告别了合用电表&#20013;。\n")
    calls = []
    for name in ("decode_entities", "decode_entities_at"):
        real = getattr(server_module, name, None)
        if real is not None:
            monkeypatch.setattr(server_module, name,
                                lambda t, _real=real: calls.append(t) or _real(t))
    answer = ReviewApp(model, project).tag(text, "r.txt")
    with_evidence = [p for p in answer["paragraphs"] if p["evidence"]]
    assert len(with_evidence) == 2 and sorted(calls) == sorted(p["text"] for p in with_evidence)
    monkeypatch.undo()
    for p in answer["paragraphs"]:
        assert p["segments"] == highlight_segments(p["text"], p["evidence"])
    marked = {s["text"] for p in with_evidence for s in p["segments"] if s["labels"]}
    assert {"孤寡&nbsp;老人", "孤寡&amp;nbsp;老人"} <= marked


def test_tag_reads_one_paragraph_at_a_time(model, project, monkeypatch):
    """Each paragraph's decoded text and offsets were held for the whole request (all decoded first, then all
    highlighted: some 24 MB more at the peak for a 2 MB report); now a paragraph is decoded, highlighted and dropped
    before the next is read, and the normaliser is called only for characters no paragraph before had."""
    import tagger.apps.server as server_module
    from tagger.apps.server import ReviewApp

    text = ("党员志愿服务队为28位孤寡&nbsp;老人免费检查室内线路&#12290;\n"
            "党员志愿服务队为孤寡老人更换老化插座。\n"
            "该公司对小区实施一户一表改造&#12290;孤寡&amp;nbsp;老人告别了合用电表。\n")
    events = []
    real_at, real_highlight, real_forms = (server_module.decode_entities_at, server_module.highlight_segments,
                                           server_module.char_forms)
    monkeypatch.setattr(server_module, "decode_entities_at", lambda t: events.append(("read", t)) or real_at(t))
    monkeypatch.setattr(server_module, "highlight_segments",
                        lambda t, *a, **k: events.append(("mark", t)) or real_highlight(t, *a, **k))
    monkeypatch.setattr(server_module, "char_forms", lambda chars: events.append(("forms", frozenset(chars)))
                        or real_forms(chars))
    answer = ReviewApp(model, project).tag(text, "r.txt")
    monkeypatch.undo()
    with_evidence = [p["text"] for p in answer["paragraphs"] if p["evidence"]]
    assert len(with_evidence) == 3
    reads = [e for e in events if e[0] != "forms"]
    assert reads == [e for t in answer["paragraphs"] for e in ((("read", t["text"]),) if t["evidence"] else ())
                     + (("mark", t["text"]),)]
    asked = [chars for kind, chars in events if kind == "forms"]
    assert all(not (a & b) for i, a in enumerate(asked) for b in asked[:i])  # no character twice
    for p in answer["paragraphs"]:
        assert p["segments"] == highlight_segments(p["text"], p["evidence"])


def test_serve_parser_defaults():
    args = build_parser().parse_args(["serve"])
    assert (args.port, args.host, args.root, args.model, args.max_mb) == (8765, "127.0.0.1", ".", None, 2.0)


def test_a_burst_of_requests_waits_in_the_listen_queue_not_reset(served):
    """Review: 40 saves at once had 9 to 24 connections reset (the standard library listens with a queue of 5)."""
    from concurrent.futures import ThreadPoolExecutor

    server, _ = served
    assert server.request_queue_size >= 64
    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(lambda _: _request(server, "/")[0], range(80)))
    assert statuses == [200] * 80


def test_make_server_binds_loopback_and_reports_busy_port(model, project):
    server = make_server(model, project, port=0)
    try:
        assert server.server_address[0] == "127.0.0.1" and server.url.startswith("http://127.0.0.1:")
        with pytest.raises(InputError, match="cannot listen on 127.0.0.1:.*pass another --port"):
            make_server(model, project, port=server.server_address[1])
    finally:
        server.server_close()
    with pytest.raises(LabelFileError, match="not a tagger project"):
        make_server(model, project / "nowhere", port=0)


@pytest.mark.parametrize("host, said", [("127.0.0.1:8080", "--host 127.0.0.1 --port 8080"),
                                        ("localhost:80", "--host localhost --port 80"),
                                        ("[::1]:8765", "--host ::1 --port 8765")])
def test_a_host_given_with_its_port_says_to_give_the_port_apart(model, project, host, said):
    """User test: tagger serve --host 127.0.0.1:8080 said "cannot listen on 127.0.0.1:8080:8765 (Name or service not
    known)", as if the machine had no such name."""
    with pytest.raises(InputError, match=f"--host {re.escape(host)}: .*the port with --port: {re.escape(said)}$"):
        make_server(model, project, host=host, port=0)


def test_an_ipv6_address_in_brackets_as_the_page_writes_it_is_bound(model, project):
    """User test: --host [::1], copied from the address the page is announced at (http://[::1]:8765/), said "cannot
    listen on [::1]:8765 (Name or service not known)"."""
    try:
        server = make_server(model, project, host="[::1]", port=0)
    except InputError as exc:  # a machine without IPv6 says so, not that the name is unknown
        assert "Name or service not known" not in str(exc)
        return
    try:
        assert server.server_address[0] == "::1" and server.url.startswith("http://[::1]:")
    finally:
        server.server_close()


# --------------------------------------------------------------------------- JSON API
def test_page_and_security_headers(served):
    server, _ = served
    status, body, headers = _request(server, "/")
    assert status == 200 and "tagger · review labels" in body and '<script src="/app.js">' in body
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in PAGE_HTML and "innerHTML" not in PAGE_JS and "insertAdjacentHTML" not in PAGE_JS
    status, js, headers = _request(server, "/app.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and "textContent" in js
    status, info, _ = _request(server, "/api/info")
    assert info["labels"][0] == "elderly_care" and info["max_bytes"] == 2 * 1024 * 1024
    assert set(info["thresholds"]) == set(info["labels"]) and info["max_paragraphs"] == MAX_PARAGRAPHS
    assert _request(server, "/nope")[0] == 404 and _request(server, "/api/nope", {})[0] == 404


def test_api_tag_then_save_goes_through_the_import(served):
    server, project = served
    status, data, _ = _request(server, "/api/tag", {"text": REPORT + "\n" + ELDER + "\n", "report": "r1.txt"})
    assert status == 200 and data["report"] == "r1" and data["notices"] == []
    paras = {p["id"]: p for p in data["paragraphs"]}
    assert list(paras) == ["r1:0", "r1:1", "r1:2", "r1:3", "r1:4"]
    assert paras["r1:0"]["kind"] == "heading" and paras["r1:0"]["labels"] == []
    elder = paras["r1:1"]
    assert "elderly_care" in elder["labels"] and elder["text_sha"] == text_sha(ELDER)
    assert elder["evidence"]["elderly_care"] and any("elderly_care" in s["labels"] for s in elder["segments"])
    assert elder["known"] is None and paras["r1:4"]["duplicate_of"] == "r1:1"

    rows = [{"id": "r1:1", "text": ELDER, "text_sha": elder["text_sha"], "labels": ["elderly_care", "volunteer_work"]},
            {"id": "r1:3", "text": MEETING, "text_sha": text_sha(MEETING), "labels": []}]
    status, saved, _ = _request(server, "/api/save", {"rows": rows})
    assert status == 200 and saved["added"] == ["r1:1", "r1:3"] and "2 added" in saved["summary"]
    lines = [json.loads(x) for x in (project / IMPORTED_FILE).read_text(encoding="utf-8").splitlines()]
    assert [(x["id"], x["labels"], x["source"], x["doc"]) for x in lines] == [
        ("r1:1", ["elderly_care", "volunteer_work"], "imported", "r1"), ("r1:3", [], "imported", "r1")]

    again = _request(server, "/api/tag", {"text": REPORT, "report": "other name"})[1]
    known = {p["id"]: p["known"] for p in again["paragraphs"]}
    assert known["other name:1"] == {"source": "imported", "id": "r1:1", "labels": ["elderly_care", "volunteer_work"],
                                     "text": ELDER, "text_sha": text_sha(ELDER)}

    rows[0]["labels"] = ["elderly_care"]
    status, kept, _ = _request(server, "/api/save", {"rows": rows})
    assert status == 200 and kept["conflicts"] == ["r1:1"] and "--update" in kept["summary"]
    status, updated, _ = _request(server, "/api/save", {"rows": rows, "update": True})
    assert updated["updated"] == ["r1:1"] and updated["unchanged"] == ["r1:3"]
    assert json.loads((project / IMPORTED_FILE).read_text(encoding="utf-8").splitlines()[0])["labels"] == [
        "elderly_care"]


def test_a_copy_of_a_labelled_paragraph_in_another_script_or_width_is_shown_as_labelled(tmp_path, model):
    """Review: the page marked a paragraph "already labelled" by the hash of its text as written, while every other
    check (suggest, labels import, training) compares the text as the model reads it: a copy of a labelled paragraph
    in traditional script or with full-width letters was shown as new, its labels offered to save again (and labels
    import then skipped it as labelled). It is shown as the labelled paragraph — its id, text and labels, under which
    the page saves it, so a correction updates that paragraph — and a copy repeated in the report as the repeat."""
    from helpers import BUSINESS, ELDER as SEED, NEW_TEXT, TRADITIONAL, full_width, tiny_project

    from tagger.apps.server import ReviewApp

    root = tiny_project(tmp_path / "proj")  # seed s1:0 SEED (elderly_care, volunteer_work), s1:1 BUSINESS
    app = ReviewApp(model, root)
    new = {"id": "n1:0", "text": NEW_TEXT, "text_sha": text_sha(NEW_TEXT), "labels": ["volunteer_work"]}
    assert app.save({"rows": [new]})["added"] == ["n1:0"]
    copies = [TRADITIONAL[SEED], full_width(BUSINESS), "　" + TRADITIONAL[NEW_TEXT], NEW_TEXT]
    data = app.tag("\n".join(["服务动态", *copies]) + "\n", "r")
    paras = {p["id"]: p for p in data["paragraphs"]}
    assert [p["text"] for p in data["paragraphs"][1:]] == [c.strip() for c in copies]
    assert paras["r:1"]["known"] == {"source": "seed", "id": "s1:0", "labels": ["elderly_care", "volunteer_work"],
                                     "text": SEED, "text_sha": text_sha(SEED)}
    assert paras["r:2"]["known"]["id"] == "s1:1" and paras["r:3"]["known"]["id"] == "n1:0"
    assert paras["r:3"]["text_sha"] == text_sha(TRADITIONAL[NEW_TEXT])  # its own text's, as before
    assert [paras[f"r:{i}"]["duplicate_of"] for i in (1, 2, 3, 4)] == [None, None, None, "r:3"]
    known = paras["r:3"]["known"]  # saved as the page saves it: the labelled paragraph's id and text
    row = {"id": known["id"], "text": known["text"], "text_sha": known["text_sha"], "labels": ["elderly_care"]}
    assert app.save({"rows": [row], "update": True})["updated"] == ["n1:0"]
    (line,) = (root / IMPORTED_FILE).read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["labels"] == ["elderly_care"] and json.loads(line)["text"] == NEW_TEXT


def test_a_typed_report_name_keeps_its_text_and_an_uploaded_one_loses_its_folders(served):
    """Adversarial test: the page's "Report name" kept only the part after the last / or \\: 甲公司 2024/5/12 敬老院
    and 乙公司 2024/5/12 敬老院 were both report 12 敬老院, so the second report's save was refused (imported earlier
    with another text), and <b>r1</b> was report b."""
    server, project = served
    saved = []
    for company, text in (("甲公司", ELDER), ("乙公司", RETROFIT)):
        status, data, _ = _request(server, "/api/tag", {"text": "标题\n" + text, "report": f"{company} 2024/5/12 敬老院"})
        assert status == 200 and data["report"] == f"{company} 2024_5_12 敬老院"
        row = {"id": data["paragraphs"][1]["id"], "text": text, "text_sha": text_sha(text), "labels": ["elderly_care"]}
        status, result, _ = _request(server, "/api/save", {"rows": [row]})
        assert status == 200 and result["added"] == [row["id"]]
        saved.append(row["id"])
    assert saved == ["甲公司 2024_5_12 敬老院:1", "乙公司 2024_5_12 敬老院:1"]
    assert [json.loads(x)["id"] for x in (project / IMPORTED_FILE).read_text(encoding="utf-8").splitlines()] == saved
    assert _request(server, "/api/tag", {"text": MEETING, "report": "<b>r1</b>"})[1]["report"] == "b_r1_b"
    # a script's number is the report's name as tag(doc=7) reads it; another JSON value is refused, not ignored
    assert _request(server, "/api/tag", {"text": MEETING, "report": 7})[1]["report"] == "7"
    for odd in (7.5, True, ["r1"], {"r": 1}):
        status, data, _ = _request(server, "/api/tag", {"text": MEETING, "report": odd})
        assert status == 400 and data["error"].startswith('"report" is a name (text) or a whole number, not ')
    status, data, _ = _request(server, "/api/upload?name=" + urllib.parse.quote("下载/甲公司 2024.txt"),
                               MEETING.encode("utf-8"), ctype="text/plain")
    assert status == 200 and data["report"] == "甲公司 2024"  # a file's name: its folders are no part of it


def test_an_upload_whose_encoding_is_in_doubt_says_so_on_the_page_each_time(served):
    """Review of enc: a short GBK text whose bytes are UTF-8 too (签约 read as 'ǩԼ') was tagged with its doubt in the
    server's log only: the page showed the misread text with no word. The doubt is a notice of the upload's answer,
    with what to do on the page, on every upload of it; a text read without doubt gets none."""
    server, _ = served
    for _ in range(2):
        status, data, _ = _request(server, "/api/upload?name=qy.txt", "签约".encode("gbk"), ctype="text/plain")
        assert status == 200 and data["paragraphs"][0]["text"] == "ǩԼ"
        assert len(data["notices"]) == 1 and data["notices"][0].startswith("qy.txt: read as UTF-8 ('ǩԼ')")
        assert data["notices"][0].endswith("on this page: save the file as UTF-8 and upload it again, or paste its text")
    status, data, _ = _request(server, "/api/upload?name=ok.txt", MEETING.encode("gbk"), ctype="text/plain")
    assert status == 200 and data["notices"] == []


def test_a_report_whose_line_breaks_were_lost_says_so_on_the_page_each_time(served):
    """User test: a report exported without its line breaks (one line of many sentences) was tagged as one paragraph
    with a warning in the server's log only (and at the first such upload of the process only): the page said "Tagged
    1 paragraphs." without a word. Each upload (or paste) of one says so in its notes; a short one-liner does not."""
    server, _ = served
    joined = "".join([ELDER, RETROFIT, MEETING] * 3)
    for _ in range(2):
        status, data, _ = _request(server, "/api/upload?name=joined.txt", joined.encode("utf-8"), ctype="text/plain")
        assert status == 200 and len(data["paragraphs"]) == 1
        (note,) = data["notices"]
        assert note.startswith(f"joined: one line of {len(joined)} characters and ")
        assert "is read as one paragraph" in note and note.endswith("paste or upload the report with its line breaks")
    status, data, _ = _request(server, "/api/tag", {"text": joined, "report": "pasted"})
    assert status == 200 and data["notices"][0].startswith("pasted: one line of")
    assert _request(server, "/api/tag", {"text": ELDER})[1]["notices"] == []
    assert _request(server, "/api/tag", {"text": REPORT})[1]["notices"] == []


def test_a_report_that_names_no_power_utility_says_so_on_the_page(served):
    """Review: the power-sector rule's note went to the server's log only; on the page a silenced report looked like
    a report without a service. The page says so; a report that names its utility, or too short to judge, does not."""
    from test_context import STREET_OFFICE

    server, _ = served
    status, data, _ = _request(server, "/api/tag", {"text": "\n".join(STREET_OFFICE), "report": "street"})
    assert status == 200 and all(p["labels"] == [] for p in data["paragraphs"])
    (note,) = data["notices"]
    assert note.startswith("street: names no power utility") and "gets no label" in note
    named = "\n".join(["供电所党员服务队为独居老人免费安装智能水表"] + STREET_OFFICE[1:])
    assert _request(server, "/api/tag", {"text": named})[1]["notices"] == []
    assert _request(server, "/api/tag", {"text": "\n".join(STREET_OFFICE[1:3])})[1]["notices"] == []


def test_a_pasted_report_that_reads_as_mojibake_says_so_on_the_page(served):
    """Found by the web hunt: text pasted as mojibake (GBK read as Latin-1 on its way) was tagged, and the warning that
    its labels mean nothing went to the server's log only. The page says it, in the log's words, each time."""
    server, _ = served
    garbled = (ELDER + "\n" + RETROFIT).encode("gbk").decode("latin-1")
    for _ in range(2):
        status, data, _ = _request(server, "/api/tag", {"text": garbled, "report": "pasted"})
        assert status == 200
        (note,) = [n for n in data["notices"] if "accented Latin letters" in n]
        assert note.startswith("pasted: no Chinese character, but many accented Latin letters (e.g. ")
        assert note.endswith("re-export it — on this page: paste or upload it as it reads in Chinese")
    assert not [n for n in _request(server, "/api/tag", {"text": ELDER + "\n" + RETROFIT})[1]["notices"]
                if "accented" in n]


def test_a_bidi_control_in_an_uploaded_files_name_is_shown_escaped_in_messages(served):
    """User test: a file named with a right-to-left override (U+202E, the trick that shows "报告\u202etxt.exe" as
    "报告exe.txt") turned around the rest of the page's message about it, the error or the note on its encoding read
    backwards. Messages show such a character as an escape, as the terminal does; the report id leaves it out."""
    server, _ = served
    name = urllib.parse.quote("报告\u202eabc")
    status, data, _ = _request(server, f"/api/upload?name={name}.pdf", b"%PDF-1.4", ctype="application/octet-stream")
    assert status == 415 and data["error"].startswith("报告\\u202eabc.pdf: only .txt")
    assert "\u202e" not in data["error"]
    status, data, _ = _request(server, f"/api/upload?name={name}.txt", "签约".encode("gbk"), ctype="text/plain")
    assert status == 200 and data["report"] == "报告_abc"
    assert data["notices"][0].startswith("报告\\u202eabc.txt: read as UTF-8") and "\u202e" not in data["notices"][0]


def test_api_save_rejects_invalid_rows_and_writes_nothing(served):
    server, project = served
    good = {"id": "r:1", "text": ELDER, "text_sha": text_sha(ELDER), "labels": ["elderly_care"]}
    cases = [({"rows": [{**good, "labels": ["lift"]}]}, "review page, row 1: unknown label id 'lift'"),
             ({"rows": [{**good, "text": ELDER + "改"}]}, "the text of r:1 was changed"),
             ({"rows": [good, {**good, "id": "r:2"}]}, "row 2: same paragraph text as review page, row 1"),
             ({"rows": []}, "no reviewed paragraphs to save"),
             ({"rows": ["x"]}, "every row must be an object"),
             ({"rows": [good] * (MAX_PARAGRAPHS + 1)}, f"save at most {MAX_PARAGRAPHS} at a time"),
             ([1, 2], 'expected {"rows"')]
    for odd, what in (("党员\x00志愿者慰问老人。", "a NUL character"), ("第一行。\r\n第二行慰问老人。", "a line break"),
                      ("第一行。\u2028第二行。", "a line break")):  # saved as training rows (review): no paragraph is so
        cases.append(({"rows": [{**good, "text": odd, "text_sha": text_sha(odd)}]},
                      f"review page, row 1: the text of r:1 holds {what}, which no paragraph tagger reads does"))
    for payload, message in cases:
        status, data, _ = _request(server, "/api/save", payload)
        assert status == 400 and message in data["error"], (payload, data)
    assert not (project / IMPORTED_FILE).exists()


def test_api_refuses_bad_requests(model, served):
    server, project = served
    assert _request(server, "/api/tag", b"text=1", ctype="application/x-www-form-urlencoded")[0] == 415
    assert _request(server, "/api/tag", b"{not json")[0] == 400
    assert _request(server, "/api/tag", {"text": "  "})[1]["error"].startswith("the report is empty")
    # review G: rows pasted from a spreadsheet were tagged as one report (an uploaded .txt of them was refused)
    status, data, _ = _request(server, "/api/tag", {"text": "编号\t正文\nr1\t党员服务队为老人检查线路。\n"})
    assert status == 400 and data["error"].startswith("a table (2 tab-separated columns: 编号, 正文), not a report's")
    assert "tagger tag FILE.tsv --text-column 正文" in data["error"]
    form = "标题\t党员服务队走进幸福社区\n正文\t党员服务队为老人检查线路。\n"  # a form's fields: a report
    assert _request(server, "/api/tag", {"text": form})[0] == 200
    status, data, _ = _request(server, "/api/upload?name=report.pdf", b"%PDF-1.4", ctype="application/octet-stream")
    assert status == 415 and "only .txt (plain text), .docx (Word) or .html (a saved web page)" in data["error"]
    status, data, _ = _request(server, "/api/upload?name=report.docx", b"PK\x03\x04", ctype="application/octet-stream")
    assert status == 400 and "not a readable .docx file" in data["error"]
    status, data, _ = _request(server, "/api/upload?name=r.txt", b"\x00\x01binary", ctype="text/plain")
    assert status == 400 and "binary file" in data["error"]
    status, data, _ = _request(server, "/api/upload?name=new%20r.txt", REPORT.encode("gb18030"), ctype="text/plain")
    assert status == 200 and data["report"] == "new r" and len(data["paragraphs"]) == 4
    assert _request(server, "/api/tag", {"text": REPORT}, headers={"Origin": "http://evil.example"})[0] == 403
    port = server.server_address[1]
    assert _request(server, "/", headers={"Host": f"evil.example:{port}"})[0] == 403  # DNS rebinding
    assert _request(server, "/", headers={"Host": f"localhost:{port}"})[0] == 200

    small, thread = _start(model, project, max_bytes=1000)
    try:
        status, data, _ = _request(small, "/api/upload?name=r.txt", "段".encode() * 400, ctype="text/plain")
        assert status == 413 and "r.txt: over the limit of 1000 bytes; split the report" in data["error"]
        status, data, _ = _request(small, "/api/upload?name=r.html", b"<p>x</p>" * 200, ctype="text/html")
        assert status == 413 and "r.html: over the limit of 1000 bytes; a saved page holds its scripts" in data["error"]
        status, data, _ = _request(small, "/api/tag", {"text": "段" * 400})
        assert status == 400 and "over the limit of 1000 bytes" in data["error"]
        # a JSON request over its own limit names that limit and the report's (it said 1000 for a 2.1 kB limit)
        status, data, _ = _request(small, "/api/tag", {"text": "段" * 400 + "x" * 300_000})
        assert status == 413 and "(a report's text may hold at most 1000 bytes); split the report" in data["error"]
        assert "over the limit of 1000 bytes" not in data["error"]
        conn = http.client.HTTPConnection("127.0.0.1", small.server_address[1], timeout=10)
        conn.putrequest("POST", "/api/upload?name=r.txt")  # announces 1 GB and sends nothing
        conn.putheader("Content-Type", "text/plain")
        conn.putheader("Content-Length", str(1 << 30))
        conn.endheaders()
        resp = conn.getresponse()
        assert resp.status == 413
        conn.close()
    finally:
        _stop(small, thread)
    assert not (project / IMPORTED_FILE).exists()


def test_a_form_upload_is_refused_not_tagged_with_its_form_lines(served):
    """User test: a report sent as a form upload (``curl -F file=@report.txt``, an HTML form, a script's
    ``files=``), multipart/form-data, was tagged as the report's text: its boundary and ``Content-Disposition:
    form-data; name="file"`` lines became paragraphs beside the report's own. It is refused, saying how to send it."""
    server, project = served
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.txt\"\r\n"
            b"Content-Type: text/plain\r\n\r\n" + REPORT.encode("utf-8") + b"\r\n--XyZ--\r\n")
    status, data, _ = _request(server, "/api/upload?name=r.txt", body, ctype="multipart/form-data; boundary=XyZ")
    assert status == 415 and "a form upload (multipart/form-data) is not read here" in data["error"]
    assert "the file's own bytes as the request body" in data["error"]
    assert f"curl --data-binary @FILE '{server.url}api/upload?name=r.txt'" in data["error"]
    status, data, _ = _request(server, "/api/upload?name=r.txt", REPORT.encode("utf-8"),
                               ctype="application/x-www-form-urlencoded")  # curl --data-binary's default: its bytes
    assert status == 200 and [p["text"] for p in data["paragraphs"]] == REPORT.split("\n")[:4]


def test_json_a_parser_cannot_read_is_a_400_not_a_500(served):
    """Adversarial test: a body with a number of more than 4300 digits got HTTP 500 and a traceback in the
    server's log (json.loads raises a plain ValueError for it): it is a request that is not valid JSON."""
    server, project = served
    status, data, _ = _request(server, "/api/tag", b'{"text": "x", "n": ' + b"9" * 5000 + b"}")
    assert status == 400 and data["error"] == "request is not valid JSON (a number of 5000 digits)", data
    status, data, _ = _request(server, "/api/save", b"[" * 100_000 + b"]" * 100_000)
    assert status == 400 and data["error"] == "request is not valid JSON (nested too deeply)", data
    status, data, _ = _request(server, "/api/tag", b"{not json")
    assert status == 400 and data["error"].startswith("request is not valid JSON (Expecting property name"), data
    assert not (project / IMPORTED_FILE).exists()


def test_lone_surrogates_are_answered_not_500(served):
    server, project = served
    # JSON may carry lone surrogates (\ud800): a browser sends them for a half-pasted emoji.
    body = json.dumps({"text": "\ud800" + ELDER + "\n" + MEETING + "\udc00", "report": "s\udfff.txt"}).encode("ascii")
    status, data, _ = _request(server, "/api/tag", body)
    assert status == 200, data
    assert data["report"] == "s" and "lone UTF-16 surrogates" in data["notices"][0]
    first, second = data["paragraphs"]
    assert first["text"] == "\ufffd" + ELDER and first["text_sha"] == text_sha("\ufffd" + ELDER)
    assert "elderly_care" in first["labels"] and second["text"].endswith("\ufffd")
    row = {"id": "s:1", "text": "段落\ud800。", "text_sha": "0123456789abcdef", "labels": []}
    body = json.dumps({"rows": [row]}).encode("ascii")  # \ud800 escaped
    status, data, _ = _request(server, "/api/save", body)
    assert status == 400 and "lone surrogate" in data["error"]
    assert not (project / IMPORTED_FILE).exists()


def test_a_long_report_is_tagged_in_part_and_says_so(served, model, project):
    server, _ = served
    lines = [f"第{i}段。" for i in range(120_000)]  # nearly 2 MB of short lines
    text = "\n".join(lines)
    assert len(text.encode("utf-8")) < 2 * 1024 * 1024
    status, data, _ = _request(server, "/api/tag", {"text": text, "report": "long.txt"})
    assert status == 200
    assert len(data["paragraphs"]) == MAX_PARAGRAPHS
    assert data["paragraphs"][-1]["id"] == f"long:{MAX_PARAGRAPHS - 1}"
    assert f"only the first {MAX_PARAGRAPHS} were tagged" in data["notices"][0]
    assert "120000 lines" in data["notices"][0]

    small, thread = _start(model, project, max_paragraphs=3)
    try:  # the ids of the kept paragraphs are those of the whole report (chrome and blank lines counted)
        report = "当前位置: 首页 > 新闻\n\n" + REPORT + "评论\n"
        data = _request(small, "/api/tag", {"text": report, "report": "r"})[1]
        assert [p["id"] for p in data["paragraphs"]] == ["r:1", "r:2"] and "6 lines" in data["notices"][0]
        assert _request(small, "/api/tag", {"text": "\n".join([ELDER, RETROFIT, MEETING])})[1]["notices"] == []
    finally:
        _stop(small, thread)


def _reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # RST instead of FIN: the server sees "connection reset"


def test_client_disconnects_print_no_traceback(own_logging, served, capfd, caplog):
    server, _ = served
    host, port = server.server_address[:2]
    caplog.set_level(logging.DEBUG, logger="tagger.apps")
    head = (f"POST /api/tag HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            "Content-Length: {}\r\n\r\n")
    # 1. hangs up in the middle of the body (reset, then a plain close)
    for close in (_reset, socket.socket.close):
        sock = socket.create_connection((host, port))
        sock.sendall(head.format(100_000).encode() + b'{"text": "')
        time.sleep(0.2)
        close(sock)
    # 2. sends a whole request for a big answer and resets before reading it
    body = json.dumps({"text": "\n".join([ELDER, RETROFIT] * 500)}).encode()
    sock = socket.create_connection((host, port))
    sock.sendall(head.format(len(body)).encode() + body)
    time.sleep(0.05)
    _reset(sock)
    deadline = time.time() + 30
    while time.time() < deadline and sum("client disconnected" in r.getMessage() for r in caplog.records) < 2:
        time.sleep(0.1)
    assert _request(server, "/api/info")[0] == 200  # still serving
    time.sleep(0.5)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert sum("client disconnected" in r.getMessage() for r in caplog.records) >= 2


def test_handle_error_is_quiet_for_disconnects_only(own_logging, served, capfd, caplog):
    server, _ = served
    for exc in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset"), TimeoutError()):
        try:
            raise exc
        except OSError:
            server.handle_error(None, ("127.0.0.1", 1))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    try:
        raise ValueError("a bug")
    except ValueError:
        server.handle_error(None, ("127.0.0.1", 1))
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info[0] is ValueError
    assert "Traceback" not in capfd.readouterr().err  # logged, not printed by socketserver


# --------------------------------------------------------------------------- the page in a real browser
@pytest.fixture
def page(browser, served):
    server, project = served
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.goto(server.url)
    # /api/info loaded (a selector, not wait_for_function: polling a string predicate needs eval, which the
    # page's Content-Security-Policy forbids: the test failed when the info came late)
    pg.wait_for_selector("#limit:not(:empty)")
    yield pg, project
    context.close()


def _tag_in_page(pg, text, name):
    pg.fill("#report-name", name)
    pg.fill("#report-text", text)
    pg.click("#tag-btn")
    pg.wait_for_selector("#status.ok")
    return pg.locator("li.para")


def test_browser_paste_tag_correct_save(page):
    pg, project = page
    items = _tag_in_page(pg, REPORT, "browser report")
    assert items.count() == 4 and pg.text_content("#status") == "Tagged 4 paragraphs."
    heading = pg.locator('li.para[data-id="browser report:0"]')
    assert "heading" in heading.get_attribute("class") and heading.locator("input").count() == 0

    elder = pg.locator('li.para[data-id="browser report:1"]')
    assert elder.locator(".text").text_content() == ELDER
    assert elder.locator('input[data-label="elderly_care"]').is_checked()  # the model's label, pre-ticked
    assert elder.locator("mark.ev").count() >= 1  # evidence highlighted
    assert "孤寡老人" in [m.text_content() for m in elder.locator("mark.ev").all()]

    pg.click("#save-btn")  # nothing reviewed yet
    pg.wait_for_selector("#save-status.error")
    assert "Nothing to save" in pg.text_content("#save-status") and not (project / IMPORTED_FILE).exists()

    boxes = {lab: elder.locator(f'input[data-label="{lab}"]') for lab in
             ("elderly_care", "old_neighbourhood_retrofit", "elevator_power_hookup",
              "business_connection_speed", "volunteer_work")}
    before = {lab for lab, box in boxes.items() if box.is_checked()}
    boxes["old_neighbourhood_retrofit"].click()  # the annotator's correction
    expected = before ^ {"old_neighbourhood_retrofit"}
    assert "reviewed" in elder.get_attribute("class") and elder.locator(".reviewed-box").is_checked()
    pg.click("#save-btn")
    pg.wait_for_selector("#save-status.ok >> text=Saved.")
    assert "1 added" in pg.text_content("#save-status") and "saved" in elder.get_attribute("class")

    (row,) = [json.loads(x) for x in (project / IMPORTED_FILE).read_text(encoding="utf-8").splitlines()]
    assert row["id"] == "browser report:1" and row["doc"] == "browser report" and row["source"] == "imported"
    assert set(row["labels"]) == expected and row["text"] == ELDER and row["text_sha"] == text_sha(ELDER)

    # Tagging again shows the saved labels; unticking one and saving with "overwrite" updates the row.
    _tag_in_page(pg, REPORT, "browser report")
    elder = pg.locator('li.para[data-id="browser report:1"]')
    assert "already labelled (imported browser report:1)" in elder.text_content()
    assert {lab for lab, box in {lab: elder.locator(f'input[data-label="{lab}"]') for lab in expected}.items()
            if box.is_checked()} == expected
    elder.locator('input[data-label="elderly_care"]').click()
    pg.check("#update")
    pg.click("#save-btn")
    pg.wait_for_selector("#save-status.ok >> text=Saved.")
    assert "1 updated" in pg.text_content("#save-status")
    (row,) = [json.loads(x) for x in (project / IMPORTED_FILE).read_text(encoding="utf-8").splitlines()]
    assert set(row["labels"]) == expected ^ {"elderly_care"}


def test_browser_a_copy_in_traditional_script_is_saved_as_the_labelled_paragraph(page, served):
    """Review: a copy of a paragraph imported earlier, in traditional script with full-width digits and commas, was
    shown as new; and once shown as labelled, the page saved the copy's text under the labelled paragraph's id, which
    the import refused (imported earlier with another text). It is marked "already labelled", and a correction
    saved with "overwrite" updates that paragraph."""
    pg, project = page
    traditional = ("3月5日，國網某市供電公司黨員志願服務隊走進城東敬老院，為２８位孤寡老人免費檢查室內線路，更換老化插座，"
                   "並送去米麵油等慰問品。")
    row = {"id": "r1:1", "text": ELDER, "text_sha": text_sha(ELDER), "labels": ["elderly_care"]}
    assert _request(served[0], "/api/save", {"rows": [row]})[1]["added"] == ["r1:1"]
    _tag_in_page(pg, "社区里的供电服务队\n" + traditional + "\n", "繁体稿")
    copy = pg.locator('li.para[data-id="繁体稿:1"]')
    assert "already labelled (imported r1:1): elderly_care" in copy.text_content()
    copy.locator('input[data-label="volunteer_work"]').click()
    pg.check("#update")
    pg.click("#save-btn")
    pg.wait_for_selector("#save-status.ok >> text=Saved.")
    assert "1 updated" in pg.text_content("#save-status") and "saved" in copy.get_attribute("class")
    (saved,) = [json.loads(x) for x in (project / IMPORTED_FILE).read_text(encoding="utf-8").splitlines()]
    assert (saved["id"], saved["text"], saved["labels"]) == ("r1:1", ELDER, ["elderly_care", "volunteer_work"])


def test_browser_save_outcome_is_in_view_and_a_kept_correction_is_not_shown_as_saved(page):
    """A reviewer at the bottom of a long report saved from the sticky toolbar: what the save did was written at
    the top of the page, out of view. Then they changed a saved paragraph and saved again without "overwrite":
    the server kept the earlier labels, but the paragraph still looked saved (green) and the message saying so
    was out of view too. The outcome is in the toolbar, on screen; a paragraph kept as it was is marked, not
    green, and the message says it was not saved."""
    pg, project = page
    lines = ["社区里的供电服务队", ELDER] + [MEETING.replace("会议", f"第{k}次会议") for k in range(30)] + [RETROFIT]
    _tag_in_page(pg, "\n".join(lines) + "\n", "long report")
    last = pg.locator("li.para").last
    last.scroll_into_view_if_needed()
    last.locator('input[data-label="volunteer_work"]').click()
    pg.click("#save-btn")
    pg.wait_for_selector("#save-status.ok >> text=Saved.")
    assert "1 added" in pg.text_content("#save-status") and "saved" in last.get_attribute("class")

    def in_view(selector):
        box, height = pg.locator(selector).bounding_box(), pg.viewport_size["height"]
        return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height

    assert pg.evaluate("window.scrollY") > 0 and in_view("#save-status") and not in_view("#status")
    last.locator('input[data-label="elderly_care"]').click()  # another correction, without "overwrite"
    assert "saved" not in last.get_attribute("class")  # changed since it was saved
    pg.click("#save-btn")
    pg.wait_for_selector("#save-status.error >> text=NOT saved")
    assert in_view("#save-status") and "overwrite labels saved earlier" in pg.text_content("#save-status")
    assert "kept" in last.get_attribute("class") and "saved" not in last.get_attribute("class")
    (row,) = [json.loads(x) for x in (project / IMPORTED_FILE).read_text(encoding="utf-8").splitlines()]
    assert "elderly_care" not in row["labels"]  # indeed kept as it was
    pg.check("#update")
    pg.click("#save-btn")
    pg.wait_for_selector("#save-status.ok >> text=Saved.")
    assert "saved" in last.get_attribute("class") and "kept" not in last.get_attribute("class")


def test_browser_a_caption_carries_no_label_like_a_heading(page):
    """Visual QA: a photo caption got label boxes on the serve page, so a reviewer could save labels for it, while
    the codebook gives captions none (the model gives them none either). It is shown as a heading is."""
    pg, project = page
    items = _tag_in_page(pg, "\n".join([ELDER, "图为供电所党员服务队在敬老院检查线路。"]) + "\n", "captioned")
    assert items.count() == 2
    caption = pg.locator('li.para[data-id="captioned:1"]')
    assert "caption" in caption.get_attribute("class")
    assert caption.locator("input").count() == 0 and "caption: carries no label" in caption.text_content()


def test_browser_shows_report_html_as_text(page):
    pg, project = page
    items = _tag_in_page(pg, "\n".join([INJECTION, RETROFIT]) + "\n", "<img src=x onerror=alert(3)>")
    assert items.count() == 2
    first = pg.locator("li.para").first
    assert first.locator(".text").text_content() == INJECTION  # shown verbatim, as text
    assert pg.locator("#paragraphs script, #paragraphs img, #paragraphs b").count() == 0
    assert pg.evaluate("document.querySelectorAll('img').length") == 0
    assert pg.text_content("#report-id").startswith("report img src_x onerror_alert(3)")
    pg.click("#review-all")
    pg.click("#save-btn")
    pg.wait_for_selector("#save-status.ok >> text=Saved.")
    assert pg.dialogs == []  # no script from the report ran
    texts = [json.loads(x)["text"] for x in (project / IMPORTED_FILE).read_text(encoding="utf-8").splitlines()]
    assert texts == [INJECTION, RETROFIT]


def test_browser_a_long_unbroken_line_wraps(page):
    """User test: a paragraph holding a long link (a run of Latin letters without a space) made the page 20,000 px
    wide, the label boxes at its left and the text running off to the right. It wraps."""
    pg, _ = page
    link = "http://example.com/" + "a" * 2000
    items = _tag_in_page(pg, "\n".join([ELDER + link, RETROFIT]) + "\n", "linked")
    assert items.count() == 2 and items.first.locator(".text").text_content() == ELDER + link
    assert pg.evaluate("document.documentElement.scrollWidth") <= pg.viewport_size["width"]


def test_browser_says_when_the_server_does_not_answer(page):
    """User test: with tagger serve stopped under the page (Ctrl-C, a closed terminal), tagging and saving said only
    "Error: Failed to fetch" / "Not saved: Failed to fetch"; they say the server gave no answer and may be stopped,
    as tagger review's page does."""
    pg, _ = page
    _tag_in_page(pg, REPORT, "stopped")
    pg.locator('li.para[data-id="stopped:1"] .reviewed-box').check()
    pg.route("**/api/*", lambda route: route.abort())  # as a stopped server: no answer at all
    pg.click("#save-btn")
    pg.wait_for_selector("#save-status.error")
    assert pg.text_content("#save-status").startswith("Not saved: no answer from tagger serve (was it stopped?)")
    pg.click("#tag-btn")
    pg.wait_for_selector("#status.error")
    assert pg.text_content("#status").startswith("Error: no answer from tagger serve (was it stopped?)")


def test_browser_says_a_limit_under_a_megabyte_in_kilobytes(browser, model, project):
    """User test: tagger serve --max-mb 0.01 (10 KB) said "(text only, at most 0.0 MB)" on the page."""
    server, thread = _start(model, project, max_bytes=10 * 1024)
    context = browser.new_context()
    try:
        pg = context.new_page()
        pg.goto(server.url)
        pg.wait_for_selector("#limit:not(:empty)")
        assert pg.text_content("#limit") == "(text only, at most 10 KB)"
    finally:
        context.close()
        _stop(server, thread)


def test_browser_shows_one_upload_control(page):
    """Visual QA: the page showed two upload controls side by side, the underlined 'upload a .txt …' link and the
    browser's own 'Choose File / No file chosen' box. One shows (a button-like label that opens the file chooser);
    the file input stays in the page for the keyboard (it takes focus, and the label shows it)."""
    pg, _ = page
    box = pg.locator("#upload").bounding_box()
    assert box is None or (box["width"] <= 1 and box["height"] <= 1)
    with pg.expect_file_chooser() as chooser:
        pg.click("label.upload")
    assert chooser.value.element.get_attribute("id") == "upload"
    pg.focus("#upload")
    assert pg.evaluate("document.activeElement.id") == "upload"
    assert pg.evaluate("getComputedStyle(document.querySelector('label.upload')).outlineStyle") != "none"


def test_browser_upload(page, tmp_path):
    pg, _ = page
    report = tmp_path / "uploaded report.txt"
    report.write_bytes(REPORT.encode("gb18030"))
    pg.set_input_files("#upload", str(report))
    pg.wait_for_selector('li.para[data-id="uploaded report:2"]')
    assert pg.input_value("#report-name") == "uploaded report"
    assert pg.locator("li.para").count() == 4
    other = tmp_path / "report.pdf"
    other.write_bytes(b"%PDF-1.4")
    pg.set_input_files("#upload", str(other))
    pg.wait_for_selector("#status.error")
    assert "Only .txt, .docx or .html reports" in pg.text_content("#status")
    word = tmp_path / "word report.docx"
    _word_file(word, REPORT.split("\n"))
    pg.set_input_files("#upload", str(word))
    pg.wait_for_selector('li.para[data-id="word report:2"]')
    assert pg.input_value("#report-name") == "word report" and pg.locator("li.para").count() == 4
    saved = tmp_path / "saved page.html"  # a report saved from the browser: its story, not its menus or markup
    saved.write_text("<html><head><title>标题栏</title></head><body><nav><a>首页</a></nav>"
                     + "".join(f"<p>{line}</p>" for line in REPORT.split("\n")) + "</body></html>", encoding="utf-8")
    pg.set_input_files("#upload", str(saved))
    pg.wait_for_selector('li.para[data-id="saved page:2"]')
    assert pg.input_value("#report-name") == "saved page" and pg.locator("li.para").count() == 4
    assert "首页" not in pg.text_content("#paragraphs") and "<p>" not in pg.text_content("#paragraphs")


def test_a_word_upload_that_opens_with_a_data_table_is_tagged_not_refused_as_a_sheet(model, served):
    """Review: a .docx whose first lines are a data table's rows (序号, 小区名称 … joined by tabs) was refused as rows
    pasted from a spreadsheet, with advice to save a .tsv; tagger tag read the same file."""
    import io
    import zipfile

    cells = [["序号", "小区名称", "户数"], ["1", "幸福小区", "326"], ["2", "和平小区", "210"]]
    rows = "".join("<w:tr>" + "".join(f"<w:tc><w:p><w:r><w:t>{c}</w:t></w:r></w:p></w:tc>" for c in r) + "</w:tr>"
                   for r in cells)
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", f"<w:document {ns}><w:body><w:tbl>{rows}</w:tbl></w:body></w:document>")
    server, _ = served
    status, data, _ = _request(server, "/api/upload?name=report.docx", buf.getvalue(), ctype="application/octet-stream")
    assert status == 200, data


def test_a_page_exposed_with_host_takes_its_own_requests_and_says_it_has_no_login(model, project, caplog):
    """With --host 0.0.0.0 every tag, upload and save was refused as cross-origin: a browser's Origin is the address
    the user typed (review); tagger review gave no warning that such a page has no login."""
    import logging

    with caplog.at_level(logging.WARNING, logger="tagger"):
        server = make_server(model, project, host="0.0.0.0", port=0, model_name="m.npz")
    assert "the page has no login; anyone who can reach this address" in caplog.text
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        lan = f"192.0.2.2:{port}"
        url = f"http://127.0.0.1:{port}/api/tag"
        rebound = f"evil.example:{port}"  # a DNS-rebinding page: its own name in Host and Origin (diff review)
        for host, origin, status in ((lan, f"http://{lan}", 200), (lan, "http://evil.example", 403),
                                     (rebound, f"http://{rebound}", 403)):
            req = urllib.request.Request(url, data=json.dumps({"text": REPORT}).encode(), method="POST",
                                         headers={"Content-Type": "application/json", "Host": host, "Origin": origin})
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:
                    got = resp.status
            except urllib.error.HTTPError as exc:
                got = exc.code
            assert got == status, origin
    finally:
        _stop(server, thread)


def test_head_is_answered_as_get_and_other_methods_get_405(served):
    """HEAD got the standard library's HTML 501 page, though the handler leaves a HEAD's body out (review)."""
    server, _ = served
    status, body, headers = _request(server, "/", method="HEAD")
    assert status == 200 and body == "" and int(headers["Content-Length"]) > 1000
    for method in ("OPTIONS", "PUT", "DELETE"):
        status, data, headers = _request(server, "/api/tag", method=method)
        assert status == 405 and headers["Allow"] == "POST" and "is not answered here" in data["error"]


def test_an_address_asked_with_a_method_it_does_not_take_is_answered_405_naming_those_it_takes(served):
    """A GET of /api/tag (an address that takes POST: a link followed, curl without -d) and a POST to /api/info
    were answered 404 "no such page", as if the address did not exist. They are answered 405 with an Allow header
    naming the methods the address takes (one routing for tagger serve and tagger review: tagger.apps.web); an
    address that does not exist is 404 whatever the method."""
    server, _ = served
    for path, method, body, allow in (("/api/tag", "GET", None, "POST"), ("/api/upload", "GET", None, "POST"),
                                      ("/api/info", "POST", {}, "GET, HEAD"),
                                      ("/", "POST", {"text": REPORT}, "GET, HEAD")):
        status, data, headers = _request(server, path, body, method=method)
        assert (status, headers["Allow"]) == (405, allow), (path, method)
        assert data["error"] == f"{method} is not answered here: {path} takes {allow.split(',')[0]}"
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=60)
    conn.request("HEAD", "/api/save")  # as a GET, without the body
    resp = conn.getresponse()
    assert (resp.status, resp.getheader("Allow"), resp.read()) == (405, "POST", b"")
    conn.close()
    for method, body in (("GET", None), ("POST", {}), ("PUT", None)):
        status, data, headers = _request(server, "/api/nothing", body, method=method)
        assert status == 404 and "Allow" not in headers and data["error"] == "no such page: /api/nothing"
    assert _request(server, "/api/info")[0] == 200  # the addresses still answer their own method


def test_stopping_the_server_waits_for_the_request_under_way():
    """tagger serve (and review) stopped with the requests under way cut off: the process ended while a report was
    tagged or its labels saved, the page left without an answer. Stopping takes no new request and waits for the
    ones under way to be answered."""
    from tagger.apps.web import bind

    entered, release = threading.Event(), threading.Event()

    class App:  # an address whose answer waits for the test
        max_bytes, static, get_routes = 1024, {}, {"/api/info": lambda query: {"ok": True}}

        @property
        def post_routes(self):
            return {"/api/slow": lambda payload: (entered.set(), release.wait(60), {"ok": True})[-1]}

    server = bind(App(), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answers = []
        client = threading.Thread(target=lambda: answers.append(_request(server, "/api/slow", {})))
        client.start()
        assert entered.wait(60)
        server.shutdown()
        stopping = threading.Thread(target=server.server_close)
        stopping.start()
        stopping.join(0.5)
        assert stopping.is_alive()  # waiting for the request under way
        release.set()
        stopping.join(60)
        client.join(60)
        assert not stopping.is_alive() and answers[0][:2] == (200, {"ok": True})
        with pytest.raises(OSError):  # and no new request is taken
            _request(server, "/api/info")
    finally:
        release.set()
        thread.join(5)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_request_on_a_connection_taken_before_the_stop_is_answered_503(method):
    """A request the server took the connection of before it stopped, read after (tagger serve or review stopping
    while a page sent it), is answered 503 saying the server is stopping — its body read and dropped, the
    connection closed — and is never counted as under way, so the stop does not wait for it."""
    from tagger.apps.web import bind

    answered = []

    class App:
        max_bytes, static = 1024, {}
        get_routes = {"/api/info": lambda query: answered.append("GET") or {"ok": True}}
        post_routes = {"/api/save": lambda payload: answered.append("POST") or {"ok": True}}

    server = bind(App(), port=0)
    accepted = threading.Event()
    process = server.process_request

    def taken(request, address):  # the connection handed to its handler's thread
        process(request, address)
        accepted.set()

    server.process_request = taken
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    body = json.dumps({"paragraph": "报告:0"}).encode("utf-8")
    path = "/api/info" if method == "GET" else "/api/save"
    head = (f"{method} {path} HTTP/1.0\r\nHost: {urllib.parse.urlsplit(server.url).netloc}\r\n"
            + (f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if method == "POST" else ""))
    with socket.create_connection(server.server_address[:2], timeout=60) as client:
        try:
            client.sendall(head.encode("ascii"))  # the headers not ended: the handler waits for the rest
            assert accepted.wait(60)
            server.shutdown()
            server.server_close()  # at once: no request is under way
        finally:
            thread.join(60)
        client.sendall(b"\r\n" + (body if method == "POST" else b""))
        raw = b""
        while chunk := client.recv(65536):  # to the end: the server closes the connection
            raw += chunk
    status, _, rest = raw.partition(b"\r\n")
    assert status.split()[1] == b"503", raw
    assert json.loads(rest.partition(b"\r\n\r\n")[2]) == {
        "error": "the server is stopping: the request was not read; start it again to go on"}
    assert answered == [] and server._under_way == 0


@pytest.mark.parametrize("end", ["SIGTERM", "SIGINT"])
def test_sigterm_stops_tagger_serve_as_it_stops_tagger_review(project, cli_model, end):
    """SIGTERM (how a service manager, docker stop or kill stops a server) ended tagger serve with "terminated"
    and exit 143, where Ctrl-C ended it with exit 0 and tagger review exits 0 on either: both stop the page the
    same way — the requests under way answered, "stopped" said — and exit 0 (README)."""
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "tagger", "serve", "--port", "0", "--root", str(project),
                             "--model", cli_model], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().split("review page: ")[1].split(" ")[0]
        with urllib.request.urlopen(url + "api/info", timeout=60) as resp:
            assert resp.status == 200
        proc.send_signal(getattr(signal, end))
        code, (_, err) = proc.wait(timeout=60), proc.communicate()
    finally:
        proc.kill()
    assert code == 0, err
    assert "review page stopped" in err and "terminated" not in err, err


@pytest.mark.parametrize("end", ["SIGTERM", "SIGINT"])
def test_a_signal_python_dropped_in_a_finaliser_stops_tagger_serve_as_the_signal_does(project, cli_model,
                                                                                      monkeypatch, capsys, end):
    """A SIGTERM (or Ctrl-C) whose handler ran while Python was inside a finaliser (a __del__, a weakref or gc
    callback) had its exception dropped: tagger serve served on, and the service manager that sent it waited for an
    end that never came. The server's loop acts on it at its next turn, as on the signal itself: "review page
    stopped", exit 0."""
    import signal

    from helpers import serve_after_a_dropped_signal

    from tagger.apps.cli import main

    serve_after_a_dropped_signal(monkeypatch, getattr(signal, end))
    assert main(["serve", "--port", "0", "--root", str(project), "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert "review page stopped" in err and "terminated" not in err and "interrupted" not in err, err
    assert "Exception ignored" not in err and "Traceback" not in err, err


@pytest.mark.parametrize("under_way", [False, True])
def test_a_signal_python_dropped_as_tagger_serve_stops_ends_it_as_the_signal_does(project, cli_model, monkeypatch,
                                                                                  capsys, under_way):
    """Review: tagger serve was stopped (Ctrl-C), and a SIGTERM came while it stopped — waiting for the requests
    under way — as its handler ran inside a finaliser: Python dropped its exception, the wait went on, and the
    command then ended "terminated", 143, where the signal itself stops the wait and the page ends 0."""
    import signal

    from helpers import close_after_a_dropped_signal

    from tagger.apps.cli import main

    close_after_a_dropped_signal(monkeypatch, signal.SIGTERM, under_way)
    assert main(["serve", "--port", "0", "--root", str(project), "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert "review page stopped" in err and "terminated" not in err and "interrupted" not in err, err
    assert ("stopped without waiting for 1 request(s) under way" in err) == under_way, err


def test_port_80_takes_a_host_without_its_port():
    """On port 80 browsers send Host: 127.0.0.1 (no port): every request was refused (review)."""
    from tagger.apps.web import _Handler

    assert {"127.0.0.1", "localhost", "127.0.0.1:80"} <= _Handler._allowed_hosts("127.0.0.1", 80)
    assert "127.0.0.1" not in _Handler._allowed_hosts("127.0.0.1", 8765)


@pytest.mark.parametrize("error, fix", [
    (PermissionError(13, "Permission denied"), "fix the folder's permissions, or start it with another --root"),
    (OSError(30, "Read-only file system"), "the file system there is read-only: start it with another --root on a "
                                           "writable one"),
])
def test_serve_refuses_a_root_whose_labels_cannot_be_written_before_the_page_opens(model, project, monkeypatch, error,
                                                                                  fix):
    """The page opened on a read-only checkout; the reviewer learnt it at Save, told to "choose another output
    path", which the page has no way to do (review). relfix: a read-only file system was told to fix the folder's
    permissions, which no chmod can: it has its own advice."""
    import tagger.common.atomic as atomic

    def refuse(path, suffix=".tmp"):
        raise error

    monkeypatch.setattr(atomic, "temp_path_beside", refuse)
    with pytest.raises(LabelFileError) as info:
        make_server(model, project, port=0)
    assert str(info.value) == (f"{project / 'labels'}: no file can be written there ({error.strerror}), so the page "
                               f"could not save labels; {fix}")


def test_each_upload_and_paste_says_the_reports_notes(model, project):
    """Every upload (or paste) of an HTML report after the first said its "read as HTML" note at DEBUG only, in the
    server's log: the process had said it once. Each request says its own notes."""
    from tagger.apps.server import ReviewApp

    page = "<p>供电公司党员服务队走进敬老院，为孤寡老人免费检查室内线路。</p><p>公司开辟绿色通道，为企业接电。</p>"
    logger, records = logging.getLogger("tagger.text.report"), []
    handler, level = logging.Handler(logging.DEBUG), logger.level
    handler.emit = records.append
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        app = ReviewApp(model, project)
        for _ in range(2):
            app.upload({"name": ["r.txt"]}, lambda *_: page.encode("utf-8"))
            app.tag(page, "r")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    said = [r.levelno for r in records if "read as HTML" in r.getMessage()]
    assert said == [logging.INFO] * 4, said
