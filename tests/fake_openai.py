"""Stand-ins for the LLM judge's tests (tests/test_llm_judge.py, tests/test_llm_transport.py): an
OpenAI-compatible chat endpoint on 127.0.0.1 that records every request, the inputs a judge is handed, and a
run's files pointing at an endpoint."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from harness.checks.declaration import SourceFacts
from harness.measure.scorer import text_document
from harness.reading.claims import split_claims
from harness.reading.retrieval import Evidence, Passage

KEY = "sk-test-0123456789abcdef-never-written"
SOURCE = ["Venezuela released five Spanish prisoners on Thursday.", "The men flew to Madrid on Friday, officials said."]
SUMMARY = (
    "Five Spanish prisoners were released. The men flew to Madrid. The weather in Caracas was nice. "
    "Venezuela released seven Spanish prisoners on Thursday."
)


def verdict(name: str, explanation: str = "because") -> str:
    return json.dumps({"verdict": name, "explanation": explanation})


RULES = {"Five Spanish": verdict("supported"), "Madrid": verdict("contradicted"), "seven": verdict("supported")}


class FakeOpenAI:
    """An OpenAI-compatible chat endpoint on 127.0.0.1 that records every request. The reply to a claim is
    the first `rules` entry whose key occurs in the claim, else unsupported; `script` can hand out HTTP
    statuses first (e.g. a 429), keyed the same way."""

    def __init__(self, rules: dict[str, str] | None = None, models_status: int = 200, delay: float = 0.0):
        self.rules, self.models_status, self.delay = rules or {}, models_status, delay
        self.script: dict[str, list[int]] = {}
        self.logprobs: dict | None = None
        self.requests: list[dict] = []
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, payload, headers: dict | None = None):
                data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **(headers or {})}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                fake.record("GET", self.path, dict(self.headers), None)
                if self.path.endswith("/models"):
                    self._send(
                        fake.models_status,
                        {"object": "list", "data": [{"id": "fake-model"}]}
                        if fake.models_status == 200
                        else {"error": {"message": f"Incorrect API key {KEY}"}},
                    )
                else:
                    self._send(404, {"error": "not found"})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.record("POST", self.path, dict(self.headers), body)
                with fake.lock:
                    fake.in_flight += 1
                    fake.most_in_flight = max(fake.most_in_flight, fake.in_flight)
                try:
                    time.sleep(fake.delay)
                    status, payload = fake.answer(body)
                    self._send(status, payload, {"Retry-After": "0"} if status == 429 else None)
                finally:
                    with fake.lock:
                        fake.in_flight -= 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def record(self, method: str, path: str, headers: dict, body: dict | None) -> None:
        with self.lock:
            self.requests.append({"method": method, "path": path, "headers": headers, "body": body})

    def posts(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "POST"]

    def answer(self, body: dict) -> tuple[int, object]:
        claim = body["messages"][-1]["content"].split("Claim: ", 1)[1].split("\n", 1)[0]
        for key, statuses in self.script.items():
            if key in claim and statuses:
                return statuses.pop(0), {"error": {"message": f"busy; your key {KEY} is fine"}}
        content = next((reply for key, reply in self.rules.items() if key in claim), verdict("unsupported"))
        choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        if self.logprobs is not None:
            choice["logprobs"] = self.logprobs
        return 200, {
            "id": "x",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [choice],
            "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
        }

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def inputs(summary: str = SUMMARY):
    """Claims of `summary`, every source sentence as their evidence, and the sources' facts: what the
    pipeline hands a judge, without loading the embedding model."""
    claims = split_claims(text_document("summary", summary))
    passages = [Passage("ref", s, 0, len(s), i) for i, s in enumerate(SOURCE)]
    return (
        claims,
        [[Evidence(p, 0.5, 0.5, 0.5) for p in passages] for _ in claims],
        SourceFacts(SOURCE, documents=["ref"] * 2),
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def files_holding(root: Path, secret: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def write_run_inputs(root: Path, base_url: str, key_env: str) -> Path:
    (root / "gold").mkdir()
    (root / "gold" / "ref.txt").write_text(" ".join(SOURCE) + "\n")
    (root / "candidates").mkdir()
    (root / "candidates" / "mine.txt").write_text(SUMMARY + "\n")
    config = root / "harness.toml"
    config.write_text(
        f'[paths]\ngold = "gold"\ncandidates = "candidates"\nreports = "reports"\ncache = "cache"\n'
        f'[judge]\nname = "llm"\noptions = {{ base_url = "{base_url}", model = "fake-model", '
        f'api_key_env = "{key_env}" }}\n'
    )
    return config
