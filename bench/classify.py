"""Leave-one-out accuracy of the heading classifier (kg/curate/classify.py), per method.

Run: python bench/classify.py   (prints Markdown tables; uses the test API server on 127.0.0.1)

Two builds: the shipped 12-paper list offline (the hand-checked snapshot: real citations,
no abstracts), and the latest list version (156 papers) enriched through the test server
(tests/s2_server.py serving tests/s2_fixtures.py's records, as the tests do).
How it is measured: each listed paper's headings are hidden in turn and predicted from the
rest of the build (its own headings and words are left out of every feature). For
`combined` the weights are learned too, ten times: papers are dealt round-robin into ten
folds and each fold is predicted with weights learned on the other nine, starting from zero
(not from the shipped DEFAULT_WEIGHTS, which were learned on this very list). The shipped
list has too few papers to learn eight weights: it uses DEFAULT_WEIGHTS. Top-1 counts
the first heading, top-3 any of the three; a paper a method cannot answer counts as a miss;
a paper under two headings counts as a hit for either.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import LATEST_LIST  # noqa: E402
from kg.build import ListSource, build  # noqa: E402
from kg.curate.classify import DEFAULT_WEIGHTS, FEATURES, Classifier, leave_one_out  # noqa: E402
from kg.curate.facts import Facts  # noqa: E402
from kg.enrich.client import RetryPolicy, S2Client  # noqa: E402
from s2_fixtures import build_records  # noqa: E402
from s2_server import S2TestServer  # noqa: E402

FROM_ZERO = {name: 0.0 for name in FEATURES}


def accuracy_table(name: str, facts: Facts, start_weights: dict[str, float]) -> tuple[str, Classifier]:
    start = time.perf_counter()
    classifier = Classifier(facts, start=start_weights)
    figures = leave_one_out(classifier)
    seconds = time.perf_counter() - start
    lines = [
        f"**{name}** ({figures[0].papers} listed papers, leave-one-out in {seconds:.2f} s)",
        "",
        "| method | answered | top-1 | top-3 |",
        "|---|---|---|---|",
    ]
    for a in figures:
        lines.append(
            f"| {a.method} | {a.answered} | {a.top1} ({a.share(a.top1):.0%}) | {a.top3} ({a.share(a.top3):.0%}) |"
        )
    return "\n".join(lines) + "\n", classifier


def weights_table(classifier: Classifier) -> str:
    learned = classifier.model.learned()
    return (
        "**Weights learned on all the latest version's papers** (standardised features; these are "
        "kg/curate/classify.py's DEFAULT_WEIGHTS)\n\n| "
        + " | ".join(FEATURES)
        + " |\n|"
        + "---|" * len(FEATURES)
        + "\n| "
        + " | ".join(f"{learned[name]:.2f}" for name in FEATURES)
        + " |\n"
    )


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    shipped = build(out=tmp / "snapshot", offline=True, cache_dir=tmp / "empty-cache")
    print(
        accuracy_table(
            "Shipped list, offline (snapshot; too few papers to learn weights: DEFAULT_WEIGHTS)",
            Facts.from_model(shipped.graph),
            DEFAULT_WEIGHTS,
        )[0]
    )
    with S2TestServer(build_records()) as server:
        client = S2Client(server.url, policy=RetryPolicy(base_delay=0.05, max_delay=0.5, seed=1))
        latest = build(
            ListSource.from_path(LATEST_LIST, "awesome-moe-inference"),
            tmp / "latest",
            cache_dir=tmp / "cache",
            client=client,
        )
        client.close()
    table, classifier = accuracy_table(
        f"Latest version {LATEST_LIST.stem}, enriched (test server)", Facts.from_model(latest.graph), FROM_ZERO
    )
    print(table)
    print(weights_table(classifier))


if __name__ == "__main__":
    main()
