"""The LLM judge: any endpoint that speaks the OpenAI chat-completions protocol (OpenAI, vLLM, Ollama,
llama.cpp's server, LM Studio) reads each claim with its evidence and answers a verdict.

    [judge]
    name = "llm"
    options = { base_url = "http://127.0.0.1:8080/v1", model = "gemma-3-270m", api_key_env = "OPENAI_API_KEY" }

One POST to `{base_url}/chat/completions` per claim, asking for a verdict and a one-sentence explanation
(harness.llm_api.prompt). `p_support` is the probability of "supported" from the verdict token's log-probabilities
when the server returns them, else a fixed value per verdict (`VERDICT_P`). The decisive fact checks still
override the model (`decide`), as for every judge.

Why it is built this way:
- every option is stated once, with its type and range, in harness.llm_api.options, which checks them;
- every readable reply is cached (harness.llm_api.replies), so a re-run sends nothing and costs nothing;
- requests run concurrently (`max_concurrency`), each within a deadline, capped in size, never redirected to
  another origin and retried only on transient failures (harness.llm_api.transport); the endpoint is checked when
  the judge is built, so an unreachable URL or a refused key is one line before any candidate is read
  (harness.llm_api.endpoint);
- the API key is read from the environment variable `api_key_env` names, sent only as
  `Authorization: Bearer`, and kept out of every cache, report, error and repr;
- a reply that cannot be read is that claim's error (verdict unsupported, the reply quoted in the reason),
  never a crash of the run, and never cached: the next run asks again; the judge's `usage` counts them (`errors` beside `requests` and
  `cached`), so the caller can refuse a run whose judge mostly failed.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from harness.checks.declaration import SourceFacts
from harness.config import Config
from harness.judges.contract import Assessment, Judge
from harness.llm_api.endpoint import Endpoint
from harness.llm_api.options import OPTION_NAMES, checked_options
from harness.llm_api.prompt import chat_messages, parse_verdict, request_body
from harness.llm_api.replies import Reply, ReplyCache, read_completion, readable, reply_key
from harness.llm_api.transport import MAX_QUOTED, RequestFailed
from harness.reading.claims import Claim
from harness.reading.retrieval import Evidence
from harness.registry import CONTRADICTED, SUPPORTED, UNSUPPORTED

# p_support for a bare verdict (no log-probabilities): confident but never certain, ordered as the verdicts are.
VERDICT_P = {SUPPORTED: 0.9, UNSUPPORTED: 0.2, CONTRADICTED: 0.05}
PROBE = (["(a check that the endpoint answers)"], "It answers.")  # the preflight's chat request: texts, claim


def api_key(variable: str | None) -> str:
    """The key in the environment variable `api_key_env` names ('' without one): each process reads it from
    its environment, so it is in no file. A variable named but not set is an error, not a request without it."""
    if variable is None:
        return ""
    key = os.environ.get(str(variable), "")
    if not key:
        raise ValueError(f"judge llm: the environment variable {variable} (api_key_env) is not set")
    return key


class LLMJudge(Judge):
    """Claims judged by a chat-completions endpoint; see the module docstring. Takes the options of
    harness.llm_api.options as keywords, and `cache_dir`, the folder of its reply cache, from the run's config."""

    name = "llm"

    def __init__(self, cache_dir: Path | None = None, **options: Any):
        settings = checked_options(options)
        key = api_key(settings["api_key_env"])
        self.base_url, self.model, self.context = (
            settings["base_url"].rstrip("/"),
            settings["model"],
            settings["context"],
        )
        self.max_concurrency, self.max_tokens = settings["max_concurrency"], settings["max_tokens"]
        self.temperature, self.logprobs = settings["temperature"], settings["logprobs"]
        self.json_schema = settings["json_schema"]
        self.endpoint = Endpoint(self.base_url, key, settings["timeout"], settings["retries"], settings["backoff"])
        self.cache = ReplyCache(cache_dir)
        self._lock = threading.Lock()
        self.endpoint.preflight({**self.request(chat_messages(*PROBE)), "max_tokens": 1})

    @classmethod
    def config_options(cls, config: Config) -> dict[str, Any]:
        """The reply cache's folder, under the run's cache folder."""
        return {"cache_dir": Path(config.cache) / "llm"}

    @classmethod
    def option_names(cls) -> list[str]:
        """The options `**options` may hold: harness.llm_api.options.OPTIONS, which checks them too."""
        return list(OPTION_NAMES)

    def __repr__(self) -> str:
        return f"LLMJudge(base_url={self.base_url!r}, model={self.model!r}, key={self.endpoint.key!r})"

    # --- one claim ---------------------------------------------------------------------------------

    def messages(self, claim: Claim, evidence: list[Evidence], sources: SourceFacts) -> list[dict[str, str]]:
        """The claim with its evidence passages, or with every reference whole (`context = "source"`)."""
        if self.context == "source":
            texts = [" ".join(sources.sentences[start:end]) for start, end in sources.document_runs()]
        else:
            texts = [e.passage.text for e in evidence]
        return chat_messages(texts, claim.match_text)

    def request(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        return request_body(messages, self.model, self.temperature, self.max_tokens, self.json_schema, self.logprobs)

    def fetch(self, body: dict[str, Any]) -> Reply:
        """One chat request (with retries) and what is kept of its answer. Runs in the request threads, so
        it touches no SQLite: `assess` reads and writes the cache."""
        with self._lock:
            self.usage.requests += 1
        reply = read_completion(self.endpoint.chat(body), self.endpoint.key.scrub)
        with self._lock:
            self.usage.add(reply.usage)
        return reply

    def read_reply(self, reply: Reply | Exception) -> Assessment:
        """The model's verdict and p_support as an Assessment (the decisive checks still overrule it: `decide`);
        a failed request or an unreadable reply is the claim's error (unsupported, the reason quoting it),
        counted in `usage.errors`."""
        parsed = parse_verdict(reply.content) if isinstance(reply, Reply) else None
        if parsed is None:
            with self._lock:
                self.usage.errors += 1
            what = (
                f"judge request failed: {reply}"
                if isinstance(reply, Exception)
                else f"judge reply could not be parsed: {' '.join(reply.content.split())[:MAX_QUOTED]!r}"
            )
            return Assessment(VERDICT_P[UNSUPPORTED], what, error=what)
        verdict, explanation = parsed
        p = reply.verdict_p[SUPPORTED] if reply.verdict_p else VERDICT_P[verdict]
        reason = (
            f"LLM: {verdict}"
            + (f", p = {p:.2f} from log-probabilities" if reply.verdict_p else "")
            + (f": {' '.join(explanation.split())[:MAX_QUOTED]}" if explanation.strip() else "")
        )
        return Assessment(p, reason, verdict=verdict)

    def assess(
        self, claims: list[Claim], evidence: list[list[Evidence]], checks: list, sources: SourceFacts
    ) -> list[Assessment]:
        """Each claim's reply (or the exception of a request that failed), from the cache or the endpoint, read."""
        todo = list(range(len(claims)))
        bodies = {i: self.request(self.messages(claims[i], evidence[i], sources)) for i in todo}
        keys = {i: reply_key(self.base_url, self.model, body) for i, body in bodies.items()}
        replies: dict[int, Reply | Exception] = {}
        for i in todo:
            cached = self.cache.get(keys[i])
            if cached is not None:
                replies[i] = cached
        self.usage.cached += len(replies)
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
        return [self.read_reply(replies[i]) for i in todo]
