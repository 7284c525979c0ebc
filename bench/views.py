"""The build's views at scale: related-work exports, report.md and graph.html, each timed on its own.

    python bench/views.py --papers 20000 --folder DIR [--repeat 3]   # a synthetic list, made once in DIR
    python bench/views.py --list LIST --cache CACHE --folder DIR      # a list and its warm cache

`kg build` runs its views one after the other on the model, while Oxigraph writes on the other
core, so their stage times depend on what else the machine runs. Here the build's flow up to the
views (parse, enrichment from the warm cache, statements, model, clustering) runs once, with the
cyclic collector paused as in `kg build`; then each view, as `kg.build` calls it, runs --repeat
times on that model in this process; the first run's wall and CPU (process) time (imports included, as
in a build) and the best of the runs are printed.
The files of the last round are left in DIR/views, to compare byte for byte with another version's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent / "tests"), str(BENCH), str(BENCH.parent)]


def model_and_clustering(listfile: Path, cache: Path):
    """kg/build.py's flow up to its views: the model with its clusters, and the clustering."""
    from kg.clusters import cluster_papers, cluster_quads, cluster_records
    from kg.model import read_model
    from kg.statements import StatementIndex
    from scale import build_statements

    index = StatementIndex(build_statements(listfile, cache))
    model = read_model(index)
    clustering = cluster_papers(model)
    index.extend(cluster_quads(clustering))
    model.clusters = cluster_records(clustering)
    return model, clustering


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, help="make a synthetic list of this many papers in --folder")
    parser.add_argument("--list", type=Path, help="an existing list file (with --cache)")
    parser.add_argument("--cache", type=Path, help="the list's warm enrichment cache")
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from kg.curate.report import write_report
    from kg.exports import write_cluster_files
    from kg.listparse import collector_paused
    from kg.page import write_graph_page

    listfile, cache = args.list, args.cache
    if args.papers:
        listfile, cache = args.folder / "README.md", args.folder / "cache"
        if not listfile.exists():
            from scale import prepare

            args.folder.mkdir(parents=True, exist_ok=True)
            prepare(args.papers, args.folder)
    if not listfile or not cache:
        parser.error("give --papers, or --list and --cache")
    out = args.folder / "views"
    out.mkdir(parents=True, exist_ok=True)
    with collector_paused():  # as kg.build runs the whole build
        model, clustering = model_and_clustering(listfile, cache)
        views = {
            "related-work exports": lambda: write_cluster_files(model, out, clustering),
            "curator's report": lambda: write_report(model, out),
            "graph page": lambda: write_graph_page(model, out),
        }
        print(f"{len(model.listed):,} listed papers, {len(model.citations):,} citations")
        print("view: first run (imports included, as in a build), then the best of --repeat (wall / CPU, s)")
        for name, view in views.items():
            times = []
            for _ in range(args.repeat):
                wall, cpu = time.perf_counter(), time.process_time()
                view()
                times.append((time.perf_counter() - wall, time.process_time() - cpu))
            (wall, cpu), best_wall, best_cpu = times[0], min(t[0] for t in times), min(t[1] for t in times)
            print(f"  {name}: first {wall:.2f} / {cpu:.2f}, best {best_wall:.2f} / {best_cpu:.2f}")


if __name__ == "__main__":
    main()
