"""`kg serve`: a build as a SPARQL 1.1 Protocol endpoint, with a page to query it by hand.

Starlette serves the protocol (GET and POST, urlencoded or application/sparql-query),
content negotiation (JSON, XML, CSV, TSV results; Turtle, N-Triples, JSON-LD, RDF/XML graphs),
the saved queries at /queries/NAME, and the build folder's files at /build/.

Safe by default, because any web page the user visits can send requests to a local server:
- the graph lives in a pool of worker processes, so reads run side by side, and a query
  that runs past its time (--timeout) or memory budget (--max-memory) is stopped by ending
  its process, which no thread can do; the other workers go on answering;
- federation is off: a query with SERVICE (or an update with LOAD) is refused unless every
  endpoint it names is on the --federate allow-list;
- no CORS header unless --cors names an origin; on a loopback address, requests whose Host
  is not this machine are refused (DNS rebinding);
- bodies are limited (--max-body), errors never echo the query back whole, no absolute path
  of this machine is served (manifest.json's are cut to file names), and the query page's
  Content Security Policy lets only its own script run;
- read-only unless started with --allow-update and a token; updates then change the served
  graph in memory only, never the build's files.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import html
import json
import multiprocessing
import os
import re
import resource
import signal
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from urllib.parse import parse_qs, quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

SELECT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/xml": "xml",
    "text/xml": "xml",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
}
RESULT_HEADERS = ["X-Result-Limit", "X-Result-Truncated"]
STARTUP_SECONDS = 300.0
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
MESSAGE_CHARS = 2000  # error messages are cut here: they never echo a whole (maybe huge) query
DEMOTE_AFTER = 1.0  # seconds after which a query's worker gets the lowest CPU priority
MEMORY_STOP = "the query went over the server's memory budget (--max-memory) and was stopped"


@dataclass
class Settings:
    build: Path
    timeout: float = 10.0
    max_rows: int = 10_000
    update_token: str | None = None
    workers: int = 3
    max_memory_mb: int = 1024
    max_body: int = 1_000_000
    cors_origins: tuple[str, ...] = ()
    federate: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ("*",)


class QueryTimeout(Exception):
    """The worker did not answer in time; it has been stopped."""


class BodyTooLarge(Exception):
    """The request body is over --max-body."""


def clip(text: str, limit: int = MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters not shown)"


# SPARQL tokens that could hide or fake the keywords SERVICE and LOAD: strings, IRIs, comments, variables.
SPARQL_TOKENS = re.compile(
    r"(?P<string>'{3}(?:[^'\\]|\\.|'(?!''))*'{3}|\"{3}(?:[^\"\\]|\\.|\"(?!\"\"))*\"{3}"
    r"|'(?:[^'\\\n\r]|\\.)*'|\"(?:[^\"\\\n\r]|\\.)*\")"
    r"|(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)"
    r"|(?P<comment>#[^\n\r]*)"
    r"|(?P<var>[?$]\w+)"
    r"|(?P<word>[^\s{}()\[\];,'\"<>#?$]+)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.DOTALL,
)


def remote_targets(text: str) -> list[str | None]:
    """The endpoints a query's SERVICE clauses (or an update's LOAD) would contact: each an http(s)
    IRI, or None where the target is not one (a variable, a prefixed or relative name)."""
    tokens = [(m.lastgroup, m.group()) for m in SPARQL_TOKENS.finditer(text) if m.lastgroup not in ("comment", "space")]
    targets: list[str | None] = []
    for position, (kind, value) in enumerate(tokens):
        if kind == "word" and value.upper() in ("SERVICE", "LOAD"):
            after = [v for _, v in tokens[position + 1 : position + 3]] + ["", ""]
            target = after[1] if after[0].upper() == "SILENT" else after[0]
            iri = target[1:-1] if target.startswith("<") else ""
            targets.append(iri if re.match(r"https?://", iri) else None)
    return targets


def federation_refusal(text: str, allowed: tuple[str, ...]) -> str | None:
    """Why a query may not run here (None: it may): SERVICE or LOAD to anything off the allow-list."""
    refused = [target for target in remote_targets(text) if target is None or target not in allowed]
    if not refused:
        return None
    named = ", ".join(clip(f"<{t}>", 200) if t else "a target that is not a full http(s) IRI" for t in refused)
    if not allowed:
        return (
            f"federated queries are off on this server (SERVICE/LOAD to {named}); "
            "start it with --federate URL to allow an endpoint"
        )
    return f"SERVICE/LOAD to {named} is not allowed here; allowed endpoints: {', '.join(allowed)}"


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
    """Run one request on the graph (in the worker): every failure is an HTTP status, never a dead worker."""
    from kg.query import QueryError, explain_syntax_error

    try:
        return evaluate(graph, request)
    except SyntaxError as error:
        return {"status": 400, "body": clip(explain_syntax_error(request.get("text", ""), error))}
    except (QueryError, ValueError, TypeError) as error:
        return {"status": 400, "body": clip(str(error))}
    except MemoryError:
        return {"status": 503, "body": MEMORY_STOP}
    except (OSError, RuntimeError) as error:  # Oxigraph's evaluation errors, a SERVICE's bad answer among them
        if request.get("federated"):
            return {"status": 502, "body": clip(f"a SERVICE endpoint failed: {error}")}
        return {"status": 400, "body": clip(f"query error: {error}")}
    except Exception as error:  # noqa: BLE001 - whatever a query does, the worker answers and lives on
        return {"status": 500, "body": clip(f"the query failed: {type(error).__name__}: {error}")}


def evaluate(graph, request: dict) -> dict:
    from kg.query import MEDIA_TYPES, collect, write
    from kg.vocab import PREFIXES

    if request["kind"] == "update":
        graph.store.update(request["text"], prefixes=PREFIXES)
        return {"status": 204}
    if request["kind"] == "saved":
        from kg.savedqueries import load_query, run_saved

        results = run_saved(graph, load_query(request["name"]), request["params"])
    elif request["default_graphs"] or request["named_graphs"]:
        import pyoxigraph as ox

        results = graph.store.query(
            request["text"],
            prefixes=PREFIXES,
            default_graph=[ox.NamedNode(g) for g in request["default_graphs"]],
            named_graphs=[ox.NamedNode(g) for g in request["named_graphs"]],
        )
    else:
        results = graph.query(request["text"])
    answer = collect(results, request["max_rows"])
    if answer.triples is not None:
        fmt = negotiate(request["accept"], GRAPH_TYPES, "turtle")
    else:
        fmt = negotiate(request["accept"], SELECT_TYPES, "json")
        fmt = fmt if answer.boolean is None or fmt in ("json", "xml") else None
    if fmt is None:
        return {
            "status": 406,
            "body": f"cannot answer this query in {clip(request['accept'] or '', 200)}; offered: "
            f"{', '.join(GRAPH_TYPES if answer.triples is not None else SELECT_TYPES)}",
        }
    return {
        "status": 200,
        "body": write(answer, fmt),
        "media_type": MEDIA_TYPES[fmt],
        "headers": {
            "X-Result-Limit": str(request["max_rows"]),
            "X-Result-Truncated": "true" if answer.truncated else "false",
        },
    }


def address_space() -> int:
    """This process's virtual memory size in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def worker_main(connection, build: str, updates: list[str], max_memory_mb: int, writable: bool) -> None:
    """The worker process: open the graph, replay accepted updates, cap memory, then answer requests.
    A read-only server opens the build's on-disk store read-only (milliseconds, shared with the other
    workers); one that accepts updates loads a copy into memory, so the build's files never change."""
    from kg.store import KnowledgeGraph
    from kg.vocab import PREFIXES

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops its workers
    graph = KnowledgeGraph.load(build) if writable else KnowledgeGraph.open(build)
    for text in updates:
        graph.store.update(text, prefixes=PREFIXES)
    # What a query may allocate on top of the loaded graph; past it allocation fails and the worker ends.
    budget = address_space() + max_memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    connection.send("ready")
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        connection.send(answer_request(graph, request))


