"""Helpers shared by several test modules (imported as ``from helpers import ...``: pytest puts ``tests/`` on the
path), so that no test module imports another's private names."""

import csv
import html.parser
import json
import os
import signal
import sys
import zipfile
from pathlib import Path

import pandas as pd

from tagger.labels import LABELS, format_label_cell

E, R, EV, B, V = LABELS  # elderly, retrofit, elevator, business, volunteer

# (paragraph, company, date, model labels, reviewed labels or None): a tiny corpus whose counts were checked by hand
TAGGED_ROWS = [
    ("r1:0", "甲公司", "2023-01-15", [E], None),
    ("r1:1", "甲公司", "2023-01-15", [E, V], [V]),  # the reviewer removed elderly_care
    ("r1:2", "甲公司", "2023-01-15", [], None),
    ("r2:0", "乙公司", "2023年1月20日", [B], []),  # reviewed: no label
    ("r2:1", "乙公司", "2023年1月20日", [], [R]),  # reviewed: a label the model missed
    ("r3:0", "甲公司", "2023/2/3", [E, V], None),
    ("r3:1", "甲公司", "2023/2/3", [V], None),
]


def tagged_rows(rows=TAGGED_ROWS, summary=True):
    """The rows of a tagged JSONL file as ``tagger tag --summary`` (+ ``tagger review``) writes them: ``rows`` of
    (paragraph, company, date, model labels, reviewed labels or None), and with ``summary`` its summary rows."""
    out = []
    for pid, company, date, labels, reviewed in rows:
        report = pid.split(":")[0]
        row = {"row_type": "paragraph", "report": report, "paragraph": pid, "kind": "body",
               "text": f"段落{pid}为孤寡老人服务。", "labels": labels,
               **{f"score_{lab}": (0.9 if lab in labels else 0.1) for lab in LABELS},
               "company": company, "date": date}
        if reviewed is not None:
            row.update(reviewed_labels=reviewed, reviewed_by="ana", reviewed_at="2024-01-01T00:00:00+00:00")
        out.append(row)
    if summary:  # --summary rows: ignored
        out.append({"row_type": "report", "report": "r1", "labels": [E, V], "n_paragraphs": 3})
        out.append({"row_type": "corpus", "report": "(all)", "labels": [E, V], "n_paragraphs": 7, "reports": 3})
    return out


def write_tagged(path: Path, rows=None) -> Path:
    """A tagged file as tagger tag (+ tagger review) writes it, in the format of the extension."""
    rows = tagged_rows() if rows is None else rows
    columns = ["row_type", "report", "paragraph", "kind", "text", "labels", *(f"score_{lab}" for lab in LABELS),
               "company", "date", "reviewed_labels", "reviewed_by", "reviewed_at"]
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({**r, "labels": ";".join(r.get("labels") or []),
                            "reviewed_labels": format_label_cell(r["reviewed_labels"]) if "reviewed_labels" in r else ""})
    elif path.suffix in (".xlsx", ".sqlite"):  # as tag writes them: label cells, no row_type
        columns.remove("row_type")
        cells = [[format_label_cell(r[c]) if c == "reviewed_labels" and r.get(c) is not None
                  else ";".join(r[c]) if c == "labels" and r.get(c) is not None else r.get(c) for c in columns]
                 for r in rows if r["row_type"] == "paragraph"]
        if path.suffix == ".xlsx":
            import openpyxl

            wb = openpyxl.Workbook()
            wb.active.title = "paragraphs"
            for row in [columns, *cells]:
                wb.active.append(row)
            wb.save(path)
        else:
            import contextlib
            import sqlite3

            with contextlib.closing(sqlite3.connect(path)) as conn, conn:
                conn.execute(f"CREATE TABLE paragraphs (id INTEGER PRIMARY KEY, {', '.join(columns)})")
                conn.executemany(f"INSERT INTO paragraphs ({', '.join(columns)}) VALUES "
                                 f"({', '.join('?' * len(columns))})", cells)
    else:
        frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows])
        frame.to_parquet(path)
    return path

def shared_strings_book(path, rows):
    """A workbook at ``path`` laid out as Excel writes one (openpyxl writes its text inline, unescaped): every
    text cell in the shared strings part, each as given (Excel's ``_xHHHH_`` escapes already in it)."""
    from xml.sax.saxutils import escape

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    strings = list(dict.fromkeys(v for row in rows for v in row))
    cells = "".join(f'<row r="{n}">' + "".join(f'<c r="{"AB"[k]}{n}" t="s"><v>{strings.index(v)}</v></c>'
                                                for k, v in enumerate(row)) + "</row>"
                    for n, row in enumerate(rows, start=1))
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            f'ContentType="{kind}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{kind}.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{kind}.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="Sheet1" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">' + "".join(
            f'<si><t xml:space="preserve">{escape(v)}</t></si>' for v in strings) + "</sst>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{cells}</sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


