"""Test fixtures: the test data (tests/data, see its README), and builds of real list versions."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
LISTS = DATA / "lists" / "awesome-moe-inference"
DEFAULT_LIST = LISTS / "2024-11-05_ec0877e.md"
LATEST_LIST = LISTS / "2025-10-20_f7ccad0.md"


def list_versions() -> list[Path]:
    return sorted(LISTS.glob("*.md"))


@pytest.fixture(scope="session")
def default_build(tmp_path_factory):
    """The shipped list built offline (cache empty, snapshot only), as a user gets it."""
    from kg.build import build

    out = tmp_path_factory.mktemp("default-build")
    return build(out=out, offline=True, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def default_graph(default_build):
    from kg.store import KnowledgeGraph

    return KnowledgeGraph.load(default_build.out)
