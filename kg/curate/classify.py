"""Which heading of the list a paper belongs under, from its citation neighbours and its words.

Methods (each gives every heading a score; the top three are shown as shares of 1):
- `vote`: listed papers linked to the paper vote for their headings. A direct citation
  (either way) counts 1; a listed paper that shares a cited or citing work X with it
  counts 1/deg(X), so a landmark that everybody cites says little.
- `spreading`: label spreading (Zhou et al. 2004) over the whole citation graph, outside
  works included, for two steps: S Y + a S^2 Y, with S the symmetrically normalised
  adjacency, Y the listed papers' headings and a = 0.2 (a third step would weigh 0.04).
  The paper's own label, which two steps bring back to it, is taken out exactly.
- `terms`: TF-IDF cosine between the paper's title, abstract and TL;DR and each
  heading's profile (its label plus the texts of the papers under it).
- `combined`: a conditional logit (softmax over headings) of eight features per heading,
  each computed without the paper's own headings: the three scores above; `links`, the
  log-likelihood of the paper's direct citations to and from the heading's papers under a
  two-rate block model (a listed pair under one heading is linked with rate p_in, else
  p_out; both rates counted on the build); `link share`, those links over the heading's
  size; `coupling`, the neighbours the paper shares with the heading's papers (co-citation
  and bibliographic coupling, cosine-normalised) over its size; `venue`, the share of the
  heading's papers at the paper's venue; `size`, log of the heading's size. The weights are
  learned on the build itself (penalised maximum likelihood over its listed papers, pulled
  towards DEFAULT_WEIGHTS, learned on the latest version of the MoE list, so a short list
  keeps sensible weights). A paper with no citation link to the list is still answered
  from its words and venue, and says so; with no words either: "not enough evidence".
A listed paper is always classified as if it were not listed: its own headings and its
own words are left out of every feature (which is also how leave-one-out measures it), and
leave-one-out learns the weights it uses on the other folds only (bench/classify.py).
"""

from __future__ import annotations

import math
import re
import weakref
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from kg.curate.facts import Facts, topic_text
from kg.curate.lint import is_preprint
from kg.graphmap import ID_PROPERTIES
from kg.model import Work

METHODS = ("vote", "spreading", "terms", "combined")
BASELINE = "largest headings"
FEATURES = ("vote", "spreading", "terms", "links", "link share", "coupling", "venue", "size")
# Weights on standardised features, learned on the latest MoE list (bench/classify.py prints them).
DEFAULT_WEIGHTS = {
    "vote": -0.07,
    "spreading": 0.60,
    "terms": 0.54,
    "links": 0.35,
    "link share": 0.54,
    "coupling": -0.06,
    "venue": -0.93,
    "size": 0.07,
}
PULL = 0.01  # L2 pull of the learned weights towards DEFAULT_WEIGHTS
FOLDS = 10  # leave-one-out learns the combined weights without the paper's fold
SPREADING_ALPHA = 0.2
TOP = 3
NOT_ENOUGH = "not enough evidence"
WORDS_ONLY = "no citation link to a listed paper: from its words and venue only"
TOKEN = re.compile(r"[a-z][a-z0-9]+")
STOPWORDS = frozenset(
    """a an and are as at be by can for from has have in into is it its of on or our over that the
their this to towards toward via we with without using based new show shows up than these which while""".split()
)


@dataclass
class Candidate:
    heading: str
    path: str
    score: float
    evidence: list[str] = field(default_factory=list)


@dataclass
class Classification:
    """The top headings for one paper, or none with the reason."""

    work: Work
    method: str
    candidates: list[Candidate]
    reason: str = ""

    @property
    def decided(self) -> bool:
        return bool(self.candidates)


@dataclass
class Accuracy:
    """Leave-one-out figures of one method over the listed papers."""

    method: str
    papers: int
    answered: int
    top1: int
    top3: int

    def share(self, count: int) -> float:
        return count / self.papers if self.papers else 0.0


def tokens(text: str) -> list[str]:
    return [t for t in TOKEN.findall(text.casefold()) if t not in STOPWORDS]


def shares(scores: dict[str, float]) -> dict[str, float]:
    """Scores scaled to sum to 1 (empty when there is no positive score)."""
    total = sum(s for s in scores.values() if s > 0)
    return {h: s / total for h, s in scores.items() if s > 0} if total > 0 else {}


