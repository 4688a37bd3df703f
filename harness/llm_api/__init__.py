"""Talking to an OpenAI-compatible chat-completions endpoint, for the LLM judge (harness.judges.llm).

In the order a request goes: `options` (the judge's options, checked), `prompt` (what is asked and how the
answer is read), `replies` (what is kept of an answer, and its cache), `endpoint` (the API with its key,
retries and preflight) and `transport` (one HTTP exchange: deadline, size cap, same-origin redirects).
"""