@dataclass
class GraphWorker:
    """The graph in a child process; stopped after a timeout, and started again with the updates replayed."""

    build: Path
    max_memory_mb: int = 1024
    updates: list[str] = field(default_factory=list)
    writable: bool = False
    process: BaseProcess | None = None
    connection: Connection | None = None
    demoted: bool = False

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        connection, child = context.Pipe()
        process = context.Process(
            target=worker_main,
            daemon=True,
            name="kg-serve-graph",
            args=(child, str(self.build), list(self.updates), self.max_memory_mb, self.writable),
        )
        self.connection, self.process = connection, process
        process.start()
        child.close()
        if not connection.poll(STARTUP_SECONDS) or connection.recv() != "ready":
            self.stop()
            raise RuntimeError(f"could not load the build {self.build.name} in a query worker")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def ask(self, request: dict, timeout: float) -> dict:
        if not self.alive:
            self.start()
        process, connection = self.process, self.connection
        assert process is not None and process.pid is not None and connection is not None, (
            "a started worker has a running process and its pipe"
        )
        try:
            connection.send(request)
            answered = connection.poll(min(timeout, DEMOTE_AFTER))
            if not answered and timeout > DEMOTE_AFTER:
                # A long query yields the CPU to the light ones on the other workers (and its worker is
                # replaced afterwards, since a process cannot take its priority back).
                with contextlib.suppress(OSError):
                    os.setpriority(os.PRIO_PROCESS, process.pid, 19)
                self.demoted = True
                answered = connection.poll(timeout - DEMOTE_AFTER)
            answer = connection.recv() if answered else None
        except (EOFError, OSError):  # the worker died: over its memory budget, or killed
            process.join(5)
            over_budget = process.exitcode == -signal.SIGABRT
            self.stop()
            return {"status": 503, "body": MEMORY_STOP if over_budget else "the query stopped its worker"}
        if answer is None:
            self.stop()
            raise QueryTimeout()
        return answer

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join()
            self.process = None
        self.demoted = False


