"""Records for the S2 test server: the real recorded samples, plus synthetic but realistically
shaped records for every paper of every version of the awesome-moe-inference list.

Everything is derived from sha1 of stable identifiers, so two builds give identical records.
The list parser here is deliberately independent of the product's parser.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent / "data"
S2_DATA = DATA / "s2"
LIST_DIR = DATA / "lists" / "awesome-moe-inference"
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster where built

ENTRY = re.compile(r"^\[([^\]\n]*)\][ \t]*\[([^\]]+)\](?:[ \t]*\((\S+?)\))?", re.M)
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*$", re.M)
TAG_DATE = re.compile(r"['’ ](\d{4}|\d{2})(?:\.(\d{1,2}))?")

# Hosts whose papers S2 genuinely does not know: the product must report them unresolved.
UNKNOWN_HOSTS = ("openreview.net", "shaohuais.github.io")

# What a real record says where the list's title is truncated, mistyped or a nickname.
REAL_TITLES = {
    "ARXIV:2201.10890": "One Student Knows All Experts Know: From Sparse to Dense",
    "ARXIV:2206.00277": "Task-Specific Expert Pruning for Sparse Mixture-of-Experts",
    "ARXIV:2306.04640": "ModuleFormer: Modularity Emerges from Mixture-of-Experts",
    "ARXIV:2403.07816": "Branch-Train-MiX: Mixing Expert LLMs into a Mixture-of-Experts LLM",
    "ACL:2024.findings-acl.694": "XMoE: Sparse Models with Fine-grained and Adaptive Expert Selection",
}

# Outside works the list papers build on (arXiv id, real title), including the tech reports of the
# list's model table. Ids that are also list entries only lend their real title.
LANDMARKS = {
    "1701.06538": "Outrageously Large Neural Networks: The Sparsely-Gated Mixture-of-Experts Layer",
    "1706.03762": "Attention Is All You Need",
    "1909.08053": "Megatron-LM: Training Multi-Billion Parameter Language Models Using Model Parallelism",
    "1910.02054": "ZeRO: Memory Optimizations Toward Training Trillion Parameter Models",
    "2001.08361": "Scaling Laws for Neural Language Models",
    "2005.14165": "Language Models are Few-Shot Learners",
    "2006.16668": "GShard: Scaling Giant Models with Conditional Computation and Automatic Sharding",
    "2101.03961": "Switch Transformers: Scaling to Trillion Parameter Models with Simple and Efficient Sparsity",
    "2103.16716": "BASE Layers: Simplifying Training of Large, Sparse Models",
    "2106.04426": "Hash Layers For Large Sparse Models",
    "2106.05974": "Scaling Vision with Sparse Mixture of Experts",
    "2106.09685": "LoRA: Low-Rank Adaptation of Large Language Models",
    "2112.06905": "GLaM: Efficient Scaling of Language Models with Mixture-of-Experts",
    "2201.05596": "DeepSpeed-MoE: Advancing Mixture-of-Experts Inference and Training to Power "
    "Next-Generation AI Scale",
    "2202.08906": "ST-MoE: Designing Stable and Transferable Sparse Expert Models",
    "2202.09368": "Mixture-of-Experts with Expert Choice Routing",
    "2203.15556": "Training Compute-Optimal Large Language Models",
    "2204.09179": "On the Representation Collapse of Sparse Mixture of Experts",
    "2205.14135": "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness",
    "2207.04672": "No Language Left Behind: Scaling Human-Centered Machine Translation",
    "2210.17323": "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers",
    "2211.15841": "MegaBlocks: Efficient Sparse Training with Mixture-of-Experts",
    "2212.05055": "Sparse Upcycling: Training Mixture-of-Experts from Dense Checkpoints",
    "2302.13971": "LLaMA: Open and Efficient Foundation Language Models",
    "2306.00978": "AWQ: Activation-aware Weight Quantization for LLM Compression and Acceleration",
    "2307.09288": "Llama 2: Open Foundation and Fine-Tuned Chat Models",
    "2309.06180": "Efficient Memory Management for Large Language Model Serving with PagedAttention",
    "2312.11514": "LLM in a flash: Efficient Large Language Model Inference with Limited Memory",
    "2312.17238": "Fast Inference of Mixture-of-Experts Language Models with Offloading",
    "2401.04088": "Mixtral of Experts",
    "2401.06066": "DeepSeekMoE: Towards Ultimate Expert Specialization in Mixture-of-Experts Language Models",
    "2402.01739": "OpenMoE: An Early Effort on Open Mixture-of-Experts Language Models",
    "2403.19887": "Jamba: A Hybrid Transformer-Mamba Language Model",
    "2404.14219": "Phi-3 Technical Report: A Highly Capable Language Model Locally on Your Phone",
    "2405.04434": "DeepSeek-V2: A Strong, Economical, and Efficient Mixture-of-Experts Language Model",
    "2405.17976": "Yuan 2.0-M32: Mixture of Experts with Attention Router",
    "2406.06563": "Skywork-MoE: A Deep Dive into Training Techniques for Mixture-of-Experts Language Models",
    "2406.16554": "LLaMA-MoE: Building Mixture-of-Experts from LLaMA with Continual Pre-training",
    "2407.10671": "Qwen2 Technical Report",
    "2409.02060": "OLMoE: Open Mixture-of-Experts Language Models",
    "2409.12136": "GRIN: GRadient-INformed MoE",
    "2411.02265": "Hunyuan-Large: An Open-Source MoE Model with 52 Billion Activated Parameters by Tencent",
    "2412.19437": "DeepSeek-V3 Technical Report",
    "2501.08313": "MiniMax-01: Scaling Foundation Models with Lightning Attention",
    "2505.09388": "Qwen3 Technical Report",
    "2508.06471": "GLM-4.5: Agentic, Reasoning, and Coding (ARC) Foundation Models",
    "2508.10925": "gpt-oss-120b & gpt-oss-20b Model Card",
    "2509.01322": "LongCat-Flash Technical Report",
}

# Newer outside papers that cite the list (invented), so citations reach beyond the list.
OUTSIDE_CITERS = {
    "2511.01234": "ElasticMoE: Serving Sparse Experts under Fluctuating Load",
    "2511.04821": "A Measurement Study of Expert Activation in Production MoE Serving",
    "2511.07390": "RouteCache: Predictive Expert Prefetching for Memory-Bound Inference",
    "2511.11206": "Sparse Experts at the Edge: A Survey of On-Device Mixture-of-Experts",
    "2512.00457": "Token-Level Load Balancing for Expert-Parallel Decoding",
    "2512.03318": "Compressing Routed Experts without Retraining",
    "2512.06602": "Understanding Expert Redundancy in Fine-Grained MoE Language Models",
    "2512.09975": "Heterogeneous Memory Tiers for Trillion-Parameter MoE Inference",
}

# Unresolved bibliography items, as S2 keeps them: a title with a null paperId.
UNRESOLVED = (
    "NVIDIA Collective Communications Library (NCCL)",
    "CUDA C++ Programming Guide",
    "PyTorch: An imperative style, high-performance deep learning library",
    "Personal communication",
)

VENUES = {
    "acl": ("Annual Meeting of the Association for Computational Linguistics", "conference"),
    "emnlp": ("Conference on Empirical Methods in Natural Language Processing", "conference"),
    "neurips": ("Neural Information Processing Systems", "conference"),
    "iclr": ("International Conference on Learning Representations", "conference"),
    "icml": ("International Conference on Machine Learning", "conference"),
    "pmlr": ("International Conference on Machine Learning", "conference"),
    "mlsys": ("Conference on Machine Learning and Systems", "conference"),
    "kdd": ("Knowledge Discovery and Data Mining", "conference"),
    "atc": ("USENIX Annual Technical Conference", "conference"),
    "osdi": ("USENIX Symposium on Operating Systems Design and Implementation", "conference"),
    "asplos": (
        "International Conference on Architectural Support for Programming Languages and Operating Systems",
        "conference",
    ),
    "ppopp": ("ACM SIGPLAN Symposium on Principles & Practice of Parallel Programming", "conference"),
    "sigcomm": (
        "Conference on Applications, Technologies, Architectures, and Protocols for Computer Communication",
        "conference",
    ),
    "sigmod": ("ACM SIGMOD Conference", "conference"),
    "eurosys": ("European Conference on Computer Systems", "conference"),
    "infocom": ("IEEE Conference on Computer Communications", "conference"),
    "tpds": ("IEEE Transactions on Parallel and Distributed Systems", "journal"),
    "tsc": ("IEEE Transactions on Services Computing", "journal"),
    "tmm": ("IEEE transactions on multimedia", "journal"),
    "iccv": ("IEEE International Conference on Computer Vision", "conference"),
    "jmlr": ("Journal of machine learning research", "journal"),
    "sc": ("International Conference for High Performance Computing, Networking, Storage and Analysis", "conference"),
    "dac": ("Design Automation Conference", "conference"),
    "hpca": ("International Symposium on High-Performance Computer Architecture", "conference"),
    "isca": ("International Symposium on Computer Architecture", "conference"),
    "micro": ("Micro", "conference"),
    "isscc": ("IEEE International Solid-State Circuits Conference", "conference"),
    "iccad": ("International Conference on Computer Aided Design", "conference"),
    "socc": ("ACM Symposium on Cloud Computing", "conference"),
    "sensys": ("ACM International Conference on Embedded Networked Sensor Systems", "conference"),
    "interspeech": ("Interspeech", "conference"),
    "ipdps": ("IEEE International Parallel and Distributed Processing Symposium", "conference"),
    "ics": ("International Conference on Supercomputing", "conference"),
    "cluster": ("IEEE International Conference on Cluster Computing", "conference"),
    "electronics": ("Electronics", "journal"),
}
ARXIV_VENUE = {
    "id": "1901e811-ee72-4b20-8f7e-de08cd395a10",
    "name": "arXiv.org",
    "alternate_names": ["ArXiv"],
    "issn": "2331-8422",
    "url": "https://arxiv.org",
}
FIRST_NAMES = (
    "Wei",
    "Yuxin",
    "Ananya",
    "Lukas",
    "Maria",
    "Jiahao",
    "Sofia",
    "Kenji",
    "Omar",
    "Chen",
    "Priya",
    "Tomás",
    "Hannah",
    "Ravi",
    "Mei",
    "Daniel",
    "Zhiyuan",
    "Elena",
)
LAST_NAMES = (
    "Zhang",
    "Liu",
    "Müller",
    "Kumar",
    "Rossi",
    "Tanaka",
    "Haddad",
    "Wang",
    "Novak",
    "Li",
    "Garcia",
    "Chen",
    "Schmidt",
    "Iyer",
    "Kim",
    "Okafor",
    "Zhao",
    "Petrov",
)
RECORD_ORDER = (
    "paperId",
    "externalIds",
    "corpusId",
    "publicationVenue",
    "url",
    "title",
    "abstract",
    "venue",
    "year",
    "referenceCount",
    "citationCount",
    "influentialCitationCount",
    "isOpenAccess",
    "openAccessPdf",
    "fieldsOfStudy",
    "s2FieldsOfStudy",
    "tldr",
    "publicationTypes",
    "publicationDate",
    "journal",
    "citationStyles",
    "authors",
    "citations",
    "references",
)
NESTED_OMIT = ("tldr", "citations", "references")


@dataclass
class Work:
    """One paper as the fixtures know it: its S2 lookup key, where it appeared, and its date."""

    key: str
    title: str
    url: str | None = None
    tag: str = ""
    headings: set[str] = field(default_factory=set)
    listed: bool = True
    titles_seen: set[str] = field(default_factory=set)


def digest(*parts: object) -> int:
    """A stable integer from any parts, so every synthetic value is reproducible."""
    return int(hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest(), 16)


def norm_title(title: str) -> str:
    """Title key used for merging and title match: lowercase letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", title.lower())


