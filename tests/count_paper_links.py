"""Count the distinct papers an awesome list links, line by line with regexes, without kg's parser.

The tests and bench/list_formats.py compare the parser's listed papers with this count, so it is
written apart from kg (no import of kg, no Markdown parser) from the rule in docs/list-formats.md:
a paper is a line (or a paper-table row) with a paper link (an arXiv, DOI, ACL, OpenReview, PMLR or
IEEE link, a proceedings or publisher page, a PDF), or a `[Venue'YY]`-tagged line; one paper per
line, its first paper link; the same id or address twice is one paper; a `[Tag] [Title]` line with no
link is a paper of its own unless another tagged line of the same title links it. Sections of
boilerplate (contents, citation, license, news, ...), text before the first heading, fenced code and
model tables (columns such as Para. and Experts) hold no papers. A folder's README is read with the
local `.md` pages it links.

    python tests/count_paper_links.py LIST_OR_FOLDER ...
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

BOILERPLATE = {
    "contents",
    "table of contents",
    "contribute",
    "contributing",
    "citation",
    "license",
    "todo",
    "todos",
    "acknowledgements",
    "acknowledgement",
    "acknowledgments",
    "star history",
    "contributors",
    "news",
    "updates",
}
MODEL_COLUMNS = {"para", "params", "parameters", "experts", "l", "h", "d model", "d ffn", "d expert", "affiliation"}
PAPER_SITES = (
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
    "ssrn.com",
    "hal.science",
    "direct.mit.edu",
)
LINK = re.compile(r"\]\s?\(\s*(<?[^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*>?)(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
TAGGED = re.compile(r"^\s*\[[^\[\]]*['’‘`´]\s*\d{2,4}(?:\.\d{1,2})?\]\s*\[([^\[\]]+)\]")
NOT_LINKED = re.compile(r"^\s*\[[^\[\]]*\]\s*\[([^\[\]]+)\]\s*$")  # [Venue'YY] [Title] (or [] [Title]), no link


def site(url: str) -> str:
    return re.sub(r"^(?:[a-z]+://)?(?:www\.)?", "", url.strip(), flags=re.I).split("/")[0].split("?")[0].lower()


def paper_key(url: str) -> str | None:
    """The id a paper link carries, or its address; None for a link that is not to a paper."""
    url = url.strip("<> ")
    if not url or url.startswith("#") or not re.match(r"^(?:[a-z]+://|www\.|[a-z0-9-]+(?:\.[a-z0-9-]+)+/)", url, re.I):
        return None
    if m := re.search(r"arxiv\.org/(?:abs|pdf|html)/(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})", url, re.I):
        return "arxiv " + m[1]
    if m := re.search(r"openreview\.net/(?:forum|pdf)\?id=([^&#]+)", url):
        return "openreview " + m[1]
    if m := re.search(r"(?:doi\.org|dl\.acm\.org/doi(?:/abs|/pdf|/full)?)/(10\.\d{4,9}/[^?#\s]+)", url, re.I):
        return "doi " + m[1].lower().removesuffix(".pdf")
    if m := re.search(r"(?:document/|arnumber=)(\d+)", url):
        return "ieee " + m[1]
    host = site(url)
    plain = re.sub(r"^(?:[a-z]+://)?(?:www\.)?", "", url, flags=re.I).split("#")[0].rstrip("/").lower()
    path = "/" + plain.partition("/")[2].split("?")[0]
    on_paper_site = any(host == s or host.endswith("." + s) for s in PAPER_SITES)
    code_site = any(host == s or host.endswith("." + s) for s in ("github.com", "gitlab.com", "huggingface.co"))
    if (
        on_paper_site
        or path.endswith(".pdf")
        or (not code_site and re.search(r"/(?:publications?|papers?)(?:/|$)", path))
    ):
        return "url " + plain
    return None


def words(title: str) -> str:
    return re.sub(r"[^a-z0-9]", "", title.lower())


def local_pages(text: str, base: Path) -> list[Path]:
    found = []
    for url in LINK.findall(text):
        url = url.strip("<>").split("#")[0]
        if url.lower().endswith(".md") and "://" not in url and (base / url).is_file():
            found.append((base / url).resolve())
    return found


def files_of(path: Path) -> list[Path]:
    if path.is_dir():
        path = next(p for p in sorted(path.iterdir()) if p.name.lower() == "readme.md")
    seen, queue = [path.resolve()], [path.resolve()]
    while queue:
        page = queue.pop(0)
        for linked in local_pages(page.read_text(encoding="utf-8", errors="replace"), page.parent):
            if linked not in seen:
                seen.append(linked)
                queue.append(linked)
    return seen


def count(path: Path) -> int:
    """Distinct papers in a list file or folder."""
    keys: set[str] = set()
    titled: dict[str, str | None] = {}
    pages = files_of(Path(path))
    for page in pages:
        scan(page.read_text(encoding="utf-8", errors="replace"), keys, titled, is_readme=page == pages[0])
    return len(keys) + sum(1 for key in titled.values() if key is None)


def scan(text: str, keys: set[str], titled: dict[str, str | None], is_readme: bool) -> None:
    skip_level, in_fence, seen_heading, model_table = 0, False, not is_readme, False
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines):
        if re.match(r"^\s*(```|~~~)", line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if heading := HEADING.match(line):
            level, label = len(heading[1]), re.sub(r"[^a-z0-9 ]", " ", heading[2].lower())
            label = " ".join(label.split())
            if is_readme and level == 1 and not seen_heading:
                seen_heading = True
                continue
            seen_heading = True
            if skip_level and level > skip_level:
                continue
            skip_level = level if label in BOILERPLATE else 0
            continue
        if not seen_heading or skip_level:
            continue
        if line.lstrip().startswith("|"):
            following = lines[number + 1] if number + 1 < len(lines) else ""
            if re.match(r"^\s*\|?\s*:?-{3,}", following):  # a table's header row
                cells = {" ".join(re.sub(r"[^a-z0-9 ]", " ", c.lower()).split()) for c in line.split("|")}
                model_table = len(cells & MODEL_COLUMNS) >= 2
                continue
            if model_table:
                continue
        else:
            model_table = False
        found = [key for key in map(paper_key, LINK.findall(line)) if key]
        tagged = TAGGED.match(line)
        if unlinked := NOT_LINKED.match(line):
            titled.setdefault(words(unlinked[1]), None)
            continue
        if not found and tagged:
            first = LINK.search(line)[1].strip("<>")
            found = ["url " + re.sub(r"^(?:[a-z]+://)?(?:www\.)?", "", first, flags=re.I).rstrip("/").lower()]
        if found:
            keys.add(found[0])
            if tagged:
                titled[words(tagged[1])] = found[0]


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(f"{count(Path(argument))}\t{argument}")