class ScriptParser(html.parser.HTMLParser):
    """The ``<script>`` elements of an HTML page: ``scripts``, [attributes, text] of each."""

    def __init__(self):
        super().__init__()
        self.scripts, self._in = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._in = dict(attrs)
            self.scripts.append([self._in, ""])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self.scripts[-1][1] += data


def page_data(page: str) -> str:
    """The text of the first ``<script>`` of a ``tagger stats --html`` page: its data, as JSON."""
    parser = ScriptParser()
    parser.feed(page)
    return parser.scripts[0][1]


# report text for generated cases: plausible sentences, and hostile strings (markup, controls, lone halves)
SENTENCES = ["党员志愿者走进敬老院,为孤寡老人义务检查线路。", "国网某供电公司为老旧小区实施一户一表改造。",
             "為老舊住宅加裝電梯開闢綠色通道,電梯順利通電。", "企业报装接电时间压缩到3个工作日。", "公司召开党委会议。",
             "台风过后抢修人员连夜恢复供电。", "国网(wǎng)山东供电公司党员服务队。"]
HOSTILE = ["![x](/etc/hostname)", "<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "| a | b |",
           "**bold** `code`", "\x1b[31mred\x1b[0m", "\u202eevil\u202c", "\u200b\ufeff", "\x00", "\r\n", "\u2028",
           "🙏🙏", "\ud800", "\udfff", "😀\ufe0f", "当前位置: 首页 > 新闻", "评论", "\t\v\f", "," * 50]


def decodes(raw: bytes, encoding: str) -> bool:
    """Whether ``raw`` decodes as ``encoding`` without an error."""
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def tagger_command(*args: str) -> list[str]:
    """The command line of ``tagger -q ARGS`` run by this Python (for subprocess)."""
    return [sys.executable, "-m", "tagger", "-q", *args]


class Stop(BaseException):
    """What the SIGTERM :func:`signalled_at_each_line` sends raises (as the CLI's handler raises ``Terminated``)."""


def registers_exit(code) -> bool:
    """Whether the code object ``code`` is an ExitStack's registration of a let-go (``enter_context`` and what it
    calls), for :func:`signalled_at_each_line`."""
    return Path(code.co_filename).name == "contextlib.py" and code.co_name in (
        "enter_context", "_push_cm_exit", "_push_exit_callback", "_create_exit_wrapper")


def signalled_at_each_line(call, traced, check):
    """Run ``call()`` again and again, SIGTERM sent to this process at the n-th point (n = 1, 2, …) where Python acts
    on a signal in the functions whose code ``traced`` accepts — as one of them calls a Python function (it enters the
    callee) or a C one returns — as a signal landing there would (its handler raises :class:`Stop`; where signals are
    held, it is acted on as they are let go). ``check(stop)`` runs while the ``Stop`` raised is alive (its traceback
    holding the frames it cut short, as a command's error handling does). Returns ``call()``'s result on the first
    run no signal reached, and how many runs a signal stopped."""

    def stop(signum, frame):
        raise Stop

    previous, before = signal.signal(signal.SIGTERM, stop), sys.getprofile()
    try:
        for n in range(1, 100_000):
            seen = 0

            def profiled(frame, event, arg):
                nonlocal seen
                caller = frame.f_back if event == "call" else frame
                if event in ("call", "c_return") and caller is not None and traced(caller.f_code):
                    seen += 1
                    if seen == n:
                        os.kill(os.getpid(), signal.SIGTERM)  # Python acts on it at once, here

            sys.setprofile(profiled)
            try:
                result = call()
            except Stop as stopped:
                sys.setprofile(before)
                check(stopped)
                continue
            finally:
                sys.setprofile(before)
            assert seen < n, f"the signal at point {n} was lost"
            return result, n - 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    raise AssertionError("the call never ended unsignalled")


# A tiny project of self-written paragraphs (never real report text), with copies of them in other writings: one text
# to the model (tagger.data.examples.text_keys), another to a hash of the text as written.
ELDER = "供电公司党员服务队走进城南社区,为独居老人免费检修室内线路,更换老化开关插座。"
BUSINESS = "供电所开辟绿色通道,仅用3天为园区企业完成低压接电。"
DEV_TEXT = "供电公司为城东小区更换老化表箱和进户线,三百余户居民告别了合用电表。"  # a dev paragraph whose text is here
DEV_GONE = "供电公司为加装电梯的老旧住宅开辟绿色通道,五个工作日完成接电。"  # one whose text is not on this machine
NEW_TEXT = "青年志愿者走进留守儿童之家,为孩子们讲解安全用电知识。"
TRADITIONAL = {ELDER: "供電公司黨員服務隊走進城南社區,為獨居老人免費檢修室內線路,更換老化開關插座。",
               BUSINESS: "供電所開闢綠色通道,僅用3天為園區企業完成低壓接電。",
               DEV_TEXT: "供電公司為城東小區更換老化錶箱和進戶線,三百餘戶居民告別了合用電錶。",
               DEV_GONE: "供電公司為加裝電梯的老舊住宅開闢綠色通道,五個工作日完成接電。",
               NEW_TEXT: "青年志願者走進留守兒童之家,為孩子們講解安全用電知識。"}


