"""The review page: a small local web app to tag a report, correct its labels and save them.

``tagger serve [--port 8765] [--host 127.0.0.1] [--model PATH] [--root .]`` starts a
:class:`http.server.ThreadingHTTPServer` (standard library only) serving one plain HTML/JS page
(no build step) and a JSON API:

* ``GET /`` — the page (``/app.js``, ``/app.css``); ``GET /api/info`` — labels, thresholds, limits;
* ``POST /api/tag`` — ``{"text": ..., "report": optional name}`` (``application/json``) → paragraphs
  with predicted labels, scores, evidence terms, highlight segments and what is already labelled;
* ``POST /api/upload?name=FILE.txt`` — the raw bytes of a ``.txt`` report → the same as ``/api/tag``;
* ``POST /api/save`` — ``{"rows": [{"id", "text", "text_sha", "labels": [...]}], "update": bool}`` →
  :func:`tagger.annotate.import_rows` (the same validated import as ``tagger labels import``).

Safety: binds 127.0.0.1 by default (the page has no login); requests whose ``Host`` is not this
loopback address are refused (DNS rebinding) and so are cross-origin ``POST`` s; reports are
size-limited (2 MB by default) and must be text (``.txt``, no NUL bytes, UTF-8 or GB18030); the
page builds its DOM with ``textContent`` only, and a Content-Security-Policy forbids inline script.

Example:
    >>> server = make_server(model, ".", port=0)  # doctest: +SKIP
    >>> threading.Thread(target=server.serve_forever, daemon=True).start()  # doctest: +SKIP
    >>> server.url  # doctest: +SKIP
    'http://127.0.0.1:50123/'
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import socket
import threading
import unicodedata
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .annotate import _check_project, import_rows
from .data import load_training_data, text_sha
from .errors import InputError, LabelFileError, TaggerError
from .normalize import to_simplified
from .schema import LABEL_NAMES, LABELS

__all__ = ["DEFAULT_MAX_BYTES", "ReviewApp", "ReviewServer", "make_server", "report_name", "decode_upload",
           "highlight_segments", "PAGE_HTML", "PAGE_JS", "PAGE_CSS"]

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
_JSON_OVERHEAD = 256 * 1024  # JSON escaping and the rows of a save request
_NAME_BAD = re.compile(r"[^\w.\-()+ ]+")
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


# --------------------------------------------------------------------------- pure helpers
def report_name(name: str | None, text: str) -> str:
    """A safe report id: the file stem of ``name`` (characters other than letters, digits and
    ``. - ( ) + _`` and spaces replaced by ``_``, at most 80), else ``web_`` + a hash of ``text`` (so the
    same pasted report always gets the same paragraph ids).

    Example:
        >>> report_name("../新报告:1.txt", ""), report_name("", "abc")
        ('新报告_1', 'web_ba7816bf8f01')
    """
    stem = ""
    if name:
        base = re.split(r"[\\/]", name.strip())[-1]
        if base.lower().endswith(".txt"):
            base = base[:-4]
        stem = _NAME_BAD.sub("_", base).strip(" ._")[:80].strip(" ._")
    return stem or "web_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def decode_upload(data: bytes, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Check and decode an uploaded report: ``.txt``, at most ``max_bytes``, text (UTF-8 or GB18030).

    Raises:
        InputError: saying what was wrong and what to upload instead.
    """
    if not name.lower().endswith(".txt"):
        raise InputError(f"{name or 'upload'}: only plain-text .txt reports can be uploaded; save the report "
                         "as a .txt file (UTF-8) or paste its text")
    if len(data) > max_bytes:
        raise InputError(f"{name}: {len(data)} bytes is over the limit of {max_bytes} bytes; split the report")
    if b"\x00" in data:
        raise InputError(f"{name}: looks like a binary file (NUL bytes); upload a plain-text report")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc).replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError:
            continue
    raise InputError(f"{name}: cannot decode as UTF-8 or GB18030; save it as UTF-8 text")


