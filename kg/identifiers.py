"""Identifiers carried by the links of a list: arXiv, DOI, ACL, OpenReview, PMLR, IEEE.

A link that carries none is kept as a normalized URL. The strongest identifier a
paper has decides its identity key, which both merges duplicate entries of one list
and mints the paper's IRI, so it must not depend on anything but the link itself.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qs, quote, urlsplit

# Strongest first: the first kind a paper has is its identity.
ID_KINDS = ("arxiv", "doi", "acl", "openreview", "pmlr", "ieee")

_ARXIV = re.compile(r"arxiv\.org/(?:abs|pdf|html)/(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?/?$", re.I)
_DOI_IN_PATH = re.compile(r"(?:^|/)(?P<doi>10\.\d{4,9}/[^?#\s]+)")
_ACL = re.compile(r"aclanthology\.org/(?P<id>[A-Za-z0-9.\-]+?)(?:\.pdf)?/?$|aclweb\.org/anthology/(?P<old>[A-Za-z0-9.\-]+?)(?:\.pdf)?/?$")
_PMLR = re.compile(r"proceedings\.mlr\.press/(?P<vol>v\d+)/(?P<key>[a-z0-9]+)(?:/[a-z0-9]+\.pdf|\.html|\.pdf)?/?$", re.I)
_IEEE_DOC = re.compile(r"ieeexplore\.ieee\.org/(?:abstract/)?document/(?P<num>\d+)")
_PREPRINTS = re.compile(r"preprints\.org/manuscript/(?P<id>\d{6}\.\d{4})(?:/v(?P<v>\d+))?")


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
    return found


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
