"""Builds of real list versions enriched through the test API server, shared by the curation tests.

Each version is built once per test session (one cache for all of them), the way a curator
builds it: `kg.build.build` against a server speaking the Semantic Scholar Graph API.
"""

from __future__ import annotations

from pathlib import Path

from conftest import LISTS
from kg.build import BuildResult, ListSource, build
from kg.enrich.client import RetryPolicy, S2Client
from s2_fixtures import build_records
from s2_server import S2TestServer

FAST = RetryPolicy(attempts=6, base_delay=0.01, max_delay=0.05, seed=1)
_BUILT: dict[str, BuildResult] = {}


def enriched_build(name: str, tmp_path_factory) -> BuildResult:
    """The list version `name` (a file of the shared folder) built against the test server."""
    if name not in _BUILT:
        root = tmp_path_factory.getbasetemp() / "curate-builds"
        with S2TestServer(build_records()) as server:
            client = S2Client(server.url, policy=FAST)
            try:
                source = ListSource.from_path(LISTS / name, "awesome-moe-inference")
                _BUILT[name] = build(source, root / Path(name).stem, cache_dir=root / "cache", client=client)
            finally:
                client.close()
    return _BUILT[name]


def line_of(name: str, number: int) -> str:
    """Line `number` (1-based) of a shared list version, as the curator sees it."""
    return (LISTS / name).read_text(encoding="utf-8").splitlines()[number - 1]
