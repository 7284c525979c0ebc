"""The seed snapshot: hand-checked facts about the default list's papers, as cache records.

`seed-snapshot.json` (gathered from the papers themselves) is converted once into the
cache's JSONL record format and shipped in the package, so that `kg build --offline`
on the default list gives a real citation graph. A paper whose reference list could
not be read gets no edge list at all: unknown, not empty.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from kg.identifiers import normalize_title

SOURCE = "snapshot"
SHIPPED = "snapshot.jsonl"


def reference_record(item: dict) -> dict:
    """The S2-shaped stub of a cited work: ids, title, year."""
    ext = {k: v for k, v in (("ArXiv", item.get("arxiv")), ("DOI", item.get("doi"))) if v}
    return {"paperId": None, "externalIds": ext, "title": item["title"], "year": item.get("year")}


def lookup_keys(paper: dict) -> list[str]:
    """The keys a listed paper may be looked up by: its ids and its (published) titles."""
    keys = []
    if paper.get("arxiv"):
        keys.append(f"ARXIV:{paper['arxiv']}")
    if paper.get("doi"):
        keys.append(f"DOI:{paper['doi'].lower()}")
    for title in (paper.get("title"), paper.get("published_title")):
        if title:
            keys.append(f"TITLE:{normalize_title(title)}")
    return list(dict.fromkeys(keys))


def convert_seed(seed: dict) -> list[dict]:
    """Cache rows (papers, lookups, edges) for every paper of the seed snapshot."""
    retrieved = f"{seed['gathered']}T00:00:00+00:00"
    works = {p["key"]: p for p in seed["landmarks"]} | {p["key"]: p for p in seed["papers"]}
    rows: list[dict] = []
    for paper in seed["papers"]:
        key = f"snapshot:{paper['key']}"
        record = reference_record(paper) | {
            "paperId": None,
            "title": paper["title"],
            "authors": [{"authorId": None, "name": name} for name in paper["authors"]],
            "publicationDate": paper.get("arxiv_first_date"),
            "venue": paper.get("published_venue") or ("arXiv" if paper.get("arxiv") else None),
        }
        if paper.get("published_year"):
            record["publishedYear"] = paper["published_year"]
        if paper.get("published_title"):
            record["publishedTitle"] = paper["published_title"]
        rows.append({"kind": "paper", "key": key, "source": SOURCE, "retrieved": retrieved, "record": record})
        for lookup in lookup_keys(paper):
            rows.append({"kind": "lookup", "lookup": lookup, "paper": key, "source": SOURCE, "retrieved": retrieved})
        if paper["references_read"]:
            items = [reference_record(works[cited]) for cited in paper["cites"]]
            rows.append(
                {
                    "kind": "edges",
                    "paper": key,
                    "direction": "references",
                    "complete": True,
                    "items": items,
                    "source": SOURCE,
                    "retrieved": retrieved,
                }
            )
    return rows


def write_jsonl(rows: list[dict], path: Path) -> None:
    path.write_text(
        "".join(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )


def read_jsonl(text: str, name: str) -> list[dict]:
    """Rows of a JSONL cache file; a broken line is an error naming the file and line."""
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{name}:{number}: not a JSON record ({error.msg})") from None
        if not isinstance(row, dict) or row.get("kind") not in ("paper", "lookup", "edges"):
            raise ValueError(f"{name}:{number}: expected a record with kind paper, lookup or edges")
        rows.append(row)
    return rows


def shipped_rows() -> list[dict]:
    """The snapshot that ships with the package."""
    text = resources.files("kg").joinpath("data", SHIPPED).read_text(encoding="utf-8")
    return read_jsonl(text, SHIPPED)
