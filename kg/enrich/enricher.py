"""Enrichment: find each listed paper in Semantic Scholar, with the fewest requests.

Order of sources for each paper: the cache (fresh rows), then the API (batch for
papers with an accepted id, title match for the rest), then the shipped snapshot.
Nothing partial is stored as complete; what could not be enriched is reported with
the reason. With no network the run goes straight to cache and snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from semanticscholar.SemanticScholarException import BadQueryParametersException, ObjectNotFoundException

from kg.enrich import Enrichment
from kg.enrich.cache import Cache, MemoryRows, is_older, now_iso
from kg.enrich.client import BATCH_LIMIT, PAPER_FIELDS, GaveUp, S2Client, Unreachable
from kg.enrich.records import detail_problem, record_problem, valid_items
from kg.enrich.snapshot import shipped_rows
from kg.identifiers import normalize_title
from kg.listparse import ListedPaper, collector_paused

if TYPE_CHECKING:
    from kg.progress import Silent

SOURCE = "semantic-scholar"
BATCH_ID_KINDS = {"arxiv": "ARXIV", "doi": "DOI", "acl": "ACL"}
DIRECTIONS = ("references", "citations")
# What an edge says of the paper at its far end: enough to cite an outside work (authors, venue, date).
EDGE_FIELDS = ("paperId", "externalIds", "title", "year", "venue", "publicationDate", "publicationTypes", "authors")
DETAIL_FIELDS = ("contexts", "intents", "isInfluential", "paperId", "externalIds", "title", "year")
EDGE_PAGE_SIZES = (1000, 100, 10)  # smaller pages when a page of long author lists passes 10 MB
ASSEMBLE_CHUNK = 1000  # papers whose edge lists are read from the cache at once


def describes_far_ends(items: list[dict]) -> bool:
    """Edge lists cached before the far ends' authors, venue and date were asked for lack them; such a
    list is fetched again once, so a warm cache does not keep outside works without authors."""
    return all("authors" in item for item in items)


def too_large(error: Exception) -> bool:
    """The API's 400 for an answer over its 10 MB limit ("Response would exceed maximum size ...")."""
    return "maximum size" in str(error)


@dataclass
class EnrichReport:
    """What enrichment did: the figures the progress bar and the build summary show."""

    offline: bool = False
    offline_reason: str = ""
    requests: int = 0
    cache_hits: int = 0
    waited: float = 0.0
    enriched: list[str] = field(default_factory=list)
    from_snapshot: list[str] = field(default_factory=list)
    unresolved: dict[str, str] = field(default_factory=dict)
    incomplete: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "offline": self.offline,
            "offline_reason": self.offline_reason,
            "requests": self.requests,
            "cache_hits": self.cache_hits,
            "waited_seconds": round(self.waited, 1),
            "enriched": len(self.enriched),
            "from_snapshot": len(self.from_snapshot),
            "unresolved": dict(sorted(self.unresolved.items())),
            "incomplete_edge_lists": sorted(self.incomplete),
            "errors": self.errors,
        }


def batch_id(paper: ListedPaper) -> str | None:
    """The id the batch endpoint accepts for this paper (`ARXIV:...`), if any."""
    for kind, prefix in BATCH_ID_KINDS.items():
        if kind in paper.ids:
            return f"{prefix}:{paper.ids[kind]}"
    return None


def lookup_keys(paper: ListedPaper) -> list[str]:
    """Cache lookups for a paper: its accepted id, else its title."""
    keys = [k for k in [batch_id(paper)] if k]
    return keys + list(dict.fromkeys(f"TITLE:{normalize_title(t)}" for t in paper.titles))


def batch_fields() -> list[str]:
    return list(PAPER_FIELDS) + [f"{d}.{f}" for d in DIRECTIONS for f in EDGE_FIELDS]


def title_agrees(listed: str, found: str | None) -> bool:
    """The match is accepted only when the normalized titles agree (one may extend the other)."""
    a, b = normalize_title(listed), normalize_title(found or "")
    return bool(a and b) and (a == b or (len(a) > 20 and (b.startswith(a) or a.startswith(b))))


