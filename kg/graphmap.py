"""Map a parsed list and its enrichment records to RDF statements (the vocabulary contract).

Facts the list states go to the list graph; facts from Semantic Scholar or from the
shipped snapshot go to their own named graphs, with a PROV record per paper saying
where and when each came from. No blank nodes: every node has a minted IRI, so the
output is deterministic.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from kg.enrich import Enrichment
from kg.identifiers import ID_KINDS, identifiers_from_url, identity_key, link_kind, normalize_title, normalize_url
from kg.listparse import ListedPaper, ModelRow, ParsedList
from kg.statements import Literal, Statement, datetime_literal, decimal_literal
from kg.vocab import GRAPH_IRIS, ID, TERMS, heading_iri, list_iri, model_iri, paper_iri, person_iri, scheme_iri

akg, cito, dcterms, fabio, foaf, prov, rdf, rdfs, skos, xsd = (
    TERMS[name] for name in ("akg", "cito", "dcterms", "fabio", "foaf", "prov", "rdf", "rdfs", "skos", "xsd")
)
LIST_GRAPH, S2_GRAPH, SNAPSHOT_GRAPH, PROVENANCE_GRAPH = (
    GRAPH_IRIS[name] for name in ("list", "semantic-scholar", "snapshot", "provenance")
)

SOURCE_GRAPHS = {"semantic-scholar": S2_GRAPH, "snapshot": SNAPSHOT_GRAPH}
SOURCE_AGENTS = {"semantic-scholar": akg.SemanticScholar, "snapshot": akg.SeedSnapshot}
ID_PROPERTIES = {
    "arxiv": (akg.arxiv, "arXiv"),
    "doi": (akg.doi, "DOI"),
    "acl": (akg.aclId, "ACL"),
    "openreview": (akg.openReviewId, "OpenReview"),
    "pmlr": (akg.pmlrId, "PMLR"),
    "ieee": (akg.ieeeDocument, "IEEE"),
}
S2_ID_KINDS = {"ArXiv": "arxiv", "DOI": "doi", "ACL": "acl"}


def integer(value: int) -> Literal:
    return Literal(str(int(value)), xsd.integer)


def year_or_date(value: str | int) -> Literal:
    """xsd:date for a full date, xsd:gYear for a year alone."""
    value = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return Literal(value, xsd.date)
    return Literal(value[:4], xsd.gYear)


def digest(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def work_keys(paper: ListedPaper, enrichments: dict[str, Enrichment] | None = None) -> set[str]:
    """Every `kind:value` id a listed paper is known by: its key, its links' ids, its record's ids."""
    keys = {paper.key} | {f"{kind}:{value.lower() if kind == 'doi' else value}" for kind, value in paper.ids.items()}
    found = (enrichments or {}).get(paper.key)
    return keys | set(record_keys(found.record)) if found else keys


def key_strength(key: str) -> tuple[int, str]:
    """Sorts keys strongest first: the identifiers in ID_KINDS order, then a URL, then a title."""
    order = [*ID_KINDS, "url", "title"]
    kind = key.partition(":")[0]
    return (order.index(kind) if kind in order else len(order)), key


def one_node_per_work(
    parsed: ParsedList, enrichments: dict[str, Enrichment]
) -> tuple[ParsedList, dict[str, Enrichment]]:
    """Listed papers that turn out to be one work (their links or records share an arXiv id, DOI, ACL
    id, S2 paperId or CorpusId) become one paper. Its key, and so its IRI, is the strongest of their
    keys (arXiv, DOI, ACL, OpenReview, PMLR, IEEE, then URL, then title): it depends only on the list
    and the records, never on the order of work, so a rebuild gives the same IRI."""
    owner: dict[str, int] = {}
    parent = list(range(len(parsed.papers)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, paper in enumerate(parsed.papers):
        for key in sorted(work_keys(paper, enrichments)):
            if key in owner:
                parent[root(i)] = root(owner[key])
            else:
                owner[key] = i
    groups: dict[int, list[ListedPaper]] = {}
    for i, paper in enumerate(parsed.papers):
        groups.setdefault(root(i), []).append(paper)
    papers, merged = [], {}
    for group in groups.values():
        key = min((p.key for p in group), key=key_strength)
        papers.append(ListedPaper(key, [e for p in group for e in p.entries]))
        found = next(
            (enrichments[p.key] for p in sorted(group, key=lambda p: key_strength(p.key)) if p.key in enrichments), None
        )
        if found:
            merged[key] = found
    return replace(parsed, papers=papers), merged


def list_quads(parsed: ParsedList, slug: str, enrichments: dict[str, Enrichment] | None = None) -> Iterator[Statement]:
    """Everything the list itself says: the list, its taxonomy, its papers and models. With the
    enrichments, a paper's dcterms:title is its real title, in the graph of the source that gives it."""
    g = LIST_GRAPH
    the_list, scheme = list_iri(slug), scheme_iri(slug)
    yield (the_list, rdf.type, akg.PaperList, g)
    yield (the_list, dcterms.title, Literal(parsed.title or slug), g)
    yield (the_list, akg.taxonomy, scheme, g)
    yield (scheme, rdf.type, skos.ConceptScheme, g)
    yield (scheme, dcterms.title, Literal(f"Taxonomy of {parsed.title or slug}"), g)
    for heading in parsed.headings:
        node = heading_iri(slug, heading.key)
        yield (node, rdf.type, skos.Concept, g)
        yield (node, skos.prefLabel, Literal(heading.label), g)
        yield (node, skos.inScheme, scheme, g)
        yield (node, akg.position, integer(heading.order), g)
        yield (node, akg.sourceLine, integer(heading.line), g)
        if heading.parent:
            yield (node, skos.broader, heading_iri(slug, heading.parent), g)
        else:
            yield (node, skos.topConceptOf, scheme, g)
            yield (scheme, skos.hasTopConcept, node, g)
    for paper in parsed.papers:
        found = (enrichments or {}).get(paper.key)
        real = (found.record.get("title") or "").strip() if found else ""
        outside = (real, SOURCE_GRAPHS[found.source]) if found and real else None
        yield from listed_paper_quads(paper, slug, the_list, outside)
    listed = {key: paper.key for paper in parsed.papers for key in work_keys(paper, enrichments)}
    for model in parsed.models:
        yield from model_quads(model, slug, parsed, listed)


