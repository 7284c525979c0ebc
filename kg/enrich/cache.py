"""The on-disk cache of enrichment answers (SQLite): papers, id lookups and edge lists.

One row per paper, per lookup and per edge list, each with its source and retrieval
time. Every write is one transaction, so a killed run leaves whole rows only, and
SQLite's locking lets two builds share the cache. Only complete answers are stored:
an edge list that was cut short or came back empty where the paper has references is
never stored as complete.
"""
from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable

SCHEMA = """
CREATE TABLE IF NOT EXISTS papers (key TEXT PRIMARY KEY, record TEXT NOT NULL, source TEXT NOT NULL,
                                   retrieved TEXT NOT NULL, fields TEXT);
CREATE TABLE IF NOT EXISTS lookups (lookup TEXT PRIMARY KEY, paper TEXT, source TEXT NOT NULL,
                                    retrieved TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS edges (paper TEXT NOT NULL, direction TEXT NOT NULL, items TEXT NOT NULL,
                                  complete INTEGER NOT NULL, source TEXT NOT NULL, retrieved TEXT NOT NULL,
                                  PRIMARY KEY (paper, direction));
"""


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("awesome-kg"))


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def is_older(retrieved: str, age: timedelta | None) -> bool:
    """True when a row was retrieved more than `age` ago (None: never stale)."""
    if age is None:
        return False
    return datetime.fromisoformat(retrieved) < datetime.now(timezone.utc) - age


class Cache:
    """Rows keyed by lookup (`ARXIV:2402.07033`, `TITLE:...`), paper key and edge direction."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder else default_cache_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "s2-cache.sqlite3"
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self.use_wal()
        self.db.executescript(SCHEMA)

    def use_wal(self, tries: int = 100) -> None:
        """Switch to write-ahead logging, so two builds can share the cache. SQLite answers
        "locked" at once (no busy wait) when another connection holds the file meanwhile."""
        for attempt in range(tries):
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == tries - 1:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        self.db.close()

    def write(self, rows: Iterable[dict]) -> int:
        """Store rows (the JSONL record format) in one transaction."""
        count = 0
        with self.transaction():
            for row in rows:
                self._write_row(row)
                count += 1
        return count

    def transaction(self):
        db = self.db

        class _Tx:
            def __enter__(self):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind, value, tb):
                db.execute("COMMIT" if kind is None else "ROLLBACK")

        return _Tx()

    def _write_row(self, row: dict) -> None:
        kind = row["kind"]
        if kind == "paper":
            self.db.execute("INSERT OR REPLACE INTO papers VALUES (?, ?, ?, ?, ?)",
                            (row["key"], json.dumps(row["record"], sort_keys=True), row["source"],
                             row["retrieved"], row.get("fields")))
        elif kind == "lookup":
            self.db.execute("INSERT OR REPLACE INTO lookups VALUES (?, ?, ?, ?)",
                            (row["lookup"], row["paper"], row["source"], row["retrieved"]))
        elif kind == "edges":
            if not row["complete"]:
                existing = self.edges(row["paper"], row["direction"])
                if existing and existing["complete"]:
                    return  # never replace a complete list by a partial one
            self.db.execute("INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?, ?, ?)",
                            (row["paper"], row["direction"], json.dumps(row["items"], sort_keys=True),
                             int(row["complete"]), row["source"], row["retrieved"]))
        else:
            raise ValueError(f"unknown cache row kind {kind!r}")

    def lookup(self, key: str) -> dict | None:
        found = self.db.execute("SELECT paper, source, retrieved FROM lookups WHERE lookup = ?", (key,)).fetchone()
        return None if found is None else {"kind": "lookup", "lookup": key, "paper": found[0],
                                           "source": found[1], "retrieved": found[2]}

    def has_paper(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM papers WHERE key = ?", (key,)).fetchone() is not None

    def paper(self, key: str) -> dict | None:
        found = self.db.execute("SELECT record, source, retrieved, fields FROM papers WHERE key = ?",
                                (key,)).fetchone()
        return None if found is None else {"kind": "paper", "key": key, "record": json.loads(found[0]),
                                           "source": found[1], "retrieved": found[2], "fields": found[3]}

    def edges(self, paper: str, direction: str) -> dict | None:
        found = self.db.execute("SELECT items, complete, source, retrieved FROM edges WHERE paper = ? AND "
                                "direction = ?", (paper, direction)).fetchone()
        return None if found is None else {"kind": "edges", "paper": paper, "direction": direction,
                                           "items": json.loads(found[0]), "complete": bool(found[1]),
                                           "source": found[2], "retrieved": found[3]}

    def rows(self) -> Iterable[dict]:
        """Every row, in a stable order (for export)."""
        for (key,) in self.db.execute("SELECT key FROM papers ORDER BY key").fetchall():
            yield self.paper(key)
        for (key,) in self.db.execute("SELECT lookup FROM lookups ORDER BY lookup").fetchall():
            yield self.lookup(key)
        for paper, direction in self.db.execute("SELECT paper, direction FROM edges ORDER BY paper, direction"):
            yield self.edges(paper, direction)

    def stats(self) -> dict:
        count = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "path": str(self.path),
            "papers": count("SELECT COUNT(*) FROM papers"),
            "lookups": count("SELECT COUNT(*) FROM lookups"),
            "not_found": count("SELECT COUNT(*) FROM lookups WHERE paper IS NULL"),
            "edge_lists": count("SELECT COUNT(*) FROM edges"),
            "incomplete_edge_lists": count("SELECT COUNT(*) FROM edges WHERE complete = 0"),
            "oldest": self.db.execute("SELECT MIN(retrieved) FROM papers").fetchone()[0],
            "newest": self.db.execute("SELECT MAX(retrieved) FROM papers").fetchone()[0],
        }


class MemoryRows:
    """Read-only rows held in memory (the shipped snapshot), with the Cache's read methods."""

    def __init__(self, rows: Iterable[dict]):
        self.papers, self.lookups, self.edge_lists = {}, {}, {}
        for row in rows:
            if row["kind"] == "paper":
                self.papers[row["key"]] = row
            elif row["kind"] == "lookup":
                self.lookups[row["lookup"]] = row
            else:
                self.edge_lists[(row["paper"], row["direction"])] = row

    def lookup(self, key: str) -> dict | None:
        return self.lookups.get(key)

    def paper(self, key: str) -> dict | None:
        return self.papers.get(key)

    def edges(self, paper: str, direction: str) -> dict | None:
        return self.edge_lists.get((paper, direction))
