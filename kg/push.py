"""A shared SPARQL server: push a build's graphs to it, and query it like a local build.

`kg push` speaks the SPARQL 1.1 Graph Store HTTP Protocol, so any server that
implements it works (Oxigraph server, OpenLink Virtuoso, Apache Jena Fuseki, GraphDB, ...).
It replaces awesome-kg's named graphs and leaves every other graph alone: each of our graphs
is deleted, then the build's graphs are loaded. Against Oxigraph the load is one N-Quads
request with `no_transaction`, its bulk path: the fastest way that keeps
replace-this-graph semantics (bench/queries.py, 977k triples replaced: 45 s, against 59 s
for a transactional POST and 89 s for a PUT per graph); against other servers it is
standard POSTs of N-Triples per graph, in chunks so no request is huge. Readers may see
partial graphs during a push.

A bare server address is looked up by the server's own name (its Server header): Oxigraph
answers at /query and /store, Virtuoso at /sparql and /sparql-graph-crud-auth (the Graph
Store endpoint that takes a login; Virtuoso asks for HTTP Digest, which is answered).

Credentials come from the URL (http://user:password@host/...), else from the environment
(KG_ENDPOINT_USER and KG_ENDPOINT_PASSWORD), else from ~/.netrc (or the file $NETRC names).
They are sent only when the server asks (HTTP Basic or Digest, as it asks), and never
printed: every URL shown has them cut out.

`Endpoint` runs queries over the SPARQL 1.1 Protocol with the same prefixes and the
same dataset as a local build: the union of awesome-kg's named graphs (sent as
default-graph-uri), so saved queries give the same answers here and there.
"""

from __future__ import annotations

import netrc
import os
import re
import time
from collections import defaultdict
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from kg.query import QueryError, explain_syntax_error
from kg.savedqueries import with_values
from kg.vocab import CLUSTER_GRAPH, COUNTS_GRAPH, LIST_GRAPH, PREFIXES, PROVENANCE_GRAPH, S2_GRAPH, SNAPSHOT_GRAPH

OUR_GRAPHS = (LIST_GRAPH, S2_GRAPH, SNAPSHOT_GRAPH, PROVENANCE_GRAPH, CLUSTER_GRAPH, COUNTS_GRAPH)
ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8"
TIMEOUT = httpx.Timeout(600.0, connect=10.0)
CHUNK_TRIPLES = 50_000  # per POST to a server without a bulk path
# Where a bare address's query and graph store endpoints are, by the server's name.
SERVER_PATHS = {"virtuoso": ("/sparql", "/sparql-graph-crud-auth"), "oxigraph": ("/query", "/store")}
USER_VARIABLE, PASSWORD_VARIABLE = "KG_ENDPOINT_USER", "KG_ENDPOINT_PASSWORD"


class PushError(Exception):
    """A push the server refused or could not take; the message says what it answered."""


def redact(text: str) -> str:
    """`text` with the user:password@ of every URL in it replaced by ***@."""
    return re.sub(r"(?<=://)[^/@\s]*@", "***@", text)


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without its user:password@, and the login to use: the URL's, the environment's or netrc's."""
    parts = urlsplit(url)
    bare = urlunsplit(
        parts._replace(
            netloc=parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else parts.netloc
        )
    )
    if parts.username is not None:
        return bare, (unquote(parts.username), unquote(parts.password or ""))
    if os.environ.get(USER_VARIABLE):
        return bare, (os.environ[USER_VARIABLE], os.environ.get(PASSWORD_VARIABLE, ""))
    try:
        entry = netrc.netrc(os.environ.get("NETRC") or None).authenticators(parts.hostname or "")
    except (OSError, netrc.NetrcParseError):
        entry = None
    return bare, ((entry[0], entry[2] or "") if entry else None)


class ServerAuth(httpx.Auth):
    """HTTP Basic or Digest, whichever the server's first 401 asks for; nothing is sent before it asks."""

    def __init__(self, user: str, password: str):
        self.schemes = {"basic": httpx.BasicAuth(user, password), "digest": httpx.DigestAuth(user, password)}
        self.scheme: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.scheme is None:
            response = yield request
            if response.status_code != 401:
                return
            self.scheme = response.headers.get("www-authenticate", "").split(" ", 1)[0].lower()
        if self.scheme in self.schemes:
            yield from self.schemes[self.scheme].auth_flow(request)


