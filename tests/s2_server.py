"""A small Semantic Scholar Graph API server for tests, speaking the real wire format.

It serves given records on 127.0.0.1 from a background thread: batch, single paper, references and
citations pages and title match, with S2's field selection, paging and error bodies, and it can
misbehave on purpose (rate limits, gateway errors, hangs, broken bodies, wrong records) so the
product's client can be tested against every way the real service fails. Standard library only.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import random
import re
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

API_PREFIX = "/graph/v1"
BATCH_LIMIT = 500
CITATION_CAP = 9999
PAGE_LIMIT = 1000
HANG_CAP = 5.0
ANSWER_LIMIT = 10 * 1000 * 1000  # "Can only return up to 10 MB of data at a time"
TOO_LARGE = (
    "Response would exceed maximum size of {limit} bytes. Please break your request into smaller "
    "batches or make use of the limit and offset features."
)

BASE_FIELDS = (
    "paperId",
    "corpusId",
    "externalIds",
    "url",
    "title",
    "abstract",
    "venue",
    "publicationVenue",
    "year",
    "referenceCount",
    "citationCount",
    "influentialCitationCount",
    "isOpenAccess",
    "openAccessPdf",
    "fieldsOfStudy",
    "s2FieldsOfStudy",
    "publicationTypes",
    "publicationDate",
    "journal",
    "citationStyles",
    "authors",
)
PAPER_FIELDS = BASE_FIELDS + ("citations", "references", "embedding", "tldr", "textAvailability")
AUTHOR_FIELDS = (
    "authorId",
    "externalIds",
    "url",
    "name",
    "affiliations",
    "homepage",
    "paperCount",
    "citationCount",
    "hIndex",
)
EDGE_FIELDS = ("contexts", "intents", "contextsWithIntent", "isInfluential")
INTENTS = ("background", "methodology", "result")

STATUS_FAULTS = ("429", "500", "502", "503", "504")
FAULTS = STATUS_FAULTS + ("hang", "close", "malformed", "html", "short", "foreign", "truncate")
TOO_MANY = (
    "Too Many Requests. Please wait and try again or apply for a key for higher rate limits. "
    "https://www.semanticscholar.org/product/api#api-key-form"
)
GATEWAY_HTML = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
)
PORTAL_HTML = "<!DOCTYPE html><html><head><title>Semantic Scholar</title></head><body>Loading…</body></html>"


def check_faults(names: list[str]) -> None:
    """Fail loudly on a fault name the server does not know."""
    unknown = sorted(set(names) - set(FAULTS))
    if unknown:
        raise ValueError(f"unknown faults {unknown}; known: {FAULTS}")


@dataclass
class Faults:
    """What goes wrong and when: a queue for the next requests, per-path overrides, a seeded random rate."""

    queue: list[str] = field(default_factory=list)
    per_path: dict[str, str] = field(default_factory=dict)
    rate: float = 0.0
    mix: tuple[str, ...] = ("429", "500", "502", "503", "504")
    seed: int = 0
    retry_after: int = 1
    hang_seconds: float = 2.0

    def __post_init__(self) -> None:
        """Reject unknown fault names early and bound the hang, so a typo or a long sleep can't stall tests."""
        check_faults([*self.queue, *self.per_path.values(), *self.mix])
        self.hang_seconds = min(float(self.hang_seconds), HANG_CAP)
        self._random = random.Random(self.seed)

    def pick(self, endpoint: str, path: str) -> str | None:
        """The fault for one request: queued first, then the path's or endpoint's override, then chance."""
        if self.queue:
            return self.queue.pop(0)
        override = self.per_path.get(path) or self.per_path.get(endpoint)
        if override:
            return override
        if self.rate and self._random.random() < self.rate:
            return self._random.choice(self.mix)
        return None


@dataclass(frozen=True)
class Received:
    """One request as the server saw it, for tests to assert on."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    endpoint: str
    fault: str | None

    @property
    def api_key(self) -> str | None:
        """The x-api-key header, if the client sent one."""
        return self.headers.get("x-api-key")


class ApiError(Exception):
    """An S2 error answer: status code and JSON body."""

    def __init__(self, status: int, body: dict):
        super().__init__(status, body)
        self.status, self.body = status, body


def norm_title(title: str) -> str:
    """Title key for matching: lowercase letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", (title or "").lower())


