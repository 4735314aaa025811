"""The review page: a small local web app to tag a report, correct its labels and save them.

``tagger serve [--port 8765] [--host 127.0.0.1] [--model PATH] [--root .]`` starts a
:class:`http.server.ThreadingHTTPServer` (standard library only) serving one plain HTML/JS page
(no build step) and a JSON API:

* ``GET /`` — the page (``/app.js``, ``/app.css``); ``GET /api/info`` — labels, thresholds, limits;
* ``POST /api/tag`` — ``{"text": ..., "report": optional name (text or a whole number)}`` (``application/json``)
  → paragraphs with predicted labels, scores, evidence terms, highlight segments and what is already labelled;
* ``POST /api/upload?name=FILE.txt`` — the raw bytes of a ``.txt`` (or Word ``.docx``, or saved web page ``.html``) report → the same as
  ``/api/tag``;
* ``POST /api/save`` — ``{"rows": [{"id", "text", "text_sha", "labels": [...]}], "update": bool}`` →
  :func:`tagger.annotation.labelfiles.import_rows` (the same validated import as ``tagger labels import``).

Safety: binds 127.0.0.1 by default (the page has no login); requests whose ``Host`` is not this
loopback address are refused (DNS rebinding) and so are cross-origin ``POST`` s; reports are
size-limited (2 MB by default) and must be text (``.txt``, decoded by
:func:`tagger.common.files.decode_bytes`; a saved web page ``.html`` too, its markup parsed, never run or
fetched: :func:`tagger.text.report.html_to_text`) or a Word ``.docx`` file (its paragraphs,
:func:`tagger.common.files.read_docx_text`: parsed only); the page builds its DOM with ``textContent`` only, and a
Content-Security-Policy forbids inline script. One request tags at most :data:`MAX_PARAGRAPHS` lines
(the rest of a longer report is left out, and the answer says so), so no request holds the model
for long; text with lone surrogates is answered (they become U+FFFD), and a client that hangs up
mid-request is logged at DEBUG, without a traceback.

Example:
    >>> server = make_server(model, ".", port=0)  # doctest: +SKIP
    >>> threading.Thread(target=server.serve_forever, daemon=True).start()  # doctest: +SKIP
    >>> server.url  # doctest: +SKIP
    'http://127.0.0.1:50123/'
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..annotation.labelfiles import check_project, import_rows
from ..common.cells import report_id_of
from ..common.files import (LONE_SURROGATE, PAGE_FONTS, PAGE_SUFFIXES, REPORT_SUFFIXES, decode_report, describe_tab_table,
                            replace_surrogates, tab_table_header, warnings_once)
from ..common.terminal import terminal_safe
from ..data.examples import load_training_data, text_keys, text_sha
from ..errors import DecodeError, InputError, LabelFileError
from ..labels import LABEL_NAMES, LABELS
from ..model.rules import NAMES_NO_UTILITY, outside_power_sector
from ..pipeline import split_report, tag_paragraphs
from ..text.normalize import decode_entities_at, normalize_many, paragraph_lines
from ..text.report import mojibake_note, one_line_note
from .web import SENT, UnsupportedMedia, WebServer, bind

if TYPE_CHECKING:
    from ..model.tagger import Tagger

__all__ = ["DEFAULT_MAX_BYTES", "MAX_PARAGRAPHS", "ReviewApp", "make_server", "report_name",
           "decode_upload", "upload_name_problem", "char_forms", "highlight_segments", "PAGE_HTML", "PAGE_JS", "PAGE_CSS"]

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
MAX_PARAGRAPHS = 2000
"""Most report lines tagged (and rows saved) per request: a 2 MB report of short lines would otherwise
keep the model busy for minutes."""
_NAME_BAD = re.compile(r"[^\w.\-()+ ]+")


# --------------------------------------------------------------------------- pure helpers
def report_name(name: str | None, text: str, uploaded: bool = False) -> str:
    """A safe report id: ``name`` without a report file's extension (characters other than letters, digits,
    ``. - ( ) + _`` and spaces, ``/``, ``\\`` and ``:`` among them, replaced by ``_``, at most 80), else
    ``web_`` + a hash of ``text`` (so the same pasted report always gets the same paragraph ids). A typed name
    keeps all of its text (``甲公司 2024/5/12 敬老院`` and ``乙公司 2024/5/12 敬老院`` are two reports); an
    uploaded file's name (``uploaded``) loses its folders first.

    Example:
        >>> report_name("甲公司 2024/5/12 敬老院", ""), report_name("", "abc"), report_name("页面.HTM", "")
        ('甲公司 2024_5_12 敬老院', 'web_ba7816bf8f01', '页面')
        >>> report_name("../新报告:1.txt", "", uploaded=True)
        '新报告_1'
    """
    stem = ""
    if name:
        base = re.split(r"[\\/]", name.strip())[-1] if uploaded else name.strip()
        base = next((base[:-len(s)] for s in REPORT_SUFFIXES if base.lower().endswith(s)), base)
        stem = _NAME_BAD.sub("_", base).strip(" ._")[:80].strip(" ._")
    return stem or "web_" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:12]


def upload_name_problem(name: str) -> str | None:
    """Why a file of this name cannot be uploaded (only ``.txt``, Word ``.docx`` and saved web page ``.html``
    reports can), or ``None``.

    Example:
        >>> upload_name_problem("r.DOCX") is None, upload_name_problem("r.pdf")[:40]
        (True, 'r.pdf: only .txt (plain text), .docx (Wo')
    """
    if name.lower().endswith(REPORT_SUFFIXES):
        return None
    return (f"{name or 'upload'}: only .txt (plain text), .docx (Word) or .html (a saved web page) reports can be "
            "uploaded; save the report as a .txt file (UTF-8) or paste its text")


def too_large_upload(name: str, size: int | None, max_bytes: int) -> str:
    """What an upload over ``max_bytes`` is told: a saved page to save the story as text, a report to be split."""
    return (f"{name}: {'' if size is None else f'{size} bytes is '}over the limit of {max_bytes} bytes; " + (
        "a saved page holds its scripts and styles too: save it as text (.txt) or copy the story's text into "
        "the box" if name.lower().endswith(PAGE_SUFFIXES) else "split the report"))


UPLOAD_XML_FACTOR = 16
"""An uploaded Word file's document part may unpack to this many times the upload limit (its markup around the
text: a 2 MB limit takes 32 MiB of XML); more is refused before it is parsed."""


def decode_upload(data: bytes, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Check and decode an uploaded report: ``.txt``, Word ``.docx`` or a saved page ``.html``, at most
    ``max_bytes``; decoded as every file of the package is (:func:`tagger.common.files.decode_report`: text as UTF-8, a UTF-16/32 byte-order
    mark, else GB18030; a page in the encoding its ``<meta>`` declares; a ``.docx`` file's paragraphs).

    Raises:
        InputError: saying what was wrong and what to upload instead.

    Example:
        >>> decode_upload("第一段。\\r\\n第二段。".encode("gb18030"), "r.txt")
        '第一段。\\n第二段。'
    """
    problem = upload_name_problem(name)
    if problem:
        raise InputError(problem)
    if len(data) > max_bytes:
        raise InputError(too_large_upload(name, len(data), max_bytes))
    try:
        # as tag reads the file (a page in the encoding its <meta> declares); a Word file's document part refused
        # before it is parsed when it unpacks to far more than its limit's text (a zip bomb under the upload limit)
        with warnings_once():  # each upload a run of its own: its doubt said, though an earlier one said it too
            text = decode_report(data, name, max_xml=UPLOAD_XML_FACTOR * max_bytes)
    except DecodeError as exc:  # its fix names --encoding, which the page has not
        raise InputError(f"{exc.problem}; save the file as UTF-8 text and upload it again, or paste its text into "
                         "the box") from None
    if name.lower().endswith(".docx") and len(text.encode("utf-8", "replace")) > max_bytes:  # unpacked: larger
        raise InputError(f"{name}: its text is over the limit of {max_bytes} bytes; split the report")
    return text


