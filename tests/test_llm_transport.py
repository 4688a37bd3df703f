"""The LLM judge against hostile or broken endpoints: stand-in servers on 127.0.0.1 that trickle, redirect,
flood, garble or cut their replies, or do not serve /models. Every test is bounded to a few seconds (small
timeouts and retries) even where a server would hold a client for good."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fake_openai import KEY, RULES, FakeOpenAI, inputs, verdict, write_run_inputs

from harness.cli import main
from harness.judges.contract import judge_failures
from harness.judges.evidence import EvidenceJudge
from harness.judges.llm import LLMJudge
from harness.llm_api.replies import Reply, ReplyCache
from harness.llm_api.transport import MAX_REPLY_BYTES

MODELS = {"object": "list", "data": [{"id": "m"}]}
ONE_CLAIM = "Five Spanish prisoners were released."


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("HARNESS_TEST_LLM_KEY", KEY)
    return "HARNESS_TEST_LLM_KEY"


def completion(content: str) -> dict:
    return {
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def send(handler: BaseHTTPRequestHandler, status: int, payload: object, headers: dict | None = None) -> None:
    data = json.dumps(payload).encode()
    handler.send_response(status)
    for k, v in {"Content-Type": "application/json", "Content-Length": str(len(data)), **(headers or {})}.items():
        handler.send_header(k, v)
    handler.end_headers()
    handler.wfile.write(data)


def trickle(handler: BaseHTTPRequestHandler, data: bytes, every: float = 0.2, at_most: float = 6.0) -> None:
    """`data` a byte at a time, for at most `at_most` seconds (so that even a client without a deadline,
    the old code, is let go and the test ends)."""
    stop = time.monotonic() + at_most
    for i in range(len(data)):
        if time.monotonic() > stop:
            return
        try:
            handler.wfile.write(data[i : i + 1])
        except OSError:  # the client gave up: as it should
            return
        time.sleep(every)


class Stub:
    """A server on 127.0.0.1 whose every answer is `respond(handler)`, which may write anything to the socket.
    Records every request's method, path and headers."""

    def __init__(self, respond: Callable[[BaseHTTPRequestHandler], None]):
        self.requests: list[dict] = []
        self.done = threading.Event()  # set when a handler returns
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers)})
                stub.requests[-1]["body"] = json.loads(body) if body else None
                try:
                    respond(self)
                finally:
                    stub.done.set()

            do_POST = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # a trickling handler never holds up the end of a test
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.base}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self, method: str) -> int:
        return sum(r["method"] == method for r in self.requests)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stubs():
    started: list = []
    yield started.append
    for server in started:
        server.stop()


def serve(stubs, respond: Callable[[BaseHTTPRequestHandler], None]) -> Stub:
    stub = Stub(respond)
    stubs(stub)
    return stub