def url_key(url: str) -> str | None:
    """The lookup key S2 derives from a `URL:` id; only the domains S2 supports resolve."""
    patterns = (
        (r"semanticscholar\.org/paper/(?:.*/)?([0-9a-f]{40})", "{}"),
        (r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5}|[a-z\-]+/\d{7})(?:v\d+)?(?:\.pdf)?/?$", "ARXIV:{}"),
        (r"(?:aclanthology\.org|aclweb\.org/anthology)/([^/]+?)(?:\.pdf)?/?$", "ACL:{}"),
        (r"acm\.org/doi/(?:abs/|pdf/|full/|fullHtml/)?(10\.\d+/[^?#]+)", "DOI:{}"),
        (r"biorxiv\.org/content/(10\.\d+/[^?#v]+)", "DOI:{}"),
    )
    for pattern, template in patterns:
        match = re.search(pattern, url)
        if match:
            value = match.group(1)
            return template.format(value.lower() if template.startswith("DOI") else value)
    return None


def lookup_key(raw: str) -> str | None:
    """Canonical index key of a paper id in any S2 form (sha, CorpusId:, DOI:, ARXIV:, ACL:, URL:, bare DOI)."""
    raw = raw.strip()
    if re.fullmatch(r"[0-9a-fA-F]{40}", raw):
        return raw.lower()
    if raw.startswith("10."):
        return f"DOI:{raw.lower()}"
    prefix, sep, rest = raw.partition(":")
    if not sep:
        return None
    prefix = prefix.upper()
    if prefix == "URL":
        return url_key(rest)
    if prefix == "DOI":
        return f"DOI:{rest.lower()}"
    return f"{prefix}:{rest}" if prefix in ("CORPUSID", "ARXIV", "ACL", "MAG", "PMID", "PMCID") else None


def record_keys(record: dict) -> list[str]:
    """Every key a record is found under: its paperId, CorpusId and external ids S2 accepts."""
    names = {
        "ArXiv": "ARXIV",
        "ACL": "ACL",
        "MAG": "MAG",
        "PubMed": "PMID",
        "PubMedCentral": "PMCID",
        "CorpusId": "CORPUSID",
    }
    keys = [record["paperId"].lower()]
    if record.get("corpusId") is not None:
        keys.append(f"CORPUSID:{record['corpusId']}")
    for name, value in (record.get("externalIds") or {}).items():
        if name == "DOI":
            keys.append(f"DOI:{value.lower()}")
        elif name in names:
            keys.append(f"{names[name]}:{value}")
    return keys


def parse_fields(
    raw: str | None, allowed: tuple[str, ...], nested_allowed: dict[str, tuple[str, ...]]
) -> tuple[list[str], dict[str, list[str]]]:
    """Split `fields` into top-level names and dotted sub-fields; unknown names give S2's 400."""
    if raw is None:
        return ["title"], {}
    top: list[str] = []
    nested: dict[str, list[str]] = {}
    bad = []
    for name in (part.strip() for part in raw.split(",") if part.strip()):
        head, _, sub = name.partition(".")
        sub_head = sub.split(".")[0]
        if head not in allowed or (sub and sub_head not in nested_allowed.get(head, ())):
            bad.append(name)
            continue
        if head not in top:
            top.append(head)
        if head in nested_allowed:
            nested.setdefault(head, [])
            if sub and sub_head not in nested[head]:
                nested[head].append(sub_head)
    if bad:
        raise ApiError(400, {"error": f"Unrecognized or unsupported fields: [{', '.join(bad)}]"})
    return top, nested


def render_author(author: dict, extra: list[str]) -> dict:
    """An author with S2's always-present authorId and name plus any requested sub-fields."""
    names = ["authorId", "name"] + [f for f in extra if f not in ("authorId", "name")]
    return {name: author.get(name) for name in names}