def char_forms(chars: Iterable[str]) -> dict[str, str]:
    """The normalised form of each distinct character (:func:`tagger.text.normalize.normalize_many`,
    one call), lower-cased as the features are: what an evidence term is matched against.

    Example:
        >>> char_forms("國Ａ ")
        {' ': '', '國': '国', 'Ａ': 'a'}
    """
    distinct = sorted(set(chars))
    return {ch: form.lower() for ch, form in zip(distinct, normalize_many(distinct))}


def highlight_segments(text: str, evidence: dict[str, list[str]], forms: dict[str, str] | None = None,
                       read: tuple[str, list[int]] | None = None) -> list[dict]:
    """Split ``text`` into segments marked with the labels whose evidence terms they contain.

    Evidence terms come from normalised text (simplified, half-width, lower-cased; a word pair joined
    by a space), so each part of a term is searched in a copy of ``text`` built from the normalised
    form of each of its characters (:func:`char_forms`) and mapped back to the original characters (a
    space or invisible character the normaliser drops inside a match is marked with it).

    Args:
        text: the original paragraph.
        evidence: terms per label (:meth:`tagger.model.tagger.Tagger.evidence`).
        forms: :func:`char_forms` of (at least) the characters of ``text`` as read, its character references
            decoded (:func:`~tagger.text.normalize.decode_entities`), to share one call among many paragraphs;
            computed here if omitted.
        read: :func:`~tagger.text.normalize.decode_entities_at` of ``text`` when the caller has it already (it read
            the characters for ``forms``), so a paragraph is decoded once; computed here if omitted.

    Returns:
        ``[{"text": str, "labels": [label, ...]}, ...]``; concatenating the texts gives ``text``.

    Example:
        >>> [(s["text"], s["labels"]) for s in highlight_segments("為孤寡老人檢查", {"elderly_care": ["孤寡老人"]})]
        [('為', []), ('孤寡老人', ['elderly_care']), ('檢查', [])]
    """
    if not text:
        return []
    if not any(evidence.values()):  # nothing to mark (a paragraph without labels): no forms needed
        return [{"text": text, "labels": []}]
    # read as the features read it (tagger.text.normalize): a character reference (孤寡&nbsp;老人) as what it stands
    # for, marked whole; at[k]: where the k-th character read starts in text (for a reference's, at its "&")
    read, at = decode_entities_at(text) if read is None else read
    if forms is None or not set(read) <= forms.keys():
        forms = char_forms(read)
    folded, index = [], []
    for k, ch in enumerate(read):
        form = forms[ch]
        folded.append(form)
        index.extend([k] * len(form))
    norm = "".join(folded)
    marks: list[set[str]] = [set() for _ in text]
    for label, terms in evidence.items():
        for term in terms:
            for part in str(term).lower().split():
                start = norm.find(part)
                while start != -1:  # from the first to the last original unit of the match, dropped ones included
                    last = at[index[start + len(part) - 1]]
                    for i in range(at[index[start]], at[bisect.bisect_right(at, last)]):  # the last unit's end
                        marks[i].add(label)
                    start = norm.find(part, start + len(part))
    segments: list[dict] = []
    for ch, mark in zip(text, marks):
        labels = [lab for lab in LABELS if lab in mark]
        if segments and segments[-1]["labels"] == labels:
            segments[-1]["text"] += ch
        else:
            segments.append({"text": ch, "labels": labels})
    return segments


