"""The on-disk cache of enrichment answers (SQLite): papers, id lookups and edge lists.

One row per paper, per lookup and per edge list, each with its source and retrieval
time. Every write is one transaction, so a killed run leaves whole rows only, and
SQLite's locking lets two builds share the cache. Only complete answers are stored:
an edge list that was cut short or came back empty where the paper has references is
never stored as complete.

Every row read back is checked again (kg.enrich.records): a row that no longer passes
(written by an older version, or edited by hand) is dropped with a warning and fetched
anew, so one bad record cannot break every later build. A row that passed has a digest of
its text and of the rules (`checked_digest`) in papers_checked / edges_checked: while the
two still agree the row is read without checking its hundreds of nested records again, and
any edit of the text or of the rules makes them differ. The digests have tables of their
own so that a version without them still opens the cache (its writes are checked again). A cache file that SQLite cannot
read raises CacheError, which names the file and the ways out (--cache, `kg cache reset`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kg.enrich.records import RULES, detail_problem, record_problem
from kg.listparse import collector_paused

SCHEMA = """
CREATE TABLE IF NOT EXISTS papers (key TEXT PRIMARY KEY, record TEXT NOT NULL, source TEXT NOT NULL,
                                   retrieved TEXT NOT NULL, fields TEXT);
CREATE TABLE IF NOT EXISTS lookups (lookup TEXT PRIMARY KEY, paper TEXT, source TEXT NOT NULL,
                                    retrieved TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS edges (paper TEXT NOT NULL, direction TEXT NOT NULL, items TEXT NOT NULL,
                                  complete INTEGER NOT NULL, source TEXT NOT NULL, retrieved TEXT NOT NULL,
                                  PRIMARY KEY (paper, direction));
CREATE TABLE IF NOT EXISTS papers_checked (key TEXT PRIMARY KEY, digest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS edges_checked (paper TEXT NOT NULL, direction TEXT NOT NULL, digest TEXT NOT NULL,
                                          PRIMARY KEY (paper, direction));
"""
COLUMNS = {
    "papers": ["key", "record", "source", "retrieved", "fields"],
    "lookups": ["lookup", "paper", "source", "retrieved"],
    "edges": ["paper", "direction", "items", "complete", "source", "retrieved"],
    "papers_checked": ["key", "digest"],
    "edges_checked": ["paper", "direction", "digest"],
}
CACHE_FILE = "s2-cache.sqlite3"
KEYS = {"papers": "key = ?", "edges": "paper = ? AND direction = ?"}  # one row of the table (and of its _checked)
CHUNK = 500  # keys per `IN (...)` query: well below SQLite's limit of bound parameters


class CacheError(Exception):
    """The cache file cannot be used (not SQLite, truncated, another schema, a folder)."""

    def __init__(self, path: Path, why: str):
        super().__init__(
            f"{path}: the enrichment cache cannot be read ({why}). Nothing was changed; "
            f"use another cache folder with --cache DIR, or start it afresh with `kg cache reset`"
        )
        self.path = path


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("awesome-kg"))


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def is_older(retrieved: str, age: timedelta | None) -> bool:
    """True when a row was retrieved more than `age` ago (None: never stale)."""
    if age is None:
        return False
    return datetime.fromisoformat(retrieved) < datetime.now(UTC) - age


class Cache:
    """Rows keyed by lookup (`ARXIV:2402.07033`, `TITLE:...`), paper key and edge direction."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder else default_cache_dir()
        self.path = self.folder / CACHE_FILE
        self.dropped: list[str] = []  # rows read back that no longer pass the record checks
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CacheError(self.folder, f"cannot create the folder: {error.strerror}") from None
        if self.path.exists() and not self.path.is_file():
            raise CacheError(self.path, "it is a folder, not a file")
        try:
            self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self.use_wal()
            self.db.executescript(SCHEMA)
            self.check_schema()
        except sqlite3.DatabaseError as error:
            raise CacheError(self.path, str(error)) from None

    def check_schema(self) -> None:
        """Tables of another shape (another program's file, an old version) and damaged files (truncated,
        overwritten) are refused up front, before a build depends on them."""
        for table, columns in COLUMNS.items():
            found = [row[1] for row in self.db.execute(f"PRAGMA table_info({table})")]
            if found != columns:
                raise CacheError(self.path, f"table {table} has columns {found}, expected {columns}")
        damage = [row[0] for row in self.db.execute("PRAGMA quick_check").fetchall()]
        if damage != ["ok"]:
            raise CacheError(self.path, f"the file is damaged: {damage[0]}")

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
            text = json.dumps(row["record"], sort_keys=True)
            self.db.execute(
                "INSERT OR REPLACE INTO papers VALUES (?, ?, ?, ?, ?)",
                (row["key"], text, row["source"], row["retrieved"], row.get("fields")),
            )
            self.remember_check("papers", (row["key"],), passed(row["record"], text, "paper"))
        elif kind == "lookup":
            self.db.execute(
                "INSERT OR REPLACE INTO lookups VALUES (?, ?, ?, ?)",
                (row["lookup"], row["paper"], row["source"], row["retrieved"]),
            )
        elif kind == "edges":
            if not row["complete"]:
                existing = self.edges(row["paper"], row["direction"])
                if existing and existing["complete"]:
                    return  # never replace a complete list by a partial one
            text = json.dumps(row["items"], sort_keys=True)
            self.db.execute(
                "INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?, ?, ?)",
                (row["paper"], row["direction"], text, int(row["complete"]), row["source"], row["retrieved"]),
            )
            where = (row["paper"], row["direction"])
            self.remember_check("edges", where, passed(row["items"], text, row["direction"]))
        else:
            raise ValueError(f"unknown cache row kind {kind!r}")

    def lookup(self, key: str) -> dict | None:
        return self.lookups([key]).get(key)

    def lookups(self, keys: Iterable[str]) -> dict[str, dict]:
        """The lookup rows of `keys` that are cached, by lookup."""
        found = {}
        for chunk in chunks(keys):
            for lookup, paper, source, retrieved in self.db.execute(
                f"SELECT lookup, paper, source, retrieved FROM lookups WHERE lookup IN ({marks(chunk)})", chunk
            ):
                found[lookup] = {
                    "kind": "lookup",
                    "lookup": lookup,
                    "paper": paper,
                    "source": source,
                    "retrieved": retrieved,
                }
        return found

    def paper(self, key: str) -> dict | None:
        return self.papers([key]).get(key)

    def papers(self, keys: Iterable[str]) -> dict[str, dict]:
        """The paper rows of `keys` that are cached and pass the checks, by key."""
        found, newly_checked = {}, []
        with collector_paused():
            for chunk in chunks(keys):
                for key, text, source, retrieved, fields, checked in self.db.execute(
                    "SELECT p.key, p.record, p.source, p.retrieved, p.fields, c.digest FROM papers p "
                    f"LEFT JOIN papers_checked c ON c.key = p.key WHERE p.key IN ({marks(chunk)})",
                    chunk,
                ).fetchall():
                    record, problem, digest = checked_value(text, "paper", checked)
                    if problem:
                        self.drop("papers", (key,), f"paper {key}: {problem}")
                        continue
                    if digest:
                        newly_checked.append((key, digest))
                    found[key] = {
                        "kind": "paper",
                        "key": key,
                        "record": record,
                        "source": source,
                        "retrieved": retrieved,
                        "fields": fields,
                    }
        self.remember_checks("papers", newly_checked)
        return found

    def edges(self, paper: str, direction: str) -> dict | None:
        return self.edge_lists([paper], direction).get((paper, direction))

    def edge_lists(self, papers: Iterable[str], only: str | None = None) -> dict[tuple[str, str], dict]:
        """The edge lists of `papers` that are cached and pass the checks (every direction, or one),
        by (paper, direction)."""
        found, newly_checked = {}, []
        one_direction = "" if only is None else " AND e.direction = ?"
        with collector_paused():
            for chunk in chunks(papers):
                for paper, direction, text, complete, source, retrieved, checked in self.db.execute(
                    "SELECT e.paper, e.direction, e.items, e.complete, e.source, e.retrieved, c.digest FROM edges e "
                    "LEFT JOIN edges_checked c ON c.paper = e.paper AND c.direction = e.direction "
                    f"WHERE e.paper IN ({marks(chunk)}){one_direction}",
                    chunk if only is None else [*chunk, only],
                ).fetchall():
                    where = (paper, direction)
                    items, problem, digest = checked_value(text, direction, checked)
                    if problem:
                        self.drop("edges", where, f"{direction} of {paper}: {problem}")
                        continue
                    if digest:
                        newly_checked.append((*where, digest))
                    found[where] = {
                        "kind": "edges",
                        "paper": paper,
                        "direction": direction,
                        "items": items,
                        "complete": bool(complete),
                        "source": source,
                        "retrieved": retrieved,
                    }
        self.remember_checks("edges", newly_checked)
        return found

    def remember_check(self, table: str, where: tuple, digest: str | None) -> None:
        """Keep the digest of a row just written when it passed its checks, else forget the row's old one."""
        if digest:
            self.db.execute(
                f"INSERT OR REPLACE INTO {table}_checked VALUES ({marks([*where, digest])})", (*where, digest)
            )
        else:
            self.db.execute(f"DELETE FROM {table}_checked WHERE {KEYS[table]}", where)

    def remember_checks(self, table: str, rows: list[tuple]) -> None:
        """Keep the digests of rows that passed their checks on this read, in one transaction."""
        if not rows:
            return
        sql = f"INSERT OR REPLACE INTO {table}_checked VALUES ({marks(rows[0])})"
        if self.db.in_transaction:
            self.db.executemany(sql, rows)
            return
        with self.transaction():
            self.db.executemany(sql, rows)

    def drop(self, table: str, where: tuple, why: str) -> None:
        """Remove a row that no longer passes the checks, and say so: it is fetched again."""
        self.db.execute(f"DELETE FROM {table} WHERE {KEYS[table]}", where)
        self.db.execute(f"DELETE FROM {table}_checked WHERE {KEYS[table]}", where)
        self.dropped.append(f"dropped a malformed cached record, to be fetched again: {why}")

    def rows(self) -> Iterable[dict]:
        """Every row, in a stable order (for export)."""
        keys = [key for (key,) in self.db.execute("SELECT key FROM papers ORDER BY key").fetchall()]
        for chunk in chunks(keys):
            papers = self.papers(chunk)
            yield from (papers[key] for key in chunk if key in papers)
        keys = [key for (key,) in self.db.execute("SELECT lookup FROM lookups ORDER BY lookup").fetchall()]
        for chunk in chunks(keys):
            lookups = self.lookups(chunk)
            yield from (lookups[key] for key in chunk if key in lookups)
        keys = [key for (key,) in self.db.execute("SELECT DISTINCT paper FROM edges ORDER BY paper").fetchall()]
        for chunk in chunks(keys):
            lists = self.edge_lists(chunk)
            yield from (lists[where] for where in sorted(lists))

    def stats(self) -> dict:
        def count(sql: str) -> int:
            return self.db.execute(sql).fetchone()[0]

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


def loads(text: str):
    """A stored JSON value, or None where the text is not JSON (then the row fails its check)."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def chunks(keys: Iterable[str]) -> list[list[str]]:
    """`keys` without repeats, in lists of at most CHUNK (one query each)."""
    unique = list(dict.fromkeys(keys))
    return [unique[start : start + CHUNK] for start in range(0, len(unique), CHUNK)]


def marks(chunk: list | tuple) -> str:
    return ", ".join("?" * len(chunk))


def checked_digest(text: str, check: str) -> str:
    """What a row's digest in papers_checked / edges_checked is once its stored text passed `check`
    ("paper" or the edge direction) under these RULES: an edit of the text, or of the rules, makes it differ."""
    return hashlib.sha1(f"{RULES}\0{check}\0{text}".encode()).hexdigest()


def value_problem(value, check: str) -> str | None:
    return record_problem(value) if check == "paper" else items_problem(value, check)


def passed(value, text: str, check: str) -> str | None:
    """The digest to store with a row being written: only a row that passes its checks gets one."""
    return None if value_problem(value, check) else checked_digest(text, check)


def checked_value(text: str, check: str, checked: str | None) -> tuple[Any, str | None, str | None]:
    """A stored row's JSON value, its first problem (None when it passes), and the digest to remember
    when it was checked on this read; a row whose digest still agrees is not checked again."""
    value = loads(text)
    digest = checked_digest(text, check)
    if checked == digest:
        return value, None, None
    problem = value_problem(value, check)
    return value, problem, None if problem else digest


def items_problem(items, direction: str) -> str | None:
    """The first problem of a cached edge list's items, or None."""
    if not isinstance(items, list):
        return "the items are not a list"
    check = detail_problem if direction == "reference-details" else (lambda item: record_problem(item, edge_item=True))
    for index, item in enumerate(items):
        if problem := check(item):
            return f"item {index}: {problem}"
    return None


def reset(folder: str | Path | None = None) -> list[Path]:
    """Remove the cache file (and SQLite's -wal/-shm beside it); what is there but not a file is
    moved aside, never deleted. Returns what was removed or moved."""
    path = (Path(folder) if folder else default_cache_dir()) / CACHE_FILE
    touched = []
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate.is_symlink() or candidate.is_file():
            candidate.unlink()
            touched.append(candidate)
        elif candidate.exists():
            aside = candidate.with_name(f"{candidate.name}.moved-{os.getpid()}-{int(time.time())}")
            candidate.rename(aside)
            touched.append(aside)
    return touched