def open_client(url: str, client: httpx.Client | None = None) -> tuple[str, httpx.Client]:
    """The URL with its credentials cut out, and a client that answers the server's login challenge with them."""
    bare, login = split_credentials(url)
    http = client or httpx.Client(timeout=TIMEOUT)
    if login:
        http.auth = ServerAuth(*login)
    return bare, http


def server_urls(url: str, server: str = "oxigraph") -> tuple[str, str]:
    """(query URL, graph store URL) of a server: a bare address means the server's usual paths."""
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise QueryError(f"{redact(url)!r}: expected an http(s) URL, e.g. http://127.0.0.1:7878/query")
    if parts.path in ("", "/"):
        query_path, store_path = SERVER_PATHS.get(server, SERVER_PATHS["oxigraph"])
        return url + query_path, url + store_path
    return url, url


def server_name(http: httpx.Client, url: str) -> str:
    """The server's name from its Server header ("virtuoso", "oxigraph", ...; "" if it says none)."""
    try:
        answer = http.get(url.rstrip("/") + "/")
    except httpx.HTTPError as error:
        raise PushError(f"cannot reach {redact(url)}: {redact(str(error))}") from None
    return answer.headers.get("server", "").split("/")[0].strip().lower()


def locate(http: httpx.Client, url: str) -> tuple[str, str, str]:
    """(query URL, graph store URL, server name); a bare address is asked who it is."""
    server_urls(url)  # the URL's shape is checked before anything is sent
    bare = urlsplit(url.rstrip("/")).path in ("", "/")
    server = server_name(http, url) if bare else ""
    return (*server_urls(url, server), server)


@dataclass
class PushReport:
    store_url: str
    query_url: str
    triples: dict[str, int]
    removed: list[str]
    seconds: float
    method: str


def build_graphs(build: str | Path) -> dict[ox.NamedNode, list[ox.Triple]]:
    """The named graphs of a build folder (its graph.trig) or of a TriG/N-Quads file."""
    path = Path(build)
    path = path / "graph.trig" if path.is_dir() else path
    if not path.is_file():
        raise PushError(f"{path}: no such graph file (run `kg build` first?)")
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt not in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
        raise PushError(f"{path}: expected a build folder, a .trig or an .nq file (named graphs are what is pushed)")
    graphs: dict[ox.NamedNode, list[ox.Triple]] = defaultdict(list)
    for quad in ox.parse(path=str(path), format=fmt):
        if isinstance(quad.graph_name, ox.NamedNode):
            graphs[quad.graph_name].append(quad.triple)
    return dict(graphs)


def push(build: str | Path, url: str, client: httpx.Client | None = None) -> PushReport:
    """Replace awesome-kg's named graphs on the server at `url` with those of `build`."""
    graphs = build_graphs(build)
    bare, http = open_client(url, client)
    started = time.perf_counter()
    with http:
        query_url, store_url, server = locate(http, bare)
        removed = []
        for graph in sorted(set(graphs) | set(OUR_GRAPHS), key=lambda g: g.value):
            answer = send(http, "DELETE", store_url, params={"graph": graph.value}, allowed=(404,))
            server = server or answer.headers.get("server", "").split("/")[0].strip().lower()
            if answer.status_code != 404 and graph not in graphs:
                removed.append(graph.value)
        if server == "oxigraph":
            method = "DELETE each graph, then one N-Quads POST with no_transaction (Oxigraph bulk load)"
            quads = [ox.Quad(t.subject, t.predicate, t.object, g) for g, triples in graphs.items() for t in triples]
            send(
                http,
                "POST",
                store_url + "?no_transaction",
                content=ox.serialize(quads, format=ox.RdfFormat.N_QUADS),
                headers={"content-type": "application/n-quads"},
            )
        else:
            method = (
                f"DELETE each graph, then N-Triples POSTs of at most {CHUNK_TRIPLES} triples per graph "
                "(Graph Store Protocol)"
            )
            for graph, triples in graphs.items():
                for first in range(0, len(triples), CHUNK_TRIPLES):
                    chunk = triples[first : first + CHUNK_TRIPLES]
                    send(
                        http,
                        "POST",
                        store_url,
                        params={"graph": graph.value},
                        content=ox.serialize(chunk, format=ox.RdfFormat.N_TRIPLES) or b"",
                        headers={"content-type": "application/n-triples"},
                    )
    counts = {g.value: len(t) for g, t in sorted(graphs.items(), key=lambda item: item[0].value)}
    return PushReport(store_url, query_url, counts, removed, time.perf_counter() - started, method)