class WorkerPool:
    """Workers that each hold the graph: a read takes an idle one; a stopped one is restarted in the background."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.updates: list[str] = []
        self.workers = [
            GraphWorker(Path(settings.build), settings.max_memory_mb, self.updates, settings.update_token is not None)
            for _ in range(settings.workers)
        ]
        self.idle: asyncio.Queue[GraphWorker] = asyncio.Queue()
        self.writing = asyncio.Lock()
        self.restarts: set[asyncio.Task] = set()

    async def start(self) -> None:
        await asyncio.gather(*(run_in_threadpool(worker.start) for worker in self.workers))
        for worker in self.workers:
            self.idle.put_nowait(worker)

    def stop(self) -> None:
        for task in self.restarts:
            task.cancel()
        for worker in self.workers:
            worker.stop()

    def release(self, worker: GraphWorker) -> None:
        if worker.alive and not worker.demoted:
            self.idle.put_nowait(worker)
            return
        worker.stop()

        async def restart() -> None:
            await run_in_threadpool(worker.start)
            self.idle.put_nowait(worker)

        task = asyncio.create_task(restart())
        self.restarts.add(task)
        task.add_done_callback(self.restarts.discard)

    async def ask(self, request: dict) -> dict:
        """A read on the first idle worker, within the time budget (waiting for a worker counts)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.timeout
        try:
            worker = await asyncio.wait_for(self.idle.get(), self.settings.timeout)
        except TimeoutError:
            raise QueryTimeout() from None
        try:
            return await run_in_threadpool(worker.ask, request, max(deadline - loop.time(), 0.05))
        finally:
            self.release(worker)

    async def update(self, request: dict) -> dict:
        """An update run by every worker (all taken first, so no read sees it half done), kept for restarts."""
        async with self.writing:
            taken = [await self.idle.get() for _ in self.workers]
            try:
                answer = await run_in_threadpool(taken[0].ask, request, self.settings.timeout)
                if answer["status"] == 204:
                    self.updates.append(request["text"])
                    for worker in taken[1:]:
                        await run_in_threadpool(worker.ask, request, self.settings.timeout)
                return answer
            finally:
                for worker in taken:
                    self.release(worker)


# An absolute path (/a/b/c or C:\a\b): segments not preceded by a word character, ':' or '/', so not a URL's path.
ABSOLUTE_PATH = re.compile(r"(?<![\w:/\\])(?:/|[A-Za-z]:\\)(?:[^\s/\\\"':]+[/\\])*(?P<name>[^\s/\\\"':]+)")


