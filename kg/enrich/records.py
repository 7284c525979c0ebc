"""What a Semantic Scholar record may hold, checked when it arrives and when it is read back.

The API is an outside source: a field of the wrong type, an identifier that is not one
(`2301.00000}, note = {...`), a negative year or a megabyte title would crash a later stage
or travel into LaTeX, BibTeX and SPARQL. A record that breaks these rules is refused whole
(reported, never cached); an edge item that breaks them is left out of its list, which
then counts as incomplete. The caps are documented in docs/security.md.
"""

from __future__ import annotations

import re
from datetime import date

# Field size caps (characters / items). Real records stay far below: the longest title in
# S2 is about 1,000 characters, abstracts rarely pass 5,000, author lists reach a few thousand.
MAX_TITLE = 2_000
MAX_TEXT = 20_000  # abstract, tldr
MAX_SHORT = 1_000  # venue, names, publication types, fields of study
MAX_URL = 2_000
MAX_AUTHORS = 5_000
MAX_LIST = 1_000  # publicationTypes, fieldsOfStudy, intents, contexts
MAX_ID = 300  # any one external identifier
LATEST_YEAR = date.today().year + 2
# The version of these checks: a cached row that passed them keeps a digest made with it
# (kg.enrich.cache), so a change to any check below must change RULES to have every row checked again.
RULES = "1"

