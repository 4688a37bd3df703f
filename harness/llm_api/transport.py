"""One HTTP exchange with an LLM endpoint, hardened: urllib, for its proxy and TLS handling, with three things
it does not do.

- A wall-clock deadline for the whole exchange (connect, headers, body, redirects): a server trickling one
  byte at a time cannot hold the run (`Deadline`).
- A cap on the reply's size (`read_body`, MAX_REPLY_BYTES: a verdict is a few hundred bytes): a server cannot
  fill the memory.
- No redirect that would carry the API key to another origin (`SameOriginRedirects`).

A failure is a `RequestFailed` that says whether another try could help (`transport_failure` sorts those
below HTTP statuses); harness.llm_api.endpoint holds the key, the retries and the preflight.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable

RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_QUOTED = 300  # characters of a reply or error body quoted in a reason
MAX_REPLY_BYTES = 1 << 20  # a verdict is a few hundred bytes; a model list a few kB
MAX_ERROR_BYTES = 4096  # of an error reply: read only to quote its start
READ_CHUNK = 64 << 10
MAX_RETRY_AFTER = 60.0  # seconds: a server's Retry-After beyond this is not honoured


class RequestFailed(Exception):
    """A request that failed: after retries, that claim's judgement is an error. `transient` failures
    (timeouts, dropped or cut connections, a garbled reply, 429, 5xx) are worth another try; the others
    (a 4xx, a refused redirect, a reply too large or not JSON) would fail the same way again. `status` is the
    HTTP status when the server answered one; `retry_after` the wait it asked for, in seconds."""

    def __init__(
        self, message: str, transient: bool = False, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(message)
        self.transient, self.status, self.retry_after = transient, status, retry_after


class Deadline:
    """The wall-clock limit of one exchange (connect, request, headers, body, redirects). A socket timeout
    alone is no deadline: it restarts with every byte, so a server trickling a byte a second is never timed
    out. Here each connect and read gets the time left as its timeout, and at the deadline a timer shuts the
    exchange's sockets, which also ends http.client's own reading of the status line and headers, a loop no
    deadline check reaches."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def error(self) -> RequestFailed:
        return RequestFailed(f"no complete reply within {self.seconds:g} s", transient=True)

    def left(self) -> float:
        """Seconds left, else the deadline's RequestFailed."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise self.error()
        return left

    def watch(self, sock: socket.socket) -> None:
        """A socket of this exchange: shut at the deadline (at once if that has passed)."""
        with self._lock:
            self._sockets.append(sock)
        if self.expired():
            self._expire()

    def arm(self) -> None:
        """Before a read: no blocked read may outlast the deadline."""
        left = self.left()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.settimeout(left)
            except OSError:
                pass  # closed already

    def _expire(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:  # the plain socket's shutdown, also for TLS: it ends a read blocked in another thread
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()


class _Watched:
    """Mixed into http.client's connections: connect within the time left, then have the deadline watch
    the socket."""

    deadline: Deadline

    def connect(self) -> None:
        self.timeout = self.deadline.left()
        super().connect()  # type: ignore[misc]
        self.deadline.watch(self.sock)  # type: ignore[attr-defined]


class _WatchedHTTPConnection(_Watched, http.client.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: Deadline):
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_connection_factory(_WatchedHTTPConnection, self.deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: Deadline):
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_connection_factory(_WatchedHTTPSConnection, self.deadline), req)


def _connection_factory(cls: type, deadline: Deadline) -> Callable[..., http.client.HTTPConnection]:
    def build(host: str, **kwargs: Any) -> http.client.HTTPConnection:
        connection = cls(host, **kwargs)
        connection.deadline = deadline
        return connection

    return build


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme)


class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """urllib copies every header, the key among them, to wherever a redirect points: only a redirect to the
    same scheme, host and port is followed (by urllib's own rules); any other is that request's error."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if _origin(newurl) == _origin(req.full_url):
            return super().redirect_request(req, fp, code, msg, headers, newurl)
        fp.close()
        raise RequestFailed(
            f"redirects (HTTP {code}) to {newurl}: not followed, as the API key would go with it "
            "(set base_url to the address that answers)",
            status=code,
        )


def opener(deadline: Deadline) -> urllib.request.OpenerDirector:
    """urllib's opener for one exchange: its connections within `deadline`, redirects only within the origin."""
    return urllib.request.build_opener(SameOriginRedirects(), _HTTPHandler(deadline), _HTTPSHandler(deadline))


def read_body(response: http.client.HTTPResponse, deadline: Deadline, cap: int, truncate: bool = False) -> bytes:
    """The body, a chunk at a time within the deadline. More than `cap` bytes is RequestFailed after reading
    at most cap + 1 (the rest is never read), or with `truncate` the first `cap`. A body cut short of its
    Content-Length is http.client's IncompleteRead (its own reads in chunks say nothing)."""
    declared = response.getheader("Content-Length", "")
    if not truncate and declared.strip().isdigit() and int(declared) > cap:
        raise RequestFailed(f"reply larger than {cap} bytes ({int(declared)} declared)", status=response.status)
    chunks: list[bytes] = []
    size = 0
    while size <= cap:
        deadline.arm()
        chunk = response.read1(min(READ_CHUNK, cap + 1 - size))
        if not chunk:
            if response.length:  # bytes still due: the server closed mid-body
                raise http.client.IncompleteRead(b"".join(chunks), response.length)
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    if truncate:
        return b"".join(chunks)[:cap]
    raise RequestFailed(f"reply larger than {cap} bytes", status=response.status)


def retry_after(headers: Any) -> float | None:
    """The wait a server asked for (Retry-After in whole seconds), at most MAX_RETRY_AFTER; None if none."""
    value = headers.get("Retry-After") if headers is not None else None
    return min(MAX_RETRY_AFTER, float(value)) if value and value.strip().isdigit() else None


def transport_failure(exc: BaseException) -> tuple[str, bool]:
    """(what happened, whether it is worth another try) for a failure below HTTP statuses."""
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, http.client.IncompleteRead):
        return f"the connection closed mid-reply ({len(exc.partial)} bytes read, {exc.expected} more expected)", True
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without a reply", True
    if isinstance(exc, http.client.BadStatusLine):
        return f"malformed status line {str(exc.line).strip()[:80]!r}", True
    if isinstance(exc, http.client.HTTPException):
        return f"malformed HTTP reply ({type(exc).__name__}: {str(exc)[:80]})", True
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"{type(exc).__name__}: {exc}", False  # a certificate is no better a second later
    if isinstance(exc, urllib.error.URLError):
        return f"URLError: {exc.reason}", False  # e.g. an unknown URL scheme in a redirect
    return (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__), True