def _first_lines(text: str, limit: int) -> tuple[str, int]:
    """``text`` cut after its ``limit``-th non-blank line, and how many non-blank lines it has.
    Paragraph ids count non-blank lines (a long line split at paragraph indents counts each part, and a cut at a
    line's end leaves those parts as they are), so the kept paragraphs keep the ids of the whole report."""
    lines = paragraph_lines(text, keepends=True)  # the lines the report is split at
    kept, count = [], 0
    for line in lines:
        if line.strip():
            count += 1
            if count > limit:
                continue
        if count <= limit:
            kept.append(line)
    return ("".join(kept) if count > limit else text), count


# --------------------------------------------------------------------------- application
class ReviewApp:
    """What the page can do: tag a report, save labels. Thread-safe; no HTTP in here.

    Args:
        model: a fitted :class:`~tagger.model.tagger.Tagger`.
        root: project checkout whose ``labels/imported.jsonl`` receives the labels.
        max_bytes: largest report accepted (pasted or uploaded), in bytes.
        model_name: shown on the page.
        max_paragraphs: most report lines tagged per request.

    Raises:
        LabelFileError: if ``root`` is not a project checkout.
    """

    def __init__(self, model: Tagger, root: str | Path = ".", max_bytes: int = DEFAULT_MAX_BYTES,
                 model_name: str = "", max_paragraphs: int = MAX_PARAGRAPHS) -> None:
        self.model, self.root, self.max_bytes, self.model_name = model, check_project(root), max_bytes, model_name
        self.max_paragraphs = max_paragraphs
        self.too_large_hint = f" (a report's text may hold at most {max_bytes} bytes); split the report"
        self._model_lock = threading.Lock()

    def info(self) -> dict:
        """Labels, names, thresholds and limits for the page."""
        return {"labels": list(LABELS), "names": LABEL_NAMES, "max_bytes": self.max_bytes,
                "max_paragraphs": self.max_paragraphs,
                "thresholds": {lab: round(float(t), 4) for lab, t in zip(LABELS, self.model.thresholds_)},
                "model": self.model_name, "root": str(self.root)}

    def tag(self, text: str, name: str | None = None, uploaded: bool = False) -> dict:
        """Tag a report: every paragraph with labels, scores, evidence, highlight segments, and
        ``known`` (the paragraph labelled already with the same text as the model reads it,
        :func:`~tagger.data.examples.text_keys`: a copy in traditional script or with full-width letters is it — its
        source, id, labels, text and ``text_sha``, under which the page saves it) or ``duplicate_of`` (a text repeated
        in the report, as the model reads it).
        ``notices`` says what was changed or left out (lone surrogates replaced, lines beyond
        ``max_paragraphs`` not tagged) or is in doubt (one long line read as one paragraph: its line breaks lost?
        text that reads as mojibake). The report id is :func:`report_name` of ``name``: a typed name, or an
        uploaded file's (``uploaded``).

        Raises:
            InputError: for an empty, binary or oversized report, or a table pasted as one.
        """
        if not isinstance(text, str) or not text.strip():
            raise InputError("the report is empty; paste its text or upload a .txt, .docx or .html file")
        notices = []
        text, bad = replace_surrogates(text)
        if bad:
            notices.append(f"{bad} invalid character(s) (lone UTF-16 surrogates) were replaced by \ufffd")
        if len(text.encode("utf-8")) > self.max_bytes:
            raise InputError(f"the report is over the limit of {self.max_bytes} bytes; split it")
        if "\x00" in text:
            raise InputError("the report contains NUL characters; paste plain text")
        # rows copied from a spreadsheet would be tagged as one report, ids as headings; a Word file's data table is
        # its own (read_docx_text joins a row's cells with tabs)
        docx = bool(name) and str(name).lower().endswith(".docx")
        header = None if docx else tab_table_header(text)
        if header:
            columns, how = describe_tab_table(header)
            raise InputError(f"{columns}, not a report's text: paste one report's text here; to tag one report per "
                             f"row, save the sheet as a .tsv file and run tagger tag FILE.tsv{how}")
        doc = report_name(LONE_SURROGATE.sub("_", name) if name else name, text, uploaded)
        text, lines = _first_lines(text, self.max_paragraphs)
        if lines > self.max_paragraphs:
            notices.append(f"the report has {lines} lines; only the first {self.max_paragraphs} were tagged "
                           f"(at most {self.max_paragraphs} per request): split the report to tag the rest")
        with self._model_lock, warnings_once():  # a request a run of its own: its notes said (read as HTML …)
            read = split_report(text, doc)  # as tag_report reads it (doc is a safe id: report_name)
            results = tag_paragraphs(self.model, read)
        # said in the server's log too: the page's user sees no log
        if len(results) == 1 and lines == 1 and (note := one_line_note(doc, results[0].text)):
            notices.append(f"{note} — on this page: paste or upload the report with its line breaks")
        if note := mojibake_note(doc, text):
            notices.append(f"{note} — on this page: paste or upload it as it reads in Chinese")
        # the rule's note goes to the log, which the page's user does not see: a silenced report looks like no service
        if self.model.require_power_sector and read and outside_power_sector(
                [p.norm for p in read], [doc] * len(read), [bool(p.norm) and p.kind == "body" for p in read]).any():
            notices.append(f"{doc}: {NAMES_NO_UTILITY}: the codebook counts only a power utility's services, so it "
                           "gets no label")
        # a paragraph labelled already, or repeated, is one by its text as the model reads it (text_keys): a copy in
        # traditional script or with full-width letters is the paragraph labelled (saved as it: its id and text)
        examples = load_training_data(self.root, use_authored=True)
        known = {}
        for ex, key in zip(examples, text_keys(examples)):
            known.setdefault(key, ex)
        # one paragraph at a time, each with evidence decoded once (its character references): the forms of the
        # characters no paragraph before it had (one normaliser call for them; most paragraphs add none), and its
        # highlights read the same decoded text and offsets, dropped before the next paragraph is read
        forms: dict[str, str] = {}
        first: dict[str, str] = {}
        paragraphs = []
        for r, key in zip(results, text_keys(results)):
            read = decode_entities_at(r.text) if r.evidence else None
            if read is not None and (new := set(read[0]) - forms.keys()):
                forms.update(char_forms(new))
            ex = known.get(key)
            paragraphs.append({
                **r.to_dict(), "text_sha": text_sha(r.text),
                "segments": highlight_segments(r.text, r.evidence, forms, read),
                "known": {"source": ex.source, "id": ex.id, "labels": list(ex.labels), "text": ex.text,
                          "text_sha": text_sha(ex.text)} if ex else None,
                "duplicate_of": first.get(key) if r.kind == "body" else None})
            if r.kind == "body":
                first.setdefault(key, r.id)
        return {"report": doc, "paragraphs": paragraphs, "notices": notices}

    # ---- HTTP routes (tagger.apps.web routes the requests)
    @property
    def static(self) -> dict[str, tuple[str, str]]:
        return {"/": (PAGE_HTML, "text/html; charset=utf-8"), "/app.js": (PAGE_JS, "text/javascript; charset=utf-8"),
                "/app.css": (PAGE_CSS, "text/css; charset=utf-8")}

    @property
    def get_routes(self) -> dict[str, Callable[[dict], object]]:
        return {"/api/info": lambda query: self.info()}

    @property
    def post_routes(self) -> dict[str, Callable[[object], object]]:
        return {"/api/tag": self.tag_request, "/api/save": self.save}

    @property
    def raw_routes(self) -> dict[str, Callable[[dict, Callable], object]]:
        return {"/api/upload": self.upload}

    def tag_request(self, payload: object) -> dict:
        """``POST /api/tag``: ``{"text": "...", "report": "name"}`` tagged (:meth:`tag`)."""
        if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
            raise InputError('expected {"text": "...", "report": "name"}')
        given = payload.get("report")
        name = None if given is None else report_id_of(given)  # a whole number as its digits, as tag(doc=) reads it
        if given is not None and name is None:
            raise InputError(f'"report" is a name (text) or a whole number, not {type(given).__name__} '
                             f'{terminal_safe(repr(given)[:40])}; leave it out to have one made')
        return self.tag(payload["text"], name)

    def upload(self, query: dict, read_body: Callable) -> dict | object:
        """``POST /api/upload?name=FILE``: the file's own bytes, read (at most :attr:`max_bytes`) and tagged;
        :data:`~tagger.apps.web.SENT` when the body was refused (answered already)."""
        name = (query.get("name") or [""])[0]
        problem = upload_name_problem(name)
        if problem:  # said before the body is read
            raise UnsupportedMedia(problem)
        data = read_body(self.max_bytes, too_large_upload(name, None, self.max_bytes))
        if data is None:
            return SENT
        with warnings_once() as doubts:  # the file's encoding in doubt: said on the page too (its user sees no log)
            text = decode_upload(data, name, self.max_bytes)
            result = self.tag(text, name, uploaded=True)  # one run: read and tagged
        result["notices"][:0] = [f"{terminal_safe(doubt)} — on this page: save the file as UTF-8 and upload it again, "
                                 "or paste its text" for doubt in doubts]  # the file's name as a message shows it
        return result

    def save(self, payload: object) -> dict:
        """Save reviewed rows through :func:`tagger.annotation.labelfiles.import_rows`.

        Raises:
            LabelFileError: for a malformed request or any invalid row (nothing is written).
        """
        if not isinstance(payload, dict) or not isinstance(payload.get("rows"), list):
            raise LabelFileError('review page: expected {"rows": [...], "update": false}')
        rows = payload["rows"]
        if not rows:
            raise LabelFileError("review page: no reviewed paragraphs to save; tick labels or mark paragraphs "
                                 "reviewed first")
        if len(rows) > self.max_paragraphs:
            raise LabelFileError(f"review page: {len(rows)} rows; save at most {self.max_paragraphs} at a time")
        if not all(isinstance(r, dict) for r in rows):
            raise LabelFileError("review page: every row must be an object")
        update = payload.get("update", False)
        if not isinstance(update, bool):
            raise LabelFileError('review page: "update" must be true or false')
        result = import_rows(rows, self.root, update=update, source="review page")
        return {"ok": True, "summary": result.summary(), "path": str(result.path), "added": result.added,
                "updated": result.updated, "unchanged": result.unchanged, "conflicts": result.conflicts,
                "already_labelled": [list(x) for x in result.already_labelled],
                "disagreements": [list(x) for x in result.disagreements],
                "not_reviewed": len(result.not_reviewed)}


