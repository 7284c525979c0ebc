"""Papers the list is missing: outside works that several listed papers cite, or that cite several.

Score (higher first; ties by title):
    score = in-list citations + co-citation strength + recency
- in-list citations: listed papers that cite the work plus listed papers the work cites;
  a work needs at least MIN_LINKS of them to be suggested at all.
- co-citation strength: the share (0..1) of listed papers that sit next to the work in
  the citation graph without a direct link: cited together with it by some paper
  (co-citation) or citing a paper it also cites (bibliographic coupling).
- recency: 1 for a work from the newest year of the listed papers, 0.2 less per year
  older, never below 0.
Works without any identifier (unresolved bibliography items) and works whose title is
already on the list under another link are left out. Each suggestion carries the listed
papers that point to it and the classifier's heading (kg/curate/classify.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from kg.curate.classify import Classification, Classifier
from kg.curate.facts import Facts
from kg.curate.render import md, percent, table, to_json
from kg.identifiers import normalize_title
from kg.model import Work

MIN_LINKS = 2
RECENCY_STEP = 0.2


@dataclass
class Suggestion:
    work: Work
    cited_by: list[Work]
    cites: list[Work]
    cocitation: float
    recency: float
    heading: Classification | None = None

    @property
    def classification(self) -> Classification:
        """The suggested heading: suggest() classifies every suggestion it returns."""
        assert self.heading is not None, "suggest() classifies every suggestion it returns"
        return self.heading

    @property
    def links(self) -> int:
        return len(self.cited_by) + len(self.cites)

    @property
    def score(self) -> float:
        return round(self.links + self.cocitation + self.recency, 3)

    def as_dict(self) -> dict:
        return {
            "title": self.work.title,
            "iri": self.work.iri,
            "identifiers": self.work.identifiers,
            "year": self.work.year,
            "score": self.score,
            "in_list_citations": self.links,
            "cocitation": round(self.cocitation, 3),
            "recency": round(self.recency, 3),
            "cited_by": [w.title for w in self.cited_by],
            "cites": [w.title for w in self.cites],
            "headings": [
                {"heading": c.path, "score": c.score, "evidence": c.evidence} for c in self.classification.candidates
            ],
            "heading_note": self.classification.reason,
        }


def suggest(facts: Facts, top: int | None = None, classifier: Classifier | None = None) -> list[Suggestion]:
    """Outside works ranked by score; `top` keeps the first ones (pass a classifier to reuse it)."""
    listed = {w.iri: w for w in facts.listed}
    on_list = {normalize_title(t) for w in listed.values() for t in (w.title, w.source_title) if t}
    newest = max((w.year for w in listed.values() if w.year), default=None)
    cited_by: dict[str, list[Work]] = defaultdict(list)  # outside work -> listed papers citing it
    cites: dict[str, list[Work]] = defaultdict(list)  # outside work -> listed papers it cites
    for a, b in facts.pairs:  # one pass over the citations (sorted below, for the works kept)
        if a in listed:
            if b not in listed:
                cited_by[b].append(listed[a])
        elif b in listed:
            cites[a].append(listed[b])
    candidates = []
    for work in facts.works.values():
        if work.listed or not work.identifiers or normalize_title(work.title) in on_list:
            continue
        citing, cited = cited_by.get(work.iri, []), cites.get(work.iri, [])
        if len(citing) + len(cited) >= MIN_LINKS:
            candidates.append(Suggestion(work, citing, cited, 0.0, recency(work.year, newest)))
    if top and len(candidates) > top:  # co-citation adds at most 1: skip works that cannot make it
        floor = sorted((s.links + s.recency for s in candidates), reverse=True)[top - 1]
        candidates = [s for s in candidates if s.links + s.recency + 1 >= floor]
    for suggestion in candidates:
        suggestion.cocitation = cocitation(facts, suggestion.work.iri, listed)
    candidates.sort(key=lambda s: (-s.score, s.work.title, s.work.iri))
    kept = candidates[:top] if top else candidates
    classifier = classifier or Classifier(facts)
    for suggestion in kept:  # classifying is the costly part: only what is shown
        suggestion.cited_by.sort(key=title_key)
        suggestion.cites.sort(key=title_key)
        suggestion.heading = classifier.classify(suggestion.work)
    return kept


def title_key(work: Work) -> tuple[str, str]:
    return work.title.casefold(), work.iri


def cocitation(facts: Facts, iri: str, listed: dict[str, Work]) -> float:
    """Share of listed papers two steps away through a shared citing or cited work."""
    near = facts.neighbours.get(iri, set())
    second = {far for x in near for far in facts.neighbours[x]} - near - {iri}
    return len(second & listed.keys()) / len(listed) if listed else 0.0


def recency(year: int | None, newest: int | None) -> float:
    if year is None or newest is None:
        return 0.0
    return round(max(0.0, 1.0 - RECENCY_STEP * max(0, newest - year)), 3)


def to_markdown(facts: Facts, suggestions: list[Suggestion]) -> str:
    lines = [
        f"# Papers to add to {md(facts.title)}",
        "",
        "Outside works that several listed papers cite, or that cite several listed papers, ranked by "
        "score = in-list citations + co-citation strength (share of listed papers co-cited or coupled "
        "with it) + recency (1 for the newest year, 0.2 less per year older).",
        "",
    ]
    if not suggestions:
        lines += [f"No outside work is linked to {MIN_LINKS} or more listed papers.", ""]
        return "\n".join(lines)
    rows: list[list[object]] = [
        [
            rank,
            s.work.title,
            s.work.year or "",
            s.score,
            len(s.cited_by),
            len(s.cites),
            s.classification.candidates[0].path if s.classification.decided else s.classification.reason,
        ]
        for rank, s in enumerate(suggestions, 1)
    ]
    lines.append(table(["#", "paper", "year", "score", "cited by listed", "cites listed", "suggested heading"], rows))
    for rank, s in enumerate(suggestions, 1):
        lines += [f"## {rank}. {md(s.work.title)}", ""]
        if s.work.identifiers:
            lines.append(f"- identifiers: {md(', '.join(s.work.identifiers))}")
        lines.append(
            f"- score {s.score}: {s.links} in-list citations + {s.cocitation:.3f} co-citation + {s.recency:.1f} recency"
        )
        if s.cited_by:
            lines.append(f"- cited by {len(s.cited_by)} listed papers: {titles(s.cited_by)}")
        if s.cites:
            lines.append(f"- cites {len(s.cites)} listed papers: {titles(s.cites)}")
        heading = s.classification
        if heading.decided:
            lines.append("- suggested heading" + (f" ({md(heading.reason)})" if heading.reason else "") + ", with why:")
            lines += [f"  - {md(c.path)} ({percent(c.score)}): {why(c.evidence)}" for c in heading.candidates]
        else:
            lines.append(f"- suggested heading: {heading.reason}")
        lines.append("")
    return "\n".join(lines)


def why(evidence: list[str], shown: int = 4) -> str:
    """The listed papers under a heading that cite the work or that it cites, then the rest."""
    if not evidence:
        return "no listed paper under it is linked to this work"
    text = "; ".join(md(e) for e in evidence[:shown])
    return text + (f"; and {len(evidence) - shown} more" if len(evidence) > shown else "")


def titles(works: list[Work], shown: int = 5) -> str:
    """The first few titles, then how many more (the JSON output has them all)."""
    text = "; ".join(md(w.title) for w in works[:shown])
    return text + (f"; and {len(works) - shown} more" if len(works) > shown else "")


def to_json_text(facts: Facts, suggestions: list[Suggestion]) -> str:
    return to_json({"list": facts.title, "suggestions": [s.as_dict() for s in suggestions]})
