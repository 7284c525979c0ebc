"""Saved-query latency (Oxigraph vs rdflib's in-memory store) and push time to an Oxigraph server.

    python -m bench.queries            # both parts, on the 20,000-paper synthetic graph
    python -m bench.queries queries    # only the query latencies
    python -m bench.queries push       # only the push timings
    python -m bench.queries build DIR  # each saved query on a build's on-disk store, as `kg query` runs it

The synthetic graph (bench/synthetic.py) is generated once and kept as N-Quads in the
temp folder. Each saved query runs as the same text (parameters bound by a VALUES block,
as `kg query` runs it) in both stores: Oxigraph through KnowledgeGraph (median of 5
runs), rdflib through Dataset.query (median of 3 runs, one run when the first takes
over 10 s, stopped after 120 s; rdflib runs in a child process so that a stopped query
does not keep running).
The build part times each saved query (default parameters, so a ranking's first page of
100 rows; papers and headings picked from the graph) on `KnowledgeGraph.open(DIR)`, median of
3 runs, wall and CPU time: the CPU time is the steadier figure on a shared machine. The same
query can take several times longer on one build's store than on another's of the same graph
(how Oxigraph's bulk load left its files): compare queries on one store.
Push: `kg push` (delete our graphs, one N-Quads POST with no_transaction), then the
two other ways that keep replace-this-graph semantics: one transactional N-Quads POST
after the deletes, and one PUT per graph.
"""

from __future__ import annotations

import multiprocessing
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from bench.synthetic import Size, synthetic_quads

ORACLE_RUNS, RDFLIB_RUNS, RDFLIB_TIMEOUT, RDFLIB_SLOW = 5, 3, 120.0, 10.0


