"""The local web apps' HTTP layer (``tagger serve``, ``tagger review``): standard library only.

An app object says what it serves; this module does the HTTP and the safety checks every app gets:
binding 127.0.0.1 by default (the pages have no login), refusing requests whose ``Host`` is not the
loopback address (DNS rebinding) and cross-origin ``POST`` s, size limits on bodies, a strict
Content-Security-Policy (no inline script; the pages build their DOM with ``textContent``), JSON that
survives lone surrogates, and clients that hang up logged at DEBUG without a traceback.

An app provides ``max_bytes`` (largest request body), optionally ``too_large_hint`` (what a JSON request over
its limit is told after the limit), and its routes, path → handler: ``static`` (path → (text, content type)),
``get_routes`` (``handler(query)``) and ``post_routes`` (``handler(payload)``, the JSON body) returning a JSON-able
object, and optionally ``raw_routes`` (``handler(query, read_body)``), which take a raw body: a file's own bytes (a
form upload, multipart/form-data, is refused: its boundary lines would be read as the file's). This module does
the routing, for every app alike: a path no route has is answered 404, a path asked with a method it does not take
(a GET of a POST address) 405 with the methods it takes in ``Allow``. A :class:`~tagger.errors.TaggerError` becomes
a 400 answer with its message.

:meth:`WebServer.server_close` stops the server cleanly: no new request is taken (one on a connection already open
is answered 503), and the requests under way are finished first — so a review session saves its decisions, and a
page has its answer, before the process ends.

Example:
    >>> server = WebServer(("127.0.0.1", 0), app)  # doctest: +SKIP
    >>> server.serve_forever()  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import shlex
import socket
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from ..common.files import JsonProblem, load_json
from ..common.signals import checkpoint
from ..common.terminal import terminal_safe
from ..errors import InputError, TaggerError
from .outcome import Terminated

__all__ = ["WebServer", "bind", "allowed_methods", "DISCONNECTS", "SENT", "UnsupportedMedia"]

log = logging.getLogger(__name__)

Query = dict[str, list[str]]


class WebApp(Protocol):
    """What an app gives the server (see the module doc; ``too_large_hint`` and ``raw_routes`` are optional)."""

    @property
    def max_bytes(self) -> int: ...

    @property
    def static(self) -> dict[str, tuple[str, str]]: ...

    @property
    def get_routes(self) -> dict[str, Callable[[Query], object]]: ...

    @property
    def post_routes(self) -> dict[str, Callable[[object], object]]: ...


class UnsupportedMedia(InputError):
    """A request body of a kind the app does not take (answered with 415)."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


def _exposed_host_ok(host: str, port: int) -> bool:
    """Whether a ``Host`` header names a page exposed with ``--host`` as a person reaches it: an IP address, or this
    machine's own name (``localhost`` too), with the page's port (none on port 80) — not a domain name of somebody
    else's that resolves to this machine (DNS rebinding: a page there could read and save through this one).

    Example:
        >>> _exposed_host_ok("192.0.2.2:8765", 8765), _exposed_host_ok("evil.example:8765", 8765)
        (True, False)
    """
    import socket

    if host.startswith("["):  # [v6]:port
        name, _, rest = host[1:].partition("]")
        given = rest[1:] if rest.startswith(":") else ""
    else:
        name, sep, given = host.rpartition(":")
        if not sep:
            name, given = host, ""
    if given != str(port) and not (given == "" and port == 80):
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    machine = socket.gethostname().lower()
    return name in {"localhost", machine, socket.getfqdn().lower(), machine.split(".", 1)[0] + ".local"}