def _normalised_with_map(text: str) -> tuple[str, list[int]]:
    """NFKC per character (+ traditional → simplified when that keeps the length), with the index of
    the original character behind each character of the result."""
    chars, index = [], []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch):
            chars.append(c)
            index.append(i)
    folded = "".join(chars)
    simplified = to_simplified(folded)
    return (simplified if len(simplified) == len(folded) else folded), index


def highlight_segments(text: str, evidence: dict[str, list[str]]) -> list[dict]:
    """Split ``text`` into segments marked with the labels whose evidence terms they contain.

    Evidence terms come from normalised text (simplified, half-width; word bigrams joined by a
    space), so they are searched in a per-character normalised copy of ``text`` and mapped back.

    Returns:
        ``[{"text": str, "labels": [label, ...]}, ...]``; concatenating the texts gives ``text``.

    Example:
        >>> [(s["text"], s["labels"]) for s in highlight_segments("為孤寡老人檢查", {"elderly_care": ["孤寡老人"]})]
        [('為', []), ('孤寡老人', ['elderly_care']), ('檢查', [])]
    """
    if not text:
        return []
    norm, index = _normalised_with_map(text)
    lower = norm.lower()
    marks: list[set[str]] = [set() for _ in text]
    for label, terms in evidence.items():
        for term in terms:
            for part in str(term).split():
                part = part.lower()
                start = lower.find(part)
                while part and start != -1:
                    for k in range(start, start + len(part)):
                        marks[index[k]].add(label)
                    start = lower.find(part, start + len(part))
    segments: list[dict] = []
    for ch, mark in zip(text, marks):
        labels = [lab for lab in LABELS if lab in mark]
        if segments and segments[-1]["labels"] == labels:
            segments[-1]["text"] += ch
        else:
            segments.append({"text": ch, "labels": labels})
    return segments


# --------------------------------------------------------------------------- application
class ReviewApp:
    """What the page can do: tag a report, save labels. Thread-safe; no HTTP in here.

    Args:
        model: a fitted :class:`~tagger.model.Tagger`.
        root: project checkout whose ``labels/imported.jsonl`` receives the labels.
        max_bytes: largest report accepted (pasted or uploaded), in bytes.
        model_name: shown on the page.
    """

    def __init__(self, model, root: str | Path = ".", max_bytes: int = DEFAULT_MAX_BYTES,
                 model_name: str = "") -> None:
        self.model, self.root, self.max_bytes, self.model_name = model, Path(root), max_bytes, model_name
        _check_project(self.root)
        self._model_lock = threading.Lock()

    def info(self) -> dict:
        """Labels, names, thresholds and limits for the page."""
        return {"labels": list(LABELS), "names": LABEL_NAMES, "max_bytes": self.max_bytes,
                "thresholds": {lab: round(float(t), 4) for lab, t in zip(LABELS, self.model.thresholds_)},
                "model": self.model_name, "root": str(self.root)}

    def tag(self, text: str, name: str | None = None) -> dict:
        """Tag a report: every paragraph with labels, scores, evidence, highlight segments, and
        ``known`` (labels already saved for the same text) or ``duplicate_of`` (repeated text).

        Raises:
            InputError: for an empty, binary or oversized report.
        """
        if not isinstance(text, str) or not text.strip():
            raise InputError("the report is empty; paste its text or upload a .txt file")
        if len(text.encode("utf-8")) > self.max_bytes:
            raise InputError(f"the report is over the limit of {self.max_bytes} bytes; split it")
        if "\x00" in text:
            raise InputError("the report contains NUL characters; paste plain text")
        doc = report_name(name, text)
        with self._model_lock:
            results = self.model.tag(text, doc)
        known = {}
        for ex in load_training_data(self.root, use_authored=True):
            known.setdefault(text_sha(ex.text), ex)
        first: dict[str, str] = {}
        paragraphs = []
        for r in results:
            sha = text_sha(r.text)
            ex = known.get(sha)
            paragraphs.append({
                **r.to_dict(), "text_sha": sha, "segments": highlight_segments(r.text, r.evidence),
                "known": {"source": ex.source, "id": ex.id, "labels": list(ex.labels)} if ex else None,
                "duplicate_of": first.get(sha) if r.kind != "heading" else None})
            if r.kind != "heading":
                first.setdefault(sha, r.id)
        return {"report": doc, "paragraphs": paragraphs}

    def save(self, payload: object) -> dict:
        """Save reviewed rows through :func:`tagger.annotate.import_rows`.

        Raises:
            LabelFileError: for a malformed request or any invalid row (nothing is written).
        """
        if not isinstance(payload, dict) or not isinstance(payload.get("rows"), list):
            raise LabelFileError('review page: expected {"rows": [...], "update": false}')
        rows = payload["rows"]
        if not rows:
            raise LabelFileError("review page: no reviewed paragraphs to save; tick labels or mark paragraphs "
                                 "reviewed first")
        if not all(isinstance(r, dict) for r in rows):
            raise LabelFileError("review page: every row must be an object")
        update = payload.get("update", False)
        if not isinstance(update, bool):
            raise LabelFileError('review page: "update" must be true or false')
        result = import_rows(rows, self.root, update=update, source="review page")
        return {"ok": True, "summary": result.summary(), "path": str(result.path), "added": result.added,
                "updated": result.updated, "unchanged": result.unchanged, "conflicts": result.conflicts,
                "already_labelled": [list(x) for x in result.already_labelled],
                "not_reviewed": len(result.not_reviewed)}


