"""Each Python stage of `kg build` timed on its own, to see which grow faster than the list.

    python bench/stages.py --list LIST --cache CACHE [--out DIR]

In `kg build` the stages share two cores with Oxigraph's loader and writers, so a stage's time there
depends on what else runs. Here the same calls run one after the other in one process, with the cyclic
collector paused as in `kg build` and no store: parse, enrichment from the warm cache (a copy of CACHE,
since a build may write to its cache), the statements, the model, the clusters, the counts, the checks
and the views (written to DIR, default a temporary folder). Each stage's wall and CPU (process) time is
printed, with the peak resident set so far. Run it on lists of two sizes (bench/scale.py makes them) and
compare the ratios with the ratio of the papers.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from itertools import chain
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(name: str, action, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = action(*args)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{name:<24} wall {time.perf_counter() - wall:7.2f} s  CPU {time.process_time() - cpu:7.2f} s  "
        f"peak {peak:6.0f} MB",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", type=Path, required=True, help="the list file")
    parser.add_argument("--cache", type=Path, required=True, help="its warm enrichment cache (copied first)")
    parser.add_argument("--out", type=Path, help="where the views are written (default: a temporary folder)")
    args = parser.parse_args()

    from kg.build import ListSource
    from kg.clusters import cluster_papers, cluster_quads, cluster_records
    from kg.counts import count_statements
    from kg.curate.report import write_report
    from kg.enrich import enrich
    from kg.exports import write_cluster_files
    from kg.graphmap import enrichment_quads, graph_provenance_quads, list_quads, one_node_per_work
    from kg.listparse import collector_paused
    from kg.model import read_model
    from kg.page import write_graph_page
    from kg.progress import Silent
    from kg.statements import StatementIndex
    from kg.validate import validate

    tmp = tempfile.mkdtemp()
    try:
        cache = Path(tmp) / "cache"
        shutil.copytree(args.cache, cache)
        out = args.out or Path(tmp) / "views"
        out.mkdir(parents=True, exist_ok=True)
        with collector_paused():  # as kg.build runs the whole build
            source = ListSource.from_path(args.list, "synthetic")
            parsed = timed("parsing the list", source.parse)
            enrichments, _ = timed(
                "enriching", lambda: enrich(parsed.papers, offline=True, cache_dir=cache, progress=Silent())
            )

            def statements(enrichments) -> StatementIndex:
                listed, records = one_node_per_work(parsed, enrichments)
                return StatementIndex(
                    chain(
                        list_quads(listed, source.slug, records),
                        enrichment_quads(listed, records),
                        graph_provenance_quads(source.sha256, source.slug),
                    )
                )

            index = timed("mapping to RDF", statements, enrichments)
            del enrichments
            model = timed("reading the model", read_model, index)
            clustering = timed("clustering", lambda: cluster_papers(model))
            model.clusters = cluster_records(clustering)
            index.extend(timed("counting", lambda: [*cluster_quads(clustering), *count_statements(model)]))
            timed("validating (SHACL)", validate, index)
            del index
            timed("related-work exports", lambda: write_cluster_files(model, out, clustering))
            timed("curator's report", lambda: write_report(model, out))
            timed("graph page", lambda: write_graph_page(model, out))
    finally:
        shutil.rmtree(tmp)
    sys.stdout.flush()
    os._exit(0)  # the build's millions of objects need not be freed one by one


if __name__ == "__main__":
    main()