def listed_paper_quads(
    paper: ListedPaper, slug: str, the_list: str, real_title: tuple[str, str] | None = None
) -> Iterator[Statement]:
    """A listed paper: its title (the source's when one is given, else the list's), the list's spelling
    (akg:listedTitle) and its other spellings. A title unlike the first (a line whose link points at
    another paper) stays on that line's listing only."""
    g = LIST_GRAPH
    node = paper_iri(paper.key)
    yield (node, rdf.type, akg.ListedPaper, g)
    yield (node, rdf.type, fabio.Expression, g)
    yield (node, akg.inList, the_list, g)
    titles = paper.titles
    title, title_graph = real_title or (titles[0], g)
    yield (node, dcterms.title, Literal(title), title_graph)
    yield (node, akg.listedTitle, Literal(titles[0]), g)
    for alternative in titles[1:]:
        yield (node, dcterms.alternative, Literal(alternative), g)
    tagged = paper.tagged
    if tagged.tag:
        yield (node, akg.venueTag, Literal(tagged.tag), g)
    if tagged.venue:
        yield (node, akg.listedVenue, Literal(tagged.venue), g)
    if tagged.year:
        yield (node, akg.listedYear, Literal(str(tagged.year), xsd.gYear), g)
    if tagged.month and 1 <= tagged.month <= 12:
        yield (node, akg.listedMonth, integer(tagged.month), g)
    for heading in paper.headings:
        yield (node, akg.listedUnder, heading_iri(slug, heading), g)
    yield from identifier_quads(node, paper.ids, g)
    for url in paper.urls:
        yield (node, foaf.page, web_iri(url), g)
    for url in paper.code_urls:
        yield (node, akg.codeRepository, web_iri(url), g)
    seen: dict[str, int] = {}
    for entry in paper.entries:
        seen[entry.heading] = seen.get(entry.heading, 0) + 1  # the same paper twice under one heading: two listings
        # "False" keeps the listing IRIs of earlier builds (it once told made-up model-table entries apart)
        listing = f"{ID}list/{slug}/listing/{digest(paper.key, entry.heading, 'False')}" + (
            f"-{seen[entry.heading]}" if seen[entry.heading] > 1 else ""
        )
        yield (listing, rdf.type, akg.Listing, g)
        yield (listing, akg.listedPaper, node, g)
        yield (listing, akg.underHeading, heading_iri(slug, entry.heading), g)
        yield (listing, akg.printedTitle, Literal(entry.title), g)
        yield (listing, akg.sourceLine, integer(entry.line), g)
        if entry.file:
            yield (listing, akg.sourceFile, Literal(entry.file), g)
        if entry.url:
            yield (listing, akg.listedLink, web_iri(entry.url), g)
        if entry.tag is not None:
            yield (listing, akg.venueTag, Literal(entry.tag), g)
        for note in entry.notes:
            yield (listing, rdfs.comment, Literal(note), g)
        for _label, url in entry.other_links:
            yield (listing, rdfs.seeAlso, web_iri(url), g)