def render_paper(
    record: dict, top: list[str], nested: dict[str, list[str]], cap: int | None = None, truncate: bool = False
) -> dict:
    """A record cut down to paperId plus the requested fields, in the record's own field order;
    nested citations stop at `cap`, and `truncate` halves both nested lists (a fault)."""
    wanted = [name for name in record if name in top] + [name for name in top if name not in record]
    out = {"paperId": record.get("paperId")}
    for name in wanted:
        value = record.get(name)
        if name in ("citations", "references") and value is not None:
            if name == "citations" and cap is not None:
                value = value[:cap]
            if truncate:
                value = value[: len(value) // 2]
            sub = nested.get(name) or ["title"]
            value = [render_paper(item, sub, {"authors": []}) for item in value]
        elif name == "authors" and value is not None:
            value = [render_author(author, nested.get("authors", [])) for author in value]
        out[name] = value
    return out


def edge_facts(citing: dict, cited: dict) -> dict:
    """Deterministic contexts, intents and influence for one citation edge (records carry none)."""
    h = hashlib.sha1(f"{citing.get('paperId')}>{cited.get('paperId') or cited.get('title')}".encode()).digest()
    intents = [intent for i, intent in enumerate(INTENTS) if h[i] % 3 == 0]
    contexts = [f"Prior work on {(cited.get('title') or 'this topic')[:60]} [{1 + h[4] % 40}] motivates our design."]
    if h[5] % 2:
        contexts.append(f"We compare against {(cited.get('title') or 'it').split(':')[0]} [{1 + h[6] % 40}].")
    return {
        "contexts": contexts,
        "intents": intents,
        "contextsWithIntent": [{"context": c, "intents": intents} for c in contexts],
        "isInfluential": h[7] % 4 == 0,
    }


def int_param(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter in range, else S2's 'Unacceptable query params' 400."""
    raw = query.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d+", raw) or not low <= int(raw) <= high:
        raise ApiError(400, {"error": f"Unacceptable query params: [{name}={raw}]"})
    return int(raw)


class PaperIndex:
    """Records by every key S2 accepts, plus normalized titles for title match."""

    def __init__(self, records: list[dict]):
        self.records = list(records)
        self.by_key: dict[str, dict] = {}
        for record in self.records:
            for key in record_keys(record):
                self.by_key.setdefault(key, record)
        self.titles = [(norm_title(r.get("title")), r) for r in self.records if r.get("title")]

    def get(self, raw_id: str) -> dict | None:
        """The record an id names, or None."""
        key = lookup_key(raw_id) if isinstance(raw_id, str) else None
        return self.by_key.get(key) if key else None

    def match(self, query: str) -> tuple[dict, float] | None:
        """Best title match: exact, a long enough prefix (S2 matches partial titles), or a close spelling."""
        q = norm_title(query)
        if not q:
            return None
        best = None
        for title, record in self.titles:
            if title == q or (len(q) >= 20 and title.startswith(q)):
                ratio = 1.0 if title == q else 0.95
            else:
                matcher = difflib.SequenceMatcher(None, q, title)
                if matcher.real_quick_ratio() < 0.9 or matcher.quick_ratio() < 0.9:
                    continue
                ratio = matcher.ratio()
                if ratio < 0.9:
                    continue
            if best is None or ratio > best[1]:
                best = (record, ratio)
        return None if best is None else (best[0], round(40 + 70 * best[1] + len(q) / 100, 5))

    def other_than(self, paper_ids: set[str]) -> dict:
        """Some record not among the given ones, for the 'foreign record' fault."""
        return next((r for r in self.records if r["paperId"] not in paper_ids), self.records[0])


class S2Api:
    """The Graph API's answers as (status, JSON) for a parsed request, with no transport concerns."""

    def __init__(self, index: PaperIndex):
        self.index = index

    def not_found(self, raw_id: str) -> ApiError:
        """S2's 404 for an unknown paper id."""
        return ApiError(404, {"error": f"Paper with id {raw_id} not found"})

    def batch(self, query: dict, body: Any, cap: int, fault: str | None) -> list:
        """POST /paper/batch: a list aligned with `ids`, null where unknown."""
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ApiError(400, {"error": 'Unacceptable request body: expected {"ids": [string, ...]}'})
        if len(ids) > BATCH_LIMIT:
            raise ApiError(400, {"error": f"Cannot process more than {BATCH_LIMIT} ids at once"})
        top, nested = parse_fields(query.get("fields"), PAPER_FIELDS, nested_fields())
        found = [self.index.get(i) for i in ids]
        if fault == "foreign" and found:
            slot = next((n for n, rec in enumerate(found) if rec), 0)
            found[slot] = self.index.other_than({r["paperId"] for r in found if r})
        return [None if rec is None else render_paper(rec, top, nested, cap, fault == "truncate") for rec in found]

    def paper(self, raw_id: str, query: dict, cap: int, fault: str | None) -> dict:
        """GET /paper/{id}; like S2, an unknown id is reported before bad fields."""
        record = self.index.get(raw_id)
        if record is None:
            raise self.not_found(raw_id)
        top, nested = parse_fields(query.get("fields"), PAPER_FIELDS, nested_fields())
        if fault == "foreign":
            record = self.index.other_than({record["paperId"]})
        return render_paper(record, top, nested, cap, fault == "truncate")

    def edges(self, raw_id: str, kind: str, query: dict, fault: str | None) -> dict:
        """GET /paper/{id}/references or /citations: one page of {citedPaper|citingPaper, edge facts}."""
        record = self.index.get(raw_id)
        if record is None:
            raise self.not_found(raw_id)
        names = None if query.get("fields") is None else [f.strip() for f in query["fields"].split(",")]
        edge = [f for f in EDGE_FIELDS if f in (names or ())]
        paper_part = None if names is None else ",".join(f for f in names if f not in EDGE_FIELDS)
        top, nested = parse_fields(paper_part, BASE_FIELDS, {"authors": AUTHOR_FIELDS})
        offset = int_param(query, "offset", 0, 0, 10**9)
        limit = int_param(query, "limit", 100, 1, PAGE_LIMIT)
        items = record.get(kind) or []
        chunk = items[offset : offset + limit]
        more = offset + limit < len(items)
        if fault == "truncate":
            chunk, more = chunk[: len(chunk) // 2], False
        role = "citedPaper" if kind == "references" else "citingPaper"
        data = []
        for item in chunk:
            facts = edge_facts(record, item) if kind == "references" else edge_facts(item, record)
            row = {name: facts[name] for name in edge}
            row[role] = render_paper(item, top, nested)
            data.append(row)
        return {"offset": offset, **({"next": offset + limit} if more else {}), "data": data}

    def match(self, query: dict, fault: str | None) -> dict:
        """GET /paper/search/match: the single best title match, or S2's 404."""
        top, nested = parse_fields(query.get("fields"), PAPER_FIELDS, nested_fields())
        if not query.get("query"):
            raise ApiError(400, {"error": "Unacceptable query params: [query=]"})
        hit = self.index.match(query["query"])
        if hit is None:
            raise ApiError(404, {"error": "Title match not found"})
        record, score = hit
        if fault == "foreign":
            record = self.index.other_than({record["paperId"]})
        return {"data": [{**render_paper(record, top, nested), "matchScore": score}]}


def nested_fields() -> dict[str, tuple[str, ...]]:
    """Sub-fields allowed after a dot for each nested top-level field."""
    return {
        "citations": BASE_FIELDS,
        "references": BASE_FIELDS,
        "authors": AUTHOR_FIELDS,
        "embedding": ("specter_v1", "specter_v2"),
    }


def route(method: str, path: str) -> tuple[str, str | None]:
    """(endpoint name, paper id) for an API path; paper ids may contain slashes (DOIs)."""
    if not path.startswith(API_PREFIX + "/paper/"):
        return "unknown", None
    rest = path[len(API_PREFIX + "/paper/") :]
    if rest == "batch":
        return ("batch" if method == "POST" else "unknown"), None
    if rest == "search/match":
        return ("match" if method == "GET" else "unknown"), None
    if method != "GET" or not rest:
        return "unknown", None
    for kind in ("references", "citations"):
        if rest.endswith("/" + kind):
            return kind, rest[: -len(kind) - 1]
    return "paper", rest


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 handler that hands every request to the owning S2TestServer."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait for delayed ACKs
    timeout = 10

    def setup(self) -> None:
        """Track the connection so stop() can cut it."""
        super().setup()
        self.server.owner._connections.add(self.connection)

    def finish(self) -> None:
        """Forget the connection once it's done."""
        self.server.owner._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        """Serve a GET."""
        self.server.owner._serve(self)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        """Serve a POST."""
        self.server.owner._serve(self)

    def log_message(self, *args: Any) -> None:
        """Keep test output quiet."""


class S2TestServer:
    """Serves `records` like the S2 Graph API on 127.0.0.1, in a background thread; a context manager."""

    def __init__(
        self,
        records: list[dict],
        *,
        faults: Faults | None = None,
        citation_cap: int = CITATION_CAP,
        api_key: str | None = None,
        answer_limit: int = ANSWER_LIMIT,
    ):
        self.api = S2Api(PaperIndex(records))
        self.faults = faults or Faults()
        self.citation_cap = citation_cap
        self.api_key = api_key
        self.answer_limit = answer_limit
        self.requests: list[Received] = []
        self.counts: Counter[str] = Counter()
        self.sizes: list[int] = []  # bytes of each API answer served (faults aside)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def root_url(self) -> str:
        """Scheme, host and port only, e.g. for the `semanticscholar` library's api_url."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """API base, e.g. http://127.0.0.1:PORT/graph/v1 (what the product reads from S2_API_URL)."""
        return self.root_url + API_PREFIX

    def start(self) -> S2TestServer:
        """Bind a free port and serve in a daemon thread."""
        self._stopping.clear()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.02,), name="s2-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake hanging handlers and cut open connections, so nothing outlives the test."""
        self._stopping.set()
        self._httpd.shutdown()
        for conn in list(self._connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> S2TestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, fault: str, n: int = 1) -> None:
        """Make the next n requests get `fault`."""
        check_faults([fault])
        with self._lock:
            self.faults.queue.extend([fault] * n)

    def clear(self) -> None:
        """Forget received requests and counts."""
        with self._lock:
            self.requests.clear()
            self.counts.clear()
            self.sizes.clear()

    def _serve(self, handler: _Handler) -> None:
        """Record the request, pick its fault, then answer, misbehave or hang as the fault says."""
        parts = urlsplit(handler.path)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        endpoint, paper = route(handler.command, path)
        api_path = path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else path
        with self._lock:
            fault = self.faults.pick(endpoint, api_path)
            self.requests.append(
                Received(
                    handler.command,
                    path,
                    query,
                    body,
                    {k.lower(): v for k, v in handler.headers.items()},
                    endpoint,
                    fault,
                )
            )
            self.counts[endpoint] += 1
        if fault == "close":
            handler.close_connection = True
            return
        if fault in STATUS_FAULTS:
            self._send_fault(handler, fault)
            return
        if fault == "hang":
            self._stopping.wait(self.faults.hang_seconds)
        status, payload = self._answer(endpoint, paper, query, body, handler, fault)
        data = (json.dumps(payload) if status == 200 else json.dumps(payload, separators=(",", ":"))) + "\n"
        if status == 200 and len(data.encode()) > self.answer_limit:
            status, data = 400, json.dumps({"error": TOO_LARGE.format(limit=self.answer_limit)}) + "\n"
        with self._lock:
            self.sizes.append(len(data.encode()))
        content_type = "application/json"
        if fault == "malformed":
            data = data[: len(data) // 2]
        elif fault == "html":
            data, content_type = PORTAL_HTML, "text/html; charset=utf-8"
        self._send(handler, status, data.encode(), content_type, short=fault == "short")

    def _answer(
        self, endpoint: str, paper: str | None, query: dict, body: Any, handler: _Handler, fault: str | None
    ) -> tuple[int, Any]:
        """The API answer for a routed request (auth checked first, like the gateway does)."""
        if self.api_key is not None and handler.headers.get("x-api-key") != self.api_key:
            return 403, {"message": "Forbidden"}
        try:
            if endpoint == "batch":
                return 200, self.api.batch(query, body, self.citation_cap, fault)
            if endpoint == "paper":
                return 200, self.api.paper(paper, query, self.citation_cap, fault)
            if endpoint in ("references", "citations"):
                return 200, self.api.edges(paper, endpoint, query, fault)
            if endpoint == "match":
                return 200, self.api.match(query, fault)
            return 404, {"error": "Not found"}
        except ApiError as error:
            return error.status, error.body

    def _send_fault(self, handler: _Handler, fault: str) -> None:
        """Rate limit or gateway failure, with the bodies the real service sends."""
        status = int(fault)
        if fault == "429":
            body, ctype = json.dumps({"message": TOO_MANY, "code": "429"}), "application/json"
            self._send(handler, status, body.encode(), ctype, {"Retry-After": str(self.faults.retry_after)})
        elif fault == "504":
            self._send(handler, status, b'{"message": "Endpoint request timed out"}', "application/json")
        else:
            body = GATEWAY_HTML.format(code=status, reason=handler.responses[status][0])
            self._send(handler, status, body.encode(), "text/html")

    def _send(
        self,
        handler: _Handler,
        status: int,
        data: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        short: bool = False,
    ) -> None:
        """Write one response; `short` announces the full length but sends half and hangs up."""
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data[: len(data) // 2] if short else data)
            handler.wfile.flush()
        except OSError:
            handler.close_connection = True
        if short:
            handler.close_connection = True