def make_server(model: Tagger, root: str | Path = ".", host: str = "127.0.0.1", port: int = 8765,
                max_bytes: int = DEFAULT_MAX_BYTES, model_name: str = "",
                max_paragraphs: int = MAX_PARAGRAPHS) -> WebServer:
    """Create (bind, not start) the review server; call ``serve_forever()`` on it.

    Args:
        model: a fitted :class:`~tagger.model.tagger.Tagger`.
        root: project checkout (labels go to ``root/labels/imported.jsonl``).
        host: address to bind; ``127.0.0.1`` by default (the page has no login).
        port: port; 0 picks a free one (see :attr:`tagger.apps.web.WebServer.url`).
        max_bytes: largest report accepted.
        model_name: shown on the page.
        max_paragraphs: most report lines tagged per request.

    Raises:
        LabelFileError: if ``root`` is not a project checkout.
        InputError: if the address cannot be bound (e.g. the port is in use).
    """
    app = ReviewApp(model, root, max_bytes, model_name, max_paragraphs)
    _check_labels_writable(Path(root))
    return bind(app, host, port)


def _check_labels_writable(root: Path) -> None:
    """Refuse a checkout whose ``labels/`` folder takes no new file before the page opens: else the reviewer
    learns it only when a report's labels are saved (:func:`tagger.common.atomic.unwritable`).

    Raises:
        LabelFileError: naming the folder and the fix for the cause (:func:`tagger.common.atomic.write_fix`: the
            folder's permissions, a read-only file system …, or another ``--root``).
    """
    from ..common.atomic import unwritable, write_fix

    folder = root / "labels"
    problem = unwritable(folder / "imported.jsonl")
    if problem is not None:
        raise LabelFileError(f"{folder}: no file can be written there ({problem.strerror}), so the page could not "
                             f"save labels; {write_fix(problem.errno, 'start it with another --root')}")


