"""Scale benchmark: `kg build` at 150, 2,000, 20,000 and 100,000 papers, two stores side by side.

    python bench/scale.py                 # all sizes, writes bench/RESULTS.md and bench/scaling.png
    python bench/scale.py --sizes 150 2000

Each size: a synthetic list and its Semantic Scholar records (bench/synthetic_list.py) are
served by the test API server (tests/s2_server.py) and fetched once into a cache; then each
measured run is a fresh process building from that warm cache, reporting its stage times
and peak memory. The Oxigraph run is the real `kg build` (parse, enrich, RDF, validation,
serialization, clusters, page, exports, report). The rdflib run does the same parse,
enrichment and mapping, then loads, serializes and queries with rdflib's in-memory store.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT / "tests"), str(BENCH)]

SIZES = (150, 2000, 20000, 100000)
QUERY_BUDGET = 30  # seconds one saved query may take in a measured run
RUN_TIMEOUT = 1800  # seconds a measured run may take before it is reported as not finished
RDFLIB_MEMORY = 12 << 30  # address-space cap for the rdflib runs (the machine has 24 GiB)


class StageClock:
    """A progress sink that records how long each build stage took."""

    def __init__(self):
        self.stages: dict[str, float] = {}
        self.current, self.started = "start", time.perf_counter()

    def stage(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[self.current] = self.stages.get(self.current, 0) + now - self.started
        self.current, self.started = name, now

    def finish(self) -> dict[str, float]:
        self.stage("done")
        self.stages.pop("start", None)
        return {k: round(v, 3) for k, v in self.stages.items()}

    def start_enrichment(self, total):
        pass

    def advance(self, report, client):
        pass

    def event(self, kind, **info):
        pass


def prepare(papers: int, folder: Path) -> tuple[Path, Path]:
    """Write the synthetic list and fill a cache through the test server (not measured)."""
    from kg.build import ListSource
    from kg.enrich import enrich
    from kg.enrich.client import S2Client
    from kg.progress import Silent
    from s2_server import S2TestServer
    from synthetic_list import make_list

    listfile, cache = folder / "README.md", folder / "cache"
    synthetic = make_list(papers)
    listfile.write_text(synthetic.markdown, encoding="utf-8")
    with S2TestServer(synthetic.records) as server:
        client = S2Client(server.url)
        parsed = ListSource.from_path(listfile, "synthetic").parse()
        enrich(parsed.papers, offline=False, cache_dir=cache, progress=Silent(), client=client)
        client.close()
    return listfile, cache


class QueryBudget(Exception):
    pass


def saved_query_latencies(run_query) -> dict[str, float | str]:
    """Median of three runs of every saved query that has defaults for its parameters;
    a query over QUERY_BUDGET seconds is stopped and reported as such."""
    import signal

    from kg.savedqueries import saved_queries

    def stop(signum, frame):
        raise QueryBudget()

    signal.signal(signal.SIGALRM, stop)
    latencies: dict[str, float | str] = {}
    for name, query in sorted(saved_queries().items()):
        if any(p.default is None for p in query.params):
            continue
        times = []
        try:
            for _ in range(3):
                signal.alarm(QUERY_BUDGET)
                start = time.perf_counter()
                run_query(query)
                times.append(time.perf_counter() - start)
                signal.alarm(0)
        except QueryBudget:
            latencies[name] = f"> {QUERY_BUDGET} s"
            continue
        latencies[name] = round(statistics.median(times) * 1000, 1)
    return latencies


def run_oxigraph(listfile: Path, cache: Path, out: Path) -> dict:
    from kg.build import ListSource, build
    from kg.savedqueries import run_saved
    from kg.store import KnowledgeGraph

    clock = StageClock()
    start = time.perf_counter()
    result = build(ListSource.from_path(listfile, "synthetic"), out, offline=True, cache_dir=cache, progress=clock)
    total = time.perf_counter() - start
    stages = clock.finish()
    triples = result.manifest["counts"]["triples"]
    load = timed(lambda: KnowledgeGraph.load(out / "graph.nt"))
    graph = KnowledgeGraph.load(out)
    latencies = saved_query_latencies(lambda q: list_all(run_saved(graph, q, {})))
    return run_report(total, stages, triples, load, latencies)


def run_report(total: float, stages: dict[str, float], triples: int, load: float, latencies: dict) -> dict:
    """One measured run as RESULTS.json keeps it (both stores alike)."""
    return {
        "total": round(total, 2),
        "stages": stages,
        "triples": triples,
        "load_triples_per_s": round(triples / load),
        "queries_ms": latencies,
        "serialize_triples_per_s": round(4 * triples / stages.get("writing", math.inf)),
    }


def run_rdflib(listfile: Path, cache: Path, out: Path) -> dict:
    """The same list through rdflib's in-memory store: load, serialize in the four formats, query."""
    import rdflib

    from kg.build import ListSource
    from kg.enrich import enrich
    from kg.graphmap import enrichment_quads, list_quads
    from kg.progress import Silent
    from kg.savedqueries import bind_params
    from kg.statements import canonical, nquads_lines
    from kg.store import KnowledgeGraph
    from kg.vocab import PREFIXES

    clock = StageClock()
    start = time.perf_counter()
    clock.stage("parsing the list")
    parsed = ListSource.from_path(listfile, "synthetic").parse()
    clock.stage("enriching")
    enrichments, _ = enrich(
        parsed.papers,
        offline=True,
        cache_dir=cache,
        refresh_older_than=None,
        contexts=False,
        progress=Silent(),
        client=None,
    )
    clock.stage("mapping to RDF")
    quads = list(list_quads(parsed, "synthetic")) + list(enrichment_quads(parsed, enrichments))
    clock.stage("loading into rdflib")
    dataset = rdflib.Dataset()
    for prefix, base in PREFIXES.items():
        dataset.bind(prefix, base)
    dataset.parse(data="".join(nquads_lines(canonical(quads))), format="nquads")
    clock.stage("writing")
    union = rdflib.Graph(namespace_manager=dataset.namespace_manager)
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    out.mkdir(parents=True, exist_ok=True)
    for name, fmt in (("graph.ttl", "turtle"), ("graph.nt", "nt"), ("graph.jsonld", "json-ld")):
        union.serialize(out / name, format=fmt)
    dataset.serialize(out / "graph.trig", format="trig")
    total = time.perf_counter() - start
    stages = clock.finish()
    triples = len(union)
    load = timed(lambda: rdflib.Graph().parse(out / "graph.nt", format="nt"))
    oxigraph = KnowledgeGraph(quads)
    latencies = saved_query_latencies(
        lambda q: list_all(
            union.query(
                q.text, initNs=PREFIXES, initBindings={k: to_rdflib(v) for k, v in bind_params(oxigraph, q, {}).items()}
            )
        )
    )
    return run_report(total, stages, triples, load, latencies)