# --------------------------------------------------------------------------- HTTP
class _Handler(BaseHTTPRequestHandler):
    server: ReviewServer
    server_version = "tagger-review"
    timeout = 60  # seconds a client may idle mid-request

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, fmt: str, *args) -> None:  # quiet: requests are logged at DEBUG
        log.debug("%s %s", self.address_string(), fmt % args)

    # ---- responses
    def _headers(self, status: int, ctype: str, length: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Content-Security-Policy",
                         "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                         "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        self.end_headers()

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self._headers(status, ctype, len(body))
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: object) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _error(self, status: int, message: str, close: bool = False) -> None:
        if close:
            self.close_connection = True
        self._json(status, {"error": message})

    # ---- request checks
    def _host_ok(self) -> bool:
        bound = self.server.server_address[0]
        import ipaddress

        try:
            loopback = ipaddress.ip_address(bound).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return True  # the user chose to expose the page
        port = self.server.server_address[1]
        host = (self.headers.get("Host") or "").strip().lower()
        return host in self._allowed_hosts(bound, port)

    @staticmethod
    def _allowed_hosts(bound: str, port: int) -> set[str]:
        hosts = {"127.0.0.1", "localhost", "[::1]", f"[{bound}]" if ":" in bound else bound}
        return {f"{h}:{port}" for h in hosts}

    def _origin_ok(self) -> bool:
        origin = self.headers.get("Origin")
        if origin is None:
            return True
        bound, port = self.server.server_address[0], self.server.server_address[1]
        return origin.removeprefix("http://") in self._allowed_hosts(bound, port) and \
            origin == f"http://{self.headers.get('Host', '')}"

    def _body(self, limit: int) -> bytes | None:
        raw = self.headers.get("Content-Length")
        if raw is None:
            self._error(HTTPStatus.LENGTH_REQUIRED, "Content-Length required", close=True)
            return None
        try:
            length = int(raw)
        except ValueError:
            self._error(HTTPStatus.BAD_REQUEST, "bad Content-Length", close=True)
            return None
        if length < 0 or length > limit:
            if 0 < length <= 4 * limit:  # drain a moderate excess so the client reads the answer
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 1 << 16))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        f"the report is over the limit of {self.server.app.max_bytes} bytes; split it", close=True)
            return None
        return self.rfile.read(length)

    def _json_body(self) -> tuple[bool, object]:
        """``(True, parsed JSON)``, or ``(False, None)`` after an error response was sent."""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send application/json", close=True)
            return False, None
        # A save carries every paragraph's text plus its id, hash and labels: allow for that.
        data = self._body(2 * self.server.app.max_bytes + _JSON_OVERHEAD)
        if data is None:
            return False, None
        try:
            return True, json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, f"request is not valid JSON ({type(exc).__name__}: {exc})")
            return False, None

    # ---- routes
    def do_GET(self) -> None:
        if not self._host_ok():
            return self._error(HTTPStatus.FORBIDDEN, "unexpected Host header")
        path = urlsplit(self.path).path
        static = {"/": (PAGE_HTML, "text/html; charset=utf-8"),
                  "/app.js": (PAGE_JS, "text/javascript; charset=utf-8"),
                  "/app.css": (PAGE_CSS, "text/css; charset=utf-8")}
        if path in static:
            body, ctype = static[path]
            return self._send(HTTPStatus.OK, body.encode("utf-8"), ctype)
        if path == "/api/info":
            return self._json(HTTPStatus.OK, self.server.app.info())
        if path == "/favicon.ico":
            return self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        return self._error(HTTPStatus.NOT_FOUND, f"no such page: {path}")

    def do_POST(self) -> None:
        if not self._host_ok():
            return self._error(HTTPStatus.FORBIDDEN, "unexpected Host header", close=True)
        if not self._origin_ok():
            return self._error(HTTPStatus.FORBIDDEN, "cross-origin requests are refused", close=True)
        url = urlsplit(self.path)
        app = self.server.app
        try:
            if url.path == "/api/tag":
                ok, payload = self._json_body()
                if not ok:
                    return None
                if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
                    return self._error(HTTPStatus.BAD_REQUEST, 'expected {"text": "...", "report": "name"}')
                name = payload.get("report") if isinstance(payload.get("report"), str) else None
                return self._json(HTTPStatus.OK, app.tag(payload["text"], name))
            if url.path == "/api/upload":
                name = (parse_qs(url.query).get("name") or [""])[0]
                if not name.lower().endswith(".txt"):  # refuse before reading the body
                    return self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, str(InputError(
                        f"{name or 'upload'}: only plain-text .txt reports can be uploaded; save the report "
                        "as a .txt file (UTF-8) or paste its text")), close=True)
                data = self._body(app.max_bytes)
                if data is None:
                    return None
                return self._json(HTTPStatus.OK, app.tag(decode_upload(data, name, app.max_bytes), name))
            if url.path == "/api/save":
                ok, payload = self._json_body()
                if not ok:
                    return None
                return self._json(HTTPStatus.OK, app.save(payload))
        except TaggerError as exc:
            return self._error(HTTPStatus.BAD_REQUEST, str(exc))
        except Exception as exc:  # a bug: keep serving, tell the page
            log.exception("review page request failed")
            return self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error: {type(exc).__name__}: {exc}")
        return self._error(HTTPStatus.NOT_FOUND, f"no such endpoint: {url.path}")


