"""Enrichment: what outside sources say about the listed papers.

`enrich` is the stage's one entry: it owns the cache, the client and the shipped snapshot,
and returns one `Enrichment` record per paper it could enrich with a report of what it
could not. The build calls it, and so do the curator tools (classify, history) for papers
outside a build. Its modules load when enrichment runs, which keeps `kg --help` fast.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import timedelta
    from pathlib import Path

    from kg.enrich.client import S2Client
    from kg.enrich.enricher import EnrichReport
    from kg.listparse import ListedPaper
    from kg.progress import Silent


@dataclass(frozen=True)
class Enrichment:
    """What one outside source says about one listed paper (S2-shaped record)."""

    record: dict
    source: str  # "semantic-scholar" or "snapshot"
    retrieved: str  # ISO 8601 time the record was fetched or gathered


class EnrichmentError(Exception):
    """Enrichment cannot run: the cache is unreadable. Nothing built earlier is touched."""


def enrich(
    papers: Sequence[ListedPaper],
    *,
    offline: bool,
    cache_dir: str | Path | None,
    refresh_older_than: timedelta | None = None,
    contexts: bool = False,
    progress: Silent | None = None,
    client: S2Client | None = None,
) -> tuple[dict[str, Enrichment], EnrichReport]:
    """Enrich `papers` from the cache, the API (unless offline) and the snapshot; closes what it opened."""
    from kg.enrich.cache import Cache, CacheError
    from kg.enrich.client import S2Client
    from kg.enrich.enricher import Enricher
    from kg.progress import Silent

    progress = progress or Silent()
    try:
        cache = Cache(cache_dir)
    except CacheError as error:
        raise EnrichmentError(str(error)) from None
    own_client = S2Client(on_event=progress.event) if client is None and not offline else None
    if own_client is not None:
        client = own_client
    try:
        progress.start_enrichment(len(papers))
        enricher = Enricher(
            cache,
            offline=offline,
            client=client,
            refresh_older_than=refresh_older_than,
            contexts=contexts,
            progress=progress,
        )
        enrichments, report = enricher.run(papers)
        report.errors.extend(cache.dropped)
        return enrichments, report
    except sqlite3.DatabaseError as error:
        raise EnrichmentError(str(CacheError(cache.path, str(error)))) from None
    finally:
        cache.close()
        if own_client is not None:
            own_client.close()
