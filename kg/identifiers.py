"""Identifiers carried by the links of a list: arXiv, DOI, ACL, OpenReview, PMLR, IEEE.

A link that carries none is kept as a normalized URL. The strongest identifier a
paper has decides its identity key, which both merges duplicate entries of one list
and mints the paper's IRI, so it must not depend on anything but the link itself.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from urllib.parse import parse_qs, quote, urlsplit

# Strongest first: the first kind a paper has is its identity.
ID_KINDS = ("arxiv", "doi", "acl", "openreview", "pmlr", "ieee")

_ARXIV = re.compile(
    r"arxiv\.org/(?:abs|pdf|html)/(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})"
    r"(?:v\d+)?(?:\.pdf)?/?$",
    re.I,
)
_DOI_IN_PATH = re.compile(r"(?:^|/)(?P<doi>10\.\d{4,9}/[^?#\s]+)")
_ACL = re.compile(
    r"aclanthology\.org/(?P<id>[A-Za-z0-9.\-]+?)(?:\.pdf)?/?$"
    r"|aclweb\.org/anthology/(?P<old>[A-Za-z0-9.\-]+?)(?:\.pdf)?/?$"
)
_PMLR = re.compile(
    r"proceedings\.mlr\.press/(?P<vol>v\d+)/(?P<key>[a-z0-9]+)(?:/[a-z0-9]+\.pdf|\.html|\.pdf)?/?$", re.I
)
_IEEE_DOC = re.compile(r"ieeexplore\.ieee\.org/(?:abstract/)?document/(?P<num>\d+)")
_PREPRINTS = re.compile(r"preprints\.org/manuscript/(?P<id>\d{6}\.\d{4})(?:/v(?P<v>\d+))?")

# Links and titles each answer is kept for: more than the largest list holds (100,000 papers), read in
# turn stage after stage; a cache smaller than the list (it was 65,536) keeps none from one pass to the next.
REMEMBERED = 1 << 18


@lru_cache(maxsize=REMEMBERED)
def normalize_url(url: str) -> str:
    """The URL without scheme, `www.`, fragment or trailing slash: one spelling per page."""
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


def identifiers_from_url(url: str) -> dict[str, str]:
    """Every identifier the URL carries, by kind (see ID_KINDS)."""
    return dict(_identifiers(url))


@lru_cache(maxsize=REMEMBERED)
def _identifiers(url: str) -> tuple[tuple[str, str], ...]:
    """identifiers_from_url's answer, worked out once per link (kept as a tuple: shared, never changed)."""
    plain = normalize_url(url)
    found: dict[str, str] = {}
    if m := _ARXIV.search(plain):
        found["arxiv"] = m["id"]
    host = plain.split("/", 1)[0]
    if host in ("dl.acm.org", "doi.org", "dx.doi.org", "link.springer.com", "onlinelibrary.wiley.com"):
        if m := _DOI_IN_PATH.search(plain.split("?", 1)[0]):
            found["doi"] = m["doi"].lower().removesuffix(".pdf")
    if m := _PREPRINTS.search(plain):
        found["doi"] = f"10.20944/preprints{m['id']}.v{m['v'] or 1}"
    if m := _ACL.search(plain):
        found["acl"] = m["id"] or m["old"]
    if host == "openreview.net":
        ids = parse_qs(urlsplit("https://" + plain).query).get("id")
        if ids:
            found["openreview"] = ids[0]
    if m := _PMLR.search(plain):
        found["pmlr"] = f"{m['vol']}/{m['key']}"
    if m := _IEEE_DOC.search(plain):
        found["ieee"] = m["num"]
    elif host == "ieeexplore.ieee.org":
        number = parse_qs(urlsplit("https://" + plain).query).get("arnumber")
        if number:
            found["ieee"] = number[0]
    return tuple(found.items())