def identifier_quads(node: str, ids: dict[str, str], g: str) -> Iterator[Statement]:
    for kind, value in sorted(ids.items()):
        if kind in ID_PROPERTIES:
            prop, label = ID_PROPERTIES[kind]
            yield (node, prop, Literal(value), g)
            yield (node, dcterms.identifier, Literal(f"{label}:{value}"), g)


MODEL_COLUMNS = {
    "para": "parameters",
    "l": "layers",
    "h": "attentionHeads",
    "d model": "dModel",
    "d ffn": "dFfn",
    "d expert": "dExpert",
    "affiliation": "affiliation",
    "time": "releaseMonth",
    "experts": "experts",
}


def model_quads(
    model: ModelRow, slug: str, parsed: ParsedList, listed: dict[str, str] | None = None
) -> Iterator[Statement]:
    """A model-table row: typed columns, linked to its technical report. The report is a listed paper
    only when the list also lists it as an entry; else it is a work of its own (a paper link) or a web
    page (a blog post), never made a listed paper by the table."""
    g = LIST_GRAPH
    node = model_iri(model.name)
    yield (node, rdf.type, akg.Model, g)
    yield (node, rdfs.label, Literal(model.name), g)
    yield (node, akg.listedUnder, heading_iri(slug, model.heading), g)
    yield (node, akg.sourceLine, integer(model.line), g)
    if model.url:
        yield (node, foaf.page, web_iri(model.url), g)
    report = tech_report(model, parsed, listed or {})
    if report:
        yield (node, akg.techReport, paper_iri(report.key), g)
    elif model.report_url and link_kind(model.report_url) == "paper":
        work = paper_iri(identity_key(identifiers_from_url(model.report_url), model.report_url, ""))
        yield (node, akg.techReport, work, g)
        yield (work, rdf.type, fabio.Expression, g)
        yield (work, foaf.page, web_iri(model.report_url), g)
        yield from identifier_quads(work, identifiers_from_url(model.report_url), g)
    elif model.report_url:
        page = web_iri(model.report_url)
        yield (node, akg.techReport, page, g)
        yield (page, rdf.type, foaf.Document, g)
    for header, value in model.cells.items():
        column = MODEL_COLUMNS.get(normalize_title(header))
        if column and value and value.upper() != "UNK":
            yield from model_value_quads(node, column, value, g)


def model_value_quads(node: str, column: str, value: str, g: str) -> Iterator[Statement]:
    if column == "experts":
        numbers = re.findall(r"\d+", value)
        for name, number in zip(("activeExperts", "totalExperts", "sharedExperts"), numbers[:3], strict=False):
            yield (node, akg[name], integer(int(number)), g)
    elif column == "parameters":
        yield (node, akg.parameters, Literal(value), g)
        if m := re.fullmatch(r"([\d.]+)\s*B", value, re.I):
            yield (node, akg.parametersBillions, decimal_literal(m[1]), g)
    elif column == "releaseMonth":
        if m := re.fullmatch(r"(\d{4})\.(\d{1,2})", value):
            yield (node, akg.releaseMonth, Literal(f"{m[1]}-{int(m[2]):02d}", xsd.gYearMonth), g)
    elif column == "affiliation":
        yield (node, akg.affiliation, Literal(value), g)
    elif value.isdigit():
        yield (node, akg[column], integer(int(value)), g)