def to_rdflib(term):
    import pyoxigraph as ox
    import rdflib

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def list_all(results) -> int:
    return sum(1 for _ in results)


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(store: str, listfile: Path, cache: Path, out: Path) -> dict:
    """One measured run in a fresh process: its report plus peak memory, or why it did not finish."""
    command = [sys.executable, str(Path(__file__)), "--run", store, str(listfile), str(cache), str(out)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {RUN_TIMEOUT} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_one(store: str, listfile: str, cache: str, out: str) -> None:
    if store == "rdflib":
        resource.setrlimit(resource.RLIMIT_AS, (RDFLIB_MEMORY, RDFLIB_MEMORY))
    report = (run_rdflib if store == "rdflib" else run_oxigraph)(Path(listfile), Path(cache), Path(out))
    report["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(report))


def results_markdown(results: dict) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"`python bench/scale.py` on this machine ({os.cpu_count()} cores), "
        f"{time.strftime('%Y-%m-%d')}. Warm cache, fresh process per run; peak memory is the run's "
        "maximum resident set.",
        "",
        "## Build",
        "",
        "| papers | store | measured | triples | wall (s) | peak memory (MB) | load (triples/s) | "
        "serialize (triples/s) |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for papers, stores in results.items():
        for store, r in stores.items():
            when = r.get("measured", "")
            if "error" in r:
                lines.append(f"| {papers:,} | {store} | {when} | | {r['error']} | | | |")
                continue
            lines.append(
                f"| {papers:,} | {store} | {when} | {r['triples']:,} | {r['total']:.2f} | {r['peak_mb']:,} | "
                f"{per_second(r['load_triples_per_s'])} | {per_second(r['serialize_triples_per_s'])} |"
            )
    lines += ["", "## Stages (seconds)", ""]
    for papers, stores in results.items():
        for store, r in stores.items():
            if "stages" in r:
                stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())
                lines.append(f"- {papers:,} papers, {store} ({r.get('measured', 'date not kept')}): {stages}")
    lines += ["", "## Saved-query latency (median of 3, ms)", ""]
    names = sorted({q for stores in results.values() for r in stores.values() for q in r.get("queries_ms", {})})
    header = [f"{p:,} {s}" for p, stores in results.items() for s in stores]
    lines += ["| query | " + " | ".join(header) + " |", "|---|" + "---:|" * len(header)]
    for name in names:
        cells = [str(r.get("queries_ms", {}).get(name, "")) for stores in results.values() for r in stores.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "![How cost grows with size](scaling.png)", ""]
    return "\n".join(lines)


def per_second(rate: int) -> str:
    return f"{rate:,}" if rate else "—"  # 0: a run stopped before it was measured


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for store in ("oxigraph", "rdflib"):
        points = [(p, s[store]["total"]) for p, s in results.items() if "total" in s.get(store, {})]
        if points:
            axes.loglog(*zip(*points, strict=True), marker="o", label=f"kg build total, {store}")
    stages = sorted({k for s in results.values() for k in s.get("oxigraph", {}).get("stages", {})})
    for stage in stages:
        points = [
            (p, s["oxigraph"]["stages"][stage])
            for p, s in results.items()
            if s.get("oxigraph", {}).get("stages", {}).get(stage, 0) > 0
        ]
        if len(points) > 1:
            axes.loglog(*zip(*points, strict=True), linestyle="--", linewidth=0.8, label=stage)
    papers = sorted(results)
    if len(papers) > 1:
        base = results[papers[0]].get("oxigraph", {}).get("total", 1)
        axes.loglog(
            papers,
            [base * (n / papers[0]) * math.log(n) / math.log(papers[0]) for n in papers],
            color="grey",
            linestyle=":",
            label="n log n",
        )
    axes.set_xlabel("listed papers")
    axes.set_ylabel("seconds")
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=120, metadata={"Software": None})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument(
        "--rdflib-up-to",
        type=int,
        default=20000,
        help="run the rdflib store only up to this size (its writers take hours past it)",
    )
    parser.add_argument("--run", nargs=4, metavar=("STORE", "LIST", "CACHE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_one(*args.run)
        return
    saved = BENCH / "RESULTS.json"  # sizes measured in earlier runs are kept, re-measured ones replaced
    results: dict[int, dict] = {int(k): v for k, v in json.loads(saved.read_text()).items()} if saved.exists() else {}
    work = Path(tempfile.mkdtemp(prefix="kg-scale-"))
    for papers in args.sizes:
        folder = work / str(papers)
        folder.mkdir()
        print(f"{papers} papers: preparing", file=sys.stderr, flush=True)
        listfile, cache = prepare(papers, folder)
        earlier = results.get(papers, {})
        results[papers] = {}
        for store in ("oxigraph", "rdflib"):
            print(f"{papers} papers: {store}", file=sys.stderr, flush=True)
            if store == "rdflib" and papers > args.rdflib_up_to:  # an earlier measurement stays, with its date
                results[papers][store] = earlier.get(store) or {
                    "error": f"not run (past --rdflib-up-to {args.rdflib_up_to})"
                }
                continue
            results[papers][store] = {
                **measure(store, listfile, cache, folder / f"out-{store}"),
                "measured": time.strftime("%Y-%m-%d"),
            }
            print(json.dumps(results[papers][store])[:300], file=sys.stderr, flush=True)
    results = dict(sorted(results.items()))
    saved.write_text(json.dumps(results, indent=1) + "\n")
    plot(results, BENCH / "scaling.png")
    (BENCH / "RESULTS.md").write_text(results_markdown(results))


if __name__ == "__main__":
    main()
