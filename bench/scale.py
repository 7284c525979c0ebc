"""Scale benchmark: `kg build` at 150, 2,000, 20,000 and 100,000 papers (issue 12's targets).

    python bench/scale.py                 # all sizes, writes bench/RESULTS.md and bench/scaling.png
    python bench/scale.py --sizes 150 2000 --repeat 1
    python bench/scale.py --sizes 100000 --work DIR   # keep the prepared list in DIR for later runs

Each size: a synthetic list and its Semantic Scholar records (bench/synthetic_list.py) are
served by the test API server (tests/s2_server.py) and fetched once into a cache; then each
measured run is a fresh process working from that warm cache, reporting its stage times
and peak memory. The real `kg build` runs --repeat times (median total, median of each
stage, largest peak). Beside it, each --repeat times, three baselines: (a) pyoxigraph
writing graph.nt, .ttl, .jsonld and .trig from the build's graph.nq, (b) Leiden alone on
the build's similarity graph, (c) parse, enrich and the graph's canonical N-Quads text.
Then, on the build folder, each saved query on the on-disk store (`KnowledgeGraph.open`,
as `kg query` runs it) and `kg query BUILD 'ASK {}'` as a subprocess, medians of 3.
The rdflib run (up to --rdflib-up-to) does the same parse, enrichment and mapping, then
loads, serializes and queries with rdflib's in-memory store.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import chain
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT / "tests"), str(BENCH), str(ROOT)]

SIZES = (150, 2000, 20000, 100000)
# kg/build.py's stages from parsing to validation, clustering left out: "core" in issue 12 (parse, enrich from
# cache, model, RDF, counts, graph.nt/.nq written, SHACL validation)
CORE_STAGES = (
    "parsing the list",
    "enriching",
    "mapping to RDF",
    "reading the model",
    "counting",
    "writing",
    "validating (SHACL)",
)
BASELINES = {
    "writers": "(a) pyoxigraph writers",
    "leiden": "(b) Leiden alone",
    "nquads": "(c) parse, enrich, N-Quads text",
}
QUERY_BUDGET = 30  # seconds one saved query may take in a measured run
RUN_TIMEOUT = 1800  # seconds a measured run may take before it is reported as not finished
RDFLIB_MEMORY = 12 << 30  # address-space cap for the rdflib runs (the machine has 24 GiB)


class StageClock:
    """A progress sink that records how long each build stage took, and the CPU the calling thread
    spent in it (the build's Python stages; Oxigraph's loader and writers run in threads of their own)."""

    def __init__(self):
        self.stages: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.current, self.started, self.cpu_started = "start", time.perf_counter(), time.thread_time()

    def stage(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.stages[self.current] = self.stages.get(self.current, 0) + now - self.started
        self.cpu[self.current] = self.cpu.get(self.current, 0) + cpu - self.cpu_started
        self.current, self.started, self.cpu_started = name, now, cpu

    def finish(self) -> dict[str, float]:
        self.stage("done")
        self.stages.pop("start", None)
        self.cpu.pop("start", None)
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
    """The real `kg build`, into a fresh folder: total, stages, core, and the CPU it used: all threads,
    and the main thread's (the Python stages; the rest is Oxigraph loading the store and writing files)."""
    from kg.build import ListSource, build

    shutil.rmtree(out, ignore_errors=True)
    clock = StageClock()
    start, cpu_start = time.perf_counter(), process_cpu()
    result = build(ListSource.from_path(listfile, "synthetic"), out, offline=True, cache_dir=cache, progress=clock)
    total, cpu = time.perf_counter() - start, process_cpu() - cpu_start
    stages = clock.finish()
    core = sum(stages.get(name, 0) for name in CORE_STAGES)
    return {
        "total": round(total, 2),
        "core": round(core, 2),
        "stages": stages,
        "stages_cpu": {k: round(v, 3) for k, v in clock.cpu.items()},
        "cpu": round(cpu, 2),
        "cpu_main": round(sum(clock.cpu.values()), 2),
        "triples": result.manifest["counts"]["triples"],
    }


