"""`kg serve`: a build as a SPARQL 1.1 Protocol endpoint, with a page to query it by hand.

Starlette serves the protocol (GET and POST, urlencoded or application/sparql-query),
content negotiation (JSON, XML, CSV, TSV results; Turtle, N-Triples, JSON-LD, RDF/XML graphs),
CORS for browser tools such as YASGUI, the saved queries at /queries/NAME, and the
build folder's files at /build/. The graph lives in a worker process: a query that runs
past the timeout is stopped by ending that process and starting a fresh one, which no
thread-based timeout can do. Read-only unless started with --allow-update and a token;
updates then change the served graph in memory only, never the build's files.
"""
from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import multiprocessing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

SELECT_TYPES = {"application/sparql-results+json": "json", "application/json": "json",
                "application/sparql-results+xml": "xml", "text/csv": "csv", "text/tab-separated-values": "tsv",
                "application/xml": "xml", "text/xml": "xml"}
GRAPH_TYPES = {"text/turtle": "turtle", "application/n-triples": "ntriples", "text/plain": "ntriples",
               "application/ld+json": "jsonld", "application/rdf+xml": "rdfxml"}
RESULT_HEADERS = ["X-Result-Limit", "X-Result-Truncated"]
STARTUP_SECONDS = 300.0


@dataclass
class Settings:
    build: Path
    timeout: float = 10.0
    max_rows: int = 10_000
    update_token: str | None = None


class QueryTimeout(Exception):
    """The worker did not answer in time; it has been stopped."""


def negotiate(accept: str | None, offered: dict[str, str], default: str) -> str | None:
    """The format to answer in: the client's most preferred type that we offer (None: 406)."""
    choices = []
    for position, part in enumerate((accept or "*/*").split(",")):
        media, *options = [piece.strip() for piece in part.split(";")]
        quality = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            choices.append((-quality, position, media.lower()))
    for _, _, media in sorted(choices):
        if media in offered:
            return offered[media]
        if media == "*/*" or (media.endswith("/*") and any(m.startswith(media[:-1]) for m in offered)):
            return default if media == "*/*" else next(f for m, f in offered.items() if m.startswith(media[:-1]))
    return None


def answer_request(graph, request: dict) -> dict:
    """Run one request on the graph (in the worker): a query, a saved query, or an update."""
    from kg.query import MEDIA_TYPES, QueryError, collect, explain_syntax_error, write
    from kg.vocab import PREFIXES

    try:
        if request["kind"] == "update":
            graph.store.update(request["text"], prefixes=PREFIXES)
            return {"status": 204}
        if request["kind"] == "saved":
            from kg.savedqueries import load_query, run_saved

            results = run_saved(graph, load_query(request["name"]), request["params"])
        elif request["default_graphs"] or request["named_graphs"]:
            import pyoxigraph as ox

            results = graph.store.query(request["text"], prefixes=PREFIXES,
                                        default_graph=[ox.NamedNode(g) for g in request["default_graphs"]],
                                        named_graphs=[ox.NamedNode(g) for g in request["named_graphs"]])
        else:
            results = graph.query(request["text"])
        answer = collect(results, request["max_rows"])
    except SyntaxError as error:
        return {"status": 400, "body": explain_syntax_error(request.get("text", ""), error)}
    except (QueryError, OSError, ValueError) as error:
        return {"status": 400, "body": str(error)}
    if answer.triples is not None:
        fmt = negotiate(request["accept"], GRAPH_TYPES, "turtle")
    else:
        fmt = negotiate(request["accept"], SELECT_TYPES, "json")
        fmt = fmt if answer.boolean is None or fmt in ("json", "xml") else None
    if fmt is None:
        return {"status": 406, "body": f"cannot answer this query in {request['accept']}; offered: "
                                       f"{', '.join(GRAPH_TYPES if answer.triples is not None else SELECT_TYPES)}"}
    return {"status": 200, "body": write(answer, fmt), "media_type": MEDIA_TYPES[fmt],
            "headers": {"X-Result-Limit": str(request["max_rows"]),
                        "X-Result-Truncated": "true" if answer.truncated else "false"}}


def worker_main(connection, build: str, updates: list[str]) -> None:
    """The worker process: load the graph, replay accepted updates, then answer requests."""
    from kg.store import KnowledgeGraph
    from kg.vocab import PREFIXES

    graph = KnowledgeGraph.load(build)
    for text in updates:
        graph.store.update(text, prefixes=PREFIXES)
    connection.send("ready")
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        connection.send(answer_request(graph, request))