def synthetic_file(size: Size | None = None) -> Path:
    """The synthetic graph as N-Quads, generated on first use."""
    size = size or Size()
    path = Path(tempfile.gettempdir()) / f"awesome-kg-synthetic-v2-{size.papers}-{size.citations}-{size.seed}.nq"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".part")
        ox.serialize(synthetic_quads(size), output=str(partial), format=ox.RdfFormat.N_QUADS)
        partial.replace(path)
        print(f"generated {path} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def query_parameters(graph) -> dict[str, dict[str, str]]:
    """Parameters for the synthetic graph: a listed paper of median degree, the most cited work, two sections."""
    degrees = [
        row
        for row in graph.query(
            "SELECT ?p (COUNT(*) AS ?n) WHERE { ?p a akg:ListedPaper . "
            "{ ?p cito:cites ?o } UNION { ?o cito:cites ?p } } GROUP BY ?p ORDER BY ?n ?p"
        )
    ]
    typical = degrees[len(degrees) // 2]["p"].value
    hub = next(
        iter(
            graph.query(
                "SELECT ?w (COUNT(*) AS ?n) WHERE { ?p cito:cites ?w } GROUP BY ?w ORDER BY DESC(?n) ?w LIMIT 1"
            )
        )
    )["w"].value
    return {
        "cites-across": {"from": "Model-Level Optimizations", "to": "System-Level Optimization"},
        "citation-neighbourhood": {"paper": typical},
        "citation-path": {"from": typical, "to": hub},
        "search-titles": {"text": "offloading cache"},
    }


def bound_queries(graph, params) -> dict[str, str]:
    """Each saved query's text with its parameters bound, as `kg query` runs it."""
    from kg.savedqueries import bind_params, saved_queries, text_for, with_values

    found = {}
    for name, saved in saved_queries().items():
        bindings = bind_params(graph, saved, params.get(name, {}))
        found[name] = with_values(text_for(saved, bindings), bindings)
    return found


def oxigraph_latencies(graph, params) -> dict[str, tuple[float, int]]:
    from kg.query import collect

    found = {}
    for name, text in bound_queries(graph, params).items():
        times, rows = [], 0
        for _ in range(ORACLE_RUNS):
            started = time.perf_counter()
            rows = collect(graph.query(text)).size
            times.append(time.perf_counter() - started)
        found[name] = (statistics.median(times), rows)
    return found


def rdflib_worker(connection, path: str) -> None:
    """Child process: the graph in rdflib's in-memory Dataset; runs the queries it is sent."""
    import rdflib

    from kg.vocab import PREFIXES

    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(path, format="nquads")
    connection.send("ready")
    while True:
        text = connection.recv()
        times, rows = [], 0
        for _ in range(RDFLIB_RUNS):
            started = time.perf_counter()
            rows = len(list(dataset.query(text, initNs=PREFIXES)))
            times.append(time.perf_counter() - started)
            if times[-1] > RDFLIB_SLOW:
                break
        connection.send((statistics.median(times), rows))


def rdflib_latencies(graph, path: Path, params) -> dict[str, tuple[float | None, int | None]]:
    context = multiprocessing.get_context("spawn")
    worker = connection = None
    found = {}
    for name, text in bound_queries(graph, params).items():
        if worker is None:
            connection, child = context.Pipe()
            worker = context.Process(target=rdflib_worker, args=(child, str(path)), daemon=True)
            started = time.perf_counter()
            worker.start()
            connection.recv()
            print(f"  rdflib loaded the graph in {time.perf_counter() - started:.0f} s", flush=True)
        connection.send(text)
        if connection.poll(RDFLIB_TIMEOUT + RDFLIB_RUNS * RDFLIB_SLOW):
            found[name] = connection.recv()
        else:
            worker.kill()
            worker.join()
            worker = None
            found[name] = (None, None)
        print(f"  rdflib {name}: {found[name]}", flush=True)
    if worker is not None:
        worker.kill()
        worker.join()
    return found


def run_queries(path: Path) -> None:
    from kg.store import KnowledgeGraph

    started = time.perf_counter()
    graph = KnowledgeGraph.load(path)
    print(f"Oxigraph loaded {len(graph):,} quads in {time.perf_counter() - started:.1f} s", flush=True)
    params = query_parameters(graph)
    print(f"parameters: {params}", flush=True)
    oxigraph = oxigraph_latencies(graph, params)
    for name, (seconds, rows) in oxigraph.items():
        print(f"  Oxigraph {name}: {seconds * 1000:.1f} ms, {rows} rows", flush=True)
    rdflib = rdflib_latencies(graph, path, params)
    print(f"\n{'saved query':28} {'Oxigraph ms':>12} {'rows':>7} {'rdflib ms':>12} {'rows':>7}")
    for name, (seconds, rows) in oxigraph.items():
        other, other_rows = rdflib[name]
        other_text = f"> {RDFLIB_TIMEOUT:.0f} s" if other is None else f"{other * 1000:,.0f}"
        other_count = other_rows if other_rows is not None else "-"
        print(f"{name:28} {seconds * 1000:12,.1f} {rows:7} {other_text:>12} {other_count:>7}")
    slow = [name for name, (seconds, _) in oxigraph.items() if seconds > 0.2]
    print(
        f"\nOxigraph: {len(oxigraph) - len(slow)} of {len(oxigraph)} saved queries under 200 ms"
        + (f"; over: {', '.join(slow)}" if slow else "")
    )


def build_latencies(folder: Path) -> dict[str, tuple[float, float, int]]:
    """Each saved query on the build's on-disk store: median wall and CPU milliseconds of 3 runs, rows."""
    from kg.query import collect
    from kg.store import KnowledgeGraph

    graph = KnowledgeGraph.open(folder)
    params = query_parameters(graph)
    top = graph.query(
        "SELECT ?h WHERE { ?h a skos:Concept ; akg:position ?p . FILTER NOT EXISTS { ?h skos:broader ?b } } ORDER BY ?p"
    )
    first, second = [row["h"].value for row in top][:2]
    params["cites-across"] = {"from": first, "to": second}
    found = {}
    for name, text in bound_queries(graph, params).items():
        walls, cpus, rows = [], [], 0
        for _ in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            rows = collect(graph.query(text)).size
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        found[name] = (statistics.median(walls) * 1000, statistics.median(cpus) * 1000, rows)
    return found


def print_build_latencies(folder: Path) -> None:
    print(f"{'saved query':28} {'wall ms':>9} {'CPU ms':>9} {'rows':>7}")
    for name, (wall_ms, cpu_ms, rows) in build_latencies(folder).items():
        print(f"{name:28} {wall_ms:9.1f} {cpu_ms:9.1f} {rows:7}", flush=True)


def run_push(path: Path) -> None:
    import httpx

    from kg.push import OUR_GRAPHS, build_graphs, push

    graphs = build_graphs(path)
    triples = sum(len(t) for t in graphs.values())
    with tempfile.TemporaryDirectory() as data, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "oxigraph"), "serve", "--location", data, "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(url)
            http = httpx.Client(timeout=None)
            report = push(path, url)
            print(f"kg push ({report.method}): {triples:,} triples in {report.seconds:.1f} s", flush=True)
            report = push(path, url)
            print(f"kg push again (replacing the same graphs): {report.seconds:.1f} s", flush=True)
            quads = ox.serialize(
                [ox.Quad(t.subject, t.predicate, t.object, g) for g, ts in graphs.items() for t in ts],
                format=ox.RdfFormat.N_QUADS,
            )
            started = time.perf_counter()
            for graph in OUR_GRAPHS:
                http.delete(url + "/store", params={"graph": graph.value})
            http.post(url + "/store", content=quads, headers={"content-type": "application/n-quads"}).raise_for_status()
            print(f"DELETE + transactional POST /store (N-Quads): {time.perf_counter() - started:.1f} s", flush=True)
            bodies = {g: ox.serialize(ts, format=ox.RdfFormat.N_TRIPLES) for g, ts in graphs.items()}
            started = time.perf_counter()
            for graph, body in bodies.items():
                http.put(
                    url + "/store",
                    params={"graph": graph.value},
                    content=body,
                    headers={"content-type": "application/n-triples"},
                ).raise_for_status()
            print(f"PUT /store?graph=... per graph (N-Triples): {time.perf_counter() - started:.1f} s", flush=True)
        finally:
            server.terminate()
            server.wait()


def wait_for(url: str) -> None:
    import httpx

    for _ in range(300):
        try:
            httpx.get(url + "/query", params={"query": "ASK {}"})
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


if __name__ == "__main__":
    part = sys.argv[1] if len(sys.argv) > 1 else "all"
    if part == "build" and len(sys.argv) == 3:
        print_build_latencies(Path(sys.argv[2]))
        sys.exit()
    if part not in ("all", "queries", "push"):
        sys.exit("usage: python -m bench.queries [all|queries|push|build DIR]")
    nquads = synthetic_file()
    if part in ("all", "queries"):
        run_queries(nquads)
    if part in ("all", "push"):
        run_push(nquads)