def _loopback(address: str) -> bool:
    """Whether the server's bound ``address`` is a loopback one (the default); else the page is exposed."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def allowed_methods(app: WebApp, path: str) -> tuple[str, ...]:
    """The methods ``app`` answers at ``path`` (the ``Allow`` of a 405): ``GET`` and ``HEAD`` for a page or a
    ``get_routes`` address, ``POST`` for a ``post_routes`` or ``raw_routes`` one; none for a path without a route.

    Example:
        >>> class App: static = {"/": ("", "text/html")}; get_routes = {}; post_routes = {"/api/save": print}
        >>> allowed_methods(App(), "/"), allowed_methods(App(), "/api/save"), allowed_methods(App(), "/x")
        (('GET', 'HEAD'), ('POST',), ())
    """
    methods: tuple[str, ...] = ()
    if path in app.static or path in app.get_routes or path == "/favicon.ico":
        methods += ("GET", "HEAD")
    if path in app.post_routes or path in getattr(app, "raw_routes", {}):
        methods += ("POST",)
    return methods


def _answered(do: Callable[[_Handler], None]) -> Callable[[_Handler], None]:
    """A request method's handler, counted as under way while it runs (:meth:`WebServer.server_close` waits for
    it), or answered 503 once the server is stopping."""
    @functools.wraps(do)
    def answer(self: _Handler) -> None:
        if not self.server._begin():
            self._drain()
            return self._error(HTTPStatus.SERVICE_UNAVAILABLE, "the server is stopping: the request was not read; "
                               "start it again to go on", close=True)
        try:
            do(self)
        finally:
            self.server._end()
    return answer


DISCONNECTS = (ConnectionError, TimeoutError)  # BrokenPipe, ConnectionReset/Aborted, socket timeouts
_JSON_OVERHEAD = 256 * 1024  # JSON escaping around the largest text a request may carry


class _Handler(BaseHTTPRequestHandler):
    server: WebServer
    server_version = "tagger-review"
    timeout = 60  # seconds a client may idle mid-request

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, fmt: str, *args) -> None:  # quiet: requests are logged at DEBUG
        log.debug("%s %s", self.address_string(), fmt % args)

    # ---- responses
    def _headers(self, status: int, ctype: str, length: int, allow: tuple[str, ...] = ()) -> None:
        self.send_response(status)
        if allow:
            self.send_header("Allow", ", ".join(allow))
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

    def _send(self, status: int, body: bytes, ctype: str, allow: tuple[str, ...] = ()) -> None:
        try:
            self._headers(status, ctype, len(body), allow)
            if self.command != "HEAD":
                self.wfile.write(body)
        except DISCONNECTS as exc:  # the client went away: nothing to tell it
            log.debug("%s: client disconnected (%s)", self.address_string(), type(exc).__name__)
            self.close_connection = True

    def _json(self, status: int, obj: object, allow: tuple[str, ...] = ()) -> None:
        try:
            body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate somewhere: JSON's \\u escapes carry it
            body = json.dumps(obj).encode("ascii")
        self._send(status, body, "application/json; charset=utf-8", allow)

    def _error(self, status: int, message: str, close: bool = False, allow: tuple[str, ...] = ()) -> None:
        if close:
            self.close_connection = True
        # as the terminal shows it (a name in it comes from the request): a bidi override would turn the rest around
        self._json(status, {"error": terminal_safe(message)}, allow)

    def _no_route(self, path: str) -> None:
        """Answer a request ``path`` takes no route for: 405 naming the methods it takes (a GET of an address that
        takes POST), else 404. A body sent with it is read first (unread, it would reset the connection before the
        answer is read)."""
        self._drain()
        allow = allowed_methods(self.server.app, path)
        if allow:
            return self._error(HTTPStatus.METHOD_NOT_ALLOWED, f"{self.command} is not answered here: {path} takes "
                               f"{' and '.join(m for m in allow if m != 'HEAD')}", close=True, allow=allow)
        return self._error(HTTPStatus.NOT_FOUND, f"no such page: {path}", close=True)

    # ---- request checks
    def _host_ok(self) -> bool:
        bound, port = self.server.server_address[0], self.server.server_address[1]
        host = (self.headers.get("Host") or "").strip().lower()
        if not _loopback(bound):  # exposed with --host: reached at an address or at this machine's name, never another
            return _exposed_host_ok(host, port)  # domain's (a DNS-rebinding page's requests carry its own name)
        return host in self._allowed_hosts(bound, port)

    @staticmethod
    def _allowed_hosts(bound: str, port: int) -> set[str]:
        hosts = {"127.0.0.1", "localhost", "[::1]", f"[{bound}]" if ":" in bound else bound}
        # on port 80 browsers send the host without it (Host: 127.0.0.1, Origin: http://127.0.0.1)
        return {f"{h}:{port}" for h in hosts} | (hosts if port == 80 else set())

    def _origin_ok(self) -> bool:
        origin = self.headers.get("Origin")
        if origin is None:
            return True
        same_origin = origin == f"http://{self.headers.get('Host', '')}"
        bound, port = self.server.server_address[0], self.server.server_address[1]
        if not _loopback(bound):  # exposed with --host: the page as reached at the address the user typed, nothing else
            return same_origin
        return origin.removeprefix("http://") in self._allowed_hosts(bound, port) and same_origin

    def _body(self, limit: int, too_large: str = "") -> bytes | None:
        """The request body of at most ``limit`` bytes, or ``None`` after an error response was sent (413 with
        ``too_large``, or the limit and "split it", when the body is longer)."""
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
            self._drain(4 * limit)  # a moderate excess, so that the client reads the answer
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        too_large or f"the request is over the limit of {limit} bytes; split it", close=True)
            return None
        data = self.rfile.read(length)
        if len(data) < length:  # the client closed before sending it all
            self.close_connection = True
            log.debug("%s: request body cut short (%d of %d bytes)", self.address_string(), len(data), length)
            return None
        return data

    def _drain(self, limit: int | None = None) -> None:
        """Read and drop a request body that will not be used, of at most ``limit`` bytes (by default what a JSON
        request may carry; a longer one is left, the connection closed): unread, it would reset the connection
        before the client reads the answer."""
        limit = 2 * self.server.app.max_bytes + _JSON_OVERHEAD if limit is None else limit
        try:
            remaining = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return
        if not 0 < remaining <= limit:
            return
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk:
                break
            remaining -= len(chunk)

    def _json_body(self) -> tuple[bool, object]:
        """``(True, parsed JSON)``, or ``(False, None)`` after an error response was sent."""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send application/json", close=True)
            return False, None
        # A request may carry every paragraph's text plus ids, hashes and labels: allow for that.
        limit = 2 * self.server.app.max_bytes + _JSON_OVERHEAD
        data = self._body(limit, f"the request is over the limit of {limit} bytes"
                                 + getattr(self.server.app, "too_large_hint", "; split it"))
        if data is None:
            return False, None
        try:
            return True, load_json(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            self._error(HTTPStatus.BAD_REQUEST, f"request is not valid JSON (UnicodeDecodeError: {exc})")
        except JsonProblem as exc:
            self._error(HTTPStatus.BAD_REQUEST, f"request is {exc.located()}")
        return False, None

    def _not_a_form(self, path: str) -> None:
        """Refuse a form upload (multipart/form-data: ``curl -F``, an HTML form) to a path that takes a file's bytes
        as the body: its boundary and header lines would be read as the file's first and last lines.

        Raises:
            UnsupportedMedia: saying how to send the file.
        """
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype.startswith("multipart/"):
            url = shlex.quote(self.server.url.rstrip("/") + self.path)
            raise UnsupportedMedia(f"{path}: a form upload ({ctype}) is not read here; send the file's own bytes as "
                                   f"the request body, as the page does: curl --data-binary @FILE {url}")

    # ---- routes
    @_answered
    def do_GET(self) -> None:
        if not self._host_ok():
            return self._error(HTTPStatus.FORBIDDEN, "unexpected Host header")
        url = urlsplit(self.path)
        app = self.server.app
        if url.path in app.static:
            body, ctype = app.static[url.path]
            return self._send(HTTPStatus.OK, body.encode("utf-8"), ctype)
        if url.path == "/favicon.ico":
            return self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        route = app.get_routes.get(url.path)
        if route is None:
            return self._no_route(url.path)
        try:
            answer = route(parse_qs(url.query))
        except TaggerError as exc:
            return self._error(HTTPStatus.BAD_REQUEST, str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug: keep serving, tell the page
            log.exception("request failed")
            return self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error: {type(exc).__name__}: {exc}")
        return self._json(HTTPStatus.OK, answer)

    def do_HEAD(self) -> None:  # as GET, without the body (_send leaves it out): link checkers, curl -I
        self.do_GET()

    @_answered
    def _not_allowed(self) -> None:
        if not self._host_ok():
            return self._error(HTTPStatus.FORBIDDEN, "unexpected Host header", close=True)
        self._no_route(urlsplit(self.path).path)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    @_answered
    def do_POST(self) -> None:
        if not self._host_ok():
            return self._error(HTTPStatus.FORBIDDEN, "unexpected Host header", close=True)
        if not self._origin_ok():
            return self._error(HTTPStatus.FORBIDDEN, "cross-origin requests are refused", close=True)
        url = urlsplit(self.path)
        app = self.server.app
        raw, route = getattr(app, "raw_routes", {}).get(url.path), app.post_routes.get(url.path)
        if raw is None and route is None:
            return self._no_route(url.path)
        try:
            if raw is not None:
                self._not_a_form(url.path)
                answer = raw(parse_qs(url.query), self._body)
            else:
                ok, payload = self._json_body()
                if not ok:
                    return None
                answer = route(payload)
        except DISCONNECTS as exc:
            log.debug("%s: client disconnected (%s)", self.address_string(), type(exc).__name__)
            self.close_connection = True
            return None
        except TaggerError as exc:
            status = getattr(exc, "status", HTTPStatus.BAD_REQUEST)
            return self._error(status, str(exc), close=status != HTTPStatus.BAD_REQUEST)
        except Exception as exc:  # noqa: BLE001 - a bug: keep serving, tell the page
            log.exception("request failed")
            return self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error: {type(exc).__name__}: {exc}")
        if answer is SENT:
            return None
        return self._json(HTTPStatus.OK, answer)


class WebServer(ThreadingHTTPServer):
    """A :class:`ThreadingHTTPServer` serving one app (see the module doc)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a burst of saves waits for its turn (the standard library's 5 reset the rest)

    def __init__(self, address: tuple[str, int], app: WebApp) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self._under_way = 0  # requests being answered (_answered)
        self._stopping = False
        self._quiet = threading.Condition()
        super().__init__(address, _Handler)

    def _begin(self) -> bool:
        """Count a request as under way; ``False`` (not counted) once the server is stopping."""
        with self._quiet:
            if self._stopping:
                return False
            self._under_way += 1
            return True

    def _end(self) -> None:
        with self._quiet:
            self._under_way -= 1
            self._quiet.notify_all()

    def server_close(self) -> None:
        """Stop: take no new request (the listening socket is closed; a request on a connection open already is
        answered 503) and wait for the requests under way to be answered — a decision being journalled, a report
        being tagged or its labels saved — so that the caller's last save, and the end of the process, never cut
        one. A Ctrl-C (or SIGTERM) while it waits stops the wait (said in a warning, if a request was still under way);
        so does one whose exception Python dropped (a :func:`~tagger.common.signals.checkpoint` each half second of the
        wait, and one as it ends): the stop asked again, which the caller's last save follows, not a signal left over
        for the command to end 130 on after it."""
        with self._quiet:
            self._stopping = True
        super().server_close()
        try:
            with self._quiet:
                if not self._quiet.wait_for(lambda: not self._under_way, timeout=1):  # most end at once: unsaid
                    log.info("waiting for %d request(s) under way to be answered", self._under_way)
                    while not self._quiet.wait_for(lambda: not self._under_way, timeout=0.5):
                        checkpoint()
            checkpoint()
        except (KeyboardInterrupt, Terminated):  # asked again: stop now
            if self._under_way:
                log.warning("stopped without waiting for %d request(s) under way", self._under_way)

    def service_actions(self) -> None:
        """Each turn of ``serve_forever``'s loop (a request taken, or half a second without one) is a
        :func:`~tagger.common.signals.checkpoint`: a Ctrl-C or SIGTERM whose exception Python dropped stops the
        server there, as the signal stops it (``tagger.apps.outcome.act_on_dropped``)."""
        super().service_actions()
        checkpoint()

    @property
    def url(self) -> str:
        """``http://host:port/`` of the page."""
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up (broken pipe, reset, timeout) is logged at DEBUG; anything else is a
        bug, logged with its traceback (the standard library would print it to stderr)."""
        exc = sys.exc_info()[1]
        if isinstance(exc, DISCONNECTS):
            log.debug("%s: client disconnected (%s)", client_address, type(exc).__name__)
        else:
            log.error("request from %s failed", client_address, exc_info=exc)


SENT = object()  # a raw handler that already answered (an error about its body)


def bind(app: WebApp, host: str = "127.0.0.1", port: int = 8765) -> WebServer:
    """Bind (not start) a :class:`WebServer` for ``app``; ``localhost`` means 127.0.0.1, port 0 a free one, and an
    IPv6 address may be in brackets (``[::1]``, as the page's address writes it).

    Raises:
        InputError: if the address cannot be bound (e.g. the port is in use), or ``host`` holds a port.
    """
    if host.startswith("[") and "]:" in host:  # [::1]:8765
        name, _, given = host[1:].partition("]:")
    elif host.count(":") == 1:  # 127.0.0.1:8080 (an IPv6 address without brackets has two colons or more)
        name, _, given = host.partition(":")
    else:
        name, given = host, ""
    if given.isdigit():  # 127.0.0.1:8080, [::1]:8765: the address as a URL writes it, with its port
        raise InputError(f"--host {host}: give the address without its port, and the port with --port: --host {name} "
                         f"--port {given}")
    if host.startswith("[") and host.endswith("]"):  # an IPv6 address as a URL writes it (the page's address)
        host = host[1:-1]
    if host == "localhost":
        host = "127.0.0.1"
    try:
        server = WebServer((host, port), app)
    except (OSError, OverflowError) as exc:  # OverflowError: a port outside 0-65535
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(f"cannot listen on {host}:{port} ({reason}); pass another --port or --host") from None
    if not _loopback(server.server_address[0]):  # tagger serve and tagger review alike
        log.warning("the page has no login; anyone who can reach this address can read and save what it serves")
    return server