def process_cpu() -> float:
    """User and system CPU of every thread of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def enrich_offline(parsed, cache: Path) -> dict:
    """The listed papers' records from the warm cache, as the build enriches them offline."""
    from kg.enrich import enrich
    from kg.progress import Silent

    enrichments, _ = enrich(parsed.papers, offline=True, cache_dir=cache, progress=Silent())
    return enrichments


def build_statements(listfile: Path, cache: Path):
    """kg/build.py's parse, enrichment from the warm cache and mapping: the graph's statements."""
    from kg.build import ListSource
    from kg.graphmap import enrichment_quads, graph_provenance_quads, list_quads, one_node_per_work

    source = ListSource.from_path(listfile, "synthetic")
    parsed = source.parse()
    enrichments = enrich_offline(parsed, cache)
    parsed, enrichments = one_node_per_work(parsed, enrichments)
    return chain(
        list_quads(parsed, source.slug, enrichments),
        enrichment_quads(parsed, enrichments),
        graph_provenance_quads(source.sha256, source.slug),
    )


def run_writers(listfile: Path, cache: Path, out: Path) -> dict:
    """Baseline (a): pyoxigraph alone writing the four graph files from the build's graph.nq (graph.ttl and
    graph.jsonld from the build's graph.nt, the union, as the build writes them)."""
    import pyoxigraph as ox

    from kg.vocab import PREFIXES

    target = out.with_name(out.name + "-writers")
    target.mkdir(exist_ok=True)
    nquads, ntriples = (str(out / "graph.nq"), ox.RdfFormat.N_QUADS), (str(out / "graph.nt"), ox.RdfFormat.N_TRIPLES)
    start = time.perf_counter()
    for name, (source, source_format), fmt in (
        ("graph.nt", nquads, ox.RdfFormat.N_TRIPLES),
        ("graph.ttl", ntriples, ox.RdfFormat.TURTLE),
        ("graph.jsonld", ntriples, ox.RdfFormat.JSON_LD),
        ("graph.trig", nquads, ox.RdfFormat.TRIG),
    ):
        quads = ox.parse(path=source, format=source_format)
        if fmt == ox.RdfFormat.N_TRIPLES:
            quads = (quad.triple for quad in quads)
        prefixes = None if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.JSON_LD) else PREFIXES
        ox.serialize(quads, output=str(target / name), format=fmt, prefixes=prefixes)
    return {"total": round(time.perf_counter() - start, 3)}


def run_leiden(listfile: Path, cache: Path, out: Path) -> dict:
    """Baseline (b): igraph's Leiden alone, as kg/clusters.py runs it, on the build's similarity graph."""
    from kg.clusters import DEFAULT_METHOD, DEFAULT_RESOLUTION, SEED, citation_data, leiden, similarity
    from kg.model import read_model
    from kg.statements import StatementIndex

    graph = similarity(citation_data(read_model(StatementIndex(build_statements(listfile, cache)))), DEFAULT_METHOD)
    return {"total": round(timed(lambda: leiden(graph, DEFAULT_RESOLUTION, SEED)), 3)}


def run_nquads(listfile: Path, cache: Path, out: Path) -> dict:
    """Baseline (c): parse, enrich from the warm cache, and the graph's canonical N-Quads text."""
    from kg.statements import canonical, nquads_lines

    return {"total": round(timed(lambda: "".join(nquads_lines(canonical(build_statements(listfile, cache))))), 3)}


def run_queries(listfile: Path, cache: Path, out: Path) -> dict:
    """Each saved query on the build's on-disk store, as `kg query` runs it (bench/queries.py), and how fast
    graph.nt loads into memory."""
    from bench.queries import build_latencies
    from kg.store import KnowledgeGraph

    latencies = {name: round(wall_ms, 1) for name, (wall_ms, _, _) in build_latencies(out).items()}
    start = time.perf_counter()
    triples = len(KnowledgeGraph.load(out / "graph.nt"))
    return {"queries_ms": latencies, "load_triples_per_s": round(triples / (time.perf_counter() - start))}


