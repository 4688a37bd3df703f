"""What is kept of an LLM's answers, and the SQLite cache of them.

Every reply is cached by sha256 of (base_url, model, request), so a re-run sends nothing and costs nothing.
Only a readable reply (one with a verdict) is kept: a failed request or an unreadable reply is asked again
next time, never a verdict for good. The request holds no key, so neither does the file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from harness.llm_api.prompt import LLM_VERDICTS, parse_verdict, verdict_probabilities
from harness.store import SqliteCache

USAGE_COUNTS = ("prompt_tokens", "completion_tokens", "total_tokens")  # of a completion's `usage`, what is kept


@dataclass
class Reply:
    """What is cached of one chat completion: the message text, the verdict probabilities read from the
    log-probabilities (None when the server sent none), and the tokens it cost."""

    content: str
    verdict_p: dict[str, float] | None
    usage: dict[str, int]


def read_completion(answer: dict, scrub: Callable[[str], str]) -> Reply:
    """The Reply in a chat-completions answer; an answer without a message is quoted as the malformed reply it
    is (and then fails to parse). `scrub` takes the API key out of the text (some servers echo it)."""
    try:
        choice = answer["choices"][0]
        content = choice["message"].get("content") or ""
    except (KeyError, IndexError, TypeError, AttributeError):
        content, choice = json.dumps(answer)[:2000], {}
    usage = {k: int(v) for k, v in (answer.get("usage") or {}).items() if k in USAGE_COUNTS and isinstance(v, int)}
    return Reply(scrub(str(content)), verdict_probabilities(choice.get("logprobs")), usage)


def readable(reply: Reply | Exception) -> bool:
    """A reply with a verdict: the only kind the cache keeps, so that a failure is never a verdict for good."""
    return isinstance(reply, Reply) and parse_verdict(reply.content) is not None


def reply_key(base_url: str, model: str, body: dict[str, Any]) -> str:
    """The cache key of a request to a model at an endpoint."""
    return hashlib.sha256(json.dumps([base_url, model, body], sort_keys=True).encode()).hexdigest()


class ReplyCache(SqliteCache):
    """Replies by `reply_key`, in `folder`/replies.sqlite (none kept without a folder)."""

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