def tech_report(model: ModelRow, parsed: ParsedList, listed: dict[str, str]) -> ListedPaper | None:
    """The listed paper the row's [Tech Report] link points at (by link or id), else a listed paper
    whose code link is the model's page."""
    if model.report_url:
        ids = identifiers_from_url(model.report_url)
        keys = {identity_key(ids, model.report_url, "")} | {f"{kind}:{value}" for kind, value in ids.items()}
        home = next((listed[key] for key in sorted(keys) if key in listed), None)
        for paper in parsed.papers:
            if paper.key == home or any(normalize_url(u) == normalize_url(model.report_url) for u in paper.urls):
                return paper
    if model.url:
        for paper in parsed.papers:
            if any(normalize_url(u) == normalize_url(model.url) for u in paper.code_urls):
                return paper
    return None


NOT_IN_IRI = re.compile(r"[\s<>\"{}|\\^`]")


def web_iri(url: str) -> str:
    """A link from the list as an IRI: scheme added where the list left it out, spaces escaped."""
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    return NOT_IN_IRI.sub(lambda m: f"%{ord(m[0]):02X}", url) if NOT_IN_IRI.search(url) else url


class PaperIndex:
    """Maps outside identifiers (S2 id, CorpusId, arXiv, DOI, ACL) to IRIs, listed papers first; a work
    with none of a listed paper's ids but a listed paper's exact title is that paper (one work, one node)."""

    def __init__(self):
        self.by_id: dict[str, str] = {}
        self.by_title: dict[str, str] = {}

    def add(self, record: dict, node: str) -> None:
        for key in record_keys(record):
            self.by_id.setdefault(key, node)

    def add_title(self, title: str, node: str) -> None:
        if normalized := normalize_title(title):
            self.by_title.setdefault(normalized, node)

    def node_for(self, record: dict) -> str:
        for key in record_keys(record):
            if key in self.by_id:
                return self.by_id[key]
        if (node := self.by_title.get(normalize_title(record.get("title") or ""))) is not None:
            self.add(record, node)
            return node
        node = paper_iri(outside_key(record))
        self.add(record, node)
        return node


def record_keys(record: dict) -> list[str]:
    """Every identifier of an S2-shaped record as `kind:value` (lower-cased DOI)."""
    keys = []
    ext = record.get("externalIds") or {}
    if ext.get("ArXiv"):
        keys.append(f"arxiv:{ext['ArXiv']}")
    if ext.get("DOI"):
        keys.append(f"doi:{ext['DOI'].lower()}")
    if ext.get("ACL"):
        keys.append(f"acl:{ext['ACL']}")
    if record.get("paperId"):
        keys.append(f"s2:{record['paperId']}")
    if isinstance(record.get("corpusId"), int):
        keys.append(f"corpus:{record['corpusId']}")
    return keys


def outside_key(record: dict) -> str:
    keys = record_keys(record)
    if keys:
        return keys[0]
    return f"title:{normalize_title(record.get('title') or '')}"