class ReviewServer(ThreadingHTTPServer):
    """A :class:`ThreadingHTTPServer` serving a :class:`ReviewApp`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: ReviewApp) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        """``http://host:port/`` of the page."""
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def make_server(model, root: str | Path = ".", host: str = "127.0.0.1", port: int = 8765,
                max_bytes: int = DEFAULT_MAX_BYTES, model_name: str = "") -> ReviewServer:
    """Create (bind, not start) the review server; call ``serve_forever()`` on it.

    Args:
        model: a fitted :class:`~tagger.model.Tagger`.
        root: project checkout (labels go to ``root/labels/imported.jsonl``).
        host: address to bind; ``127.0.0.1`` by default (the page has no login).
        port: port; 0 picks a free one (see :attr:`ReviewServer.url`).
        max_bytes: largest report accepted.
        model_name: shown on the page.

    Raises:
        LabelFileError: if ``root`` is not a project checkout.
        InputError: if the address cannot be bound (e.g. the port is in use).
    """
    app = ReviewApp(model, root, max_bytes, model_name)
    if host == "localhost":
        host = "127.0.0.1"
    try:
        return ReviewServer((host, port), app)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); pass another --port "
                         "or --host") from None


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
    <label for="upload" class="upload">upload a .txt report</label>
    <input id="upload" type="file" accept=".txt,text/plain">
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
  </div>
  <ol id="paragraphs"></ol>