@dataclass
class GraphWorker:
    """The graph in a child process, restarted after a timeout with the updates replayed."""
    build: Path
    updates: list[str] = field(default_factory=list)
    process: multiprocessing.Process | None = None
    connection: object = None

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=worker_main, args=(child, str(self.build), list(self.updates)),
                                       daemon=True, name="kg-serve-graph")
        self.process.start()
        child.close()
        if not self.connection.poll(STARTUP_SECONDS) or self.connection.recv() != "ready":
            self.stop()
            raise RuntimeError(f"could not load {self.build} in the query worker")

    def ask(self, request: dict, timeout: float) -> dict:
        if self.process is None or not self.process.is_alive():
            self.start()
        try:
            self.connection.send(request)
            answer = self.connection.recv() if self.connection.poll(timeout) else None
        except (EOFError, OSError):  # the worker died (out of memory?): start afresh next time
            self.stop()
            return {"status": 500, "body": "the query stopped the query worker; it restarts on the next request"}
        if answer is None:
            self.stop()
            raise QueryTimeout()
        if request["kind"] == "update" and answer["status"] == 204:
            self.updates.append(request["text"])
        return answer

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join()
            self.process = None


def create_app(settings: Settings) -> Starlette:
    """The Starlette application: /sparql, /queries, /queries/NAME, /build/, and the page at /."""
    worker = GraphWorker(Path(settings.build))
    lock = asyncio.Lock()

    async def ask(request: dict) -> Response:
        async with lock:
            try:
                answer = await run_in_threadpool(worker.ask, request, settings.timeout)
            except QueryTimeout:
                return PlainTextResponse(f"query stopped after {settings.timeout:g} s (the server's --timeout)",
                                         status_code=503)
        body = answer.get("body", b"")
        if answer["status"] != 200:
            return PlainTextResponse(body, status_code=answer["status"]) if body else Response(status_code=204)
        return Response(body, media_type=answer["media_type"], headers=answer["headers"])

    async def sparql(request: Request) -> Response:
        args = request.query_params
        query_args = {"default-graph-uri": args.getlist("default-graph-uri"),
                      "named-graph-uri": args.getlist("named-graph-uri")}
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if request.method == "GET":
            if "update" in args:
                return PlainTextResponse("updates must be sent with POST", status_code=405, headers={"Allow": "POST"})
            queries = args.getlist("query")
        elif kind == "application/x-www-form-urlencoded":
            form = parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)
            if "update" in form:
                return await update(request, form["update"])
            queries = form.get("query", [])
            for name in query_args:
                query_args[name] += form.get(name, [])
        elif kind == "application/sparql-query":
            queries = [(await request.body()).decode("utf-8", errors="replace")]
        elif kind == "application/sparql-update":
            return await update(request, [(await request.body()).decode("utf-8", errors="replace")])
        else:
            return PlainTextResponse(f"unsupported content type {kind or '(none)'}: expected "
                                     "application/x-www-form-urlencoded, application/sparql-query or "
                                     "application/sparql-update", status_code=415)
        if len(queries) != 1:
            return PlainTextResponse("expected exactly one query (a `query` parameter or a "
                                     "application/sparql-query body); the query page is at /", status_code=400)
        return await ask({"kind": "query", "text": queries[0], "accept": request.headers.get("accept"),
                          "max_rows": settings.max_rows, "default_graphs": query_args["default-graph-uri"],
                          "named_graphs": query_args["named-graph-uri"]})

    async def update(request: Request, texts: list[str]) -> Response:
        if settings.update_token is None:
            return PlainTextResponse("this endpoint is read-only (start it with --allow-update and a token to "
                                     "accept updates)", status_code=403)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), settings.update_token):
            return PlainTextResponse("updates need the server's token: Authorization: Bearer TOKEN",
                                     status_code=401, headers={"WWW-Authenticate": 'Bearer realm="kg serve"'})
        if len(texts) != 1:
            return PlainTextResponse("expected exactly one update", status_code=400)
        return await ask({"kind": "update", "text": texts[0]})

    async def saved_list(request: Request) -> Response:
        from kg.savedqueries import saved_queries

        return JSONResponse([{"name": q.name, "title": q.title, "description": q.description,
                              "params": [{"name": p.name, "type": p.type_text, "default": p.default,
                                          "description": p.description} for p in q.params],
                              "text": q.text} for q in saved_queries().values()])

    async def saved_run(request: Request) -> Response:
        from kg.savedqueries import saved_queries

        name = request.path_params["name"]
        if name not in saved_queries():
            return PlainTextResponse(f"no saved query named {name!r} (GET /queries lists them)", status_code=404)
        return await ask({"kind": "saved", "name": name, "params": dict(request.query_params),
                          "accept": request.headers.get("accept"), "max_rows": settings.max_rows})

    async def page(request: Request) -> Response:
        return HTMLResponse(query_page(Path(settings.build), settings.max_rows))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await run_in_threadpool(worker.start)
        yield
        worker.stop()

    middleware = [Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
                             allow_headers=["Accept", "Authorization", "Content-Type"], expose_headers=RESULT_HEADERS)]
    routes = [Route("/", page), Route("/sparql", sparql, methods=["GET", "POST"]), Route("/queries", saved_list),
              Route("/queries/{name}", saved_run), Mount("/build", StaticFiles(directory=settings.build))]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7878) -> None:
    """Serve until interrupted."""
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def query_page(build: Path, max_rows: int) -> str:
    """The page at /: a query box, the saved queries, a results table, links to the build's files."""
    from kg.store import GRAPH_FILES

    pages = sorted(p.name for p in build.glob("*.html"))
    files = [name for name in [*GRAPH_FILES, "manifest.json"] if (build / name).exists()]
    links = " · ".join(f'<a href="/build/{html.escape(quote(name))}">{html.escape(name)}</a>' for name in pages + files)
    return (PAGE.replace("{{title}}", html.escape(build.resolve().name))
                .replace("{{links}}", links)
                .replace("{{max_rows}}", str(int(max_rows)))
                .replace("{{example}}", html.escape(EXAMPLE_QUERY)))