def enrichment_quads(parsed: ParsedList, enrichments: dict[str, Enrichment]) -> Iterator[Statement]:
    """Quads for every enriched listed paper and the outside works its edges reach. Each record is taken
    out of `enrichments` once it is mapped: at 20,000 papers the records are 430 MB of dicts, and
    handing them back as the statements grow keeps the build's peak memory 100 MB lower."""
    index = PaperIndex()
    listed = {paper_iri(p.key) for p in parsed.papers}
    for paper in parsed.papers:
        node = paper_iri(paper.key)
        index.by_id.update({f"{kind}:{value}": node for kind, value in paper.ids.items()})
        if paper.key in enrichments:
            index.add(enrichments[paper.key].record, node)
            index.add_title(enrichments[paper.key].record.get("title") or "", node)
        for title in paper.titles:
            index.add_title(title, node)
    enriched = {paper_iri(key) for key in enrichments}
    described: set[tuple[str, str]] = set()  # far ends already described, once per graph
    people: set[tuple[str, str, str]] = set()  # authors already described, once per graph

    def far_end(node: str, stub: dict, g: str) -> Iterator[Statement]:
        """What an edge says of its far end, unless that paper has a record of its own or was described."""
        if node not in enriched and (node, g) not in described:
            described.add((node, g))
            yield from record_quads(node, stub, g, listed=node in listed, people=people)

    both_ends: set[tuple[str, str, str]] = set()

    def first_time(citing: str, cited: str, g: str) -> bool:
        """An edge between two enriched papers is in both their records: it is emitted once."""
        if citing not in enriched or cited not in enriched:
            return True
        if (citing, cited, g) in both_ends:
            return False
        both_ends.add((citing, cited, g))
        return True

    for paper in parsed.papers:
        if paper.key not in enrichments:
            continue
        found = enrichments.pop(paper.key)
        node, g = paper_iri(paper.key), SOURCE_GRAPHS[found.source]
        yield from record_quads(node, found.record, g, listed=True, people=people)
        yield from provenance_quads(node, found)
        for cited in found.record.get("references") or []:
            target = index.node_for(cited)
            if first_time(node, target, g):
                yield (node, cito.cites, target, g)
            yield from far_end(target, cited, g)
        for citing in found.record.get("citations") or []:
            source = index.node_for(citing)
            if first_time(source, node, g):
                yield (source, cito.cites, node, g)
            yield from far_end(source, citing, g)
        for detail in found.record.get("citationDetails") or []:
            yield from citation_detail_quads(node, detail, g, index)


def citation_detail_quads(node: str, detail: dict, g: str, index: PaperIndex) -> Iterator[Statement]:
    """A reified cito:Citation for an influential citation or one with intents."""
    if not (detail.get("isInfluential") or detail.get("intents")):
        return
    other = detail.get("citedPaper") or detail.get("citingPaper") or {}
    target = index.node_for(other)
    citing, cited = (node, target) if "citedPaper" in detail else (target, node)
    citation = f"{ID}citation/{digest(citing, cited)}"
    yield (citation, rdf.type, cito.Citation, g)
    yield (citation, cito.hasCitingEntity, citing, g)
    yield (citation, cito.hasCitedEntity, cited, g)
    yield (
        citation,
        akg.isInfluential,
        Literal("true" if detail.get("isInfluential") else "false", xsd.boolean),
        g,
    )
    for intent in sorted(detail.get("intents") or []):
        yield (citation, akg.intent, Literal(intent), g)


def record_quads(node: str, record: dict, g: str, listed: bool, people: set | None = None) -> Iterator[Statement]:
    """What an S2-shaped record says of a paper (a paper's own record, or an edge's description of its far
    end, which is written once per graph). A listed paper keeps the list's title."""
    yield (node, rdf.type, fabio.Expression, g)
    title = record.get("title")
    if title:
        yield (node, akg.sourceTitle if listed else dcterms.title, Literal(title), g)
    if record.get("paperId"):
        yield (node, akg.s2PaperId, Literal(record["paperId"]), g)
        yield (node, dcterms.identifier, Literal(f"S2:{record['paperId']}"), g)
    if record.get("corpusId"):
        yield (node, akg.corpusId, integer(record["corpusId"]), g)
    ext = record.get("externalIds") or {}
    yield from identifier_quads(
        node,
        {S2_ID_KINDS[k]: (v.lower() if k == "DOI" else str(v)) for k, v in ext.items() if k in S2_ID_KINDS and v},
        g,
    )
    issued = record.get("publicationDate") or record.get("year")
    if issued:
        yield (node, dcterms.issued, year_or_date(issued), g)
    if record.get("publishedYear"):
        yield (node, akg.publishedYear, Literal(str(record["publishedYear"]), xsd.gYear), g)
    for field, prop in (("abstract", dcterms.abstract), ("venue", akg.publishedVenue)):
        if record.get(field):
            yield (node, prop, Literal(record[field]), g)
    if (record.get("tldr") or {}).get("text"):
        yield (node, akg.tldr, Literal(record["tldr"]["text"]), g)
    for field in ("citationCount", "influentialCitationCount", "referenceCount"):
        if record.get(field) is not None:
            yield (node, akg[field], integer(record[field]), g)
    for kind in record.get("publicationTypes") or []:
        yield (node, akg.publicationType, Literal(kind), g)
    for field in record.get("fieldsOfStudy") or []:
        yield (node, akg.fieldOfStudy, Literal(field), g)
    if record.get("url"):
        yield (node, foaf.page, web_iri(record["url"]), g)
    if (record.get("openAccessPdf") or {}).get("url"):
        yield (node, akg.openAccessPdf, web_iri(record["openAccessPdf"]["url"]), g)
    yield from author_quads(node, record.get("authors") or [], g, people)