# Hosts whose pages are papers (proceedings, publishers, preprint servers): a link there names a work.
PAPER_HOSTS = (
    "arxiv.org",
    "openreview.net",
    "aclanthology.org",
    "aclweb.org",
    "proceedings.mlr.press",
    "proceedings.neurips.cc",
    "papers.nips.cc",
    "proceedings.mlsys.org",
    "openaccess.thecvf.com",
    "ieeexplore.ieee.org",
    "dl.acm.org",
    "doi.org",
    "dx.doi.org",
    "link.springer.com",
    "onlinelibrary.wiley.com",
    "sciencedirect.com",
    "mdpi.com",
    "ojs.aaai.org",
    "jmlr.org",
    "isca-archive.org",
    "preprints.org",
    "biorxiv.org",
    "medrxiv.org",
    "semanticscholar.org",
    "usenix.org",
    "ecva.net",
    "scirp.org",
    "nature.com",
    "science.org",
    "pnas.org",
    "ijcai.org",
    "aaai.org",
    "researchgate.net",
    "papers.ssrn.com",
    "hal.science",
    "direct.mit.edu",
)
# Hosts of code and models: a link there is attached to a paper as its code, never taken for the paper.
CODE_HOSTS = (
    "github.com",
    "gitlab.com",
    "huggingface.co",
    "bitbucket.org",
    "gitee.com",
    "pypi.org",
    "anonymous.4open.science",
    "colab.research.google.com",
    "modelscope.cn",
)
_PAPER_PATH = re.compile(r"\.pdf$|/(?:publications?|papers?|paper_files|abs|pdf)(?:/|$)", re.I)
_WEB_ADDRESS = re.compile(r"^[a-z][a-z0-9+.-]*:|^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+/", re.I)


def host_of(url: str) -> str:
    return normalize_url(url).split("/", 1)[0].split("?", 1)[0]


def on_host(url: str, hosts: tuple[str, ...]) -> bool:
    host = host_of(url)
    return any(host == h or host.endswith("." + h) for h in hosts)


@lru_cache(maxsize=REMEMBERED)
def link_kind(url: str) -> str:
    """What a link points at: "paper" (an id, a paper host or a PDF), "code", "anchor" (in the page),
    "local" (a file of the same repository) or "web" (anything else: blog, news, shop, home page)."""
    url = url.strip()
    if not url or url.startswith("#"):
        return "anchor"
    if not _WEB_ADDRESS.match(url):
        return "local"
    if identifiers_from_url(url) or on_host(url, PAPER_HOSTS):
        return "paper"
    path = "/" + normalize_url(url).split("?", 1)[0].partition("/")[2]
    if path.lower().endswith(".pdf"):
        return "paper"
    if on_host(url, CODE_HOSTS):
        return "code"
    return "paper" if _PAPER_PATH.search(path) else "web"


@lru_cache(maxsize=REMEMBERED)
def normalize_title(title: str) -> str:
    """Lower-case letters and digits only: how two spellings of one title compare."""
    folded = unicodedata.normalize("NFKD", title).casefold()
    return re.sub(r"[^0-9a-z]+", " ", folded).strip()


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def identity_key(ids: dict[str, str], url: str | None, title: str) -> str:
    """`kind:value` of the strongest identifier, else of the URL, else of the title."""
    for kind in ID_KINDS:
        if kind in ids:
            return f"{kind}:{ids[kind]}"
    if url:
        return f"url:{normalize_url(url)}"
    return f"title:{normalize_title(title)}"


def iri_path(key: str) -> str:
    """The path below `id/paper/` for an identity key: readable where the id allows it."""
    kind, _, value = key.partition(":")
    if kind in ("url", "title"):
        return f"{kind}/{_digest(value)}"
    return f"{kind}/{quote(value, safe='/.-_~')}"


def slugify(text: str) -> str:
    """A name as an IRI or file path segment: lower-case words joined by hyphens."""
    return re.sub(r"[^0-9a-z]+", "-", text.casefold()).strip("-") or "untitled"
