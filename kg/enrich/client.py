"""A Semantic Scholar Graph API client that returns complete answers or raises.

It stands on the `semanticscholar` package (its API settings, auth header and
requester) with the package's own retry turned off: that retry ignores Retry-After
and blocks for minutes, and the package turns 502/503 into empty answers. Here each
attempt is classified (answer, not found, transient, unreachable) and our policy
retries: Retry-After on 429, exponential backoff with jitter on 5xx and timeouts, a
bounded number of tries. One HTTP connection is kept for the whole run.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import time
from dataclasses import dataclass

import httpx
from semanticscholar.ApiRequester import ApiRequester
from semanticscholar.AsyncSemanticScholar import AsyncSemanticScholar
from semanticscholar.SemanticScholarException import BadQueryParametersException, ObjectNotFoundException

DEFAULT_API_URL = "https://api.semanticscholar.org/graph/v1"
PAPER_FIELDS = ("paperId", "corpusId", "externalIds", "title", "abstract", "venue", "publicationVenue", "year",
                "publicationDate", "publicationTypes", "authors", "citationCount", "influentialCitationCount",
                "referenceCount", "fieldsOfStudy", "tldr", "openAccessPdf", "url")
EDGE_FIELDS = ("paperId", "externalIds", "title", "year")
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


class PolicyRequester(ApiRequester):
    """The package's requester, one attempt per call, errors classified instead of swallowed."""

    def __init__(self, client: httpx.AsyncClient, timeout: float):
        super().__init__(timeout, retry=False)
        self.client = client

    async def get_data_async(self, url: str, parameters: str, headers: dict, payload: dict | None = None):
        method = "POST" if payload is not None else "GET"
        try:
            response = await self.client.request(method, url, params=parameters.lstrip("&") or None,
                                                 headers=headers, json=payload)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise Unreachable(f"cannot reach {url}: {error}") from None
        except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError) as error:
            raise TransientError(f"{type(error).__name__} from {url}") from None
        return self.classify(response)

    @staticmethod
    def classify(response: httpx.Response):
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

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 policy: RetryPolicy | None = None, timeout: float = 20.0, on_event=None):
        self.base_url = (base_url or os.environ.get("S2_API_URL") or DEFAULT_API_URL).rstrip("/")
        self.policy = policy or RetryPolicy()
        self.random = random.Random(self.policy.seed)
        self.api = AsyncSemanticScholar(api_url=self.base_url, api_key=api_key or api_key_from_config(),
                                        retry=False, timeout=timeout)
        self.loop = asyncio.new_event_loop()
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
                                      follow_redirects=False)
        self.api._requester = PolicyRequester(self.http, timeout)
        self.requests = 0
        self.waited = 0.0
        self.on_event = on_event or (lambda kind, **info: None)

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()

    def call(self, path: str, params: dict | None = None, payload: dict | None = None):
        """One API call under the retry policy: the parsed answer, or GaveUp / Unreachable."""
        url = f"{self.base_url}{path}"
        parameters = str(httpx.QueryParams(params or {}))
        last = "no attempt"
        for attempt in range(1, self.policy.attempts + 1):
            self.requests += 1
            self.on_event("request", path=path)
            try:
                return self.loop.run_until_complete(
                    self.api._requester.get_data_async(url, parameters, self.api.auth_header, payload))
            except TransientError as error:
                last = str(error)
                if attempt == self.policy.attempts:
                    break
                delay = self.delay(attempt, error.retry_after)
                if delay is None:
                    raise GaveUp(f"{path}: asked to wait {error.retry_after:.0f} s, more than the "
                                 f"{self.policy.max_retry_after:.0f} s allowed") from None
                self.on_event("wait", seconds=delay, reason=last)
                self.waited += delay
                time.sleep(delay)
        raise GaveUp(f"{path}: {self.policy.attempts} tries failed, last: {last}")

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Retry-After when the server gives one, else exponential backoff with full jitter."""
        if retry_after is not None:
            return retry_after if retry_after <= self.policy.max_retry_after else None
        ceiling = min(self.policy.max_delay, self.policy.base_delay * 2 ** (attempt - 1))
        return self.random.uniform(ceiling / 2, ceiling)

    def batch(self, ids: list[str], fields: list[str]) -> list[dict | None]:
        """POST /paper/batch: one answer per id, in order, None where S2 knows no such paper."""
        if not 0 < len(ids) <= BATCH_LIMIT:
            raise ValueError(f"a batch holds 1 to {BATCH_LIMIT} ids, not {len(ids)}")
        answer = self.call("/paper/batch", {"fields": ",".join(fields)}, {"ids": ids})
        if not isinstance(answer, list) or len(answer) != len(ids):
            raise GaveUp(f"/paper/batch: expected {len(ids)} answers, got "
                         f"{len(answer) if isinstance(answer, list) else type(answer).__name__}")
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
            answer = self.call(f"/paper/{paper_id}/{direction}",
                               {"fields": ",".join(fields), "offset": offset, "limit": page_size})
            if not isinstance(answer, dict) or not isinstance(answer.get("data"), list):
                raise GaveUp(f"/paper/{paper_id}/{direction}: answer without data")
            items.extend(answer["data"])
            if answer.get("next") is None:
                return items
            offset = answer["next"]
