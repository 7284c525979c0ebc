"""Synthetic awesome lists and the Semantic Scholar records behind them, at any size.

Realistic shape: a taxonomy of 20-50 headings (top-level sections with sub-headings),
papers spread over 2015-2025 with more in recent years, heavy-tailed citation counts
(preferential attachment), references mostly to older papers and more often within
a heading, a pool of outside works every paper may cite. Deterministic for a seed.
"""

from __future__ import annotations

import functools
import hashlib
import random
from dataclasses import dataclass

WORDS = (
    "sparse expert routing mixture inference offloading quantization pruning cache gating parallel "
    "scheduling memory kernel serving token batch distillation adaptive dynamic efficient scalable "
    "hierarchical balanced compression decoding speculative hardware accelerator pipeline"
).split()
SECTIONS = ("Model Design", "Compression", "Algorithms", "Systems", "Hardware", "Training", "Serving", "Surveys")


@dataclass
class SyntheticList:
    markdown: str
    records: list[dict]
    papers: int
    headings: int


@functools.cache
def paper_id(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()


def arxiv_id(index: int, year: int, month: int) -> str:
    return f"{year % 100:02d}{month:02d}.{index:05d}"


def make_list(papers: int, seed: int = 0, mean_references: int = 12, outside: int | None = None) -> SyntheticList:
    """A list of `papers` entries and one S2 record per listed paper and per outside work."""
    rng = random.Random(seed)
    headings = taxonomy(rng, papers)
    outside = outside if outside is not None else max(40, papers // 10)
    works = []  # (key, title, year, heading or None)
    for n in range(outside):
        year = rng.randint(2012, 2022)
        works.append((f"ARXIV:{arxiv_id(90000 + n, year, rng.randint(1, 12))}", title(rng), year, None))
    for n in range(papers):
        year = min(2025, 2015 + int(10 * rng.random() ** 0.5))
        works.append((f"ARXIV:{arxiv_id(n, year, rng.randint(1, 12))}", title(rng), year, rng.choice(headings)))
    works.sort(key=lambda w: (w[2], w[0]))
    references = cite(rng, works, mean_references)
    citers, by_key = invert(references), {w[0]: w for w in works}
    records = [record(work, references, citers, by_key) for work in works]
    return SyntheticList(markdown(headings, [w for w in works if w[3]]), records, papers, len(headings))


def taxonomy(rng: random.Random, papers: int) -> list[str]:
    """20-50 heading paths: top-level sections, each with sub-headings."""
    total = min(50, max(20, papers // 50))
    paths = []
    for section in SECTIONS:
        paths.append(section)
    while len(paths) < total:
        section = rng.choice(SECTIONS)
        paths.append(f"{section}/{' '.join(rng.sample(WORDS, 2)).title()} {len(paths)}")
    return paths


def title(rng: random.Random) -> str:
    return " ".join(rng.sample(WORDS, rng.randint(4, 9))).capitalize()


def cite(rng: random.Random, works: list[tuple], mean: int) -> dict[str, list[str]]:
    """Each work cites older ones: popular ones more (preferential attachment), same heading more."""
    references: dict[str, list[str]] = {}
    popular: list[str] = []
    by_heading: dict[str, list[str]] = {}
    for key, _, _, heading in works:
        older = len(popular)
        count = min(older, int(rng.expovariate(1 / mean))) if older else 0
        chosen = set()
        same = by_heading.get(heading, [])
        for _ in range(count):
            pool = same if same and rng.random() < 0.4 else popular
            chosen.add(rng.choice(pool))
        references[key] = sorted(chosen)
        popular.extend([key] + sorted(chosen))  # being cited makes a work likelier to be cited again
        if heading:
            by_heading.setdefault(heading, []).append(key)
    return references


def record(
    work: tuple, references: dict[str, list[str]], citers: dict[str, list[str]], by_key: dict[str, tuple]
) -> dict:
    """The S2 record of one work, with nested references and citations."""
    key, name, year, _ = work

    def edge(other: str) -> dict:
        return {
            "paperId": paper_id(other),
            "externalIds": {"ArXiv": other[6:]},
            "title": by_key[other][1],
            "year": by_key[other][2],
        }

    h = int(paper_id(key)[:8], 16)
    return {
        "paperId": paper_id(key),
        "corpusId": h % 10**9,
        "externalIds": {"ArXiv": key[6:]},
        "title": name,
        "abstract": f"We study {name.lower()}.",
        "venue": "arXiv.org",
        "year": year,
        "publicationDate": f"{year}-{int(key[8:10]):02d}-01",
        "publicationTypes": ["JournalArticle"],
        "authors": [
            {"authorId": str(1000 + (h >> s) % 5000), "name": f"Author {(h >> s) % 5000}"}
            for s in range(0, 4 * (1 + h % 4), 4)
        ],
        "citationCount": len(citers.get(key, [])),
        "influentialCitationCount": len(citers.get(key, [])) // 10,
        "referenceCount": len(references[key]),
        "fieldsOfStudy": ["Computer Science"],
        "tldr": None,
        "openAccessPdf": None,
        "url": f"https://www.semanticscholar.org/paper/{paper_id(key)}",
        "references": [edge(k) for k in references[key]],
        "citations": [edge(k) for k in citers.get(key, [])],
    }


def invert(references: dict[str, list[str]]) -> dict[str, list[str]]:
    citers: dict[str, list[str]] = {}
    for citing, cited in references.items():
        for key in cited:
            citers.setdefault(key, []).append(citing)
    return citers


def markdown(headings: list[str], listed: list[tuple]) -> str:
    """The list as Markdown: `## Section`, `### Sub`, then `[Arxiv'YY.M] [Title](url)` lines."""
    by_heading: dict[str, list[tuple]] = {}
    for work in listed:
        by_heading.setdefault(work[3], []).append(work)
    lines = ["# Awesome Synthetic List", ""]
    for path in sorted(headings, key=lambda p: (p.split("/")[0], p.count("/"), p)):
        lines += [("### " if "/" in path else "## ") + path.split("/")[-1], ""]
        for key, name, year, _ in by_heading.get(path, []):
            month = int(key[8:10])
            lines += [f"[Arxiv'{year % 100:02d}.{month}] [{name}](https://arxiv.org/abs/{key[6:]})", ""]
    return "\n".join(lines) + "\n"