def send(http: httpx.Client, method: str, url: str, allowed: tuple[int, ...] = (), **kwargs) -> httpx.Response:
    try:
        answer = http.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        raise PushError(f"cannot reach {redact(url)}: {redact(str(error))}") from None
    if answer.status_code >= 300 and answer.status_code not in allowed:
        login = (
            " (the server wants a login: user:password@ in the URL, KG_ENDPOINT_USER/KG_ENDPOINT_PASSWORD or ~/.netrc)"
            if answer.status_code == 401
            else ""
        )
        raise PushError(
            redact(f"{method} {answer.request.url} answered HTTP {answer.status_code}{login}: {answer.text[:500]}")
        )
    return answer


class Endpoint:
    """A SPARQL 1.1 Protocol endpoint, queried like a local KnowledgeGraph."""

    def __init__(self, url: str, client: httpx.Client | None = None):
        bare, self.http = open_client(url, client)
        try:
            self.url, _, _ = locate(self.http, bare)
        except PushError as error:
            raise QueryError(str(error)) from None
        self._graphs: list[str] | None = None

    def graphs(self) -> list[str]:
        """awesome-kg's named graphs on the server (none: the server's own default graph is used)."""
        if self._graphs is None:
            # One EXISTS per graph we know, rather than GRAPH ?g {}: Virtuoso answers that with no graphs.
            listed = " ".join(f"<{graph.value}>" for graph in OUR_GRAPHS)
            answer = self.post(
                {
                    "query": f"SELECT ?g WHERE {{ VALUES ?g {{ {listed} }} "
                    "FILTER EXISTS { GRAPH ?g { ?s ?p ?o } } }"
                },
                "SELECT ?g ...",
            )
            self._graphs = sorted(row["g"].value for row in answer if isinstance(row["g"], ox.NamedNode))
        return self._graphs

    def query(self, sparql: str, bindings: dict | None = None):
        """Results as pyoxigraph objects (QuerySolutions, QueryBoolean, or a list of triples)."""
        prologue = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())
        form: dict[str, str | list[str]] = {"query": prologue + with_values(sparql, bindings)}
        graphs = self.graphs()
        if graphs:
            form["default-graph-uri"] = graphs
            form["named-graph-uri"] = graphs
        return self.post(form, sparql)

    def post(self, form: dict, shown: str):
        try:
            answer = self.http.post(self.url, data=form, headers={"accept": ACCEPT})
        except httpx.HTTPError as error:
            raise QueryError(f"cannot reach {self.url}: {redact(str(error))}") from None
        if answer.status_code == 400:
            raise QueryError(self.explain_rejection(shown, answer.text))
        if answer.status_code != 200:
            raise QueryError(redact(f"{self.url} answered HTTP {answer.status_code}: {answer.text[:500]}"))
        kind = answer.headers.get("content-type", "").split(";")[0].strip()
        if kind == "application/sparql-results+json":
            return ox.parse_query_results(answer.content, format=ox.QueryResultsFormat.JSON)
        if kind == "application/sparql-results+xml":
            return ox.parse_query_results(answer.content, format=ox.QueryResultsFormat.XML)
        rdf_format = ox.RdfFormat.from_media_type(kind)
        if rdf_format is None:
            raise QueryError(f"{self.url} answered with {kind or 'no content type'}, not SPARQL results")
        return [quad.triple for quad in ox.parse(answer.content, format=rdf_format)]

    def explain_rejection(self, text: str, message: str) -> str:
        """Our parser's pointer when the query is not SPARQL 1.1, else what the server said."""
        try:
            ox.Store().query(text, prefixes=PREFIXES)
        except SyntaxError as error:
            return explain_syntax_error(text, error)
        except OSError:  # it parses; evaluating it here is not the point
            pass
        return f"{self.url} rejected the query: {message.strip()[:1000]}"
