"""Identifiers read from the link shapes of each publisher, and one spelling per page.

Written for the mutants of kg/identifiers.py that survived the suite (bench/mutation.sh):
each case is a link shape a list uses (the preprints.org and ACL Anthology links are from
the shipped list's history in tests/data; the DOI hosts are the publishers' own shapes).
"""

from __future__ import annotations

import hashlib
import re

import pytest

from kg.identifiers import identifiers_from_url, iri_path, normalize_title, normalize_url


@pytest.mark.parametrize(
    "spelling",
    [
        "https://www.preprints.org/manuscript/202408.0583/v2",
        "http://preprints.org/manuscript/202408.0583/v2/",
        "HTTPS://WWW.Preprints.org/manuscript/202408.0583/v2#abstract",
        "preprints.org/manuscript/202408.0583/v2",
        "  www.preprints.org/manuscript/202408.0583/v2  ",
    ],
)
def test_every_spelling_of_a_page_normalizes_to_one(spelling):
    assert normalize_url(spelling) == "preprints.org/manuscript/202408.0583/v2"


def test_only_trailing_slashes_are_dropped_from_a_path():
    assert normalize_url("https://en.wikipedia.org/wiki/Mac_OS_X/") == "en.wikipedia.org/wiki/Mac_OS_X"


@pytest.mark.parametrize(
    "title",
    [
        "Fiddler: CPU-GPU Orchestration for Fast Inference of Mixture-of-Experts Models",
        "  fiddler — CPU/GPU orchestration for fast inference of mixture of experts models. ",
    ],
)
def test_titles_compare_by_their_words(title):
    assert normalize_title(title) == "fiddler cpu gpu orchestration for fast inference of mixture of experts models"


def test_a_query_is_part_of_the_page():
    assert normalize_url("https://openreview.net/forum?id=lNkBpdnZvh") == "openreview.net/forum?id=lNkBpdnZvh"
    assert normalize_url("https://openreview.net/forum?id=a") != normalize_url("https://openreview.net/forum?id=b")


@pytest.mark.parametrize(
    "url, found",
    [
        ("https://www.preprints.org/manuscript/202408.0583/v2", {"doi": "10.20944/preprints202408.0583.v2"}),
        ("https://www.preprints.org/manuscript/202408.0583", {"doi": "10.20944/preprints202408.0583.v1"}),
        ("https://aclanthology.org/2024.acl-long.699.pdf", {"acl": "2024.acl-long.699"}),
        ("https://aclanthology.org/2024.findings-acl.694/", {"acl": "2024.findings-acl.694"}),
        ("https://www.aclweb.org/anthology/P19-1285.pdf", {"acl": "P19-1285"}),
        ("https://doi.org/10.1145/3620666.3651379", {"doi": "10.1145/3620666.3651379"}),
        ("http://dx.doi.org/10.1109/SC41406.2024.00096", {"doi": "10.1109/sc41406.2024.00096"}),
        ("https://dl.acm.org/doi/10.1145/3620666.3651379?casa_token=abc", {"doi": "10.1145/3620666.3651379"}),
        ("https://link.springer.com/chapter/10.1007/978-3-031-72897-6_5", {"doi": "10.1007/978-3-031-72897-6_5"}),
        ("https://onlinelibrary.wiley.com/doi/full/10.1002/cpe.8120", {"doi": "10.1002/cpe.8120"}),
        ("https://example.org/10.1145/3620666.3651379", {}),  # a DOI-like path on another host is no DOI
    ],
)
def test_identifiers_from_each_publishers_links(url, found):
    assert identifiers_from_url(url) == found


def test_the_published_examples_paper_iris_are_the_paths_of_their_keys():
    from conftest import PUBLISHED_EXAMPLE

    text = (PUBLISHED_EXAMPLE / "graph.nt").read_text(encoding="utf-8")
    paths = set(
        re.findall(
            r"<https://w3id\.org/awesome-kg/id/paper/((arxiv|doi|ieee|pmlr)/[^/>]+(?:/[^/>]+)*?)"
            r"(?:/authorship/\d+)?>",
            text,
        )
    )
    assert {kind for _, kind in paths} == {"arxiv", "doi", "ieee", "pmlr"}
    for path, kind in paths:
        assert iri_path(f"{kind}:{path.removeprefix(kind + '/')}") == path


def test_a_paper_known_by_its_url_or_title_gets_a_short_stable_digest():
    """Documented in the vocabulary: the first 16 hex digits of the SHA-1 of the normalized value."""

    def digest(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]

    url = normalize_url("http://localhost:8080/papers/moe-serving")  # a URL key may hold a colon
    assert iri_path(f"url:{url}") == f"url/{digest(url)}"
    title = normalize_title("Fiddler: CPU-GPU Orchestration")
    assert iri_path(f"title:{title}") == f"title/{digest(title)}"
    assert iri_path("title:fiddler") != iri_path("title:fiddler cpu gpu") != iri_path("url:fiddler")
    assert iri_path("doi:10.1002/(sici)1097-4571") == "doi/10.1002/%28sici%291097-4571"