# --------------------------------------------------------------------------- the page
PAGE_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tagger · review labels</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1>tagger · review labels</h1>
  <p id="model-info" class="muted"></p>
</header>
<main>
<section id="input-section">
  <h2>1. A report</h2>
  <p><label for="report-name">Report name</label>
     <input id="report-name" type="text" maxlength="80" placeholder="optional: file name without .txt">
  </p>
  <textarea id="report-text" rows="10" placeholder="Paste a report here: one paragraph per line"></textarea>
  <p class="actions">
    <button id="tag-btn" type="button">Tag pasted text</button>
    <span class="or">or</span>
    <input id="upload" type="file" accept=".txt,.docx,.html,.htm,text/plain,text/html">
    <label for="upload" class="upload">upload a .txt, .docx or .html report</label>
    <span id="limit" class="muted"></span>
  </p>
</section>
<p id="status" role="status" aria-live="polite"></p>
<section id="results-section" hidden>
  <h2>2. Check the labels</h2>
  <p class="muted">Ticked = the model's labels (or the labels saved earlier). Tick or untick to correct;
  a paragraph you change is marked reviewed. Only reviewed paragraphs are saved (unticking everything saves
  "no label"). Highlighted words are the evidence behind a predicted label; numbers are score / threshold.</p>
  <div class="toolbar">
    <strong id="report-id"></strong>
    <button id="review-all" type="button">Mark all reviewed</button>
    <label><input id="update" type="checkbox"> overwrite labels saved earlier</label>
    <button id="save-btn" type="button">Save reviewed paragraphs</button>
    <span id="save-status" role="status" aria-live="polite"></span>
  </div>
  <ol id="paragraphs"></ol>