EXAMPLE_QUERY = """SELECT ?title ?heading WHERE {
  ?paper a akg:ListedPaper ; dcterms:title ?title ; akg:listedUnder ?h .
  ?h skos:prefLabel ?heading .
}
ORDER BY ?title
LIMIT 20"""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SPARQL: {{title}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
textarea { width: 100%; height: 12rem; font: 13px/1.4 ui-monospace, monospace; }
table { border-collapse: collapse; margin-top: 1rem; font-size: 13px; }
td, th { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } .note { color: #666; } .error { color: #a00; white-space: pre-wrap; font-family: monospace; }
fieldset { border: 1px solid #ddd; margin: .5rem 0; } label { margin-right: 1rem; }
</style></head>
<body>
<h1>SPARQL over {{title}}</h1>
<p class="note">Endpoint: <code>/sparql</code> (SPARQL 1.1 Protocol; prefixes akg, cito, fabio, dcterms, skos, foaf,
prov, schema, xsd, rdf, rdfs, owl are predeclared). Build files: {{links}}</p>
<fieldset><legend>Saved queries</legend>
<select id="saved"><option value="">(choose one)</option></select>
<span id="about" class="note"></span><div id="params"></div>
<button id="run-saved" disabled>Run saved query</button></fieldset>
<fieldset><legend>Your query</legend>
<textarea id="text" spellcheck="false">{{example}}</textarea>
<button id="run">Run query</button></fieldset>
<div id="status" class="note"></div><div id="results"></div>
<script>
const saved = {};
const $ = (id) => document.getElementById(id);
function show(data, truncated) {
  const out = $("results"); out.replaceChildren();
  if ("boolean" in data) { out.textContent = String(data.boolean); $("status").textContent = "answer:"; return; }
  const vars = data.head.vars, rows = data.results.bindings, table = document.createElement("table");
  const head = table.insertRow();
  for (const v of vars) { const th = document.createElement("th"); th.textContent = v; head.appendChild(th); }
  for (const row of rows) {
    const tr = table.insertRow();
    for (const v of vars) {
      const cell = tr.insertCell(), term = row[v];
      if (!term) continue;
      if (term.type === "uri") { const a = document.createElement("a"); a.href = term.value; a.textContent = term.value; cell.appendChild(a); }
      else cell.textContent = term.value;
    }
  }
  out.appendChild(table);
  $("status").textContent = rows.length + " rows" + (truncated ? " (the first {{max_rows}}: the server's row limit)" : "");
}
async function run(url, options) {
  $("status").textContent = "running..."; $("results").replaceChildren();
  const response = await fetch(url, options);
  const body = await response.text();
  if (!response.ok) { $("status").textContent = "HTTP " + response.status;
    const pre = document.createElement("div"); pre.className = "error"; pre.textContent = body; $("results").appendChild(pre); return; }
  const type = response.headers.get("content-type") || "";
  if (type.includes("json") && !type.includes("ld+json")) show(JSON.parse(body), response.headers.get("X-Result-Truncated") === "true");
  else { const pre = document.createElement("pre"); pre.textContent = body; $("results").appendChild(pre); $("status").textContent = ""; }
}
$("run").onclick = () => run("/sparql", { method: "POST", headers: { "Content-Type": "application/sparql-query",
  "Accept": "application/sparql-results+json, text/turtle;q=0.9" }, body: $("text").value });
$("saved").onchange = () => {
  const q = saved[$("saved").value]; $("params").replaceChildren(); $("run-saved").disabled = !q;
  $("about").textContent = q ? q.description : "";
  if (!q) return;
  $("text").value = q.text;
  for (const p of q.params) {
    const label = document.createElement("label"), input = document.createElement("input");
    input.name = p.name; input.value = p.default ?? ""; input.placeholder = p.type;
    label.append(p.name + " (" + p.type + "): ", input); label.title = p.description; $("params").appendChild(label);
  }
};
$("run-saved").onclick = () => {
  const args = new URLSearchParams();
  for (const input of $("params").querySelectorAll("input")) if (input.value) args.set(input.name, input.value);
  run("/queries/" + encodeURIComponent($("saved").value) + "?" + args, { headers: { "Accept": "application/sparql-results+json" } });
};
fetch("/queries").then((r) => r.json()).then((list) => {
  for (const q of list) { saved[q.name] = q; const o = document.createElement("option"); o.value = q.name;
    o.textContent = q.name + ": " + q.title; $("saved").appendChild(o); }
});
</script>
</body></html>
"""
