"""A synthetic awesome-list graph of any size, in our vocabulary, for benchmarks.

The list (headings, entries, model table) and the Semantic Scholar-shaped records are
made up with a fixed seed, then mapped by kg.graphmap exactly as a build maps real
ones, so the quads follow the vocabulary contract by construction. Citations follow
preferential attachment (later papers cite earlier ones, popular ones more), which
gives the heavy-tailed in-degrees real citation graphs have.

    from bench.synthetic import synthetic_quads
    quads = synthetic_quads()                  # 20,000 papers, about 300,000 citations
    python bench/synthetic.py OUT_FOLDER       # the same, written as a build folder
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyoxigraph as ox

from kg.counts import add_counts
from kg.enrich import Enrichment
from kg.graphmap import enrichment_quads, graph_provenance_quads, list_quads
from kg.listparse import Entry, Heading, ListedPaper, ModelRow, ParsedList
from kg.store import KnowledgeGraph

SLUG = "synthetic"
SECTIONS = ("Model-Level Optimizations", "Algorithm-Level Optimization", "System-Level Optimization")
TOPICS = ("Pruning", "Quantization", "Distillation", "Routing", "Offloading", "Scheduling", "Caching", "Kernels")
VENUES = ("NeurIPS", "ICML", "ICLR", "ACL", "EMNLP", "MLSys", "OSDI", "ATC", "SC", "PPoPP", "ASPLOS", "DAC")
WORDS = (
    "sparse",
    "expert",
    "mixture",
    "routing",
    "efficient",
    "inference",
    "memory",
    "parallel",
    "adaptive",
    "quantized",
    "pruned",
    "scalable",
    "serving",
    "token",
    "gating",
    "offloading",
    "cache",
    "kernel",
)


@dataclass(frozen=True)
class Size:
    papers: int = 20_000
    citations: int = 300_000
    listed_share: float = 0.5
    models: int = 100
    seed: int = 7


def synthetic_quads(size: Size = Size()) -> list[ox.Quad]:
    """The quads of a synthetic build: list graph, enrichment graph, provenance, counts; no duplicates."""
    parsed, enrichments = synthetic_list(size)
    graph = KnowledgeGraph(
        [*list_quads(parsed, SLUG), *enrichment_quads(parsed, enrichments), *graph_provenance_quads("0" * 64, SLUG)]
    )
    add_counts(graph)
    return list(graph.store)


def synthetic_list(size: Size) -> tuple[ParsedList, dict[str, Enrichment]]:
    """A parsed list and the enrichment record of each listed paper."""
    rng = random.Random(size.seed)
    headings = make_headings()
    leaves = [h for h in headings if h.level == 4]
    works = [make_work(i, rng, size.papers) for i in range(size.papers)]
    listed = set(rng.sample(range(size.papers), int(size.papers * size.listed_share)))
    edges = make_citations(size, listed, rng)
    papers = [make_listed_paper(works[i], i, rng, leaves) for i in sorted(listed)]
    models = [make_model(k, rng, headings[0].key) for k in range(size.models)]
    parsed = ParsedList("synthetic.md", "Synthetic awesome list", headings, papers, models, [])
    references: dict[int, list[int]] = {i: [] for i in listed}
    citations: dict[int, list[int]] = {i: [] for i in listed}
    for citing, cited in edges:
        if citing in listed:
            references[citing].append(cited)
        if cited in listed:
            citations[cited].append(citing)
    enrichments = {}
    for paper, i in zip(papers, sorted(listed), strict=True):  # papers are made in this order
        record = dict(
            works[i],
            authors=make_authors(rng, size.papers),
            references=[edge_record(works[j]) for j in references[i]],
            citations=[edge_record(works[j]) for j in citations[i]],
            citationCount=len(citations[i]) + rng.randrange(0, 400),
            influentialCitationCount=rng.randrange(0, 20),
            referenceCount=len(references[i]),
            citationDetails=[
                {"citedPaper": edge_record(works[j]), "isInfluential": True, "intents": ["methodology"]}
                for j in references[i]
                if rng.random() < 0.05
            ],
        )
        enrichments[paper.key] = Enrichment(record, "semantic-scholar", "2025-01-01T00:00:00+00:00")
    return parsed, enrichments


def make_headings() -> list[Heading]:
    """Three sections, four sub-headings each, three topics under each of those."""
    headings: list[Heading] = [Heading("models", "SOTA MoE LLMs", 2, None, 0, 1)]
    for s, section in enumerate(SECTIONS):
        top = Heading(f"section-{s}", section, 2, None, len(headings), len(headings) + 1)
        headings.append(top)
        for m in range(4):
            middle = Heading(
                f"{top.key}/group-{m}", f"{section} group {m}", 3, top.key, len(headings), len(headings) + 1
            )
            headings.append(middle)
            for t in range(3):
                topic = TOPICS[(s * 4 + m * 3 + t) % len(TOPICS)]
                headings.append(
                    Heading(f"{middle.key}/{topic.lower()}-{t}", topic, 4, middle.key, len(headings), len(headings) + 1)
                )
    return headings


def arxiv_id(i: int, papers: int) -> str:
    """Ids in publication order: index i is published after index i - 1."""
    day = date(2015, 1, 1) + timedelta(days=int(i * 3650 / papers))
    return f"{day:%y%m}.{10000 + i:05d}"


def make_work(i: int, rng: random.Random, papers: int) -> dict:
    day = date(2015, 1, 1) + timedelta(days=int(i * 3650 / papers))
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 9))).capitalize() + f" ({i})"
    venue = "arXiv.org" if rng.random() < 0.5 else rng.choice(VENUES)
    return {
        "paperId": f"{i:040x}",
        "externalIds": {"ArXiv": arxiv_id(i, papers)},
        "title": title,
        "year": day.year,
        "publicationDate": day.isoformat(),
        "venue": venue,
    }


def edge_record(work: dict) -> dict:
    """What a references or citations page carries about the other paper (the client's EDGE_FIELDS)."""
    return {key: work[key] for key in ("paperId", "externalIds", "title", "year")}


def make_citations(size: Size, listed: set[int], rng: random.Random) -> list[tuple[int, int]]:
    """Distinct (citing, cited) pairs, citing newer than cited, at least one end listed."""
    edges: set[tuple[int, int]] = set()
    cited_pool: list[int] = [0]
    while len(edges) < size.citations:
        citing = rng.randrange(1, size.papers)
        if rng.random() < 0.5:
            cited = rng.randrange(0, citing)
        else:
            cited = rng.choice(cited_pool)
            if cited >= citing:
                continue
        if (citing in listed or cited in listed) and (citing, cited) not in edges:
            edges.add((citing, cited))
            cited_pool.append(cited)
    return sorted(edges)


def make_listed_paper(work: dict, i: int, rng: random.Random, leaves: list[Heading]) -> ListedPaper:
    url = f"https://arxiv.org/abs/{work['externalIds']['ArXiv']}"
    heading = rng.choice(leaves)
    year = work["year"] % 100
    tag = f"Arxiv'{year}" if work["venue"] == "arXiv.org" or rng.random() < 0.3 else f"{work['venue']}'{year}"
    venue, _, _ = tag.partition("'")
    code = [f"https://github.com/lab{i % 97}/project-{i}"] if rng.random() < 0.3 else []
    entries = [Entry(i + 100, heading.key, work["title"], url, tag, venue, work["year"], None, code)]
    if rng.random() < 0.1:
        entries.append(Entry(i + 100, rng.choice(leaves).key, work["title"], url, tag, venue, work["year"]))
    return ListedPaper(entries[0].key, entries)


def make_authors(rng: random.Random, papers: int) -> list[dict]:
    """Authors from a pool where a few are prolific (the most, on about 1 paper in 150)."""
    pool = max(papers * 3 // 5, 1)
    people = {int(pool * rng.random() ** 1.5) for _ in range(rng.randrange(1, 7))}
    return [{"authorId": str(p), "name": f"Author {p}"} for p in sorted(people)]


def make_model(k: int, rng: random.Random, heading: str) -> ModelRow:
    total = rng.choice((8, 16, 32, 64, 128, 256))
    cells = {
        "Para.": f"{rng.randrange(1, 700)}B",
        "Experts": f"{rng.choice((1, 2, 4, 8))}/{total}/{k % 3}",
        "Time": f"{2021 + k % 5}.{1 + k % 12}",
        "Affiliation": f"Lab {k % 13}",
        "L": str(rng.randrange(12, 96)),
    }
    return ModelRow(k + 10, heading, f"Model {k}", f"https://huggingface.co/org/model-{k}", None, cells)


def write_build(folder: str | Path, size: Size = Size()) -> Path:
    """A build-like folder (graph.trig and the other graph files) of the synthetic graph."""
    folder = Path(folder)
    KnowledgeGraph(synthetic_quads(size)).write(folder)
    return folder


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python bench/synthetic.py OUT_FOLDER")
    print(write_build(sys.argv[1]))
