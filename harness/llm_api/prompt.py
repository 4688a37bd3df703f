"""What the LLM judge asks and how it reads the answer.

The request: the claim with its numbered source passages, asking for `{"verdict": "supported" | "contradicted"
| "unsupported", "explanation": "..."}`, with a JSON schema in `response_format` and the verdict token's
log-probabilities where wanted. The answer is read tolerantly, since many servers ignore the schema: the first
JSON object with a verdict, prose and code fences around it ignored (`parse_verdict`), and p(verdict) from the
log-probabilities when the server sends them (`verdict_probabilities`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from harness.registry import CONTRADICTED, SUPPORTED, UNSUPPORTED

LLM_VERDICTS = (SUPPORTED, CONTRADICTED, UNSUPPORTED)
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
TOP_LOGPROBS = 5  # alternatives asked for at each token: enough to hold every verdict's first token


def chat_messages(texts: list[str], claim: str) -> list[dict[str, str]]:
    """The system prompt, then the source passages numbered and the claim."""
    numbered = "\n".join(f"[{i}] {t}" for i, t in enumerate(texts, 1)) or "(no source text)"
    user = (
        f"Source:\n{numbered}\n\nClaim: {claim}\n\nIs the claim supported by the source? Answer with the JSON object."
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def request_body(
    messages: list[dict[str, str]], model: str, temperature: float, max_tokens: int, json_schema: bool, logprobs: bool
) -> dict[str, Any]:
    """The chat-completions request: the schema only where `json_schema`, log-probabilities where `logprobs`."""
    body: dict[str, Any] = {"model": model, "messages": messages, "temperature": temperature, "max_tokens": max_tokens}
    if json_schema:
        body["response_format"] = RESPONSE_FORMAT
    if logprobs:
        body.update(logprobs=True, top_logprobs=TOP_LOGPROBS)
    return body


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
