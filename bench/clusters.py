"""How the related-work clusters agree with the list's headings, and how fast they are.

    python bench/clusters.py                 # quality on both data sets, timing on 20,000 papers
    python bench/clusters.py --quick         # quality only
    python bench/clusters.py --quick --save before.json      # keep every method's clusters ...
    python bench/clusters.py --quick --compare before.json   # ... and compare a later version's with them
    python bench/clusters.py --stage 20000 100000 --folder DIR  # the build's clustering stage at those sizes

Quality: NMI and ARI of each method's clusters against the leaf and top-level headings,
(1) on the shipped list built offline from the shipped snapshot and (2) on the latest
list version built through the Semantic Scholar test server (tests/s2_server.py), plus
the papers whose cluster is dominated by another heading than theirs. --save writes each
data set's and method's clusters (paper -> cluster label) as JSON; --compare says, for each,
whether the clusters are the same as the saved ones, and their NMI. Timing: every
stage on a 20,000-paper synthetic graph with 40 planted topics (and the ARI against
them, to show the clusters still find the topics at that size), Leiden apart.
--stage: the build's clustering stage (`cluster_papers` of the model) on bench/scale.py's synthetic
lists, each in a fresh process: wall and CPU time, and the memory it adds to the process's peak
(the list and its cache are made in --folder once and reused).
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]
LATEST_LIST = ROOT / "tests" / "data" / "lists" / "awesome-moe-inference" / "2025-10-20_f7ccad0.md"

from kg.build import ListSource, build  # noqa: E402
from kg.clusters import (  # noqa: E402
    METHODS,
    UNCONNECTED,
    Clustering,
    ari,
    citation_data,
    cluster_papers,
    leiden,
    nmi,
    similarity,
)
from kg.model import read_model  # noqa: E402
from kg.store import KnowledgeGraph  # noqa: E402
from kg.vocab import CLUSTER_GRAPH, ID, LIST_GRAPH, akg, cito, dcterms, rdf, skos, xsd  # noqa: E402


def shipped_graph(work: Path) -> KnowledgeGraph:
    return build(out=work / "shipped", offline=True, cache_dir=work / "cache-shipped").graph


def latest_graph(work: Path) -> KnowledgeGraph:
    """The latest list version, enriched through the S2 test server (every paper, edges, outside works)."""
    from s2_fixtures import build_records
    from s2_server import S2TestServer

    with S2TestServer(build_records()) as server:
        os.environ["S2_API_URL"] = server.url
        try:
            return build(ListSource.from_path(LATEST_LIST), work / "latest", cache_dir=work / "cache-latest").graph
        finally:
            del os.environ["S2_API_URL"]


def without_clusters(graph: KnowledgeGraph) -> KnowledgeGraph:
    """The graph as the clustering sees it (the build's own clusters left out)."""
    return KnowledgeGraph(q for q in graph.store if q.graph_name != CLUSTER_GRAPH)


def quality(name: str, clusterings: dict[str, Clustering]) -> list[str]:
    rows = []
    for method, c in clusterings.items():
        a = c.agreement()
        unconnected = sum(x.size for x in c.clusters if x.id == UNCONNECTED)
        found = sum(1 for x in c.clusters if x.id != UNCONNECTED)
        scores = " | ".join(f"{a[level][score]:.3f}" for level in ("leaf", "top") for score in ("nmi", "ari"))
        rows.append(f"| {name} | {method} | {len(c.data.papers)} | {found} | {unconnected} | {scores} |")
    return rows


def memberships(clusterings: dict[str, Clustering]) -> dict[str, dict[str, str]]:
    """Each method's clusters as paper -> cluster label, to compare two versions of the code."""
    return {
        method: {iri: cluster.label for cluster in c.clusters for iri in cluster.members}
        for method, c in clusterings.items()
    }


def comparison(saved: dict, now: dict) -> list[str]:
    """For each data set and method in both: the same clusters (and labels) or not, and the NMI of the two."""
    rows = ["| data | method | clusters and labels | NMI saved vs now |", "|---|---|---|---|"]
    for name, methods in now.items():
        for method, found in methods.items():
            before = saved.get(name, {}).get(method)
            if before is not None:
                papers = sorted(set(before) & set(found))
                score = nmi([before[p] for p in papers], [found[p] for p in papers])
                rows.append(f"| {name} | {method} | {'same' if before == found else 'differ'} | {score:.3f} |")
    return rows


def disagreements(name: str, c: Clustering) -> list[str]:
    """Papers whose (default) cluster is dominated by another heading than any of theirs."""
    headings, papers = c.data.headings, c.data.papers
    lines = [f"{name}: {sum(len(x.elsewhere) for x in c.clusters)} of {len(papers)} papers", ""]
    for cluster in c.clusters:
        for iri in cluster.elsewhere:
            mine = " / ".join(headings[h].label for h in papers[iri].headings)
            lines.append(
                f"- {papers[iri].title} ({papers[iri].year or 'n.d.'}): listed under {mine}; "
                f'cluster {cluster.id} "{cluster.label}"'
            )
    return lines + [""]


# ---------------------------------------------------------------------------
# Timing on a 20,000-paper graph with planted topics
# ---------------------------------------------------------------------------


def planted_quads(
    papers: int = 20_000, topics: int = 40, references: int = 12, outside: int = 4, seed: int = 11
) -> tuple[list[ox.Quad], dict[str, int]]:
    """Listed papers under `topics` headings; 80% of citations stay within the topic, the rest go anywhere;
    each paper also cites `outside` works from its topic's pool of 60 and the 20 landmarks everyone cites."""
    rng = random.Random(seed)
    g, quads, truth = LIST_GRAPH, [], {}
    scheme = ox.NamedNode(f"{ID}list/planted/taxonomy")
    for t in range(topics):
        heading = ox.NamedNode(f"{ID}list/planted/heading/topic-{t}")
        quads += [
            ox.Quad(heading, rdf.type, skos.Concept, g),
            ox.Quad(heading, skos.prefLabel, ox.Literal(f"Topic {t}"), g),
            ox.Quad(heading, akg.position, ox.Literal(str(t), datatype=xsd.integer), g),
            ox.Quad(heading, skos.topConceptOf, scheme, g),
        ]
    by_topic: list[list[int]] = [[] for _ in range(topics)]
    nodes = [ox.NamedNode(f"{ID}paper/planted/{i}") for i in range(papers)]
    for i, node in enumerate(nodes):
        t = rng.randrange(topics)
        truth[node.value] = t
        quads += [
            ox.Quad(node, rdf.type, akg.ListedPaper, g),
            ox.Quad(node, dcterms.title, ox.Literal(f"Paper {i} on topic {t}"), g),
            ox.Quad(node, akg.listedUnder, ox.NamedNode(f"{ID}list/planted/heading/topic-{t}"), g),
        ]
        same = by_topic[t]
        for _ in range(references if i else 0):
            cited = rng.choice(same) if same and rng.random() < 0.8 else rng.randrange(i)
            quads.append(ox.Quad(node, cito.cites, nodes[cited], g))
        for _ in range(outside):
            work = f"landmark-{rng.randrange(20)}" if rng.random() < 0.25 else f"topic-{t}-{rng.randrange(60)}"
            quads.append(ox.Quad(node, cito.cites, ox.NamedNode(f"{ID}paper/outside/{work}"), g))
        same.append(i)
    return list(dict.fromkeys(quads)), truth


def timed(function, *args, runs: int = 2):
    """The result and the best time of `runs` calls (other jobs share the machine)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return result, min(times)


def timing() -> list[str]:
    (quads, truth), made = timed(planted_quads, runs=1)
    model, read = timed(read_model, KnowledgeGraph(quads))
    data, arrays = timed(citation_data, model)
    rows = [
        f"Graph: {len(data.papers)} listed papers, {len(data.citing)} citations (made in {made:.1f} s); "
        f"reading it into the model: {read:.2f} s; the citations as arrays: {arrays:.2f} s",
        "",
        "| method | similarity pairs | similarity graph (s) | Leiden (s) | whole `cluster_papers` (s) | "
        "`cluster_papers` but Leiden (s) | clusters | ARI vs planted topics |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for method in METHODS:
        weights, built = timed(similarity, data, method)
        _, communities = timed(leiden, weights, 1.0, 0)
        clustering, whole = timed(cluster_papers, model, method)
        found = {iri: c.id for c in clustering.clusters for iri in c.members}
        score = ari([found[i] for i in truth], list(truth.values()))
        rows.append(
            f"| {method} | {len(weights)} | {built:.2f} | {communities:.2f} | {whole:.2f} | "
            f"{whole - communities:.2f} | {len(clustering.clusters)} | {score:.3f} |"
        )
    return rows


def stage(papers: int, folder: Path) -> str:
    """One row: the clustering stage on a `papers`-paper synthetic list, measured in a fresh process."""
    import subprocess

    from scale import prepare

    where = folder / str(papers)
    if not (where / "cache").exists():
        where.mkdir(parents=True, exist_ok=True)
        prepare(papers, where)
    child = [sys.executable, __file__, "--stage-of", str(where / "README.md"), str(where / "cache")]
    found = json.loads(subprocess.run(child, capture_output=True, text=True, check=True).stdout)
    return (
        f"| {papers:,} | {found['pairs']:,} | {found['clusters']} | {found['wall']:.2f} | {found['cpu']:.2f} | "
        f"{found['added'] / 2**20:.0f} |"
    )


def stage_of(listfile: Path, cache: Path) -> None:
    """In the child: the model as the build reads it, then `cluster_papers` timed, and the peak resident
    memory it adds (the kernel's high-water mark, reset before it starts)."""
    from kg.listparse import collector_paused
    from kg.statements import StatementIndex
    from scale import build_statements

    def resident(field: str) -> int:
        status = Path("/proc/self/status").read_text().splitlines()
        return next(int(line.split()[1]) << 10 for line in status if line.startswith(field))

    with collector_paused():  # as in the build
        model = read_model(StatementIndex(build_statements(listfile, cache)))
        Path("/proc/self/clear_refs").write_text("5")  # the high-water mark starts again from here
        before = resident("VmRSS")
        wall, cpu = time.perf_counter(), time.process_time()
        clustering = cluster_papers(model)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    added = resident("VmHWM") - before
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "added": added,
                "pairs": len(clustering.similarity),
                "clusters": len(clustering.clusters),
            }
        )
    )