</section>
</main>
<script src="/app.js"></script>
</body>
</html>
"""

PAGE_CSS = """
body { font-family: system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 0 auto;
       max-width: 60rem; padding: 1rem; line-height: 1.5; color: #1b1b1b; }
h1 { font-size: 1.4rem; margin: 0; } h2 { font-size: 1.1rem; }
.muted { color: #555; font-size: 0.9rem; }
textarea { width: 100%; box-sizing: border-box; font: inherit; }
input[type=text] { width: 20rem; max-width: 100%; }
.actions, .toolbar { display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; }
.toolbar { position: sticky; top: 0; background: #fff; padding: 0.5rem 0; border-bottom: 1px solid #ddd; }
.upload { text-decoration: underline; cursor: pointer; }
button { font: inherit; padding: 0.25rem 0.75rem; cursor: pointer; }
#status { min-height: 1.5rem; white-space: pre-wrap; }
#status.error { color: #a40000; font-weight: bold; } #status.ok { color: #1c6b1c; }
#paragraphs { padding-left: 0; list-style: none; }
.para { border: 1px solid #ccc; border-radius: 6px; padding: 0.5rem 0.75rem; margin: 0.75rem 0; }
.para.reviewed { border-color: #1c6b1c; box-shadow: inset 4px 0 0 #1c6b1c; }
.para.saved { background: #f3fbf3; }
.para.heading { background: #f6f6f6; color: #555; }
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

function status(message, kind) {
  const box = $("status");
  box.textContent = message;
  box.className = kind || "";
}

async function api(path, body, contentType) {
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": contentType }, body });
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
  $("limit").textContent = "(text only, at most " + (info.max_bytes / 1048576).toFixed(1) + " MB)";
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
  if (p.kind === "heading") {
    li.append(el("div", { class: "note", text: "heading: carries no label (codebook)" }));
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
    input.addEventListener("change", () => setReviewed(item, true));
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
  for (const item of state.items) list.append(item.node);
  $("results-section").hidden = false;
  status(data.paragraphs.length ? "Tagged " + data.paragraphs.length + " paragraphs." :
         "No paragraphs found in this report.", "ok");
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
  if (!/\.txt$/i.test(file.name)) { status("Only plain-text .txt reports can be uploaded.", "error"); return; }
  if (file.size > state.maxBytes) { status("The file is over the size limit; split it.", "error"); return; }
  status("Uploading…");
  try {
    const data = await api("/api/upload?name=" + encodeURIComponent(file.name), file, "text/plain");
    $("report-name").value = data.report;
    render(data);
  } catch (e) { status("Error: " + e.message, "error"); }
  $("upload").value = "";
}

async function save() {
  // A paragraph imported earlier (maybe under another report name) is saved under its existing id.
  const rows = state.items.filter((it) => it.editable && it.reviewed).map((it) => ({
    id: it.p.known ? it.p.known.id : it.p.id, text: it.p.text, text_sha: it.p.text_sha,
    labels: state.labels.filter((label) => it.boxes[label].checked) }));
  if (!rows.length) { status("Nothing to save: correct a label or mark paragraphs reviewed first.", "error"); return; }
  status("Saving…");
  try {
    const result = await api("/api/save", JSON.stringify({ rows, update: $("update").checked }), "application/json");
    const done = new Set([...result.added, ...result.updated, ...result.unchanged]);
    for (const it of state.items) {
      if (done.has(it.p.known ? it.p.known.id : it.p.id)) it.node.classList.add("saved");
    }
    status("Saved. " + result.summary, "ok");
  } catch (e) { status("Not saved: " + e.message, "error"); }
}

$("tag-btn").addEventListener("click", tagText);
$("upload").addEventListener("change", upload);
$("save-btn").addEventListener("click", save);
$("review-all").addEventListener("click", () => { for (const it of state.items) if (it.editable) setReviewed(it, true); });
loadInfo().catch((e) => status("Cannot reach the server: " + e.message, "error"));
"""
