"""A Semantic Scholar Graph API client that returns complete answers or raises.

A plain httpx.Client (one connection for the whole run) with tenacity running the retry
policy: each attempt is classified (answer, not found, transient, unreachable); 429 waits
what Retry-After says (up to a bound), 5xx and timeouts back off exponentially with
jitter, a bounded number of tries. An API key goes in the `x-api-key` header.

From the `semanticscholar` package only its exception classes are used
(ObjectNotFoundException for 404, BadQueryParametersException for 400), so code that
knows that package reads our errors the same way. Its client is not: its own retry ignores
Retry-After and blocks for minutes, it turns 502/503 into empty answers, and steering it
meant replacing its private `_requester` and running an event loop of our own.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass

import httpx
import tenacity
from semanticscholar.SemanticScholarException import BadQueryParametersException, ObjectNotFoundException

DEFAULT_API_URL = "https://api.semanticscholar.org/graph/v1"
PAPER_FIELDS = (
    "paperId",
    "corpusId",
    "externalIds",
    "title",
    "abstract",
    "venue",
    "publicationVenue",
    "year",
    "publicationDate",
    "publicationTypes",
    "authors",
    "citationCount",
    "influentialCitationCount",
    "referenceCount",
    "fieldsOfStudy",
    "tldr",
    "openAccessPdf",
    "url",
)
BATCH_LIMIT = 500


class TransientError(Exception):
    """Worth another try: 429, 5xx, a timeout, a cut or malformed answer."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Unreachable(Exception):
    """The API cannot be reached at all (no network, DNS, refused): stop asking."""


class GaveUp(Exception):
    """Every try failed; the message says why."""


@dataclass
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 120.0
    seed: int | None = None


def api_key_from_config() -> str | None:
    """S2_API_KEY, else `api_key = ...` in the user's awesome-kg config file."""
    if os.environ.get("S2_API_KEY"):
        return os.environ["S2_API_KEY"]
    from platformdirs import user_config_dir

    config = os.path.join(user_config_dir("awesome-kg"), "config.toml")
    if os.path.exists(config):
        import tomllib

        with open(config, "rb") as handle:
            return tomllib.load(handle).get("api_key")
    return None


def classify(response: httpx.Response):
    """The parsed answer of one attempt, or the exception that says what kind of failure it was."""
    status = response.status_code
    if status == 429:
        raise TransientError("429 Too Many Requests", retry_after=parse_retry_after(response))
    if status >= 500:
        raise TransientError(f"HTTP {status}", retry_after=parse_retry_after(response))
    if status in (400, 404):
        message = error_message(response)
        raise (BadQueryParametersException if status == 400 else ObjectNotFoundException)(message)
    if status in (401, 403):
        raise GaveUp(f"HTTP {status}: the API refused the key (check S2_API_KEY)")
    if status != 200:
        raise TransientError(f"HTTP {status}")
    if "json" not in response.headers.get("content-type", ""):
        raise TransientError(f"answer is {response.headers.get('content-type') or 'untyped'}, not JSON")
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise TransientError("answer is not valid JSON (cut short?)") from None


def parse_retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body.get("error") or body.get("message") or body)
    except (ValueError, AttributeError):
        return response.text[:200]