def option(name: str) -> Path | None:
    """The path given after --save or --compare."""
    return Path(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else None


def main() -> None:
    if "--stage-of" in sys.argv:
        return stage_of(*map(Path, sys.argv[sys.argv.index("--stage-of") + 1 :][:2]))
    if "--stage" in sys.argv:
        sizes = [int(n) for n in sys.argv[sys.argv.index("--stage") + 1 :] if n.isdigit()]
        print("| papers | similarity pairs | clusters | wall (s) | CPU (s) | memory added (MB) |")
        print("|---:|---:|---:|---:|---:|---:|")
        with tempfile.TemporaryDirectory() as scratch:
            for papers in sizes:
                print(stage(papers, option("--folder") or Path(scratch)), flush=True)
        return None
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        graphs = {
            "shipped snapshot (12 papers)": without_clusters(shipped_graph(work)),
            "latest list, test server": without_clusters(latest_graph(work)),
        }
        clusterings = {
            name: {method: cluster_papers(graph, method) for method in METHODS} for name, graph in graphs.items()
        }
        print("| data | method | papers | clusters | unconnected | NMI leaf | ARI leaf | NMI top | ARI top |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, found in clusterings.items():
            print("\n".join(quality(name, found)))
        print("\nPapers whose hybrid cluster is dominated by another heading:\n")
        for name, found in clusterings.items():
            print("\n".join(disagreements(name, found["hybrid"])))
    now = {name: memberships(found) for name, found in clusterings.items()}
    if saved := option("--save"):
        saved.write_text(json.dumps(now, indent=1, sort_keys=True), encoding="utf-8")
    if before := option("--compare"):
        print("\n".join(comparison(json.loads(before.read_text(encoding="utf-8")), now)) + "\n")
    if "--quick" not in sys.argv:
        print("\n".join(timing()))


if __name__ == "__main__":
    main()