</section>
</main>
<script src="/app.js"></script>
</body>
</html>
"""

PAGE_CSS = "\nbody { font-family: " + PAGE_FONTS + """; margin: 0 auto;
       max-width: 60rem; padding: 1rem; line-height: 1.5; color: #1b1b1b; overflow-wrap: break-word; }
h1 { font-size: 1.4rem; margin: 0; } h2 { font-size: 1.1rem; }
.muted { color: #555; font-size: 0.9rem; }
textarea { width: 100%; box-sizing: border-box; font: inherit; }
input[type=text] { width: 20rem; max-width: 100%; }
.actions, .toolbar { display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; }
.toolbar { position: sticky; top: 0; background: #fff; padding: 0.5rem 0; border-bottom: 1px solid #ddd; }
.upload { border: 1px solid #767676; border-radius: 3px; padding: 0.25rem 0.75rem; cursor: pointer; }
#upload { position: absolute; width: 1px; height: 1px; opacity: 0; overflow: hidden; }
#upload:focus + .upload { outline: 2px solid #1a5fb4; outline-offset: 2px; }
button { font: inherit; padding: 0.25rem 0.75rem; cursor: pointer; }
#status { min-height: 1.5rem; white-space: pre-wrap; }
#save-status { flex-basis: 100%; white-space: pre-wrap; } #save-status:empty { display: none; }
#status.error, #save-status.error { color: #a40000; font-weight: bold; }
#status.ok, #save-status.ok { color: #1c6b1c; }
#paragraphs { padding-left: 0; list-style: none; }
.para { border: 1px solid #ccc; border-radius: 6px; padding: 0.5rem 0.75rem; margin: 0.75rem 0; }
.para.reviewed { border-color: #1c6b1c; box-shadow: inset 4px 0 0 #1c6b1c; }
.para.saved { background: #f3fbf3; }
.para.kept { border-color: #a40000; box-shadow: inset 4px 0 0 #a40000; background: #fff5f5; }
.para.heading, .para.caption { background: #f6f6f6; color: #555; }
.meta { font-size: 0.8rem; color: #555; display: flex; gap: 0.75rem; flex-wrap: wrap; }
.text { margin: 0.35rem 0; white-space: pre-wrap; }
mark.ev { background: #ffe58a; padding: 0 1px; }
.labels { display: flex; gap: 0.4rem 1rem; flex-wrap: wrap; font-size: 0.9rem; }
.labels label { white-space: nowrap; }
.labels .predicted .name { font-weight: bold; }
.score { color: #555; font-variant-numeric: tabular-nums; }
.note { font-size: 0.85rem; color: #6b4d00; }
"""

PAGE_JS = r"""
"use strict";
// Every piece of report text goes into the page through textContent / text nodes, never parsed as HTML.
const state = { labels: [], names: {}, thresholds: {}, maxBytes: 0, report: null, items: [] };
const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-") || key === "title" || key === "for") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);  // strings become text nodes
  return node;
}

function status(message, kind, where) {
  const box = $(where || "status");
  box.textContent = message;
  box.className = kind || "";
}
// What a save did is said in the toolbar, which stays on screen: a reviewer who saves from the 30th paragraph
// sees it there (the status line at the top of the page would be scrolled away).
const saveStatus = (message, kind) => status(message, kind, "save-status");

async function api(path, body, contentType) {
  let response;
  try { response = await fetch(path, { method: "POST", headers: { "Content-Type": contentType }, body }); }
  catch (e) { throw new Error(`no answer from tagger serve (was it stopped?): ${e.message}`); }
  let data;
  try { data = await response.json(); } catch (e) { data = { error: "HTTP " + response.status }; }
  if (!response.ok) throw new Error(data.error || ("HTTP " + response.status));
  return data;
}

async function loadInfo() {
  const response = await fetch("/api/info");
  const info = await response.json();
  state.labels = info.labels; state.names = info.names; state.thresholds = info.thresholds;
  state.maxBytes = info.max_bytes;
  $("model-info").textContent = "model: " + (info.model || "(in memory)") + " · labels saved to " +
    info.root + "/labels/imported.jsonl";
  const kb = info.max_bytes / 1024;  // --max-mb 0.01: "10 KB", not "0.0 MB"
  $("limit").textContent = "(text only, at most " +
    (kb < 1024 ? Math.floor(kb) + " KB" : (kb / 1024).toFixed(1) + " MB") + ")";
}

function setReviewed(item, value) {
  item.reviewed = value;
  item.node.classList.toggle("reviewed", value);
  if (item.reviewedBox) item.reviewedBox.checked = value;
}

function renderParagraph(p) {
  const item = { p, node: null, boxes: {}, reviewed: false, reviewedBox: null, editable: false };
  const li = el("li", { class: "para " + p.kind, "data-id": p.id });
  item.node = li;
  const meta = el("div", { class: "meta" }, el("span", { class: "pid", text: p.id }));
  if (p.kind !== "body") meta.append(el("span", { class: "kind", text: "[" + p.kind + "]" }));
  li.append(meta);
  const text = el("div", { class: "text" });
  for (const seg of p.segments) {
    if (seg.labels.length) text.append(el("mark", { class: "ev", title: "evidence: " + seg.labels.join(", "),
                                                      text: seg.text }));
    else text.append(document.createTextNode(seg.text));
  }
  li.append(text);
  if (p.kind === "heading" || p.kind === "caption") {
    li.append(el("div", { class: "note", text: p.kind + ": carries no label (codebook)" }));
    return item;
  }
  if (p.duplicate_of) {
    li.append(el("div", { class: "note", text: "same text as " + p.duplicate_of + " above" }));
    return item;
  }
  const initial = p.known ? p.known.labels : p.labels;
  item.editable = !p.known || p.known.source === "imported";
  if (p.known) {
    li.append(el("div", { class: "note", text: "already labelled (" + p.known.source + " " + p.known.id + "): " +
      (p.known.labels.join(", ") || "none") + (item.editable ? "" : " · edit that label file to change it") }));
  }
  const box = el("div", { class: "labels" });
  for (const label of state.labels) {
    const input = el("input", { type: "checkbox", checked: initial.includes(label), disabled: !item.editable,
                                "data-label": label });
    input.addEventListener("change", () => { setReviewed(item, true); li.classList.remove("saved", "kept"); });
    item.boxes[label] = input;
    const score = p.scores[label];
    const wrap = el("label", { class: p.labels.includes(label) ? "predicted" : "",
                               title: state.names[label] || label },
      input, " ", el("span", { class: "name", text: label }), " ",
      el("span", { class: "score", text: score.toFixed(2) + " / " + state.thresholds[label].toFixed(2) }));
    box.append(wrap);
  }
  li.append(box);
  if (item.editable) {
    const reviewed = el("input", { type: "checkbox", class: "reviewed-box" });
    reviewed.addEventListener("change", () => setReviewed(item, reviewed.checked));
    item.reviewedBox = reviewed;
    li.append(el("label", { class: "meta" }, reviewed, " reviewed: save this paragraph"));
  }
  return item;
}

function render(data) {
  state.report = data.report;
  $("report-id").textContent = "report " + data.report + " · " + data.paragraphs.length + " paragraphs";
  const list = $("paragraphs");
  list.replaceChildren();
  state.items = data.paragraphs.map(renderParagraph);
  saveStatus("");
  for (const item of state.items) list.append(item.node);
  $("results-section").hidden = false;
  const notes = (data.notices || []).join("; ");
  status((data.paragraphs.length ? "Tagged " + data.paragraphs.length + " paragraphs." :
          "No paragraphs found in this report.") + (notes ? " Note: " + notes + "." : ""), "ok");
}

async function tagText() {
  const text = $("report-text").value;
  if (!text.trim()) { status("Paste a report first.", "error"); return; }
  if (new Blob([text]).size > state.maxBytes) { status("The report is over the size limit; split it.", "error"); return; }
  status("Tagging…");
  try {
    render(await api("/api/tag", JSON.stringify({ text, report: $("report-name").value }), "application/json"));
  } catch (e) { status("Error: " + e.message, "error"); }
}

async function upload() {
  const file = $("upload").files[0];
  if (!file) return;
  if (!/\.(txt|docx|html?)$/i.test(file.name)) { status("Only .txt, .docx or .html reports can be uploaded.", "error"); return; }
  if (file.size > state.maxBytes) { status(/\.html?$/i.test(file.name) ? "The page is over the size limit (a saved "
    + "page holds its scripts and styles too): save it as text (.txt) or paste the story's text into the box."
    : "The file is over the size limit; split it.", "error"); return; }
  status("Uploading…");
  try {
    const data = await api("/api/upload?name=" + encodeURIComponent(file.name), file,
                           /\.docx$/i.test(file.name) ? "application/octet-stream" : "text/plain");
    $("report-name").value = data.report;
    render(data);
  } catch (e) { status("Error: " + e.message, "error"); }
  $("upload").value = "";
}

async function save() {
  // A paragraph imported earlier (maybe under another report name, or a copy in another script) is saved as it: its
  // existing id and text.
  const rows = state.items.filter((it) => it.editable && it.reviewed).map((it) => ({
    id: it.p.known ? it.p.known.id : it.p.id, text: it.p.known ? it.p.known.text : it.p.text,
    text_sha: it.p.known ? it.p.known.text_sha : it.p.text_sha,
    labels: state.labels.filter((label) => it.boxes[label].checked) }));
  if (!rows.length) { saveStatus("Nothing to save: correct a label or mark paragraphs reviewed first.", "error"); return; }
  saveStatus("Saving…");
  try {
    const result = await api("/api/save", JSON.stringify({ rows, update: $("update").checked }), "application/json");
    const done = new Set([...result.added, ...result.updated, ...result.unchanged]);
    const kept = new Set(result.conflicts || []);  // labels saved earlier differ: left as they were
    for (const it of state.items) {
      const id = it.p.known ? it.p.known.id : it.p.id;
      it.node.classList.toggle("saved", done.has(id));
      it.node.classList.toggle("kept", kept.has(id));
    }
    if (kept.size) saveStatus(`${kept.size} paragraph(s) NOT saved (marked red): labels saved earlier differ; tick ` +
                              "\"overwrite labels saved earlier\" and save again to replace them. " +
                              result.summary.split("\n")[0], "error");
    else saveStatus("Saved. " + result.summary, "ok");
  } catch (e) { saveStatus("Not saved: " + e.message, "error"); }
}

$("tag-btn").addEventListener("click", tagText);
$("upload").addEventListener("change", upload);
$("save-btn").addEventListener("click", save);
$("review-all").addEventListener("click", () => { for (const it of state.items) if (it.editable) setReviewed(it, true); });
loadInfo().catch((e) => status("Cannot reach the server: " + e.message, "error"));
"""