def full_width(text: str) -> str:
    """``text`` with its ASCII letters, digits and punctuation written full-width (3 → ３, "," → "，")."""
    return text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})


def tiny_project(root: Path, dev: bool = False) -> Path:
    """A project at ``root``: seed report ``s1`` (s1:0 ELDER, elderly_care;volunteer_work; s1:1 BUSINESS,
    business_connection_speed); with ``dev``, a real dev set: report d1 (a heading, then DEV_TEXT as d1:1) with its
    text in data/real/raw, and d2:0 (DEV_GONE) whose text is not there."""
    import hashlib

    from tagger.data.examples import text_sha

    (root / "seeds").mkdir(parents=True)
    (root / "labels").mkdir()
    (root / "seeds" / "s1.txt").write_text(f"{ELDER}\n{BUSINESS}\n", encoding="utf-8")
    with open(root / "labels" / "seeds.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["id", "text_sha", "labels", "kind", "text"])
        writer.writerow(["s1:0", text_sha(ELDER), f"{E};{V}", "body", ELDER])
        writer.writerow(["s1:1", text_sha(BUSINESS), B, "body", BUSINESS])
    if dev:
        raw = root / "data" / "real" / "raw"
        raw.mkdir(parents=True)
        (raw / "d1.txt").write_text(f"社区新闻\n{DEV_TEXT}\n", encoding="utf-8")
        rows = [("d1", 0, "社区新闻", "heading", "none"), ("d1", 1, DEV_TEXT, "body", R), ("d2", 0, DEV_GONE, "body", EV)]
        (root / "labels" / "dev_manifest.csv").write_text(
            "doc,index,sha256,length,kind,labels\n" + "".join(
                f"{doc},{i},{hashlib.sha256(t.encode('utf-8')).hexdigest()},{len(t)},{kind},{labels}\n"
                for doc, i, t, kind, labels in rows), encoding="utf-8")
    return root


def drop_a_signal(signum) -> None:
    """Run the command line's handler for ``signum`` inside a finaliser, as Python runs one for a signal that arrives
    while a ``__del__`` (a weakref or gc callback) runs: its exception is dropped, and the CLI keeps it."""
    from tagger.apps import outcome

    handler = outcome.on_sigterm if signum == signal.SIGTERM else outcome.on_sigint

    class Finalised:
        def __del__(self):
            handler(signum, None)  # as the handler runs inside a finaliser: its exception is dropped

    Finalised()
    assert outcome.Run.dropped is not None  # the CLI kept it


def serve_after_a_dropped_signal(monkeypatch, signum, before=None) -> None:
    """Make ``WebServer.serve_forever`` (``tagger review`` / ``serve``) call ``before(server)`` if given, then run the
    signal handler for ``signum`` inside a finaliser — where Python drops its exception — and serve; a server that
    serves on fails the test (a 60 s watchdog ends it) instead of hanging."""
    import threading

    from tagger.apps import web

    real_serve = web.WebServer.serve_forever

    def serve(self, *args, **kwargs):
        if before is not None:
            before(self)
        drop_a_signal(signum)
        watchdog = threading.Timer(60, self.shutdown)
        watchdog.start()
        try:
            real_serve(self, poll_interval=0.01)
        finally:
            watchdog.cancel()
        raise AssertionError("served on after the dropped signal")

    monkeypatch.setattr(web.WebServer, "serve_forever", serve)


def close_after_a_dropped_signal(monkeypatch, signum, under_way=False, before=None) -> None:
    """Make ``WebServer.serve_forever`` (``tagger review`` / ``serve``) call ``before(server)`` if given, then stop as
    on Ctrl-C, and ``WebServer.server_close`` run the signal handler for ``signum`` inside a finaliser first (the
    signal arrives as the page stops: :func:`drop_a_signal`); ``under_way``: with a request under way that does not
    end (a 60 s watchdog ends it, so that a wait the signal does not stop fails the test instead of hanging)."""
    import threading

    from tagger.apps import web

    real_close = web.WebServer.server_close

    def serve(self, *args, **kwargs):
        if before is not None:
            before(self)
        raise KeyboardInterrupt  # the user's Ctrl-C

    def close(self):
        watchdog = threading.Timer(60, self._end)
        if under_way:
            assert self._begin()
            watchdog.start()
        drop_a_signal(signum)
        try:
            real_close(self)
        finally:
            watchdog.cancel()

    monkeypatch.setattr(web.WebServer, "serve_forever", serve)
    monkeypatch.setattr(web.WebServer, "server_close", close)