# What the terms method learns once: idf per term, a unit vector per listed paper, per heading its profile
# and the profile's squared norm, and per term the profiles holding it and its weight in each (two arrays).
TermsModel = tuple[dict[str, float], dict[str, dict[str, float]], dict[str, Counter], dict[str, float], dict[str, Any]]
NO_LABELS: Mapping[str, float] = MappingProxyType({})


class CitationArrays(NamedTuple):
    """The undirected citation graph as arrays, built once per classifier (see `citation_arrays`)."""

    nodes: dict[str, int]  # node of each work with a citation link, in IRI order
    pairs: Any  # (citing node, cited node) of each citation
    adjacency: Any  # A: sparse, 1 per linked pair both ways, each row's neighbours in node order
    labels: Any  # Y: the listed papers' label shares, node x heading
    around: Any  # A Y
    coupled: Any  # A A D^-1/2 Y


class Classifier:
    """Scores headings for any work of a Facts; heavy parts (matrix, TF-IDF) are built once."""

    def __init__(
        self,
        facts: Facts,
        alpha: float = SPREADING_ALPHA,
        weights: dict[str, float] | None = None,
        start: dict[str, float] = DEFAULT_WEIGHTS,
    ):
        self.facts = facts
        self.alpha = alpha
        self.listed = {w.iri: w for w in facts.listed}
        self.by_heading: dict[str, set[str]] = defaultdict(set)
        for work in self.listed.values():
            for heading in work.headings:
                self.by_heading[heading].add(work.iri)
        self.heads = sorted(self.by_heading)
        self.label_shares = {
            iri: {h: 1.0 / len(w.headings) for h in w.headings} for iri, w in self.listed.items() if w.headings
        }
        self.model = CombinedModel(self, weights, start)
        self._citations: CitationArrays | None = None
        self._spreading = None
        self._terms: TermsModel | None = None
        self._rates: tuple[float, float] | None = None
        self._venues: dict[str, Counter] | None = None
        self._scores: dict[tuple[str, str], dict[str, float]] = {}
        self._by_title: dict[str, list[str]] = {}  # a work's neighbours by title, for vote_evidence

    # --- citation vote -------------------------------------------------------------------
    def vote(self, iri: str) -> dict[str, float]:
        """Direct listed neighbours count 1, those sharing a neighbour X count 1/deg(X)."""
        import numpy as np

        index, _, adjacency, labels, around, _ = self.citation_arrays()
        if iri not in index:
            return {}
        row = index[iri]
        near = adjacency.indices[adjacency.indptr[row] : adjacency.indptr[row + 1]]
        if not len(near):
            return {}
        # per neighbour in order, its labels then its shared-neighbour term: a running sum down the rows adds
        # them in the order a loop over the neighbours did, so the sums are the same to the last bit
        terms = np.empty((2 * len(near), len(self.heads)))
        terms[0::2] = labels[near]
        degree = adjacency.indptr[near + 1] - adjacency.indptr[near]
        terms[1::2] = (1.0 / degree)[:, None] * (around[near] - labels[row])
        scores = np.cumsum(terms, axis=0)[-1]
        return {self.heads[k]: float(s) for k, s in enumerate(scores) if s > 1e-12}

    def vote_evidence(self, iri: str, heading: str) -> list[str]:
        """The listed papers under `heading` that the paper cites or is cited by."""
        if iri not in self._by_title:  # asked again for each of the paper's top headings
            self._by_title[iri] = sorted(self.facts.neighbours.get(iri, ()), key=lambda n: self.facts.works[n].title)
        found = []
        for near in self._by_title[iri]:
            if heading in self.label_share(near):
                relation = "cites" if (iri, near) in self.facts.cites else "cited by"
                found.append(f"{relation} {self.listed[near].title}")
        return found

    def label_share(self, iri: str) -> Mapping[str, float]:
        """A listed paper's headings, 1/n each; nothing for any other work."""
        return self.label_shares.get(iri, NO_LABELS)

    def citation_arrays(self) -> CitationArrays:
        """The node index, adjacency A, label shares Y, A Y and A A D^-1/2 Y of the citation graph, once.

        Nodes are in IRI order and each row of A lists its neighbours in that order, so every sum below
        adds a work's neighbours in the same order every run. Per work, A Y sums its neighbours' label
        shares, and A A D^-1/2 Y sums over its neighbours X the label shares / sqrt(degree) of the works
        linked to X: co-citation and coupling without walking every pair."""
        import numpy as np
        from scipy import sparse

        if self._citations is None:
            nodes = sorted(n for n, near in self.facts.neighbours.items() if near)
            index = {n: k for k, n in enumerate(nodes)}
            ends = ([a for a, _ in self.facts.pairs], [b for _, b in self.facts.pairs])
            pairs = np.stack([np.fromiter(map(index.__getitem__, side), np.int64, len(side)) for side in ends], 1)
            width = max(len(nodes), 1)  # a pair (a, b) as the number a * width + b: sorted, unique, both ways
            keys = np.sort(np.concatenate([pairs[:, 0] * width + pairs[:, 1], pairs[:, 1] * width + pairs[:, 0]]))
            keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys
            rows, cols = np.divmod(keys, width)
            degree = np.bincount(rows, minlength=len(nodes))
            adjacency = sparse.csr_matrix(
                (np.ones(len(keys)), cols, np.concatenate([[0], np.cumsum(degree)])), shape=(len(nodes), len(nodes))
            )
            column = {h: k for k, h in enumerate(self.heads)}
            labels = np.zeros((len(nodes), len(self.heads)))
            for iri, shares in self.label_shares.items():
                if iri in index:
                    for heading, share in shares.items():
                        labels[index[iri], column[heading]] = share
            around = adjacency @ labels
            coupled = adjacency @ (adjacency @ (labels / np.sqrt(np.maximum(degree, 1))[:, None]))
            self._citations = CitationArrays(index, pairs, adjacency, labels, around, coupled)
        return self._citations

    # --- label spreading -----------------------------------------------------------------
    def spreading(self, iri: str) -> dict[str, float]:
        """(S Y + a S^2 Y)[paper], without the paper's own label coming back to it."""
        index, heads, one, two, returns, labels = self.spreading_model()
        if iri not in index:
            return {}
        row = index[iri]
        spread = one[row] + self.alpha * (two[row] - returns[row] * labels[row])
        return {heads[k]: float(v) for k, v in enumerate(spread) if v > 1e-12}

    def spreading_model(self):
        """(node index, heading order, S Y, S^2 Y, diag S^2, Y) over the undirected citation graph, once.

        Sparse throughout (edge arrays and bincount), so it grows with the number of citations."""
        import numpy as np

        if self._spreading is None:
            from scipy import sparse

            index, _, adjacency, labels, _, _ = self.citation_arrays()
            nodes = adjacency.shape[0]
            degree = np.diff(adjacency.indptr).astype(float)
            rows, cols = np.repeat(np.arange(nodes), np.diff(adjacency.indptr)), adjacency.indices
            weight = 1.0 / np.sqrt(degree[rows] * degree[cols]) if len(cols) else np.zeros(0)
            normalised = sparse.csr_matrix((weight, cols, adjacency.indptr), shape=adjacency.shape)  # S
            one = normalised @ labels
            returns = np.bincount(rows, weights=weight**2, minlength=nodes)
            self._spreading = (index, self.heads, one, normalised @ one, returns, labels)
        return self._spreading

    # --- title and abstract terms --------------------------------------------------------
    def terms(self, work: Work) -> dict[str, float]:
        """Cosine between the paper's TF-IDF vector and each heading profile (paper left out)."""
        import numpy as np

        idf, vectors, profiles, norms, postings = self.terms_model()
        mine = vectors.get(work.iri) or self.vector(topic_text(work), idf)
        if not mine:
            return {}
        dots = np.zeros(len(profiles))
        for term, weight in mine.items():  # the paper's terms in order: each dot adds them as it always did
            if term in postings:
                columns, values = postings[term]
                dots[columns] += weight * values
        scores = {}
        for column, heading in enumerate(profiles):
            members = self.by_heading.get(heading, ())
            if len(members) == (work.iri in members):  # no paper under it but this one
                continue
            dot = float(dots[column])
            norm2 = norms[heading]
            if work.iri in self.by_heading[heading]:  # the profile without this paper's unit vector
                dot, norm2 = dot - 1.0, norm2 - 2.0 * dot + 1.0
            if dot > 1e-12 and norm2 > 1e-12:
                scores[heading] = dot / math.sqrt(norm2)
        return scores

    def terms_evidence(self, work: Work, heading: str) -> list[str]:
        """The paper's three terms that weigh most in the heading's profile (paper left out)."""
        idf, vectors, profiles, _, _ = self.terms_model()
        mine = vectors.get(work.iri) or self.vector(topic_text(work), idf)
        own = mine if work.iri in self.by_heading.get(heading, ()) else {}
        weight = {t: mine[t] * (profiles[heading].get(t, 0.0) - own.get(t, 0.0)) for t in mine}
        shared = [t for t in sorted(weight, key=lambda t: (-weight[t], t)) if weight[t] > 1e-12][:3]
        return [f"shares the terms {', '.join(shared)}"] if shared else []

    def terms_model(self) -> TermsModel:
        """(idf, unit vector per listed paper, profile and its squared norm per heading, the profiles
        holding each term: their positions in `profiles` and the term's weight in each, as arrays), once."""
        import numpy as np

        if self._terms is None:
            documents = {iri: tokens(topic_text(w)) for iri, w in self.listed.items()}
            frequency = Counter(t for words in documents.values() for t in set(words))
            total = len(documents)
            idf = {t: math.log((1 + total) / (1 + df)) + 1 for t, df in frequency.items()}
            vectors = {iri: self.token_vector(words, idf) for iri, words in documents.items()}
            profiles: dict[str, Counter] = {}
            for heading in self.facts.headings:
                profile = Counter(self.vector(self.facts.headings[heading].label, idf))
                for iri in sorted(self.by_heading.get(heading, ())):
                    profile.update(vectors[iri])
                profiles[heading] = profile
            norms: dict[str, float] = {h: sum(v * v for v in profile.values()) for h, profile in profiles.items()}
            found: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
            for column, profile in enumerate(profiles.values()):
                for term, value in profile.items():
                    found[term][0].append(column)
                    found[term][1].append(value)
            postings = {term: (np.array(columns), np.array(values)) for term, (columns, values) in found.items()}
            self._terms = (idf, vectors, profiles, norms, postings)
        return self._terms

    @classmethod
    def vector(cls, text: str, idf: dict[str, float]) -> dict[str, float]:
        return cls.token_vector(tokens(text), idf)

    @staticmethod
    def token_vector(words: list[str], idf: dict[str, float]) -> dict[str, float]:
        counts = Counter(t for t in words if t in idf)
        weights = {t: (1 + math.log(n)) * idf[t] for t, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {t: w / norm for t, w in weights.items()} if norm else {}

    # --- the public face -----------------------------------------------------------------
    def scores(self, work: Work, method: str) -> dict[str, float]:
        """Shares per heading for one method (memoised: combined and reports reuse them)."""
        if (work.iri, method) not in self._scores:
            self._scores[work.iri, method] = self.compute(work, method)
        return self._scores[work.iri, method]

    def compute(self, work: Work, method: str) -> dict[str, float]:
        if method == "vote":
            return shares(self.vote(work.iri))
        if method == "spreading":
            return shares(self.spreading(work.iri))
        if method == "terms":
            return shares(self.terms(work))
        if method == "combined":
            if not self.scores(work, "vote") and not self.scores(work, "terms"):
                return {}
            return self.model.shares(work)
        raise ValueError(f"unknown method {method!r}: expected one of {', '.join(METHODS)}")

    def evidence(self, work: Work, heading: str, method: str) -> list[str]:
        citations = self.vote_evidence(work.iri, heading) if method in ("vote", "spreading", "combined") else []
        venue = self.venue_evidence(work, heading) if method == "combined" else []
        return citations + (self.terms_evidence(work, heading) if method in ("terms", "combined") else []) + venue

    def venue_evidence(self, work: Work, heading: str) -> list[str]:
        """Papers under the heading at the same venue, named only where the learned weight makes that count for it."""
        if self.model.learned()["venue"] <= 0 or is_preprint(work.published_venue):
            return []
        same = self.venue_counts().get(work.published_venue or "", Counter())[heading] - (heading in work.headings)
        return [f"{same} of its papers appeared at {work.published_venue}"] if same > 0 else []

    # --- the combined model's features -----------------------------------------------------
    def features(self, work: Work):
        """The (feature x heading) matrix of one paper, none of it from the paper's own headings."""
        import numpy as np

        own = self.label_share(work.iri)
        size = np.array([len(self.by_heading[h]) - own.get(h, 0.0) for h in self.heads])
        index = {h: k for k, h in enumerate(self.heads)}
        nodes, _, _, _, around, coupled = self.citation_arrays()
        row = nodes.get(work.iri)
        links = around[row].copy() if row is not None else np.zeros(len(self.heads))
        coupling = coupled[row].copy() if row is not None else np.zeros(len(self.heads))
        near = self.facts.neighbours.get(work.iri, ())
        if near:  # the paper's own label came back through each middle work: take it out, then normalise
            for heading, share in own.items():
                coupling[index[heading]] -= len(near) * share / math.sqrt(len(near))
            coupling /= math.sqrt(len(near))
        p_in, p_out = self.link_rates()
        published = work.published_venue
        venue = self.venue_counts().get(published or "", Counter()) if not is_preprint(published) else Counter()
        rows = {
            "links": links * math.log(p_in / p_out) + (size - links) * math.log((1 - p_in) / (1 - p_out)),
            "link share": links / (size + 1),
            "coupling": coupling / (size + 1),
            "venue": np.array([venue[h] - (h in work.headings) for h in self.heads]) / (size + 1),
            "size": np.log(size + 0.5),
        }
        for name in ("vote", "spreading", "terms"):
            scores = self.scores(work, name)
            rows[name] = np.array([scores.get(h, 0.0) for h in self.heads])
        return np.array([rows[name] for name in FEATURES])

    def link_rates(self) -> tuple[float, float]:
        """(p_in, p_out): how often two listed papers are linked under one heading, and across two."""
        if self._rates is None:
            import numpy as np

            labelled = [w for w in self.listed.values() if w.headings]
            index, pairs, _, labels, _, _ = self.citation_arrays()
            listed = np.zeros(len(index), dtype=bool)
            listed[[k for iri, k in index.items() if iri in self.listed]] = True
            among = listed[pairs[:, 0]] & listed[pairs[:, 1]]  # citations between two listed papers
            filed = labels > 0
            shared = (filed[pairs[:, 0]] & filed[pairs[:, 1]]).any(axis=1)  # under a common heading
            linked_in, linked = int((among & shared).sum()), int(among.sum())
            pairs = len(labelled) * (len(labelled) - 1) / 2
            pairs_in = sum(len(m) * (len(m) - 1) / 2 for m in self.by_heading.values())
            p_in = (linked_in + 1) / (pairs_in + 2)
            p_out = (linked - linked_in + 1) / (max(pairs - pairs_in, 0) + 2)
            self._rates = (min(p_in, 0.99), min(p_out, 0.99))
        return self._rates

    def venue_counts(self) -> dict[str, Counter]:
        """Per venue, how many listed papers under each heading appeared there."""
        if self._venues is None:
            self._venues = defaultdict(Counter)
            for work in self.listed.values():
                if work.published_venue:
                    self._venues[work.published_venue].update(work.headings)
        return self._venues

    def ranked(self, work: Work, method: str) -> list[str]:
        """The top headings, best first (ties by path)."""
        scores = self.scores(work, method)
        return sorted(scores, key=lambda h: (-scores[h], self.facts.path(h)))[:TOP]

    def classify(self, work: Work, method: str = "combined") -> Classification:
        scores = self.scores(work, method)
        candidates = [
            Candidate(h, self.facts.path(h), round(scores[h], 3), self.evidence(work, h, method))
            for h in self.ranked(work, method)
        ]
        if candidates:
            words_only = method == "combined" and not self.scores(work, "vote")
            return Classification(work, method, candidates, WORDS_ONLY if words_only else "")
        reason = (
            f"{NOT_ENOUGH}: no citation link to a listed paper"
            if method != "terms"
            else f"{NOT_ENOUGH}: no title or abstract terms the list uses"
        )
        return Classification(work, method, [], reason)

    def largest_headings(self, work: Work) -> list[str]:
        """The baseline: the headings holding the most other listed papers."""
        sizes = {h: len(members) - (work.iri in members) for h, members in self.by_heading.items()}
        return sorted((h for h in sizes if sizes[h]), key=lambda h: (-sizes[h], self.facts.path(h)))[:TOP]


class CombinedModel:
    """The combined method's softmax over headings: features standardised, weights learned once."""

    STEPS = 30  # Newton steps (eight weights: it converges in about ten)
    TRAINED_ON = 1000  # papers the weights are learned on, at most (evenly spread over the list)

    def __init__(
        self, classifier: Classifier, weights: dict[str, float] | None = None, start: dict[str, float] = DEFAULT_WEIGHTS
    ):
        # A proxy, not a reference: no cycle, so a classifier and its facts go as soon as they are unused,
        # also while a build pauses the cyclic collector (kg.listparse.collector_paused)
        self.classifier = weakref.proxy(classifier)
        self.fixed = weights
        self.start = start
        self._features: dict[str, object] = {}
        self._scale = None
        self._weights = None
        self._training = None

    def features(self, work: Work):
        if work.iri not in self._features:
            self._features[work.iri] = self.classifier.features(work)
        return self._features[work.iri]

    def training(self) -> list[Work]:
        return measured_papers(self.classifier.facts, self.TRAINED_ON)

    def scale(self):
        """(mean, deviation) of each feature over the training papers' headings (no labels used)."""
        import numpy as np

        if self._scale is None:
            papers = self.training()
            stacked = np.concatenate([self.features(w) for w in papers], axis=1) if papers else np.zeros((1, 1))
            deviation = stacked.std(axis=1)
            self._scale = (stacked.mean(axis=1), np.where(deviation > 1e-12, deviation, 1.0))
        return self._scale

    def standardised(self, work: Work):
        mean, deviation = self.scale()
        return (self.features(work) - mean[:, None]) / deviation[:, None]

    def training_arrays(self):
        """(row of each training paper, standardised features P x d x H, label shares P x H), once."""
        import numpy as np

        if self._training is None:
            papers = self.training()
            column = {h: k for k, h in enumerate(self.classifier.heads)}
            target = np.zeros((len(papers), len(self.classifier.heads)))
            for row, work in enumerate(papers):
                for heading in work.headings:
                    target[row, column[heading]] = 1.0 / len(work.headings)
            x = np.array([self.standardised(w) for w in papers]) if papers else np.zeros((0, len(FEATURES), 1))
            self._training = ({w.iri: k for k, w in enumerate(papers)}, x, target)
        return self._training

    def fit(self, papers: list[Work]):
        """Penalised maximum likelihood of the papers' headings (Newton's method: the log-likelihood
        is concave), pulled towards the start weights."""
        import numpy as np

        start = np.array([self.start[name] for name in FEATURES])
        if len(papers) < 2 * len(FEATURES) or len(self.classifier.heads) < 2:
            return start
        row, x_all, target_all = self.training_arrays()
        rows = [row[w.iri] for w in papers]
        x, target = x_all[rows], target_all[rows]

        def objective(w) -> float:
            scores = np.einsum("d,pdh->ph", w, x)
            top = scores.max(axis=1, keepdims=True)
            log_probability = scores - top - np.log(np.exp(scores - top).sum(axis=1, keepdims=True))
            return float((target * log_probability).sum() / len(rows) - PULL / 2 * ((w - start) ** 2).sum())

        observed = np.einsum("pdh,ph->d", x, target)
        weights, value = start.copy(), objective(start)
        for _ in range(self.STEPS):
            probability = softmax(np.einsum("d,pdh->ph", weights, x))
            expected = np.einsum("pdh,ph->pd", x, probability)
            gradient = (observed - expected.sum(axis=0)) / len(rows) - PULL * (weights - start)
            # sum over p, h of x[p,d,h] x[p,e,h] probability[p,h], as one matrix product
            second = np.tensordot(x * probability[:, None, :], x, axes=([0, 2], [0, 2]))
            curvature = (second - expected.T @ expected) / len(rows)
            step = np.linalg.solve(curvature + PULL * np.eye(len(FEATURES)), gradient)
            while (reached := objective(weights + step)) < value and np.abs(step).max() > 1e-10:
                step /= 2  # damped: never a step that lowers the likelihood
            weights, value = weights + step, reached
            if np.abs(step).max() < 1e-8:
                break
        return weights

    def weights(self):
        import numpy as np

        if self._weights is None:
            self._weights = (
                np.array([self.fixed[name] for name in FEATURES]) if self.fixed else self.fit(self.training())
            )
        return self._weights

    def shares(self, work: Work, weights=None) -> dict[str, float]:
        chosen = self.weights() if weights is None else weights
        probability = softmax(chosen @ self.standardised(work))
        return {h: float(p) for h, p in zip(self.classifier.heads, probability, strict=True) if p > 1e-6}

    def learned(self) -> dict[str, float]:
        return {name: round(float(w), 3) for name, w in zip(FEATURES, self.weights(), strict=True)}


def softmax(scores):
    import numpy as np

    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def leave_one_out(classifier: Classifier, most: int | None = None) -> list[Accuracy]:
    """Hide each listed paper's headings in turn, predict them, count hits per method.

    `most` bounds the work on big lists: that many papers, evenly spread over the list."""
    papers = measured_papers(classifier.facts, most)
    figures = []
    held_out = cross_fitted(classifier, papers)
    for method in METHODS:
        answered = top1 = top3 = 0
        for work in papers:
            ranked = held_out[work.iri] if method == "combined" else classifier.ranked(work, method)
            answered += bool(ranked)
            top1 += bool(ranked) and ranked[0] in work.headings
            top3 += any(h in work.headings for h in ranked)
        figures.append(Accuracy(method, len(papers), answered, top1, top3))
    baseline = [classifier.largest_headings(w) for w in papers]
    figures.append(
        Accuracy(
            BASELINE,
            len(papers),
            sum(map(bool, baseline)),
            sum(bool(r) and r[0] in w.headings for r, w in zip(baseline, papers, strict=True)),
            sum(any(h in w.headings for h in r) for r, w in zip(baseline, papers, strict=True)),
        )
    )
    return figures


def cross_fitted(classifier: Classifier, papers: list[Work]) -> dict[str, list[str]]:
    """The combined method's top headings of each paper, with weights learned without its fold
    (papers dealt round-robin into FOLDS folds), so its own heading never shapes the weights."""
    ranked: dict[str, list[str]] = {}
    model = classifier.model
    for fold in range(FOLDS):
        test = papers[fold::FOLDS]
        weights = model.weights() if model.fixed else model.fit([w for k, w in enumerate(papers) if k % FOLDS != fold])
        for work in test:
            if not classifier.scores(work, "vote") and not classifier.scores(work, "terms"):
                ranked[work.iri] = []
                continue
            scores = model.shares(work, weights)
            ranked[work.iri] = sorted(scores, key=lambda h: (-scores[h], classifier.facts.path(h)))[:TOP]
    return ranked


def measured_papers(facts: Facts, most: int | None) -> list[Work]:
    """The listed papers (with a heading) leave-one-out runs on: all, or `most` evenly spaced."""
    papers = [w for w in facts.listed if w.headings]
    if most and len(papers) > most:
        step = len(papers) / most
        papers = [papers[int(k * step)] for k in range(most)]
    return papers


# --- a paper given by identifier (kg classify) ----------------------------------------------
ID_LABELS = {kind: label for kind, (_, label) in ID_PROPERTIES.items()} | {"s2": "S2"}
FETCH_URLS = {"arxiv": "https://arxiv.org/abs/{}", "doi": "https://doi.org/{}", "acl": "https://aclanthology.org/{}"}
_S2_ID = re.compile(r"[0-9a-f]{40}")


class IdentifierError(ValueError):
    """Text that names no paper identifier we know."""


@dataclass
class Located:
    """A paper to classify and where it was found: the build, the cache or Semantic Scholar."""

    identifier: str
    work: Work | None
    source: str


def parse_identifier(text: str) -> str:
    """`arXiv:2401.14361`, `DOI:10.1145/...`, `ACL:2024.acl-long.1`, `OpenReview:<id>`, `S2:<40 hex>`
    or a paper URL, as the graph writes it in dcterms:identifier."""
    from kg.identifiers import ID_KINDS, identifiers_from_url

    kind, sep, rest = text.strip().partition(":")
    kind = kind.casefold()
    if sep and kind in ID_LABELS and rest and not rest.startswith("//"):
        value = rest.strip().lower() if kind == "doi" else rest.strip()
        return f"{ID_LABELS[kind]}:{value}"
    if _S2_ID.fullmatch(text.strip()):
        return f"S2:{text.strip()}"
    found = identifiers_from_url(text) if "/" in text else {}
    for kind in ID_KINDS:
        if kind in found:
            return f"{ID_LABELS[kind]}:{found[kind]}"
    raise IdentifierError(
        f"{text!r} is not a paper identifier: expected arXiv:2401.14361, DOI:10.1145/..., "
        f"ACL:2024.acl-long.1, OpenReview:<id>, S2:<40-hex paper id> or a paper URL"
    )


def locate(facts: Facts, identifier: str, *, offline: bool, cache_dir=None, client=None) -> Located:
    """The paper in the build, else fetched (cache, then Semantic Scholar) and linked into `facts`."""
    work = facts.find(identifier)
    if work:
        return Located(identifier, work, "listed in the build" if work.listed else "an outside work in the build")
    label, _, value = identifier.partition(":")
    kind = next((k for k, name in ID_LABELS.items() if name == label), "")
    if kind not in FETCH_URLS:
        return Located(
            identifier, None, f"not in the build ({label} ids cannot be fetched: give its arXiv, DOI or ACL id)"
        )
    record, report = fetch_record(kind, value, offline=offline, cache_dir=cache_dir, client=client)
    if record is None:
        if report.offline:
            reason = "--offline" if offline else f"Semantic Scholar could not be reached: {report.offline_reason}"
            return Located(identifier, None, f"not in the build, the cache or the snapshot ({reason})")
        return Located(identifier, None, "not in the build and not found by Semantic Scholar")
    work, cited, citing = record_work(facts, kind, value, record)
    facts.add_outside_work(work, cited, citing)
    where = (
        "from the enrichment cache"
        if report.cache_hits
        else "from the shipped snapshot"
        if report.from_snapshot
        else "fetched from Semantic Scholar"
    )
    return Located(identifier, work, f"not in the build; {where}")


def fetch_record(kind: str, value: str, *, offline: bool, cache_dir, client):
    """(the paper's record with its references and citations, or None; the enrichment report)."""
    from kg.enrich import enrich
    from kg.identifiers import identity_key
    from kg.listparse import Entry, ListedPaper

    url = FETCH_URLS[kind].format(value)
    entry = Entry(line=1, heading="", title="", url=url)
    paper = ListedPaper(identity_key(entry.ids, url, ""), [entry])
    enrichments, report = enrich([paper], offline=offline, cache_dir=cache_dir, client=client)
    found = enrichments.get(paper.key)
    return (found.record if found else None), report


def record_work(facts: Facts, kind: str, value: str, record: dict) -> tuple[Work, set[str], set[str]]:
    """A Work for a fetched record, and the works of the build it cites and is cited by."""
    from kg.graphmap import record_keys
    from kg.vocab import paper_iri

    def in_build(item: dict) -> str | None:
        for key in record_keys(item):
            kind_of, _, rest = key.partition(":")
            hit = facts.find(f"{ID_LABELS[kind_of]}:{rest}")
            if hit:
                return hit.iri
        return None

    cited = {iri for item in record.get("references") or [] if (iri := in_build(item))}
    citing = {iri for item in record.get("citations") or [] if (iri := in_build(item))}
    issued = record.get("publicationDate") or (str(record["year"]) if record.get("year") else None)
    work = Work(
        paper_iri(f"{kind}:{value}"),
        title=record.get("title") or "",
        issued=issued,
        abstract=record.get("abstract"),
        tldr=(record.get("tldr") or {}).get("text"),
        published_venue=record.get("venue"),
        identifiers=[f"{ID_LABELS[kind]}:{value}"],
    )
    return work, cited, citing


# --- reports ---------------------------------------------------------------------------------
def describe(facts: Facts, located: Located) -> str:
    """One line on the paper: where it was found and how it is linked to the list."""
    work = located.work
    if work is None:
        return f"{located.identifier}: {located.source}."
    listed = {w.iri for w in facts.listed}
    cites = sum(1 for n in facts.neighbours.get(work.iri, ()) if (work.iri, n) in facts.cites and n in listed)
    cited = sum(1 for n in facts.neighbours.get(work.iri, ()) if (n, work.iri) in facts.cites and n in listed)
    text = f"{located.identifier} ({located.source}): cites {cites} and is cited by {cited} listed papers."
    if work.listed:
        text += (
            " Listed under "
            + "; ".join(facts.path(h) for h in work.headings)
            + ". Classified as if it were not listed."
        )
    return text


def to_markdown(facts: Facts, located: Located, result: Classification | None) -> str:
    from kg.curate.render import md, percent, table

    title = located.work.title if located.work else located.identifier
    lines = [f"# Where '{md(title)}' belongs in {md(facts.title)}", "", md(describe(facts, located)), ""]
    if result is None or not result.decided:
        reason = result.reason if result else f"{NOT_ENOUGH}: the paper could not be found"
        lines += [f"**{md(reason)}**", ""]
        return "\n".join(lines)
    lines.append(f"Method: {result.method} (top {TOP}; scores are shares of the evidence).")
    lines.append("")
    if result.reason:
        lines += [f"**{md(result.reason)}**", ""]
    rows = [
        [rank, c.path, percent(c.score), "; ".join(c.evidence[:4]) + (" …" if len(c.evidence) > 4 else "")]
        for rank, c in enumerate(result.candidates, 1)
    ]
    lines.append(table(["#", "heading", "score", "evidence"], rows))
    return "\n".join(lines)


def to_json_text(facts: Facts, located: Located, result: Classification | None) -> str:
    from kg.curate.render import to_json

    work = located.work
    return to_json(
        {
            "list": facts.title,
            "identifier": located.identifier,
            "found": located.source,
            "title": work.title if work else None,
            "listed_under": [facts.path(h) for h in work.headings] if work else [],
            "method": result.method if result else None,
            "headings": [
                {"heading": c.path, "score": c.score, "evidence": c.evidence}
                for c in (result.candidates if result else [])
            ],
            "reason": (result.reason if result else f"{NOT_ENOUGH}: the paper could not be found") or None,
        }
    )