def models_then(post: Callable[[BaseHTTPRequestHandler], None]) -> Callable[[BaseHTTPRequestHandler], None]:
    """A responder serving /models well and every POST with `post`."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        if handler.command == "GET":
            send(handler, 200, MODELS)
        else:
            post(handler)

    return respond


def judge_one(url: str, key: str, tmp_path, **options) -> tuple[LLMJudge, list]:
    judge = LLMJudge(
        base_url=url, model="m", api_key_env=key, cache_dir=tmp_path / "llm", **{"backoff": 0.01, **options}
    )
    return judge, judge.judge(*inputs(ONE_CLAIM))


# --- 1. the timeout is a deadline for the whole request ---------------------------------------------------


@pytest.mark.parametrize("trickled", ["body", "status line and headers"])
def test_a_trickling_reply_is_cut_at_the_deadline_and_retried(trickled, key, tmp_path, stubs):
    def post(handler):
        body = json.dumps(completion(verdict("supported"))).encode()
        head = f"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        quick = len(head) if trickled == "body" else 0
        handler.wfile.write((head + body)[:quick])
        trickle(handler, (head + body)[quick:])

    stub = serve(stubs, models_then(post))
    EvidenceJudge().judge(*inputs(ONE_CLAIM))  # the fact checks' first run (imports, parsers) is not timed
    started = time.monotonic()
    judge, judgements = judge_one(stub.url, key, tmp_path, timeout=1.0, retries=1)
    elapsed = time.monotonic() - started
    assert elapsed < 4.5  # two tries of 1 s each, not the server's 6 s a try
    assert stub.count("POST") == 2  # retried within the retry budget
    assert judgements[0].verdict == "unsupported" and "no complete reply within 1 s" in judgements[0].reason
    assert judge.usage.errors == 1


# --- 2. the key never follows a redirect to another origin ------------------------------------------------


@pytest.mark.parametrize("method, code", [("GET", 307), ("GET", 302), ("POST", 302), ("POST", 307)])
def test_a_redirect_to_another_origin_never_carries_the_key(method, code, key, tmp_path, stubs):
    elsewhere = FakeOpenAI(RULES)  # another port: another origin
    try:

        def respond(handler):
            if handler.command == method:
                send(handler, code, {}, {"Location": elsewhere.url + handler.path.removeprefix("/v1")})
            else:
                send(handler, 200, MODELS)

        stub = serve(stubs, respond)
        if method == "GET":  # the preflight
            with pytest.raises(ValueError) as caught:
                LLMJudge(base_url=stub.url, model="m", api_key_env=key, cache_dir=tmp_path / "llm", backoff=0.01)
            message = str(caught.value)
            assert f"{stub.url}/models redirects (HTTP {code}) to {elsewhere.url}/models: not followed" in message
        else:
            _, judgements = judge_one(stub.url, key, tmp_path)
            reason = judgements[0].reason
            assert f"redirects (HTTP {code}) to {elsewhere.url}/chat/completions: not followed" in reason
            assert stub.count("POST") == 1  # a refused redirect is not asked again
    finally:
        elsewhere.stop()
    assert elsewhere.requests == []  # nothing reached the other origin, the key least of all


def test_a_redirect_within_the_origin_is_followed(key, tmp_path, stubs):
    def respond(handler):
        if handler.path == "/v1/models":
            send(handler, 301, {}, {"Location": "/v1/models/"})
        else:
            send(handler, 200, MODELS)

    stub = serve(stubs, respond)
    LLMJudge(base_url=stub.url, model="m", api_key_env=key, cache_dir=tmp_path / "llm")
    assert [r["path"] for r in stub.requests] == ["/v1/models", "/v1/models/"]
    assert stub.requests[1]["headers"]["Authorization"] == f"Bearer {KEY}"


# --- 3. a reply's size is capped ------------------------------------------------------------------------

FLOOD = 64 << 20


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "until-close"])
def test_a_huge_reply_fails_without_being_read(declared, key, tmp_path, stubs):
    written = [0]

    def post(handler):
        length = f"Content-Length: {FLOOD}\r\n" if declared else ""
        handler.wfile.write(f"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n{length}\r\n".encode())
        chunk = b" " * (64 << 10)
        try:
            while written[0] < FLOOD:
                handler.wfile.write(chunk)
                written[0] += len(chunk)
        except OSError:
            pass  # the client stopped reading and closed

    stub = serve(stubs, models_then(post))
    _, judgements = judge_one(stub.url, key, tmp_path, timeout=10.0, retries=0)
    assert f"reply larger than {MAX_REPLY_BYTES} bytes" in judgements[0].reason
    assert stub.done.wait(5)
    assert written[0] < FLOOD // 2  # the rest was never read (what was written sits in socket buffers)


def test_a_huge_model_list_fails_the_preflight(key, stubs):
    big = {"object": "list", "data": [{"id": "m" * 1000} for _ in range(2 * MAX_REPLY_BYTES // 1000)]}
    stub = serve(stubs, lambda handler: send(handler, 200, big))
    with pytest.raises(ValueError, match=f"reply larger than {MAX_REPLY_BYTES} bytes"):
        LLMJudge(base_url=stub.url, model="m", api_key_env=key, backoff=0.01)


# --- 4. only readable replies are cached ----------------------------------------------------------------


def test_an_unreadable_reply_is_asked_again_on_the_next_run(key, tmp_path):
    server = FakeOpenAI({"Five": "Sure! The claim looks fine to me."})
    try:
        first, judgements = judge_one(server.url, key, tmp_path)
        assert "could not be parsed" in judgements[0].reason
        server.rules["Five"] = verdict("supported")
        second, judgements = judge_one(server.url, key, tmp_path)
        assert len(server.posts()) == 2 and second.usage.cached == 0
        assert judgements[0].verdict == "supported"
        third, _ = judge_one(server.url, key, tmp_path)  # a readable reply is cached
        assert len(server.posts()) == 2 and third.usage.cached == 1
    finally:
        server.stop()


def test_an_unreadable_reply_stored_earlier_is_not_served(tmp_path):
    cache = ReplyCache(tmp_path)
    cache.put("old", Reply("Sure! The claim looks fine to me.", None, {}))  # as the old code stored it
    cache.put("good", Reply(verdict("supported"), None, {}))
    assert cache.get("old") is None and cache.get("good") is not None


# --- 5. a judge that fails says how often ----------------------------------------------------------------


def test_a_judge_failing_on_every_claim_says_so(key, tmp_path):
    server = FakeOpenAI(RULES)
    server.script = {word: [500] * 10 for word in ("Five", "Madrid", "Caracas", "seven")}
    try:
        judge = LLMJudge(base_url=server.url, model="m", api_key_env=key, cache_dir=tmp_path / "llm", retries=0)
        judgements = judge.judge(*inputs())
    finally:
        server.stop()
    assert all("judge request failed" in j.reason and "HTTP 500" in j.reason for j in judgements)
    assert judge_failures(judge.usage.counts()) == (4, 4)  # failed on every claim it was asked about


def test_a_healthy_judge_reports_no_failure(key, tmp_path):
    server = FakeOpenAI(RULES)
    try:
        judge = LLMJudge(base_url=server.url, model="m", api_key_env=key, cache_dir=tmp_path / "llm")
        judge.judge(*inputs())
        again = LLMJudge(base_url=server.url, model="m", api_key_env=key, cache_dir=tmp_path / "llm")
        again.judge(*inputs())
    finally:
        server.stop()
    assert judge_failures(judge.usage.counts()) == (0, 4)
    assert judge_failures(again.usage.counts()) == (0, 4)  # from the cache, still counted


# --- 6. garbled and cut replies are clear, transient failures ---------------------------------------------


@pytest.mark.parametrize("status_line", [b"HTTP/1.1 abc\r\n", b"garbage\r\n", b"\x00\xff\xfe\r\n"])
def test_a_malformed_status_line_at_the_preflight_is_one_line(status_line, key, stubs):
    stub = serve(stubs, lambda handler: handler.wfile.write(status_line + b"\r\n"))
    with pytest.raises(ValueError) as caught:
        LLMJudge(base_url=stub.url, model="m", api_key_env=key, backoff=0.01)
    message = str(caught.value)
    assert f"cannot reach {stub.url}/models (malformed status line" in message and "\n" not in message
    assert stub.count("GET") == 3  # transient: retried (the preflight tries at most 3 times)


def cut_body(handler):
    handler.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")


BREAKS = {
    "incomplete body": (cut_body, "the connection closed mid-reply (1 bytes read, 999 more expected)"),
    "malformed status line": (lambda h: h.wfile.write(b"HTTP/1.1 abc\r\n\r\n"), "malformed status line"),
    "closed without a reply": (lambda h: None, "the server closed the connection without a reply"),
}


@pytest.mark.parametrize("how", list(BREAKS))
def test_a_cut_or_garbled_reply_is_retried(how, key, tmp_path, stubs):
    posts = [0]
    break_it, _ = BREAKS[how]

    def post(handler):
        posts[0] += 1
        if posts[0] == 1:
            break_it(handler)
        else:
            send(handler, 200, completion(verdict("supported")))

    stub = serve(stubs, models_then(post))
    _, judgements = judge_one(stub.url, key, tmp_path, retries=2)
    assert stub.count("POST") == 2 and judgements[0].verdict == "supported"


@pytest.mark.parametrize("how", list(BREAKS))
def test_a_reply_cut_every_time_is_that_claims_clear_error(how, key, tmp_path, stubs):
    break_it, message = BREAKS[how]
    stub = serve(stubs, models_then(break_it))
    _, judgements = judge_one(stub.url, key, tmp_path, retries=1)
    assert stub.count("POST") == 2 and judgements[0].verdict == "unsupported"
    assert f"judge request failed: {stub.url}/chat/completions: {message}" in judgements[0].reason


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_a_4xx_on_a_claim_is_not_asked_again(status, key, tmp_path):
    server = FakeOpenAI(RULES)
    server.script = {"Five": [status] * 5}
    try:
        _, judgements = judge_one(server.url, key, tmp_path, retries=3)
    finally:
        server.stop()
    assert len(server.posts()) == 1 and f"HTTP {status}" in judgements[0].reason


# --- 7. a server that does not serve /models ------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 405, 501])
def test_a_server_without_a_models_route_is_accepted(status, key, tmp_path):
    server = FakeOpenAI(RULES, models_status=status)
    try:
        judge = LLMJudge(base_url=server.url, model="m", api_key_env=key, cache_dir=tmp_path / "llm")
        judgements = judge.judge(*inputs())
    finally:
        server.stop()
    probe, *claims = server.posts()  # one chat request of one token checks the route and the key
    assert probe["body"]["max_tokens"] == 1 and len(claims) == 4
    assert [j.verdict for j in judgements[:3]] == ["supported", "contradicted", "unsupported"]
    assert judge.usage.requests == 4  # the probe is not a claim


def test_a_server_serving_neither_route_is_refused(key, stubs):
    stub = serve(stubs, lambda handler: send(handler, 404, {"error": f"no such route; key {KEY}"}))
    with pytest.raises(ValueError) as caught:
        LLMJudge(base_url=stub.url, model="m", api_key_env=key, backoff=0.01)
    message = str(caught.value)
    assert f"{stub.url} is not an OpenAI-compatible API" in message and "base_url usually ends in /v1" in message
    assert KEY not in message and "\n" not in message


def test_a_refused_key_at_the_chat_probe_is_named(key, stubs):
    def respond(handler):
        send(handler, 404 if handler.command == "GET" else 401, {"error": "nope"})

    stub = serve(stubs, respond)
    with pytest.raises(ValueError, match=f"{stub.url}/chat/completions refused the API key \\(HTTP 401"):
        LLMJudge(base_url=stub.url, model="m", api_key_env=key, backoff=0.01)
    assert stub.count("POST") == 1  # a 401 is not asked again


def test_a_run_whose_judge_fails_on_most_claims_exits_2_and_is_not_cached(key, tmp_path, capsys):
    """`harness run` with a judge that answers 500 to every claim: exit 2 naming the share, and the candidate's
    result is not cached, so the next run (the server healthy again) asks again and exits 0."""
    server = FakeOpenAI(RULES)
    try:
        server.script = {word: [500] * 50 for word in ("Five", "Madrid", "Caracas", "seven", "the", "The")}
        config = write_run_inputs(tmp_path, server.url, key)
        config.write_text(config.read_text("utf-8").replace('api_key_env = "', 'retries = 0, api_key_env = "'), "utf-8")
        assert main(["run", "--config", str(config), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert "the llm judge failed on" in err and "more than 10%" in err
        server.script = {}
        asked = len(server.posts())
        assert main(["run", "--config", str(config), "--quiet"]) == 0, capsys.readouterr().err
        assert len(server.posts()) > asked  # asked again: the failed result was never cached
    finally:
        server.stop()
