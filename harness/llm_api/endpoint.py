"""An OpenAI-compatible API at `base_url`, as the LLM judge talks to it: JSON in, JSON out, with the API key.

- every exchange runs within `timeout` seconds of wall-clock time for all of it (harness.llm_api.transport), with
  retries and exponential backoff on transient failures only (429, 5xx, timeouts, dropped or cut connections,
  a garbled status line), because hosted endpoints rate-limit and local ones queue; a 4xx is an answer, not
  asked again;
- the endpoint is checked before any claim (`preflight`: GET {base_url}/models, or where a server does not
  serve that route a one-token chat request): an unreachable URL or a refused key is one line naming the URL
  before any candidate is read, not one error per claim;
- the API key is sent only as `Authorization: Bearer`, and kept out of every error and repr (`APIKey`).
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request

from harness.llm_api.transport import (
    MAX_ERROR_BYTES,
    MAX_QUOTED,
    MAX_REPLY_BYTES,
    RETRY_STATUSES,
    Deadline,
    RequestFailed,
    opener,
    read_body,
    retry_after,
    transport_failure,
)

NO_MODELS_ROUTE = {404, 405, 501}  # servers that speak chat completions but list no models
REFUSED_KEY = {401, 403}


class APIKey:
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


class Endpoint:
    """Requests to `base_url` (no trailing slash) with the key, each within `timeout` seconds, tried again up
    to `retries` times after a transient failure, `backoff` * 2^attempt seconds apart."""

    def __init__(self, base_url: str, key: str, timeout: float, retries: int, backoff: float):
        self.base_url, self.key = base_url, APIKey(key)
        self.timeout, self.retries, self.backoff = timeout, retries, backoff

    def __repr__(self) -> str:
        return f"Endpoint(base_url={self.base_url!r}, key={self.key!r})"

    def chat(self, body: dict) -> dict:
        """One chat completion (with retries): the JSON object answered, else RequestFailed naming the URL."""
        url = f"{self.base_url}/chat/completions"
        try:
            return self._with_retries("POST", url, body, self.timeout, self.retries)
        except RequestFailed as exc:
            raise RequestFailed(f"{url}: {exc}", exc.transient, exc.status) from None

    # --- one exchange ---------------------------------------------------------------------------------------

    def _send(self, method: str, url: str, body: dict | None, timeout: float) -> dict:
        """One HTTP exchange, all of it within `timeout` seconds: the JSON object answered, else
        RequestFailed (see there for which failures are transient)."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {
            "Accept": "application/json",
            **self.key.header(),
            **({"Content-Type": "application/json"} if data else {}),
        }
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        deadline = Deadline(timeout)
        try:
            with opener(deadline).open(request) as response:
                payload, status = read_body(response, deadline, MAX_REPLY_BYTES), response.status
            if deadline.expired():  # the timer shut the socket: what was read may be cut short
                raise deadline.error()
        except RequestFailed as exc:
            raise self._failed(str(exc), exc.transient, exc.status, exc.retry_after) from None
        except urllib.error.HTTPError as exc:
            raise self._status_failure(exc, deadline) from None
        except (OSError, http.client.HTTPException) as exc:
            if deadline.expired() or isinstance(exc, TimeoutError):
                raise deadline.error() from None
            raise self._failed(*transport_failure(exc)) from None
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
        return RequestFailed(self.key.scrub(message), transient, status, retry_after)

    def _status_failure(self, exc: urllib.error.HTTPError, deadline: Deadline) -> RequestFailed:
        """An HTTP error status, the start of the server's text quoted; transient for 429 and 5xx."""
        text = ""
        if exc.fp is not None:
            try:
                text = read_body(exc.fp, deadline, MAX_ERROR_BYTES, truncate=True).decode("utf-8", "replace")
            except (RequestFailed, OSError, http.client.HTTPException, AttributeError):
                pass  # the body is only quoted
        quoted = " ".join(text.split())[:MAX_QUOTED]
        return self._failed(
            f"HTTP {exc.code}" + (f": {quoted}" if quoted else ""),
            exc.code in RETRY_STATUSES,
            exc.code,
            retry_after(exc.headers),
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

    # --- before any claim -----------------------------------------------------------------------------------

    def preflight(self, probe: dict) -> None:
        """GET {base_url}/models, so an unreachable endpoint or a refused key stops the run before any
        candidate is read, in one line naming the URL. Many servers speak chat completions without serving
        /models (404, 405, 501): for those the chat request `probe` (one token) asks the same questions."""
        url = f"{self.base_url}/models"
        try:
            self._with_retries("GET", url, None, min(self.timeout, 15.0), min(self.retries, 2))
        except RequestFailed as exc:
            if exc.status not in NO_MODELS_ROUTE:
                raise self._preflight_error(url, exc) from None
            self._probe_chat(probe, exc)

    def _probe_chat(self, probe: dict, models_failure: RequestFailed) -> None:
        """A chat request of one token, shaped as every claim's: refused when the key is refused, the route
        is missing too or the endpoint cannot be reached; any other answer (a reply, a 400 about an option,
        a 5xx) shows the route is there, and the claims' own requests say the rest. Not cached or counted."""
        url = f"{self.base_url}/chat/completions"
        try:
            self._with_retries("POST", url, probe, self.timeout, min(self.retries, 2))
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
            whose = "the API key" if self.key.header() else "a request without an API key (set api_key_env)"
            return ValueError(f"judge llm: {url} refused {whose} ({exc})")
        if exc.status is None:
            return ValueError(f"judge llm: cannot reach {url} ({exc})")
        if 300 <= exc.status < 400:
            return ValueError(f"judge llm: {url} {exc}")
        return ValueError(f"judge llm: {url} is not an OpenAI-compatible API ({exc}; base_url usually ends in /v1)")