ID_SYNTAX = {
    "ArXiv": re.compile(r"\d{4}\.\d{4,5}(v\d+)?|[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7}(v\d+)?"),
    "DOI": re.compile(r"10\.\d{4,9}/[!-~]+"),
    "ACL": re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*"),
    "CorpusId": re.compile(r"\d{1,12}"),
}
DOI_FORBIDDEN = re.compile(r"[{}\\]")  # would break out of a BibTeX or LaTeX group
PAPER_ID = re.compile(r"[0-9a-f]{40}")
AUTHOR_ID = re.compile(r"\d{1,15}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def identifier_problem(kind: str, value) -> str | None:
    """Why `value` is not a valid `kind` identifier (arXiv, DOI, ACL, CorpusId, paperId), or None."""
    if kind == "CorpusId" and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return f"externalIds.{kind} is a {type(value).__name__}, not a string"
    if len(value) > MAX_ID:
        return f"externalIds.{kind} is {len(value)} characters, more than {MAX_ID}"
    if kind == "paperId":
        return None if PAPER_ID.fullmatch(value) else f"paperId {value[:60]!r} is not 40 hex digits"
    syntax = ID_SYNTAX.get(kind)
    if syntax is None:  # DBLP, MAG, PubMed...: not used, only kept inert
        return None if value.isprintable() else f"externalIds.{kind} holds control characters"
    if not syntax.fullmatch(value) or (kind == "DOI" and DOI_FORBIDDEN.search(value)):
        return f"externalIds.{kind} {value[:60]!r} is not a valid {kind} identifier"
    return None


def _text(record: dict, name: str, cap: int) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        return f"{name} is a {type(value).__name__}, not a string"
    if len(value) > cap:
        return f"{name} is {len(value)} characters, more than the cap of {cap}"
    return None


def _count(record: dict, name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return f"{name} is {value!r}, not a count"
    return None


def _strings(record: dict, name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_LIST:
        return f"{name} is not a list of at most {MAX_LIST} strings"
    if not all(isinstance(item, str) and len(item) <= MAX_SHORT for item in value):
        return f"{name} holds something other than short strings"
    return None


def _year(record: dict) -> str | None:
    value = record.get("year")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1000 <= value <= LATEST_YEAR:
        return f"year is {value!r}, not a year between 1000 and {LATEST_YEAR}"
    return None


def _date(record: dict) -> str | None:
    value = record.get("publicationDate")
    if value is None:
        return None
    if not isinstance(value, str) or not DATE.fullmatch(value):
        return f"publicationDate {str(value)[:40]!r} is not YYYY-MM-DD"
    try:
        date.fromisoformat(value)
    except ValueError:
        return f"publicationDate {value!r} is not a date"
    return None


def _url(value, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_URL:
        return f"{name} is not a string of at most {MAX_URL} characters"
    return None


def _nested(record: dict, name: str, check) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        return f"{name} is a {type(value).__name__}, not an object"
    return check(value)


def _external_ids(ids: dict) -> str | None:
    for kind, value in ids.items():
        if value is not None and (problem := identifier_problem(str(kind), value)):
            return problem
    return None


def _authors(record: dict) -> str | None:
    authors = record.get("authors")
    if authors is None:
        return None
    if not isinstance(authors, list) or len(authors) > MAX_AUTHORS:
        return f"authors is not a list of at most {MAX_AUTHORS} authors"
    for author in authors:
        if not isinstance(author, dict):
            return "an author is not an object"
        if problem := _text(author, "name", MAX_SHORT):
            return f"author {problem}"
        author_id = author.get("authorId")
        if author_id is not None and not (isinstance(author_id, str) and AUTHOR_ID.fullmatch(author_id)):
            return f"authorId {str(author_id)[:40]!r} is not a number"
    return None


def _paper_id(record: dict, required: bool) -> str | None:
    value = record.get("paperId")
    if value is None:
        return "paperId is missing" if required else None
    return identifier_problem("paperId", value)


def record_problem(record, *, edge_item: bool = False) -> str | None:
    """The first way a paper record breaks the Graph API's types and our caps, or None.

    An edge item (a far end of /references or /citations) may lack a paperId: S2 lists
    bibliography entries it could not link."""
    if not isinstance(record, dict):
        return f"the record is a {type(record).__name__}, not an object"
    checks = (
        lambda: _paper_id(record, required=not edge_item),
        lambda: _count(record, "corpusId"),
        lambda: _nested(record, "externalIds", _external_ids),
        lambda: _text(record, "title", MAX_TITLE),
        lambda: _text(record, "abstract", MAX_TEXT),
        lambda: _text(record, "venue", MAX_SHORT),
        lambda: _year(record),
        lambda: _date(record),
        lambda: _count(record, "citationCount"),
        lambda: _count(record, "influentialCitationCount"),
        lambda: _count(record, "referenceCount"),
        lambda: _strings(record, "publicationTypes"),
        lambda: _strings(record, "fieldsOfStudy"),
        lambda: _url(record.get("url"), "url"),
        lambda: _nested(record, "tldr", lambda tldr: _text(tldr, "text", MAX_TEXT)),
        lambda: _nested(record, "openAccessPdf", lambda pdf: _url(pdf.get("url"), "openAccessPdf.url")),
        lambda: _nested(record, "publicationVenue", lambda venue: _text(venue, "name", MAX_SHORT)),
        lambda: _authors(record),
    )
    for check in checks:
        if problem := check():
            return problem
    return None


def detail_problem(item) -> str | None:
    """The first problem of a citation-context item (`contexts`, `intents`, `isInfluential`, far end)."""
    if not isinstance(item, dict):
        return f"the item is a {type(item).__name__}, not an object"
    if not isinstance(item.get("isInfluential", False), bool):
        return "isInfluential is not true or false"
    for name in ("contexts", "intents"):
        if problem := _strings(item, name):
            return problem
    other = item.get("citedPaper") or item.get("citingPaper")
    return None if other is None else record_problem(other, edge_item=True)


def valid_items(items: list, check=None) -> tuple[list, list[str]]:
    """(the items that pass, a description of each refused one) for an edge list."""
    check = check or (lambda item: record_problem(item, edge_item=True))
    kept, refused = [], []
    for index, item in enumerate(items):
        problem = check(item)
        if problem:
            refused.append(f"item {index}: {problem}")
        else:
            kept.append(item)
    return kept, refused
