"""What the read model saves: a build's views at 2,000 and 20,000 listed papers, before and after.

Before: the code of an earlier commit (--before, default the last one without kg/model.py), where
the clustering, the exports, the graph page and the curation report each read the graph back
through SPARQL. After: this checkout, where the graph is read once into kg.model's GraphModel and
every view reads that (clustered from the model, the clusters put back into the graph and the model,
the clustering handed to the exports, as the build's pipeline will). Both
sides run in their own process on the same synthetic graph (bench/synthetic.py: N listed papers
among 2N works, 15 citations per listed paper), written once as N-Quads and bulk-loaded before
anything is timed. Each view's wall time and the process's peak RSS are reported.

    python bench/model.py [--sizes 2000 20000] [--before COMMIT] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "79ee0dc"  # the last commit without kg/model.py
VIEWS = ("model", "clusters", "exports", "page", "report")


def write_graph(listed: int, path: Path) -> int:
    """The synthetic graph of `listed` listed papers as an N-Quads file; gives its number of quads."""
    import pyoxigraph as ox

    sys.path.insert(0, str(ROOT))
    from bench.synthetic import Size, synthetic_quads

    quads = synthetic_quads(Size(papers=2 * listed, citations=15 * listed))
    ox.serialize(quads, output=str(path), format=ox.RdfFormat.N_QUADS)
    return len(quads)


def checkout(commit: str, folder: Path) -> Path:
    """The project's files at `commit` (git archive), to import the code of before."""
    archive = folder / "before.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), commit], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "before", filter="data")
    return folder / "before"


def run_views(graph_file: str, out: str) -> dict:
    """In a worker whose sys.path starts with the code to measure: load the graph, then time the views."""
    import pyoxigraph as ox

    import kg
    from kg.curate.report import write_report
    from kg.exports import write_cluster_files
    from kg.page import write_graph_page
    from kg.store import KnowledgeGraph

    graph = KnowledgeGraph()
    graph.store.bulk_load(path=graph_file, format=ox.RdfFormat.N_QUADS)
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times: dict[str, float] = {}

    def timed(name: str, action):
        start = time.perf_counter()
        result = action()
        times[name] = time.perf_counter() - start
        return result

    from kg.clusters import add_clusters

    if not Path(kg.__file__).with_name("model.py").exists():  # before: each view reads the graph itself
        timed("clusters", lambda: add_clusters(graph, None))
        timed("exports", lambda: write_cluster_files(graph, out))
        timed("page", lambda: write_graph_page(graph, out))
        timed("report", lambda: write_report(graph, out))
    else:  # after: the model is read once, then clustered
        from kg.model import read_model

        model = timed("model", lambda: read_model(graph))
        clustering = timed("clusters", lambda: add_clusters(graph, model))
        timed("exports", lambda: write_cluster_files(model, out, clustering))
        timed("page", lambda: write_graph_page(model, out))
        timed("report", lambda: write_report(model, out))
    return {
        "seconds": times,
        "rss_loaded_mb": loaded,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(code: Path, graph_file: Path, out: Path) -> dict:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", str(code), str(graph_file), str(out)],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.exit(f"the views failed with the code in {code}:\n{result.stderr}")
    return json.loads(result.stdout)


def table(rows: list[tuple[int, int, str, dict]]) -> str:
    lines = [
        "| listed papers | quads | code | "
        + " | ".join(f"{v} (s)" for v in VIEWS)
        + " | views total (s) | peak RSS (MB) |",
        "|---" * (len(VIEWS) + 5) + "|",
    ]
    for listed, quads, side, found in rows:
        seconds = found["seconds"]
        cells = [f"{seconds[v]:.2f}" if v in seconds else "-" for v in VIEWS]
        lines.append(
            f"| {listed:,} | {quads:,} | {side} | "
            + " | ".join(cells)
            + f" | {sum(seconds.values()):.2f} | {found['rss_peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        sys.path.insert(0, sys.argv[2])
        sys.modules.pop("kg", None)
        print(json.dumps(run_views(sys.argv[3], sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--repeat", type=int, default=1, help="runs per side; the median total is kept")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        before = checkout(args.before, folder)
        for listed in args.sizes:
            graph_file = folder / f"graph-{listed}.nq"
            quads = write_graph(listed, graph_file)
            for side, code in (("before", before), ("after", ROOT)):
                runs = [measure(code, graph_file, folder / f"out-{side}-{listed}") for _ in range(args.repeat)]
                found = sorted(runs, key=lambda r: sum(r["seconds"].values()))[len(runs) // 2]
                rows.append((listed, quads, side, found))
                print(
                    f"{listed:,} listed papers, {side}: {sum(found['seconds'].values()):.2f} s "
                    f"({statistics.fmean(sum(r['seconds'].values()) for r in runs):.2f} s mean)",
                    file=sys.stderr,
                )
    print(table(rows))


if __name__ == "__main__":
    main()
