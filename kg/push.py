"""A shared SPARQL server: push a build's graphs to it, and query it like a local build.

`kg push` speaks the SPARQL 1.1 Graph Store HTTP Protocol, so any server that
implements it works (Oxigraph server, Apache Jena Fuseki, GraphDB, ...). It replaces
awesome-kg's named graphs and leaves every other graph alone: each of our graphs is
deleted, then the build's graphs are loaded. Against Oxigraph the load is one N-Quads
request with `no_transaction`, its bulk path: the fastest way that keeps
replace-this-graph semantics (bench/queries.py, 977k triples replaced: 45 s, against 59 s
for a transactional POST and 89 s for a PUT per graph); against other servers it is one
standard POST per graph. Readers may see partial graphs during a push.

`Endpoint` runs queries over the SPARQL 1.1 Protocol with the same prefixes and the
same dataset as a local build: the union of awesome-kg's named graphs (sent as
default-graph-uri), so saved queries give the same answers here and there.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pyoxigraph as ox

from kg.query import QueryError, explain_syntax_error
from kg.savedqueries import with_values
from kg.vocab import (CLUSTER_GRAPH, COUNTS_GRAPH, ID, LIST_GRAPH, PREFIXES, PROVENANCE_GRAPH, S2_GRAPH, SNAPSHOT_GRAPH)

OUR_GRAPHS = (LIST_GRAPH, S2_GRAPH, SNAPSHOT_GRAPH, PROVENANCE_GRAPH, CLUSTER_GRAPH, COUNTS_GRAPH)
GRAPH_PREFIX = ID + "graph/"
ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8"
TIMEOUT = httpx.Timeout(600.0, connect=10.0)


class PushError(Exception):
    """A push the server refused or could not take; the message says what it answered."""


def server_urls(url: str) -> tuple[str, str]:
    """(query URL, graph store URL) of a server: a bare address means Oxigraph's /query and /store."""
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise QueryError(f"{url!r}: expected an http(s) URL, e.g. http://127.0.0.1:7878/query")
    if parts.path in ("", "/"):
        return url + "/query", url + "/store"
    return url, url


@dataclass
class PushReport:
    store_url: str
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
    _, store_url = server_urls(url)
    started = time.perf_counter()
    with client or httpx.Client(timeout=TIMEOUT) as http:
        removed, server = [], ""
        for graph in sorted(set(graphs) | set(OUR_GRAPHS), key=lambda g: g.value):
            answer = send(http, "DELETE", store_url, params={"graph": graph.value}, allowed=(404,))
            server = answer.headers.get("server", server)
            if answer.status_code != 404 and graph not in graphs:
                removed.append(graph.value)
        if server.lower().startswith("oxigraph"):
            method = "DELETE each graph, then one N-Quads POST with no_transaction (Oxigraph bulk load)"
            quads = [ox.Quad(t.subject, t.predicate, t.object, g) for g, triples in graphs.items() for t in triples]
            send(http, "POST", store_url + "?no_transaction", content=ox.serialize(quads, format=ox.RdfFormat.N_QUADS),
                 headers={"content-type": "application/n-quads"})
        else:
            method = "DELETE each graph, then one N-Triples POST per graph (Graph Store Protocol)"
            for graph, triples in graphs.items():
                send(http, "POST", store_url, params={"graph": graph.value},
                     content=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"",
                     headers={"content-type": "application/n-triples"})
    return PushReport(store_url, {g.value: len(t) for g, t in sorted(graphs.items(), key=lambda i: i[0].value)},
                      removed, time.perf_counter() - started, method)


def send(http: httpx.Client, method: str, url: str, allowed: tuple[int, ...] = (), **kwargs) -> httpx.Response:
    try:
        answer = http.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        raise PushError(f"cannot reach {url}: {error}") from None
    if answer.status_code >= 300 and answer.status_code not in allowed:
        raise PushError(f"{method} {answer.request.url} answered HTTP {answer.status_code}: {answer.text[:500]}")
    return answer


class Endpoint:
    """A SPARQL 1.1 Protocol endpoint, queried like a local KnowledgeGraph."""

    def __init__(self, url: str, client: httpx.Client | None = None):
        self.url, _ = server_urls(url)
        self.http = client or httpx.Client(timeout=TIMEOUT)
        self._graphs: list[str] | None = None

    def graphs(self) -> list[str]:
        """awesome-kg's named graphs on the server (none: the server's own default graph is used)."""
        if self._graphs is None:
            answer = self.post({"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"}, "SELECT DISTINCT ?g ...")
            names = [row["g"].value for row in answer if isinstance(row["g"], ox.NamedNode)]
            self._graphs = sorted(name for name in names if name.startswith(GRAPH_PREFIX))
        return self._graphs

    def query(self, sparql: str, bindings: dict | None = None):
        """Results as pyoxigraph objects (QuerySolutions, QueryBoolean, or a list of triples)."""
        prologue = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())
        form = {"query": prologue + with_values(sparql, bindings)}
        graphs = self.graphs()
        if graphs:
            form["default-graph-uri"] = graphs
            form["named-graph-uri"] = graphs
        return self.post(form, sparql)

    def post(self, form: dict, shown: str):
        try:
            answer = self.http.post(self.url, data=form, headers={"accept": ACCEPT})
        except httpx.HTTPError as error:
            raise QueryError(f"cannot reach {self.url}: {error}") from None
        if answer.status_code == 400:
            raise QueryError(self.explain_rejection(shown, answer.text))
        if answer.status_code != 200:
            raise QueryError(f"{self.url} answered HTTP {answer.status_code}: {answer.text[:500]}")
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