def ask_seconds(out: Path) -> float:
    """`kg query BUILD 'ASK {}'` end to end, the real command line in a subprocess: median of 3."""
    command = [str(Path(sys.executable).parent / "kg"), "query", str(out), "ASK {}"]
    times = [timed(lambda: subprocess.run(command, check=True, capture_output=True)) for _ in range(3)]
    return round(statistics.median(times), 3)


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
    from kg.graphmap import enrichment_quads, list_quads
    from kg.savedqueries import bind_params
    from kg.statements import canonical, nquads_lines
    from kg.store import KnowledgeGraph
    from kg.vocab import PREFIXES

    clock = StageClock()
    start = time.perf_counter()
    clock.stage("parsing the list")
    parsed = ListSource.from_path(listfile, "synthetic").parse()
    clock.stage("enriching")
    enrichments = enrich_offline(parsed, cache)
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


RUNS = {
    "oxigraph": run_oxigraph,
    "rdflib": run_rdflib,
    "writers": run_writers,
    "leiden": run_leiden,
    "nquads": run_nquads,
    "queries": run_queries,
}


def measure(kind: str, listfile: Path, cache: Path, out: Path) -> dict:
    """One measured run in a fresh process: its report plus peak memory, or why it did not finish."""
    command = [sys.executable, str(Path(__file__)), "--run", kind, str(listfile), str(cache), str(out)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {RUN_TIMEOUT} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_one(kind: str, listfile: str, cache: str, out: str) -> None:
    if kind == "rdflib":
        resource.setrlimit(resource.RLIMIT_AS, (RDFLIB_MEMORY, RDFLIB_MEMORY))
    report = RUNS[kind](Path(listfile), Path(cache), Path(out))
    report["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(report))


def builds_summary(runs: list[dict]) -> dict:
    """Repeated builds as RESULTS.json keeps them: median total, core and stages, largest peak, every total."""
    done = [r for r in runs if "error" not in r]
    if not done:
        return runs[0]
    stages = {name: round(statistics.median(r["stages"].get(name, 0) for r in done), 3) for name in done[0]["stages"]}
    stages_cpu = {
        name: round(statistics.median(r["stages_cpu"].get(name, 0) for r in done), 3) for name in done[0]["stages"]
    }
    return {
        "total": round(statistics.median(r["total"] for r in done), 2),
        "totals": [r["total"] for r in runs if "total" in r],
        "core": round(statistics.median(r["core"] for r in done), 2),
        "cpu": round(statistics.median(r["cpu"] for r in done), 2),
        "cpu_main": round(statistics.median(r["cpu_main"] for r in done), 2),
        "stages": stages,
        "stages_cpu": stages_cpu,
        "peak_mb": max(r["peak_mb"] for r in done),
        "triples": done[0]["triples"],
        **({"errors": [r["error"] for r in runs if "error" in r]} if len(done) < len(runs) else {}),
    }


def baselines_summary(runs: dict[str, list[dict]]) -> dict:
    """Each baseline's median seconds and peak memory, and the sum of the medians."""
    found: dict = {}
    for kind, measured in runs.items():
        times = [r["total"] for r in measured if "total" in r]
        found[kind] = round(statistics.median(times), 2) if times else measured[0]["error"]
        found[f"{kind}_peak_mb"] = max((r["peak_mb"] for r in measured if "peak_mb" in r), default=None)
    medians = [found[kind] for kind in runs]
    found["sum"] = round(sum(medians), 2) if all(isinstance(m, float) for m in medians) else None
    return found


def measure_size(papers: int, folder: Path, repeat: int) -> dict:
    """The builds, the baselines and the queries of one size, each run in a fresh process."""
    listfile, cache, out = folder / "README.md", folder / "cache", folder / "out-oxigraph"

    def runs(kind: str) -> list[dict]:
        found = []
        for n in range(repeat):
            print(f"{papers} papers: {kind} {n + 1}/{repeat}", file=sys.stderr, flush=True)
            found.append(measure(kind, listfile, cache, out))
            print(json.dumps(found[-1])[:300], file=sys.stderr, flush=True)
        return found

    report = builds_summary(runs("oxigraph"))
    if "error" in report:
        return report
    report["baselines"] = baselines_summary({kind: runs(kind) for kind in BASELINES})
    writers = report["baselines"]["writers"]
    report["serialize_triples_per_s"] = round(4 * report["triples"] / writers) if isinstance(writers, float) else 0
    queries = measure("queries", listfile, cache, out)
    report.update(queries if "error" not in queries else {"queries_error": queries["error"]})
    report["ask_s"] = ask_seconds(out)
    return report


def results_markdown(results: dict) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Rerun: `python bench/scale.py` (all sizes, `--repeat 3`), or `python bench/scale.py --sizes 150 2000 "
        "--repeat 1`",
        "for a quick check; either rewrites this file, `RESULTS.json` (the data) and `scaling.png`.",
        "",
        f"On this machine ({os.cpu_count()} cores), warm cache, a fresh process per run. Wall and stage times are "
        "medians of the repeated builds (every total listed), peak memory the largest maximum resident set; "
        "core is the sum of the stages " + ", ".join(f'"{name}"' for name in CORE_STAGES) + " (all but clustering "
        "up to and including validation; the build writes the other graph files, the store and the views after).",
        "",
        "## Build",
        "",
        "| papers | store | measured | triples | wall (s) | runs (s) | core (s) | CPU (s): all threads, main thread "
        "| peak memory (MB) | load (triples/s) | serialize (triples/s) |",
        "|---:|---|---|---:|---:|---|---:|---|---:|---:|---:|",
    ]
    for papers, stores in results.items():
        for store, r in stores.items():
            when = r.get("measured", "")
            if "error" in r:
                lines.append(f"| {papers:,} | {store} | {when} | | {r['error']} | | | | | | |")
                continue
            runs = ", ".join(f"{t:.2f}" for t in r.get("totals", []))
            core = f"{r['core']:.2f}" if "core" in r else ""
            cpu = f"{r['cpu']:.1f}, {r['cpu_main']:.1f}" if "cpu" in r else ""
            lines.append(
                f"| {papers:,} | {store} | {when} | {r['triples']:,} | {r['total']:.2f} | {runs} | {core} | {cpu} | "
                f"{r['peak_mb']:,} | {per_second(r.get('load_triples_per_s', 0))} | "
                f"{per_second(r.get('serialize_triples_per_s', 0))} |"
            )
    lines += [
        "",
        "## The build against three baselines (seconds, medians)",
        "",
        "(a) pyoxigraph writing graph.nt, .ttl, .jsonld and .trig from the build's graph.nq; (b) igraph's Leiden "
        "alone on the build's similarity graph; (c) parsing, enrichment from the cache and the canonical N-Quads "
        "text. Serialize (triples/s) above is four files' triples over (a).",
        "",
        "| papers | whole build | " + " | ".join(BASELINES.values()) + " | sum of (a), (b), (c) |",
        "|---:|---:|" + "---:|" * (len(BASELINES) + 1),
    ]
    for papers, stores in results.items():
        r = stores.get("oxigraph", {})
        if "baselines" in r:
            cells = [str(r["baselines"][kind]) for kind in (*BASELINES, "sum")]
            lines.append(f"| {papers:,} | {r['total']:.2f} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Stages (seconds, medians)",
        "",
        "Each stage's wall time, and in brackets the CPU the build's main thread spent in it where it was "
        "recorded: a stage whose wall time passes its CPU waited for a core (Oxigraph's threads load the store "
        "and write Turtle, TriG and JSON-LD beside the Python stages) or for the disk.",
        "",
    ]
    for papers, stores in results.items():
        for store, r in stores.items():
            if "stages" in r:
                cpu = r.get("stages_cpu", {})
                stages = ", ".join(
                    f"{k} {v:.2f}" + (f" ({cpu[k]:.2f})" if k in cpu else "") for k, v in r["stages"].items()
                )
                lines.append(f"- {papers:,} papers, {store} ({r.get('measured', 'date not kept')}): {stages}")
    lines += [
        "",
        "## Queries (median of 3, ms)",
        "",
        "Oxigraph: each saved query on the build's on-disk store (`KnowledgeGraph.open`, as `kg query` runs it), "
        "and `kg query BUILD 'ASK {}'` end to end as a subprocess; rdflib: its in-memory store.",
        "",
    ]
    names = sorted({q for stores in results.values() for r in stores.values() for q in r.get("queries_ms", {})})
    header = [f"{p:,} {s}" for p, stores in results.items() for s in stores]
    lines += ["| query | " + " | ".join(header) + " |", "|---|" + "---:|" * len(header)]
    runs = [r for stores in results.values() for r in stores.values()]
    ask = [str(round(r["ask_s"] * 1000)) if "ask_s" in r else "" for r in runs]
    lines.append("| `kg query BUILD 'ASK {}'` (whole process) | " + " | ".join(ask) + " |")
    for name in names:
        cells = [str(r.get("queries_ms", {}).get(name, "")) for r in runs]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "![How cost grows with size](scaling.png)", ""]
    return "\n".join(lines)


