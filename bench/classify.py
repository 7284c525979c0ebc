"""Leave-one-out accuracy of the heading classifier (kg/curate/classify.py), per method.

Run: python bench/classify.py   (prints Markdown tables; uses the test API server on 127.0.0.1)

Two builds: the shipped 12-paper list offline (the hand-checked snapshot: real citations,
no abstracts), and the latest list version (156 papers) enriched through the test server.
Each listed paper's headings are hidden in turn and predicted; top-1 counts the first
heading, top-3 any of the three; a paper a method cannot answer counts as a miss. The last
table is the small grid the spreading factor and the combined weights were picked on.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import LATEST_LIST  # noqa: E402
from s2_fixtures import build_records  # noqa: E402
from s2_server import S2TestServer  # noqa: E402

from kg.build import ListSource, build  # noqa: E402
from kg.curate.classify import Classifier, leave_one_out  # noqa: E402
from kg.curate.facts import Facts  # noqa: E402
from kg.enrich.client import RetryPolicy, S2Client  # noqa: E402

ALPHAS = (0.2, 0.5, 0.9)
WEIGHTINGS = ({"vote": 0.5, "spreading": 0.25, "terms": 0.25}, {"vote": 0.25, "spreading": 0.25, "terms": 0.5},
              {"vote": 0.2, "spreading": 0.2, "terms": 0.6})


def accuracy_table(name: str, facts: Facts) -> str:
    start = time.perf_counter()
    figures = leave_one_out(Classifier(facts))
    seconds = time.perf_counter() - start
    lines = [f"**{name}** ({figures[0].papers} listed papers, leave-one-out in {seconds:.2f} s)", "",
             "| method | answered | top-1 | top-3 |", "|---|---|---|---|"]
    for a in figures:
        lines.append(f"| {a.method} | {a.answered} | {a.top1} ({a.share(a.top1):.0%}) | "
                     f"{a.top3} ({a.share(a.top3):.0%}) |")
    return "\n".join(lines) + "\n"


def grid_table(facts: Facts) -> str:
    lines = ["**Parameter grid** (latest version): combined top-1 / top-3", "",
             "| spreading a | " + " | ".join("vote/spreading/terms " + "/".join(str(w[k]) for k in w)
                                             for w in WEIGHTINGS) + " |",
             "|---|" + "---|" * len(WEIGHTINGS)]
    for alpha in ALPHAS:
        cells = []
        for weights in WEIGHTINGS:
            combined = next(a for a in leave_one_out(Classifier(facts, alpha, weights)) if a.method == "combined")
            cells.append(f"{combined.top1} / {combined.top3}")
        lines.append(f"| {alpha} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    shipped = build(out=tmp / "snapshot", offline=True, cache_dir=tmp / "empty-cache")
    print(accuracy_table("Shipped list, offline (snapshot)", Facts.from_graph(shipped.graph)))
    with S2TestServer(build_records()) as server:
        client = S2Client(server.url, policy=RetryPolicy(base_delay=0.05, max_delay=0.5, seed=1))
        latest = build(ListSource.from_path(LATEST_LIST, "awesome-moe-inference"), tmp / "latest",
                       cache_dir=tmp / "cache", client=client)
        client.close()
    facts = Facts.from_graph(latest.graph)
    print(accuracy_table(f"Latest version {LATEST_LIST.stem}, enriched (test server)", facts))
    print(grid_table(facts))


if __name__ == "__main__":
    main()