def title_resembles(asked: str, found: str | None) -> bool:
    """S2 answers a title match with a close title or none: an answer unlike the question was meant
    for another request (a proxy or server mix-up) and proves nothing about this title."""
    a, b = normalize_title(asked), normalize_title(found or "")
    return bool(a and b) and (a in b or b in a or SequenceMatcher(None, a, b).ratio() >= 0.8)


def year_compatible(paper: ListedPaper, record: dict) -> bool:
    listed, found = paper.tagged.year, record.get("year")
    return listed is None or found is None or listed - 3 <= found <= listed + 1  # preprint years come earlier


def is_complete(items, count) -> bool:
    """An edge list is complete when present and as long as the count S2 gives for it."""
    return isinstance(items, list) and count is not None and len(items) >= count


class Enricher:
    """Runs one enrichment of listed papers against cache, API and snapshot."""

    def __init__(
        self,
        cache: Cache,
        *,
        offline: bool = False,
        client: S2Client | None = None,
        refresh_older_than: timedelta | None = None,
        contexts: bool = False,
        progress: Silent | None = None,
    ):
        self.cache = cache
        self.snapshot = MemoryRows(shipped_rows())
        self.client = client
        self.report = EnrichReport(offline=offline, offline_reason="--offline" if offline else "")
        self.max_age = refresh_older_than
        self.contexts = contexts
        self.progress = progress
        self.papers: dict[str, dict] = {}  # paper rows read from the cache in one go, by S2 key

    def run(self, papers: Sequence[ListedPaper]) -> tuple[dict[str, Enrichment], EnrichReport]:
        found: dict[str, str] = {}  # listed key -> cache paper key
        todo = []
        # each paper's lookups made once: a title is normalized once, not at every use
        keys = [lookup_keys(paper) for paper in papers]
        lookups = self.cache.lookups(key for paper_keys in keys for key in paper_keys)
        fresh = {key: row for key, row in lookups.items() if self.fresh(row)}
        self.papers = self.cache.papers(row["paper"] for row in fresh.values() if row["paper"])
        for paper, paper_keys in zip(papers, keys, strict=True):
            key = self.cached_paper_key(paper_keys, fresh)
            if key:
                found[paper.key] = key
                self.report.cache_hits += 1
            elif self.known_missing(paper, paper_keys, fresh):
                self.report.cache_hits += 1
            elif not paper_keys:
                self.report.unresolved[paper.key] = "no identifier and no printed title to match"
            else:
                todo.append(paper)
        if todo and not self.report.offline:
            self.fetch(todo, found)
        if not self.report.offline:
            self.complete_all_edges(list(found.values()))
        if self.contexts and not self.report.offline:
            self.fetch_contexts([found[p.key] for p in papers if p.key in found])
        enrichments = {}
        with collector_paused():
            for start in range(0, len(papers), ASSEMBLE_CHUNK):
                chunk = papers[start : start + ASSEMBLE_CHUNK]
                edges = self.cache.edge_lists(found[paper.key] for paper in chunk if paper.key in found)
                for paper in chunk:
                    enrichment = (
                        self.assemble(found[paper.key], edges) if paper.key in found else self.from_snapshot(paper)
                    )
                    if enrichment:
                        enrichments[paper.key] = enrichment
                    self.tick()
        if self.client:
            self.report.requests, self.report.waited = self.client.requests, self.client.waited
        return enrichments, self.report

    @property
    def api(self) -> S2Client:
        """The client; the API is asked only on an online run, and the build gives every online run one."""
        assert self.client is not None, "an online enrichment has an S2 client"
        return self.client

    def cached_paper(self, key: str) -> dict:
        """The cache row of a paper found in this run: it was stored, or checked present, before."""
        row = self.papers.get(key) or self.cache.paper(key)
        assert row is not None, f"{key} was found, so its paper row is in the cache"
        return row

    def tick(self) -> None:
        if self.progress:
            self.progress.advance(self.report, self.client)

    def fresh(self, row: dict | None) -> dict | None:
        return row if row and not is_older(row["retrieved"], self.max_age) else None

    def cached_paper_key(self, keys: list[str], fresh: dict[str, dict]) -> str | None:
        """The cached S2 record of a paper (by its `lookup_keys`), when a fresh lookup row leads to one."""
        for key in keys:
            row = fresh.get(key)
            if row and row["paper"] and row["paper"] in self.papers:
                return row["paper"]
        return None

    def known_missing(self, paper: ListedPaper, keys: list[str], fresh: dict[str, dict]) -> bool:
        """True when a fresh cached answer (to one of the paper's `lookup_keys`) already says S2 has no
        acceptable record."""
        rows = [fresh.get(key) for key in keys]
        missing = [row for row in rows if row and row["paper"] is None]
        if missing:
            self.report.unresolved[paper.key] = (
                f"not found in Semantic Scholar (answer cached {missing[0]['retrieved']})"
            )
        return bool(missing)

    def fetch(self, papers: list[ListedPaper], found: dict[str, str]) -> None:
        try:
            by_id = [p for p in papers if batch_id(p)]
            for start in range(0, len(by_id), BATCH_LIMIT):
                self.fetch_batch(by_id[start : start + BATCH_LIMIT], found)
            # a paper no id lookup found (an id S2 does not know, a link with none) is tried by its title
            by_id_missing = dict(self.report.unresolved)
            matched = [found[p.key] for p in papers if p.key not in found and self.fetch_match(p, found)]
            for paper in papers:
                if paper.key in found:
                    self.report.unresolved.pop(paper.key, None)
                elif paper.key in by_id_missing and paper.key in self.report.unresolved:
                    both = (by_id_missing[paper.key], self.report.unresolved[paper.key])
                    self.report.unresolved[paper.key] = "; ".join(both)
            for start in range(0, len(matched), BATCH_LIMIT):
                self.fetch_edges_batch(matched[start : start + BATCH_LIMIT])
        except Unreachable as error:
            self.report.offline, self.report.offline_reason = True, str(error)

    def complete_all_edges(self, keys: list[str]) -> None:
        """Edge lists of every paper found, cached ones too: an earlier run may have been cut off."""
        try:
            for key in dict.fromkeys(keys):
                if not key.startswith("snapshot:"):
                    self.complete_edges(key)
        except Unreachable as error:
            self.report.offline, self.report.offline_reason = True, str(error)

    def fetch_batch(self, papers: list[ListedPaper], found: dict[str, str]) -> None:
        ids = [asked for asked in map(batch_id, papers) if asked is not None]
        assert len(ids) == len(papers), "fetch sends to the batch endpoint only papers with a batch id"
        try:
            answers = self.batch_answers(ids)
        except (GaveUp, BadQueryParametersException) as error:
            self.report.errors.append(f"batch of {len(ids)} ids: {error}")
            return
        for paper, asked, record in zip(papers, ids, answers, strict=True):
            if record is None:
                self.cache.write([self.lookup_row(asked, None)])
                self.report.unresolved[paper.key] = f"{asked} not found in Semantic Scholar"
            elif self.refused(record, asked):
                continue
            elif not self.answers_id(record, asked):
                self.report.errors.append(f"{asked}: the answer was for another paper; not stored")
            else:
                found[paper.key] = self.store(record, asked)

    def fetch_edges_batch(self, keys: list[str]) -> None:
        """Title matches come without edge lists: one batch call by S2 id fetches them all."""
        try:
            answers = self.batch_answers(keys)
        except (GaveUp, BadQueryParametersException) as error:
            self.report.errors.append(f"batch of {len(keys)} matched papers: {error}")
            return
        for key, record in zip(keys, answers, strict=True):
            if record is not None and not self.refused(record, key) and record.get("paperId") == key:
                self.store(record, None)

    def batch_answers(self, ids: list[str]) -> list[dict | None]:
        """One batch call with the nested edge lists. An answer over the API's 10 MB limit is asked again in
        halves; a single paper still too large comes without its lists, which complete_edges then pages."""
        try:
            return self.api.batch(ids, batch_fields())
        except BadQueryParametersException as error:
            if not too_large(error):
                raise
        if len(ids) == 1:
            return self.api.batch(ids, list(PAPER_FIELDS))
        half = len(ids) // 2
        return self.batch_answers(ids[:half]) + self.batch_answers(ids[half:])

    def edge_items(self, key: str, direction: str, fields: list[str]) -> list[dict]:
        """Every page of a paper's references or citations, in smaller pages when a page is too large."""
        for size in EDGE_PAGE_SIZES[:-1]:
            try:
                return self.api.edge_pages(key, direction, fields, page_size=size)
            except BadQueryParametersException as error:
                if not too_large(error):
                    raise
        return self.api.edge_pages(key, direction, fields, page_size=EDGE_PAGE_SIZES[-1])

    @staticmethod
    def answers_id(record: dict, asked: str) -> bool:
        """A record answers `ARXIV:x` only if it carries that id (a wrong record is never stored)."""
        if not isinstance(record, dict) or not record.get("paperId"):
            return False
        kind, _, value = asked.partition(":")
        ext = {k.upper(): str(v).lower() for k, v in (record.get("externalIds") or {}).items() if v}
        return ext.get(kind) == value.lower()

    def fetch_match(self, paper: ListedPaper, found: dict[str, str]) -> bool:
        title = paper.titles[0]
        fields = list(PAPER_FIELDS)
        try:
            record = self.api.match_title(title, fields)
        except (GaveUp, BadQueryParametersException) as error:
            self.report.errors.append(f"title match for {paper.key}: {error}")
            return False
        lookup = f"TITLE:{normalize_title(title)}"
        if record is None:
            self.cache.write([self.lookup_row(lookup, None)])
            self.report.unresolved[paper.key] = "no Semantic Scholar title match"
        elif self.refused(record, f"title match for {paper.key}"):
            return False
        elif not title_resembles(title, record.get("title")):
            self.report.errors.append(
                f"title match for {paper.key}: the answer was for another title ('{record.get('title')}'); not stored"
            )
        elif not title_agrees(title, record.get("title")) or not year_compatible(paper, record):
            self.cache.write([self.lookup_row(lookup, None)])
            self.report.unresolved[paper.key] = (
                f"title match rejected: found '{record.get('title')}' ({record.get('year')})"
            )
        else:
            record.pop("matchScore", None)
            found[paper.key] = self.store(record, lookup)
            return True
        return False

    def refused(self, record, what: str) -> bool:
        """True (and reported) when an API record breaks the Graph API's types or our caps: never stored."""
        problem = record_problem(record)
        if problem:
            self.report.errors.append(f"{what}: malformed record from the API ({problem}); not stored")
        return bool(problem)

    def valid_edges(self, key: str, direction: str, items: list, check=None) -> list:
        """The items of an edge list that pass the record checks; the others are reported."""
        kept, refused = valid_items(items, check)
        if refused:
            self.report.errors.append(f"{key} {direction}: {len(refused)} malformed item(s) left out ({refused[0]})")
        return kept

    def store(self, record: dict, lookup: str | None) -> str:
        """Cache a fetched record: the paper row, the lookup, and every complete edge list."""
        key = record["paperId"]
        retrieved = now_iso()
        rows = [self.lookup_row(lookup, key, retrieved)] if lookup else []
        counts = {"references": record.get("referenceCount"), "citations": record.get("citationCount")}
        for direction in DIRECTIONS:
            items = record.pop(direction, None)
            if isinstance(items, list):
                items = self.valid_edges(key, direction, items)
            if is_complete(items, counts[direction]):
                rows.append(self.edges_row(key, direction, items, retrieved))
        rows.append(
            {
                "kind": "paper",
                "key": key,
                "record": record,
                "source": SOURCE,
                "retrieved": retrieved,
                "fields": ",".join(PAPER_FIELDS),
            }
        )
        self.cache.write(rows)
        self.papers.pop(key, None)  # read again from the cache, as stored
        return key

    def complete_edges(self, key: str) -> None:
        """Page /references or /citations for lists the batch answer cut off or left out."""
        record = self.cached_paper(key)["record"]
        counts = {"references": record.get("referenceCount"), "citations": record.get("citationCount")}
        for direction in DIRECTIONS:
            cached = self.fresh(self.cache.edges(key, direction))
            if (cached and cached["complete"] and describes_far_ends(cached["items"])) or not counts[direction]:
                if not counts[direction] and not self.cache.edges(key, direction):
                    self.cache.write([self.edges_row(key, direction, [], now_iso())])
                continue
            other = "citedPaper" if direction == "references" else "citingPaper"
            try:
                pages = self.edge_items(key, direction, list(EDGE_FIELDS))
                ends = [item.get(other) if isinstance(item, dict) else item for item in pages]
                items = self.valid_edges(key, direction, [end for end in ends if end is not None])
            except (GaveUp, ObjectNotFoundException, BadQueryParametersException) as error:
                self.report.incomplete.append(f"{key} {direction}: {error}")
                continue
            if is_complete(items, counts[direction]):
                self.cache.write([self.edges_row(key, direction, items, now_iso())])
                continue
            self.report.incomplete.append(f"{key} {direction}: {len(items)} of {counts[direction]} edges answered")
            if items:  # kept for this build, fetched again next time
                self.cache.write([self.edges_row(key, direction, items, now_iso()) | {"complete": False}])

    def fetch_contexts(self, keys: list[str]) -> None:
        """The opt-in pass: influential flags and intents of each listed paper's references."""
        for key in keys:
            cached = self.fresh(self.cache.edges(key, "reference-details"))
            if (cached and cached["complete"]) or key.startswith("snapshot:"):
                continue
            try:
                items = self.valid_edges(
                    key, "reference details", self.edge_items(key, "references", list(DETAIL_FIELDS)), detail_problem
                )
            except Unreachable as error:
                self.report.offline, self.report.offline_reason = True, str(error)
                return
            except (GaveUp, ObjectNotFoundException, BadQueryParametersException) as error:
                self.report.incomplete.append(f"{key} reference details: {error}")
                continue
            count = self.cached_paper(key)["record"].get("referenceCount")
            complete = is_complete(items, count or 0)
            if not complete:
                self.report.incomplete.append(f"{key} reference details: {len(items)} of {count} answered")
            self.cache.write([self.edges_row(key, "reference-details", items, now_iso()) | {"complete": complete}])

    def assemble(self, key: str, edge_lists: dict[tuple[str, str], dict]) -> Enrichment:
        """A cached record with its edge lists (None where unknown) for the RDF mapping."""
        row = self.cached_paper(key)
        record = dict(row["record"])
        for direction in DIRECTIONS:
            edges = edge_lists.get((key, direction))
            record[direction] = edges["items"] if edges else None
            if edges is None and (record.get("referenceCount" if direction == "references" else "citationCount")):
                self.report.incomplete.append(f"{key} {direction}: not fetched")
        details = edge_lists.get((key, "reference-details"))
        if details:
            record["citationDetails"] = details["items"]
        self.report.enriched.append(key)
        return Enrichment(record, row["source"], row["retrieved"])

    def from_snapshot(self, paper: ListedPaper) -> Enrichment | None:
        """The shipped snapshot's facts, for a paper Semantic Scholar did not give us."""
        for lookup in lookup_keys(paper):
            row = self.snapshot.lookup(lookup)
            if row:
                shipped = self.snapshot.paper(row["paper"])
                assert shipped is not None, f"the snapshot's lookup {lookup} leads to one of its papers"
                record = dict(shipped["record"])
                edges = self.snapshot.edges(row["paper"], "references")
                record["references"] = edges["items"] if edges else None
                self.report.from_snapshot.append(paper.key)
                self.report.unresolved.pop(paper.key, None)
                return Enrichment(record, "snapshot", row["retrieved"])
        self.report.unresolved.setdefault(
            paper.key, "offline: not in cache or snapshot" if self.report.offline else "not found"
        )
        return None

    @staticmethod
    def lookup_row(lookup: str, paper: str | None, retrieved: str | None = None) -> dict:
        return {
            "kind": "lookup",
            "lookup": lookup,
            "paper": paper,
            "source": SOURCE,
            "retrieved": retrieved or now_iso(),
        }

    @staticmethod
    def edges_row(key: str, direction: str, items: list, retrieved: str) -> dict:
        return {
            "kind": "edges",
            "paper": key,
            "direction": direction,
            "items": items,
            "complete": True,
            "source": SOURCE,
            "retrieved": retrieved,
        }
