#!/usr/bin/env python3
"""Bookkeeping for work with real web pages: reserved-page checks, role separation, saved texts.

Every page found with the search tool goes through this script, so that
- no page reserved for the project's hidden evaluation is used (``../shared/reserved/check_source.py``);
- whoever writes training text never sees a dev-set report (roles ``dev*`` vs ``genre*``);
- every url read is logged in ``labels/sources.csv``;
- texts of real pages stay in the git-ignored ``data/`` folder, never in the repo.

Roles: ``dev`` (dev-set collector), ``dev2`` (second reader of the dev set), ``genre-<name>``
(reads real reports to learn the genre, then writes training text).

Commands (run from the repository root):

  realdata.py seen ROLE URL [URL ...]     log urls that appeared in search results; prints per url:
                                          reserved | dev | genre (the other side holds it) |
                                          saved (ROLE's side saved it already) | free
  realdata.py save ROLE URL < text        claim + save the page text (a search excerpt, as shown);
                                          refuses reserved pages, pages the other side holds and (dev)
                                          the same story as a saved dev report (a mirror in the other script).
                                          Pages without a url: use URL "nourl:<first 20 chars>".
  realdata.py restore URL < text         put back a dev report's text (git-ignored data/real/raw/) when
                                          all its paragraphs match labels/dev_manifest.csv (sha256)
  realdata.py missing                     dev reports whose texts are missing, with url, metadata and hints
  realdata.py hints [--k 6]               write labels/dev_hints.csv: each present dev report's most distinctive
                                          words (places, organisations, topics; never a person's name), so that
                                          a new machine's helpers can find the pages again
  realdata.py split DOC                   print the paragraphs of a saved dev report (index, kind, text)
  realdata.py overlap FILE.jsonl [--n 12] rows sharing an N-character run with any saved page
  realdata.py status                      counts per role; dev pages seen by a genre role
  realdata.py recheck                     re-run the reserved check (both scripts) on every saved page
"""
from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import re
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CLAIMS = DATA / "claims.tsv"  # time, role, event (seen|saved), key, url
PAGES = DATA / "pages"  # pages/<role>/<key>.txt : every saved page text
DEV_RAW = DATA / "real" / "raw"  # raw/<doc>.txt : dev-set report texts
SOURCES = ROOT / "labels" / "sources.csv"
CHECKER = ROOT.parent / "shared" / "reserved" / "check_source.py"
sys.path.insert(0, str(ROOT / "src"))

from tagger.data.devset import ManifestRow, doc_info, read_manifest, sha256_text  # noqa: E402 - the dev-set reader
from tagger.text.report import CHROME, split_report  # noqa: E402 - the reader the manifest's hashes were made with
from tagger.text.normalize import normalize_many  # noqa: E402 - the text as the model reads it (simplified script)
from tagger.features.tfidf import smooth_idf  # noqa: E402 - the idf the word features use
from tagger.common.atomic import atomic_write  # noqa: E402


NOURL_KEY = "nourl-key:"  # a page without a url, as committed files name it: by its key, not its first words


def url_key(url: str) -> str:
    """The same normalisation as the reserved-page checker (host without www./m., path without /). A page without
    a url (``nourl:<its first 20 characters>``) is keyed by a hash of them; committed files name it
    ``nourl-key:<that key>`` (:func:`committed_url`), which keys the same."""
    if url.startswith(NOURL_KEY):
        return url[len(NOURL_KEY):]
    if url.startswith("nourl:"):
        return "n" + hashlib.sha256(url.encode()).hexdigest()[:15]
    u = urlsplit(url.strip())
    host = u.netloc.lower().removeprefix("www.").removeprefix("m.")
    return hashlib.sha256(f"{host}{u.path.rstrip('/')}".encode()).hexdigest()[:16]


def side(role: str) -> str:
    if role.startswith("dev"):
        return "dev"
    if role.startswith("genre"):
        return "genre"
    raise SystemExit(f"unknown role {role!r}: use dev, dev2 or genre-<name>")