def served_manifest(build: Path) -> bytes:
    """manifest.json with every absolute path of this machine cut to its file name."""

    def strip(value):
        if isinstance(value, dict):
            return {key: strip(item) for key, item in value.items()}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return ABSOLUTE_PATH.sub(lambda m: m["name"], value) if isinstance(value, str) else value

    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    return (json.dumps(strip(manifest), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it is known to be over `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: Settings) -> Starlette:
    """The Starlette application: /sparql, /queries, /queries/NAME, /build/, and the page at /."""
    pool = WorkerPool(settings)
    token = settings.update_token.encode("utf-8") if settings.update_token is not None else None

    async def ask(request: dict) -> Response:
        if "text" in request:
            refusal = federation_refusal(request["text"], settings.federate)
            if refusal:
                return PlainTextResponse(refusal, status_code=400)
            request["federated"] = bool(remote_targets(request["text"]))
        try:
            answer = await (pool.update(request) if request["kind"] == "update" else pool.ask(request))
        except QueryTimeout:
            return PlainTextResponse(
                f"query stopped after {settings.timeout:g} s (the server's --timeout)", status_code=503
            )
        body = answer.get("body", b"")
        if answer["status"] != 200:
            return PlainTextResponse(body, status_code=answer["status"]) if body else Response(status_code=204)
        return Response(body, media_type=answer["media_type"], headers=answer["headers"])

    async def sparql(request: Request) -> Response:
        try:
            return await protocol(request)
        except BodyTooLarge:
            return PlainTextResponse(
                f"the request body is over {settings.max_body} bytes (the server's --max-body)", status_code=413
            )

    async def protocol(request: Request) -> Response:
        args = request.query_params
        query_args = {
            "default-graph-uri": args.getlist("default-graph-uri"),
            "named-graph-uri": args.getlist("named-graph-uri"),
        }
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if request.method == "GET":
            if "update" in args:
                return PlainTextResponse("updates must be sent with POST", status_code=405, headers={"Allow": "POST"})
            queries = args.getlist("query")
        elif kind == "application/x-www-form-urlencoded":
            form = parse_qs(
                (await read_body(request, settings.max_body)).decode("utf-8", errors="replace"), keep_blank_values=True
            )
            if "update" in form:
                return await update(request, form["update"])
            queries = form.get("query", [])
            for name in query_args:
                query_args[name] += form.get(name, [])
        elif kind == "application/sparql-query":
            queries = [(await read_body(request, settings.max_body)).decode("utf-8", errors="replace")]
        elif kind == "application/sparql-update":
            return await update(request, [(await read_body(request, settings.max_body)).decode("utf-8", "replace")])
        else:
            return PlainTextResponse(
                f"unsupported content type {clip(kind, 100) or '(none)'}: expected "
                "application/x-www-form-urlencoded, application/sparql-query or "
                "application/sparql-update",
                status_code=415,
            )
        if len(queries) != 1:
            return PlainTextResponse(
                "expected exactly one query (a `query` parameter or a "
                "application/sparql-query body); the query page is at /",
                status_code=400,
            )
        return await ask(
            {
                "kind": "query",
                "text": queries[0],
                "accept": request.headers.get("accept"),
                "max_rows": settings.max_rows,
                "default_graphs": query_args["default-graph-uri"],
                "named_graphs": query_args["named-graph-uri"],
            }
        )

    async def update(request: Request, texts: list[str]) -> Response:
        if token is None:
            return PlainTextResponse(
                "this endpoint is read-only (start it with --allow-update and a token to accept updates)",
                status_code=403,
            )
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        # Starlette decodes headers as latin-1: back to the bytes sent, compared as bytes (any characters).
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("latin-1"), token):
            return PlainTextResponse(
                "updates need the server's token: Authorization: Bearer TOKEN",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="kg serve"'},
            )
        if len(texts) != 1:
            return PlainTextResponse("expected exactly one update", status_code=400)
        return await ask({"kind": "update", "text": texts[0]})

    async def saved_list(request: Request) -> Response:
        from kg.savedqueries import saved_queries

        return JSONResponse(
            [
                {
                    "name": q.name,
                    "title": q.title,
                    "description": q.description,
                    "params": [
                        {"name": p.name, "type": p.type_text, "default": p.default, "description": p.description}
                        for p in q.params
                    ],
                    "text": q.text,
                }
                for q in saved_queries().values()
            ]
        )

    async def saved_run(request: Request) -> Response:
        from kg.savedqueries import saved_queries

        name = request.path_params["name"]
        if name not in saved_queries():
            return PlainTextResponse(
                f"no saved query named {clip(name, 100)!r} (GET /queries lists them)", status_code=404
            )
        return await ask(
            {
                "kind": "saved",
                "name": name,
                "params": dict(request.query_params),
                "accept": request.headers.get("accept"),
                "max_rows": settings.max_rows,
            }
        )

    async def page(request: Request) -> Response:
        text, script = query_page(Path(settings.build), settings.max_rows)
        return HTMLResponse(text, headers=page_headers(script))

    async def manifest(request: Request) -> Response:
        return Response(await run_in_threadpool(served_manifest, Path(settings.build)), media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await pool.start()
        yield
        pool.stop()

    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Accept", "Authorization", "Content-Type"],
                expose_headers=RESULT_HEADERS,
            )
        )
    routes = [
        Route("/", page),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/queries", saved_list),
        Route("/queries/{name}", saved_run),
        Route("/build/manifest.json", manifest),
        Mount("/build", StaticFiles(directory=settings.build)),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def page_headers(script: str) -> dict[str, str]:
    """A Content Security Policy under which only the page's own script runs (no javascript: links)."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return {
        "Content-Security-Policy": f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7878) -> None:
    """Serve until interrupted."""
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def query_page(build: Path, max_rows: int) -> tuple[str, str]:
    """The page at / (a query box, the saved queries, a results table, links to the build's files) and its script."""
    from kg.store import GRAPH_FILES

    pages = sorted(p.name for p in build.glob("*.html"))
    files = [name for name in [*GRAPH_FILES, "manifest.json"] if (build / name).exists()]
    links = " · ".join(f'<a href="/build/{html.escape(quote(name))}">{html.escape(name)}</a>' for name in pages + files)
    script = SCRIPT.replace("{{max_rows}}", str(int(max_rows)))
    text = (
        PAGE.replace("{{script}}", script)
        .replace("{{title}}", html.escape(build.resolve().name))
        .replace("{{links}}", links)
        .replace("{{example}}", html.escape(EXAMPLE_QUERY))
    )
    return text, script


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
th { background: #f3f3f3; } .note { color: #666; }
.error { color: #a00; white-space: pre-wrap; font-family: monospace; }
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
<script>{{script}}</script>
</body></html>
"""

# Result values are data: only an http(s) IRI becomes a link, anything else (javascript:, data:...) is text.
SCRIPT = """
const saved = {};
const $ = (id) => document.getElementById(id);
function webLink(value) {
  let url;
  try { url = new URL(value); } catch (error) { return null; }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const a = document.createElement("a"); a.href = url.href; a.rel = "noopener noreferrer"; a.textContent = value;
  return a;
}
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
      const link = term.type === "uri" ? webLink(term.value) : null;
      if (link) cell.appendChild(link); else cell.textContent = term.value;
    }
  }
  out.appendChild(table);
  $("status").textContent = rows.length + " rows"
    + (truncated ? " (the first {{max_rows}}: the server's row limit)" : "");
}
async function run(url, options) {
  $("status").textContent = "running..."; $("results").replaceChildren();
  const response = await fetch(url, options);
  const body = await response.text();
  if (!response.ok) {
    $("status").textContent = "HTTP " + response.status;
    const pre = document.createElement("div"); pre.className = "error"; pre.textContent = body;
    $("results").appendChild(pre); return;
  }
  const type = response.headers.get("content-type") || "";
  if (type.includes("json") && !type.includes("ld+json")) {
    show(JSON.parse(body), response.headers.get("X-Result-Truncated") === "true");
  } else {
    const pre = document.createElement("pre"); pre.textContent = body;
    $("results").appendChild(pre); $("status").textContent = "";
  }
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
  run("/queries/" + encodeURIComponent($("saved").value) + "?" + args,
      { headers: { "Accept": "application/sparql-results+json" } });
};
fetch("/queries").then((r) => r.json()).then((list) => {
  for (const q of list) { saved[q.name] = q; const o = document.createElement("option"); o.value = q.name;
    o.textContent = q.name + ": " + q.title; $("saved").appendChild(o); }
});
"""