def paper_id(key: str) -> str:
    """Deterministic 40-hex paperId of a work."""
    return hashlib.sha1(key.encode()).hexdigest()


def list_paths() -> list[Path]:
    """Every version of the list, oldest first, in the order of its index.tsv."""
    rows = (LIST_DIR / "index.tsv").read_text().splitlines()[1:]
    return [LIST_DIR / row.split("\t")[0] for row in rows if row.strip()]


def latest_list_path() -> Path:
    """The newest version of the list."""
    return list_paths()[-1]


def identify(url: str | None) -> str | None:
    """The S2 lookup key a list link carries, or None when S2 accepts nothing from it."""
    if not url:
        return None
    patterns = (
        (r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", "ARXIV:{}"),
        (r"aclanthology\.org/([^/]+?)(?:\.pdf)?/?$", "ACL:{}"),
        (r"dl\.acm\.org/doi/(?:abs/|pdf/|full/)?(10\.\d+/[^?#]+)", "DOI:{}"),
        (r"mdpi\.com/2079-9292/(\d+)/(\d+)/(\d+)", "DOI:10.3390/electronics{}{}{}"),
        (r"preprints\.org/manuscript/(\d{6}\.\d{4})/(v\d+)", "DOI:10.20944/preprints{}.{}"),
    )
    for pattern, template in patterns:
        match = re.search(pattern, url)
        if match:
            return template.format(*match.groups())
    return None


def parse_list(text: str) -> list[tuple[str, str, str | None, str]]:
    """Entries `[tag] [title](url)` of one list version, each with the heading above it."""
    heads = [(m.start(), m.group(1).strip()) for m in HEADING.finditer(text)]
    starts = [pos for pos, _ in heads]
    entries = []
    for m in ENTRY.finditer(text):
        at = bisect.bisect(starts, m.start()) - 1
        heading = heads[at][1] if at >= 0 else ""
        title = " ".join(m.group(2).split())
        entries.append((m.group(1).strip(), title, m.group(3), heading))
    return entries


@lru_cache(maxsize=1)
def collect_works() -> dict[str, Work]:
    """All papers of all list versions (newest wording first) plus landmarks and outside citers."""
    works: dict[str, Work] = {}
    untitled = []
    for path in reversed(list_paths()):
        for tag, title, url, heading in parse_list(path.read_text()):
            key = identify(url)
            if key is None:
                untitled.append((tag, title, url, heading))
                continue
            work = works.setdefault(key, Work(key, REAL_TITLES.get(key, title), url, tag))
            work.headings.add(heading)
            work.titles_seen.add(title)
    for arxiv, title in LANDMARKS.items():
        key = f"ARXIV:{arxiv}"
        if key in works:
            works[key].title = title
        else:
            works[key] = Work(key, title, f"https://arxiv.org/abs/{arxiv}", listed=False)
    by_title = {norm_title(w.title): w for w in works.values()}
    for tag, title, url, heading in untitled:
        work = by_title.get(norm_title(title)) or best_prefix(by_title, title)
        if work is None:
            work = Work(f"TITLE:{norm_title(title)}", title, url, tag)
            works[work.key] = by_title[norm_title(title)] = work
        work.listed = True
        work.headings.add(heading)
        work.titles_seen.add(title)
        work.url = work.url or url
        work.tag = work.tag or tag
    for arxiv, title in OUTSIDE_CITERS.items():
        works[f"ARXIV:{arxiv}"] = Work(f"ARXIV:{arxiv}", title, None, listed=False)
    return works


def best_prefix(by_title: dict[str, Work], title: str) -> Work | None:
    """The work whose title a truncated list title starts (e.g. '... From Sparse to Dens')."""
    key = norm_title(title)
    hits = [w for t, w in by_title.items() if len(key) >= 20 and t.startswith(key)]
    return hits[0] if len(hits) == 1 else None


def is_unknown(work: Work) -> bool:
    """Works S2 deliberately does not have, so the product must report them unresolved."""
    return work.key.startswith("TITLE:") and any(h in (work.url or "") for h in UNKNOWN_HOSTS)


def work_date(work: Work) -> tuple[int, int, int]:
    """(year, month, day) from the arXiv id's yymm, else from the list tag or ACL id."""
    day = 1 + digest(work.key, "day") % 28
    if work.key.startswith("ARXIV:"):
        yymm = work.key.split(":")[1][:4]
        return 2000 + int(yymm[:2]), int(yymm[2:]), day
    match = TAG_DATE.search(work.tag)
    if match:
        year = int(match.group(1))
        year = year + 2000 if year < 100 else year
        month = int(match.group(2) or 1 + digest(work.key, "month") % 12)
        return year, month, day
    acl_year = re.match(r"ACL:(\d{4})", work.key)
    return int(acl_year.group(1)) if acl_year else 2024, 1 + digest(work.key, "month") % 12, day


def venue_of(work: Work) -> tuple[str, dict | None]:
    """Venue string and publicationVenue object, from the list tag's prefix."""
    prefix = re.match(r"[A-Za-z]*", work.tag).group(0).lower()
    if prefix in VENUES:
        name, kind = VENUES[prefix]
        return name, {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
            "name": name,
            "type": kind,
            "alternate_names": [work.tag.split("'")[0].split("’")[0].strip()],
        }
    if work.key.startswith("ARXIV:"):
        return "arXiv.org", ARXIV_VENUE
    return "", None


def external_ids(work: Work, corpus_id: int) -> dict:
    """externalIds as S2 spells them for this kind of work."""
    kind, _, value = work.key.partition(":")
    ids: dict[str, object] = {}
    if kind == "ARXIV":
        ids["DBLP"] = f"journals/corr/abs-{value.replace('.', '-')}"
        ids["ArXiv"] = value
        if digest(work.key, "doi") % 2:
            ids["DOI"] = f"10.48550/arXiv.{value}"
    elif kind == "ACL":
        ids["DBLP"] = f"conf/acl/{LAST_NAMES[digest(work.key) % len(LAST_NAMES)]}{value[2:4]}"
        ids["ACL"] = value
        ids["DOI"] = f"10.18653/V1/{value.upper()}"
    elif kind == "DOI":
        ids["DOI"] = value
    elif "ieee.org" in (work.url or ""):
        ids["DOI"] = f"10.1109/{re.match(r'[A-Za-z]*', work.tag).group(0).upper()}.{digest(work.key) % 10**8}"
    ids["CorpusId"] = corpus_id
    return ids


def authors_of(work: Work) -> list[dict]:
    """Deterministic fake authors with stable authorIds."""
    count = 2 + digest(work.key, "n") % 7
    people = []
    for i in range(count):
        h = digest(work.key, "author", i)
        name = f"{FIRST_NAMES[h % len(FIRST_NAMES)]} {LAST_NAMES[(h // 97) % len(LAST_NAMES)]}"
        people.append({"authorId": str(1_000_000 + h % 2_300_000_000), "name": name})
    return people


def open_access(work: Work) -> dict | None:
    """openAccessPdf where an open copy exists (arXiv, ACL Anthology)."""
    kind, _, value = work.key.partition(":")
    if kind == "ARXIV":
        return {"url": f"https://arxiv.org/pdf/{value}", "status": "GREEN"}
    if kind == "ACL":
        return {"url": f"https://aclanthology.org/{value}.pdf", "status": "HYBRID"}
    return None


def base_record(work: Work) -> dict:
    """Every top-level field of a synthetic record except its citation lists."""
    pid = paper_id(work.key)
    corpus_id = 200_000_000 + digest(work.key, "corpus") % 80_000_000
    year, month, day = work_date(work)
    venue, publication_venue = venue_of(work)
    authors = authors_of(work)
    short = work.title.split(":")[0]
    topic = work.title[len(short) :].strip(": ") or "efficient inference"
    abstract = (
        f"Mixture-of-Experts (MoE) models scale capacity without scaling compute, but serving "
        f"them is costly. We present {short}, addressing {topic}. "
        f"Experiments show up to {2 + digest(work.key, 'x') % 7}x lower latency at equal quality."
    )
    pdf = open_access(work)
    kinds = ["JournalArticle"]
    if publication_venue and publication_venue.get("type") == "conference":
        kinds.append("Conference")
    if re.search(r"\b(survey|review)\b", work.title, re.I):
        kinds.append("Review")
    last = authors[0]["name"].split()[-1]
    words = re.findall(r"[A-Za-z]+", work.title)
    names = " and ".join(a["name"] for a in authors)
    bib_key = f"{last}{year}{''.join(w[:1].upper() + w[1:2].lower() for w in words[:2])}"
    return {
        "paperId": pid,
        "externalIds": external_ids(work, corpus_id),
        "corpusId": corpus_id,
        "publicationVenue": publication_venue,
        "url": f"https://www.semanticscholar.org/paper/{pid}",
        "title": work.title,
        "abstract": None if digest(work.key, "abstract") % 12 == 0 else abstract,
        "venue": venue,
        "year": year,
        "referenceCount": 0,
        "citationCount": 0,
        "influentialCitationCount": 0,
        "isOpenAccess": pdf is not None,
        "openAccessPdf": pdf,
        "fieldsOfStudy": ["Computer Science"],
        "s2FieldsOfStudy": [
            {"category": "Computer Science", "source": "external"},
            {"category": "Computer Science", "source": "s2-fos-model"},
        ],
        "tldr": None
        if digest(work.key, "tldr") % 10 == 0
        else {"model": "tldr@v2.0.0", "text": f"{short} makes mixture-of-experts inference cheaper."},
        "publicationTypes": kinds,
        "publicationDate": f"{year}-{month:02d}-{day:02d}",
        "journal": {"name": "ArXiv", "volume": f"abs/{work.key[6:]}"}
        if work.key.startswith("ARXIV:")
        else ({"name": venue} if venue else None),
        "citationStyles": {
            "bibtex": f"@Article{{{bib_key},\n author = {{{names}}},\n title = {{{work.title}}},\n"
            f" year = {{{year}}}\n}}\n"
        },
        "authors": authors,
    }


def cites(citing: Work, cited: Work, dates: dict[str, tuple]) -> bool:
    """Whether `citing` references the older `cited`: list papers under one heading cite each other more."""
    if dates[cited.key][:2] >= dates[citing.key][:2]:
        return False
    if not cited.listed:
        chance = 0.15 if not citing.listed else 0.3
    elif not citing.listed:
        chance = 0.12 if citing.key[6:] in OUTSIDE_CITERS else 0.04
    else:
        chance = 0.3 if citing.headings & cited.headings else 0.06
    return digest(citing.key, ">", cited.key) % 1000 < chance * 1000


def unresolved_reference(work: Work) -> dict:
    """A bibliography item S2 could not link: every field null except title, venue and year."""
    title = UNRESOLVED[digest(work.key, "unresolved") % len(UNRESOLVED)]
    item = {name: None for name in RECORD_ORDER if name not in NESTED_OMIT}
    item.update(title=title, venue=title, year=2019)
    return item


def synthetic_records() -> list[dict]:
    """Records for every list paper, landmark and outside citer, with mirrored citation lists."""
    works = [w for w in collect_works().values() if not is_unknown(w)]
    dates = {w.key: work_date(w) for w in works}
    newest_first = sorted(works, key=lambda w: (dates[w.key], w.key), reverse=True)
    refs: dict[str, list[str]] = {w.key: [] for w in works}
    citers: dict[str, list[str]] = {w.key: [] for w in works}
    for citing in newest_first:
        for cited in newest_first:
            if cites(citing, cited, dates):
                refs[citing.key].append(cited.key)
                citers[cited.key].append(citing.key)
    unresolved = {
        w.key: [unresolved_reference(w)] if w.listed and digest(w.key, "has-unresolved") % 3 == 0 else [] for w in works
    }
    records = {w.key: base_record(w) for w in works}
    for key, rec in records.items():
        rec["referenceCount"] = len(refs[key]) + len(unresolved[key])
        rec["citationCount"] = len(citers[key])
        rec["influentialCitationCount"] = len(citers[key]) // 7
    nested = {key: {k: v for k, v in rec.items() if k not in NESTED_OMIT} for key, rec in records.items()}
    for key, rec in records.items():
        rec["citations"] = [nested[k] for k in citers[key]]
        rec["references"] = [nested[k] for k in refs[key]] + unresolved[key]
    return [{name: rec[name] for name in RECORD_ORDER} for rec in records.values()]


def load_yaml(path: Path):
    """Parse a YAML file with the fastest safe loader available."""
    return yaml.load(path.read_text(), Loader=YAML_LOADER)


def sample(name: str) -> dict:
    """One recorded sample from samples/, e.g. "PaperWithNullValues" (not served by default: it
    shares its paperId with Paper.json)."""
    return json.loads((S2_DATA / "samples" / f"{name}.json").read_text())


def cassette_interactions(name: str) -> list[dict]:
    """Recorded request/response pairs of one cassette, with the body as text and the status code."""
    data = load_yaml(S2_DATA / "cassettes" / f"{name}.yaml")
    out = []
    for item in data["interactions"]:
        response = item["response"]
        body = response["body"]["string"] if "body" in response else response["content"]
        status = response["status"]["code"] if "status" in response else response["status_code"]
        out.append(
            {
                "method": item["request"]["method"],
                "uri": item["request"]["uri"],
                "body": item["request"]["body"],
                "status": status,
                "text": body,
            }
        )
    return out


def real_records() -> list[dict]:
    """The recorded S2 records, served as they are (a reference page from a cassette attached)."""
    paper, cited, citing = sample("Paper"), sample("Reference")["citedPaper"], sample("Citation")["citingPaper"]
    batch = json.loads(cassette_interactions("get_papers_not_found_warning")[0]["text"])
    match = json.loads(cassette_interactions("search_paper_match_title")[0]["text"])["data"][0]
    match.pop("matchScore")
    records = [paper, cited, citing, match] + [rec for rec in batch if rec]
    pages = [json.loads(i["text"]) for i in cassette_interactions("get_paper_references")]
    microfinance = next(rec for rec in batch if rec and rec["externalIds"].get("DOI") == "10.2139/ssrn.2250500")
    microfinance["references"] = [row["citedPaper"] for page in pages for row in page["data"]]
    return records


@lru_cache(maxsize=1)
def _cached_records() -> str:
    """The built records as JSON, built once per test session."""
    return json.dumps(real_records() + synthetic_records())


def build_records() -> list[dict]:
    """All records the test server serves: real samples first, then the synthetic ones (a fresh copy)."""
    return json.loads(_cached_records())


@lru_cache(maxsize=1)
def works_by_title() -> dict[str, Work]:
    """Every work under each title the lists ever gave it, plus its record title."""
    return {norm_title(t): w for w in collect_works().values() for t in sorted(w.titles_seen | {w.title})}


def list_entries(path: Path | None = None) -> list[dict]:
    """Entries of one list version (default: the latest), each with the key and status a build should reach."""
    works, by_title = collect_works(), works_by_title()
    out = []
    for tag, title, url, heading in parse_list((path or latest_list_path()).read_text()):
        key = identify(url)
        work = works[key] if key else by_title[norm_title(title)]
        status = "unknown" if is_unknown(work) else ("id" if key else "title")
        out.append(
            {
                "tag": tag,
                "title": title,
                "url": url,
                "heading": heading,
                "key": work.key,
                "paperId": None if status == "unknown" else paper_id(work.key),
                "status": status,
            }
        )
    return out