def author_quads(node: str, authors: Iterable[dict], g: str, described: set | None = None) -> Iterator[Statement]:
    """Authors in order: dcterms:creator, and an akg:Authorship node holding the position. A person
    already in `described` (with this graph) was described by an earlier paper and is not again."""
    for position, author in enumerate(authors, 1):
        name = (author.get("name") or "").strip()
        if not name:
            continue
        person = person_iri(author.get("authorId"), name)
        authorship = f"{node}/authorship/{position}"
        yield (node, dcterms.creator, person, g)
        if described is None or (person, name, g) not in described:
            if described is not None:
                described.add((person, name, g))
            yield (person, rdf.type, foaf.Person, g)
            yield (person, foaf.name, Literal(name), g)
            if author.get("authorId"):
                yield (person, akg.s2AuthorId, Literal(str(author["authorId"])), g)
        yield (node, akg.authorship, authorship, g)
        yield (authorship, rdf.type, akg.Authorship, g)
        yield (authorship, akg.author, person, g)
        yield (authorship, akg.position, integer(position), g)


def provenance_quads(node: str, found: Enrichment) -> Iterator[Statement]:
    """One PROV entity per enriched paper: which source, which record, when."""
    g = PROVENANCE_GRAPH
    record_node = f"{ID}record/{found.source}/{digest(node)}"
    yield (record_node, rdf.type, prov.Entity, g)
    yield (record_node, foaf.primaryTopic, node, g)
    yield (record_node, prov.wasAttributedTo, SOURCE_AGENTS[found.source], g)
    yield (record_node, prov.generatedAtTime, datetime_literal(found.retrieved), g)
    yield (record_node, akg.inGraph, SOURCE_GRAPHS[found.source], g)
    if found.record.get("paperId"):
        yield (
            record_node,
            prov.wasDerivedFrom,
            f"https://api.semanticscholar.org/graph/v1/paper/{found.record['paperId']}",
            g,
        )


def graph_provenance_quads(list_path_sha: str, slug: str) -> Iterator[Statement]:
    """Where each named graph comes from: the list file (by its sha256) or an outside source."""
    g = PROVENANCE_GRAPH
    source_file = f"{ID}list/{slug}/file/sha256-{list_path_sha}"
    yield (LIST_GRAPH, rdf.type, prov.Entity, g)
    yield (LIST_GRAPH, prov.wasDerivedFrom, source_file, g)
    yield (source_file, rdf.type, prov.Entity, g)
    yield (source_file, akg.sha256, Literal(list_path_sha), g)
    for source, graph in SOURCE_GRAPHS.items():
        yield (graph, rdf.type, prov.Entity, g)
        yield (graph, prov.wasAttributedTo, SOURCE_AGENTS[source], g)
    yield (akg.SemanticScholar, rdf.type, prov.Agent, g)
    yield (akg.SemanticScholar, rdfs.label, Literal("Semantic Scholar Academic Graph API"), g)
    yield (akg.SeedSnapshot, rdf.type, prov.Agent, g)
    yield (akg.SeedSnapshot, rdfs.label, Literal("awesome-kg seed snapshot, gathered from the papers themselves"), g)