class S2Client:
    """Synchronous calls to the Graph API with our retry policy; counts requests and waits."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        policy: RetryPolicy | None = None,
        timeout: float = 20.0,
        on_event=None,
    ):
        self.base_url = (base_url or os.environ.get("S2_API_URL") or DEFAULT_API_URL).rstrip("/")
        self.policy = policy or RetryPolicy()
        self.random = random.Random(self.policy.seed)
        key = api_key or api_key_from_config()
        self.http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            follow_redirects=False,
            headers={"x-api-key": key} if key else {},
        )
        self.requests = 0
        self.waited = 0.0
        self.on_event = on_event or (lambda kind, **info: None)

    def close(self) -> None:
        self.http.close()

    def attempt(self, method: str, url: str, params: dict | None, payload: dict | None):
        """One request, its outcome classified (see `classify`)."""
        self.requests += 1
        self.on_event("request", path=url[len(self.base_url) :])
        try:
            response = self.http.request(method, url, params=params, json=payload)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise Unreachable(f"cannot reach {url}: {error}") from None
        except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError) as error:
            raise TransientError(f"{type(error).__name__} from {url}") from None
        return classify(response)

    def call(self, path: str, params: dict | None = None, payload: dict | None = None):
        """One API call under the retry policy: the parsed answer, or GaveUp / Unreachable."""
        url = f"{self.base_url}{path}"
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.policy.attempts),
            retry=tenacity.retry_if_exception(self.worth_waiting_for),
            wait=self.wait_for,
            before_sleep=self.announce_wait,
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(self.attempt, "POST" if payload is not None else "GET", url, params, payload)
        except TransientError as error:
            if error.retry_after is not None and error.retry_after > self.policy.max_retry_after:
                raise GaveUp(
                    f"{path}: asked to wait {error.retry_after:.0f} s, more than the "
                    f"{self.policy.max_retry_after:.0f} s allowed"
                ) from None
            raise GaveUp(f"{path}: {self.policy.attempts} tries failed, last: {error}") from None

    def worth_waiting_for(self, error: BaseException) -> bool:
        """Transient failures are retried, unless the server asks for a longer wait than allowed."""
        return isinstance(error, TransientError) and (
            error.retry_after is None or error.retry_after <= self.policy.max_retry_after
        )

    def wait_for(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return self.delay(state.attempt_number, getattr(error, "retry_after", None))

    def announce_wait(self, state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        self.on_event("wait", seconds=state.next_action.sleep if state.next_action else 0.0, reason=str(error))

    def sleep(self, seconds: float) -> None:
        self.waited += seconds
        time.sleep(seconds)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Retry-After when the server gives one, else exponential backoff with jitter."""
        if retry_after is not None:
            return retry_after
        ceiling = min(self.policy.max_delay, self.policy.base_delay * 2 ** (attempt - 1))
        return self.random.uniform(ceiling / 2, ceiling)

    def batch(self, ids: list[str], fields: list[str]) -> list[dict | None]:
        """POST /paper/batch: one answer per id, in order, None where S2 knows no such paper."""
        if not 0 < len(ids) <= BATCH_LIMIT:
            raise ValueError(f"a batch holds 1 to {BATCH_LIMIT} ids, not {len(ids)}")
        answer = self.call("/paper/batch", {"fields": ",".join(fields)}, {"ids": ids})
        if not isinstance(answer, list) or len(answer) != len(ids):
            raise GaveUp(
                f"/paper/batch: expected {len(ids)} answers, got "
                f"{len(answer) if isinstance(answer, list) else type(answer).__name__}"
            )
        return answer

    def match_title(self, title: str, fields: list[str]) -> dict | None:
        """GET /paper/search/match: the best title match, None when S2 finds none."""
        try:
            answer = self.call("/paper/search/match", {"query": title, "fields": ",".join(fields)})
        except ObjectNotFoundException:
            return None
        data = answer.get("data") if isinstance(answer, dict) else None
        if not data:
            raise GaveUp("/paper/search/match: answer without data")
        return data[0]

    def edge_pages(self, paper_id: str, direction: str, fields: list[str], page_size: int = 1000) -> list[dict]:
        """Every item of /paper/{id}/references or /citations, all pages; raises rather than return part."""
        items: list[dict] = []
        offset = 0
        while True:
            answer = self.call(
                f"/paper/{paper_id}/{direction}", {"fields": ",".join(fields), "offset": offset, "limit": page_size}
            )
            if not isinstance(answer, dict) or not isinstance(answer.get("data"), list):
                raise GaveUp(f"/paper/{paper_id}/{direction}: answer without data")
            items.extend(answer["data"])
            if answer.get("next") is None:
                return items
            offset = answer["next"]