def per_second(rate: int) -> str:
    return f"{rate:,}" if rate else "—"  # 0: a run stopped before it was measured


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(9, 4.5))
    for store in ("oxigraph", "rdflib"):
        points = [(p, s[store]["total"]) for p, s in results.items() if "total" in s.get(store, {})]
        if points:
            axes.loglog(*zip(*points, strict=True), marker="o", label=f"kg build total, {store}")
    ours = {p: s.get("oxigraph", {}) for p, s in results.items()}
    for label, points in (
        ("core", [(p, r["core"]) for p, r in ours.items() if "core" in r]),
        (
            "sum of the baselines",
            [(p, r["baselines"]["sum"]) for p, r in ours.items() if r.get("baselines", {}).get("sum")],
        ),
    ):
        if points:
            axes.loglog(*zip(*points, strict=True), marker="s", label=label)
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
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    figure.tight_layout()
    figure.savefig(path, dpi=120, metadata={"Software": None})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=3, help="builds and baseline runs per size (medians kept)")
    parser.add_argument(
        "--rdflib-up-to",
        type=int,
        default=2000,
        help="run the rdflib store only up to this size (its writers take hours past it)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        help="keep each size's synthetic list and cache in this folder and reuse them in later runs "
        "(preparing 100,000 papers takes minutes); default a temporary folder, removed",
    )
    parser.add_argument("--run", nargs=4, metavar=("KIND", "LIST", "CACHE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_one(*args.run)
        return
    saved = BENCH / "RESULTS.json"  # sizes measured in earlier runs are kept, re-measured ones replaced
    results: dict[int, dict] = {int(k): v for k, v in json.loads(saved.read_text()).items()} if saved.exists() else {}
    work = args.work or Path(tempfile.mkdtemp(prefix="kg-scale-"))
    for papers in args.sizes:
        folder = work / str(papers)
        if (folder / "prepared").exists():
            listfile, cache = folder / "README.md", folder / "cache"
        else:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            print(f"{papers} papers: preparing", file=sys.stderr, flush=True)
            listfile, cache = prepare(papers, folder)
            (folder / "prepared").touch()
        earlier = results.get(papers, {})
        today = time.strftime("%Y-%m-%d")
        results[papers] = {"oxigraph": {**measure_size(papers, folder, args.repeat), "measured": today}}
        if papers > args.rdflib_up_to:  # an earlier measurement stays, with its date
            results[papers]["rdflib"] = earlier.get("rdflib") or {
                "error": f"not run (past --rdflib-up-to {args.rdflib_up_to})"
            }
        else:
            print(f"{papers} papers: rdflib", file=sys.stderr, flush=True)
            results[papers]["rdflib"] = {**measure("rdflib", listfile, cache, folder / "out-rdflib"), "measured": today}
        if args.work is None:
            shutil.rmtree(folder)
        results = dict(sorted(results.items()))  # written after each size: a run cut short keeps what it measured
        saved.write_text(json.dumps(results, indent=1) + "\n")
        plot(results, BENCH / "scaling.png")
        (BENCH / "RESULTS.md").write_text(results_markdown(results))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