@contextmanager
def locked():
    DATA.mkdir(parents=True, exist_ok=True)
    with open(DATA / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def read_claims() -> list[dict]:
    if not CLAIMS.exists():
        return []
    rows = []
    with open(CLAIMS, encoding="utf-8") as f:
        for line in f:
            t, role, event, key, url = line.rstrip("\n").split("\t", 4)
            rows.append({"time": t, "role": role, "event": event, "key": key, "url": url})
    return rows


def _dev_docs() -> dict[str, dict[str, str]]:
    """The committed dev set's reports (``labels/dev_docs.csv``) by url key: held by the dev side even
    when data/ is new."""
    return {url_key(d["url"]): d for d in doc_info(ROOT).values()}


def _logged_sides() -> dict[str, set[str]]:
    """The sides that read or saw each page by the committed log (``labels/sources.csv``), by url key: what a side
    held is known there even when data/ (its claims) is new. Rows of other roles (the coordinator's probes) count
    for neither side."""
    out: dict[str, set[str]] = {}
    if not SOURCES.exists():
        return out
    with open(SOURCES, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            role = row.get("role") or ""
            if role.startswith(("dev", "genre")) and row.get("url"):
                out.setdefault(url_key(row["url"]), set()).add(side(role))
    return out


def holders(rows: list[dict], key: str) -> set[str]:
    """Which sides have seen or saved this page: by the claims in data/, the committed log of pages read
    (``labels/sources.csv``) and the committed dev set (its reports count as dev's)."""
    return ({side(r["role"]) for r in rows if r["key"] == key} | _logged_sides().get(key, set())
            | ({"dev"} if key in _dev_docs() else set()))


def append_claim(role: str, event: str, url: str) -> None:
    with open(CLAIMS, "a", encoding="utf-8") as f:
        f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')}\t{role}\t{event}\t{url_key(url)}\t{url}\n")


def reserved_url(url: str) -> bool:
    if url.startswith("nourl:"):
        return False
    out = subprocess.run([sys.executable, str(CHECKER), url], capture_output=True, text=True)
    return out.returncode != 0


def reserved_text(path: Path) -> bool:
    """The checker on the text as it is and in the other script (a simplified twin of a reserved
    traditional page, or the reverse, is the same story: reserved too)."""
    import tempfile

    import opencc

    text = path.read_text(encoding="utf-8")
    variants = [path]
    with tempfile.TemporaryDirectory() as tmp:
        for config in ("t2s", "s2t"):
            other = Path(tmp) / f"{config}.txt"
            other.write_text(opencc.OpenCC(config).convert(text), encoding="utf-8")
            variants.append(other)
        out = subprocess.run([sys.executable, str(CHECKER), "--text", *map(str, variants)],
                             capture_output=True, text=True)
    return out.returncode != 0


def committed_url(url: str) -> str:
    """What a committed file (labels/sources.csv, labels/dev_docs.csv) says of a page's url: the url, or for a page
    without one ``nourl-key:<key>`` — ``nourl:`` carries the page's first words, real text that is not ours.

    Example:
        >>> committed_url("nourl:日前,某供电所党员服务队来到敬老院"), committed_url("http://a.cn/1.html")
        ('nourl-key:n7de483ed79b9472', 'http://a.cn/1.html')
    """
    return f"{NOURL_KEY}{url_key(url)}" if url.startswith("nourl:") else url


def log_source(url: str, used_for: str, role: str) -> None:
    url = committed_url(url)
    new = not SOURCES.exists()
    with open(SOURCES, "a", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        if new:
            w.writerow(["url", "used_for", "role", "date"])
        w.writerow([url, used_for, role, time.strftime("%Y-%m-%d")])


def cmd_seen(role: str, urls: list[str]) -> int:
    me = side(role)
    with locked():
        rows = read_claims()
        for url in urls:
            if reserved_url(url):
                print(f"reserved\t{url}")  # never logged, never used
                continue
            key = url_key(url)
            others = holders(rows, key) - {me}
            mine = saved_by(rows, key, me)
            append_claim(role, "seen", url)
            rows.append({"role": role, "key": key, "event": "seen", "url": url, "time": ""})
            # "free" only for a page nobody holds: one this side saved already is not a new page either
            print(f"{'/'.join(sorted(others)) or (f'saved ({me})' if mine else 'free')}\t{url}")
    return 0


def saved_by(rows: list[dict], key: str, me: str) -> bool:
    """Whether side ``me`` saved this page already (a dev report: also when it is in the committed dev set)."""
    return any(r["key"] == key and r["event"] == "saved" and side(r["role"]) == me for r in rows) or (
        me == "dev" and key in _dev_docs())


def cmd_save(role: str, url: str, text: str) -> int:
    me = side(role)
    text = text.strip()
    if len(text) < 50:
        print("refused: text shorter than 50 characters", file=sys.stderr)
        return 2
    if reserved_url(url):
        print(f"refused: reserved url {url}: do not read or use it", file=sys.stderr)
        return 1
    key = url_key(url)
    with locked():
        rows = read_claims()
        others = holders(rows, key) - {me}
        if others:
            append_claim(role, "seen", url)
            print(f"refused: the {'/'.join(sorted(others))} side already holds {url}; pick another page",
                  file=sys.stderr)
            return 3
        if me == "dev" and saved_by(rows, key, me):  # saving again would overwrite a labelled report's text
            print(f"refused: {url} is saved already (real_{key[:12]}); to put its text back use: realdata.py "
                  "restore URL < text", file=sys.stderr)
            return 3
        if role != "dev2" and (same := same_story(text)) is not None:  # a mirror or repost of a dev report
            append_claim(role, "seen", url)
            why = "" if me == "dev" else "; the genre side must not read dev-set reports"
            print(f"refused: the same story as {same[0]}, already in the dev set ({same[1]:.0%} of its text, in either "
                  f"script){why}: pick another page ({url})", file=sys.stderr)
            return 3
        folder = PAGES / role
        folder.mkdir(parents=True, exist_ok=True)
        page = folder / f"{key}.txt"
        page.write_text(text + "\n", encoding="utf-8")
        if reserved_text(page):
            page.unlink()
            print(f"refused: text shares passages with a reserved page: do not use it ({url})", file=sys.stderr)
            return 1
        append_claim(role, "saved", url)
        if me == "dev" and role == "dev":
            DEV_RAW.mkdir(parents=True, exist_ok=True)
            doc = f"real_{key[:12]}"
            (DEV_RAW / f"{doc}.txt").write_text(text + "\n", encoding="utf-8")
            with open(DEV_RAW / "index.tsv", "a", encoding="utf-8") as f:
                f.write(f"{doc}\t{url}\n")
            log_source(url, "dev set", role)
            print(f"saved\t{doc}\t{url}")
        else:
            log_source(url, "genre reading" if me == "genre" else "dev set (second read)", role)
            print(f"saved\t{key}\t{url}")
    return 0


SAME_STORY_RUN = 20  # characters: a run this long shared with a saved report is the same sentence
SAME_STORY_SHARE = 0.5  # of a page's runs: this much shared with one saved dev report is the same story


def same_story(text: str) -> tuple[str, float] | None:
    """The saved dev report (id, share of ``text``'s 20-character runs it holds) that tells the same story as
    ``text`` — a mirror of it in the other script, or a repost — else ``None``. Compared as the model reads text
    (:func:`tagger.text.normalize.normalize_many`: simplified script, a mirror's pinyin notes removed), without
    white space."""
    from tagger.text.normalize import normalize_many

    mine = _windows(normalize_many([text])[0], SAME_STORY_RUN)
    paths = sorted(DEV_RAW.glob("real_*.txt")) if DEV_RAW.is_dir() else []
    if not mine or not paths:
        return None
    best: tuple[str, float] | None = None
    for path, saved in zip(paths, normalize_many([p.read_text(encoding="utf-8") for p in paths])):
        share = len(mine & _windows(saved, SAME_STORY_RUN)) / len(mine)
        if share >= SAME_STORY_SHARE and (best is None or share > best[1]):
            best = (path.stem, share)
    return best


def _manifest() -> dict[str, dict[int, ManifestRow]]:
    """The manifest's rows by report and paragraph index."""
    rows: dict[str, dict[int, ManifestRow]] = {}
    for r in read_manifest(ROOT):
        rows.setdefault(r.doc, {})[r.index] = r
    return rows


def cmd_restore(url: str, text: str) -> int:
    """Put back one dev report's text when every paragraph matches the committed manifest."""
    d = _dev_docs().get(url_key(url))
    if d is None:
        print(f"not a dev-set report: {url}", file=sys.stderr)
        return 2
    if reserved_url(url):
        print(f"refused: reserved url {url}: do not read or use it", file=sys.stderr)
        return 1
    doc, want = d["doc"], _manifest().get(d["doc"], {})
    paragraphs = split_report(text.strip(), doc, with_chrome=True, notes=False)
    got = {p.index: sha256_text(p.text) for p in paragraphs}
    bad = [i for i, r in sorted(want.items()) if got.get(i) != r.sha256]
    extra = [p.index for p in paragraphs if p.index not in want and p.kind != CHROME]
    if extra and not bad:  # the dev set's check would call the report changed (its context is not the one labelled)
        print(f"extra\t{doc}\tall {len(want)} paragraphs match, but the text has {len(extra)} more the manifest "
              f"does not list (first: index {extra[0]}); leave out the lines that are not the report's (another "
              "story's, a list of links) and restore again", file=sys.stderr)
        return 3
    if bad:
        i = bad[0]
        print(f"mismatch\t{doc}\t{len(want) - len(bad)} of {len(want)} paragraphs match; first differing index {i} "
              f"(manifest length {want[i].length}); try the same page from another search (excerpts differ)",
              file=sys.stderr)
        return 3
    DEV_RAW.mkdir(parents=True, exist_ok=True)
    target = DEV_RAW / f"{doc}.txt"
    target.write_text(text.strip() + "\n", encoding="utf-8")
    if reserved_text(target):
        target.unlink()
        print(f"refused: text shares passages with a reserved page: do not use it ({url})", file=sys.stderr)
        return 1
    print(f"restored\t{doc}\t{len(want)} paragraphs\t{url}")
    return 0


HINTS = ROOT / "labels" / "dev_hints.csv"
HINT_SKIP_TAGS = ("nr", "x", "m", "q", "p", "u", "c", "r", "d", "f", "t", "eng")  # a person's name, punctuation,
# numbers, measure words, function words, time words, Latin letters: no help in a search (and no names committed)
HINT_MAX_CHARS = 8  # a word, never a phrase of the page


def report_words(text: str) -> list[str]:
    """The words of a report that can help a search find it again: rjieba's words of its normalised text (simplified
    script) of 2 to 8 characters with a Chinese character, leaving out what it tags as a person's name and function
    words.

    Example:
        >>> report_words("国网宜宾供电公司李华来到土地堂社区，为火龙果基地施工。")[:4]
        ['国网', '宜宾', '供电', '公司']
    """
    import rjieba

    return [w for w, tag in rjieba.tag(normalize_many([text])[0])
            if 2 <= len(w) <= HINT_MAX_CHARS and not tag.startswith(HINT_SKIP_TAGS) and re.search("[\u4e00-\u9fff]", w)]


def read_hints() -> dict[str, str]:
    """The committed hints (``labels/dev_hints.csv``: doc, terms) by report; ``{}`` without the file."""
    if not HINTS.exists():
        return {}
    with open(HINTS, encoding="utf-8", newline="") as f:
        return {row["doc"]: row["terms"] for row in csv.DictReader(f)}


def cmd_hints(k: int = 6) -> int:
    """Write ``labels/dev_hints.csv``: for each dev report whose text is here, its ``k`` most distinctive words
    (count in the report times smoothed inverse report frequency over the reports here; words in more than a fifth
    of them left out: the genre's own); rows of reports not here are kept as they were. A statistic of the text, not a
    sentence of it: what a helper on a new machine needs to word a search that finds the page again."""
    docs = doc_info(ROOT)
    texts = {doc: (DEV_RAW / f"{doc}.txt").read_text(encoding="utf-8") for doc in docs
             if (DEV_RAW / f"{doc}.txt").exists()}
    words = {doc: report_words(text) for doc, text in texts.items()}
    df = Counter(w for ws in words.values() for w in set(ws))
    n, hints = len(words), read_hints()
    common = max(2, n // 5)
    for doc, ws in words.items():
        scored = sorted(((c * float(smooth_idf(df[w], n)), w) for w, c in Counter(ws).items() if df[w] <= common),
                        key=lambda sw: (-sw[0], sw[1]))
        hints[doc] = " ".join(w for _, w in scored[:k])
    with atomic_write(HINTS, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["doc", "terms"])
        w.writerows([doc, hints[doc]] for doc in docs if doc in hints)
    print(f"hints for {len(words)} of {len(docs)} dev reports written ({HINTS})", file=sys.stderr)
    return 0


def cmd_missing() -> int:
    """Dev reports whose texts are not in data/real/raw, with what is known of them (no text)."""
    docs, rows, hints = doc_info(ROOT), _manifest(), read_hints()
    missing = [d for d in docs.values() if not (DEV_RAW / f"{d['doc']}.txt").exists()]
    for d in missing:
        paragraphs = [r for _, r in sorted(rows.get(d["doc"], {}).items())]
        labels = sorted({lab for r in paragraphs for lab in r.labels})
        print("\t".join([d["doc"], d["url"], d["grid"], d["province"], d["year"], d["script"], d["mix"],
                         ",".join(labels) or "none",
                         f"{len(paragraphs)} paragraphs, lengths " + " ".join(str(r.length) for r in paragraphs)]
                        + ([f"hints {hints[d['doc']]}"] if hints.get(d["doc"]) else [])))
    print(f"{len(missing)} of {len(docs)} dev reports missing", file=sys.stderr)
    return 0


def cmd_split(doc: str) -> int:
    text = (DEV_RAW / f"{doc}.txt").read_text(encoding="utf-8")
    for p in split_report(text, doc):
        print(f"{p.index}\t{p.kind}\t{p.text}")
    return 0


def _windows(text: str, n: int) -> set[str]:
    t = "".join(ch for ch in unicodedata.normalize("NFKC", text) if not ch.isspace())
    return {t[i:i + n] for i in range(len(t) - n + 1)}


def cmd_overlap(path: str, n: int) -> int:
    index: dict[str, str] = {}
    for page in PAGES.glob("*/*.txt"):
        for w in _windows(page.read_text(encoding="utf-8"), n):
            index.setdefault(w, f"{page.parent.name}/{page.name}")
    bad = 0
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            text = json.loads(line).get("text", "")
            hits = sorted(w for w in _windows(text, n) if w in index)
            if hits:
                bad += 1
                own = [w for w in hits if not index[w].startswith("dev")]
                shown = f"e.g. {own[0]!r}" if own else "(with a page of the other side: rewrite the row freely)"
                print(f"{path}:{line_no}\t{len(hits)} shared {n}-char runs {shown}")
    print("ok" if not bad else f"{bad} rows share text with pages read", file=sys.stderr)
    return 1 if bad else 0


def cmd_status() -> int:
    rows = read_claims()
    saved: dict[str, int] = {}
    for r in rows:
        if r["event"] == "saved":
            saved[r["role"]] = saved.get(r["role"], 0) + 1
    print("saved pages per role:", json.dumps(saved))
    committed = _dev_docs()  # the dev set's reports are the dev side's even when data/ is new
    dev_urls = {r["key"]: r["url"] for r in rows if r["event"] == "saved" and r["role"] == "dev"}
    dev_urls.update({key: d["url"] for key, d in committed.items()})
    seen_by: dict[str, set[str]] = {}
    for r in rows:
        if side(r["role"]) == "genre" and r["key"] in dev_urls:
            seen_by.setdefault(r["key"], set()).add(r["role"])
    print(f"dev pages also seen by a genre role: {len(seen_by)}")
    for key in sorted(seen_by, key=lambda k: dev_urls[k]):
        doc = committed[key]["doc"] if key in committed else "-"
        print(f"   {doc}\t{','.join(sorted(seen_by[key]))}\t{dev_urls[key]}")
    return 0


def cmd_recheck() -> int:
    bad = 0
    for page in sorted(PAGES.glob("*/*.txt")):
        if reserved_text(page):
            bad += 1
            print(f"reserved twin\t{page.parent.name}/{page.name}")
    print(f"{bad} saved pages match a reserved page in either script")
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd in ("seen", "save", "restore") and any(c in arg for arg in rest for c in "\t\r\n"):
        # a claim is one tab-separated line: a url (or a nourl: key's words) with a line break or tab split it
        print("refused: a url (and a nourl: key) must be one line without tabs: give the page's first words on "
              "one line", file=sys.stderr)
        return 2
    if cmd == "seen" and len(rest) >= 2:
        return cmd_seen(rest[0], rest[1:])
    if cmd == "save" and len(rest) == 2:
        return cmd_save(rest[0], rest[1], sys.stdin.read())
    if cmd == "restore" and len(rest) == 1:
        return cmd_restore(rest[0], sys.stdin.read())
    if cmd == "missing" and not rest:
        return cmd_missing()
    if cmd == "hints" and (not rest or (len(rest) == 2 and rest[0] == "--k" and rest[1].isdigit()
                                         and int(rest[1]) > 0)):
        return cmd_hints(int(rest[1]) if rest else 6)
    if cmd == "split" and len(rest) == 1:
        return cmd_split(rest[0])
    if cmd == "overlap" and rest:
        n = int(rest[rest.index("--n") + 1]) if "--n" in rest else 12
        return cmd_overlap(rest[0], n)
    if cmd == "status":
        return cmd_status()
    if cmd == "recheck":
        return cmd_recheck()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
