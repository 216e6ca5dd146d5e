"""In-memory BM25F index over analysed catalog texts, with weighted query expansion.

Why in memory and not the database's full-text search: the same ranking must
hold on SQLite and PostgreSQL, and a query here is a weighted structure
(caller's words, their stems in two languages, compound parts, synonyms,
typo corrections, completions of the word being typed) that neither FTS5 nor
tsquery can score. Impacts (the BM25F score of a term in a document) are
computed once at build time, so a query is a handful of vector operations.
docs/search.md gives the measurements behind this choice.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from auskunft.search.analyzer import (
    PhraseTable,
    Stemmer,
    Vocabulary,
    fold,
    load_lexicon,
    words,
)

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class FieldSpec:
    """How one text field of a document counts."""

    weight: float
    b: float
    language: str  # "de" or "en"


# Names and the editors' keywords decide most; full texts break ties.
FIELDS: dict[str, FieldSpec] = {
    "name": FieldSpec(4.0, 0.4, "de"),
    "keywords": FieldSpec(2.5, 0.5, "de"),
    "summary": FieldSpec(1.2, 0.6, "de"),
    "body": FieldSpec(0.35, 0.75, "de"),
    "topic": FieldSpec(0.4, 0.3, "de"),
    "name_en": FieldSpec(3.0, 0.4, "en"),
    "summary_en": FieldSpec(1.0, 0.6, "en"),
}
COMPOUND_PART_TF = 0.5
K1 = 1.2

# Weights of query-side expansions relative to the caller's own word.
W_EXACT = 1.0
W_PART = 0.85
W_TYPO_1 = 0.75
W_TYPO_2 = 0.55
W_PREFIX = 0.6


@dataclass
class IndexDoc:
    """A document to index: an external key, its participant and its texts."""

    key: str
    participant: str
    fields: dict[str, str]


Slot = list[tuple[str, float]]  # alternatives for one word: (term, weight)
Alternative = list[Slot]  # one reading of a group: all its words
Group = list[Alternative]  # competing readings; the best one counts


@dataclass
class Analysis:
    """What the query became: groups of weighted alternatives."""

    groups: list[Group] = field(default_factory=list)


class TermMaker:
    """Turn folded surface words into index terms, cached per word and language."""

    def __init__(self, stemmer: Stemmer, stopwords: set[str]) -> None:
        self.stemmer = stemmer
        self.stopwords = stopwords
        self.vocabulary: Vocabulary | None = None
        self._cache: dict[tuple[str, str], list[tuple[str, float]]] = {}

    def doc_terms(self, word: str, language: str) -> list[tuple[str, float]]:
        """Return the terms (with tf weight) that one document word contributes."""
        key = (word, language)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if language == "en":
            terms = [(self.stemmer.en(word), 1.0)]
        else:
            terms = [(self.stemmer.de(word), 1.0)]
            parts = self.vocabulary.split(word) if self.vocabulary else None
            for part in parts or ():
                if part not in self.stopwords:
                    terms.append((self.stemmer.de(part), COMPOUND_PART_TF))
        self._cache[key] = terms
        return terms


class SearchIndex:
    """BM25F impacts per term, and the query analysis that reads them."""

    def __init__(self, docs: Sequence[IndexDoc]) -> None:
        lexicon = load_lexicon()
        stop = lexicon["stopwords"]
        self.stopwords = {fold(w) for w in (*stop.get("de", []), *stop.get("en", []))}
        self.stemmer = Stemmer()
        self.phrases = PhraseTable.from_lexicon(lexicon)
        self.keys = [d.key for d in docs]
        self.size = len(docs)
        participants = sorted({d.participant for d in docs})
        self._participant_of = (
            np.array([participants.index(d.participant) for d in docs], dtype=np.int32)
            if docs
            else np.zeros(0, dtype=np.int32)
        )
        self._participants = {p: i for i, p in enumerate(participants)}
        self._build(docs)

    # -- build ------------------------------------------------------------------
    def _build(self, docs: Sequence[IndexDoc]) -> None:
        maker = TermMaker(self.stemmer, self.stopwords)
        tokenised: list[dict[str, list[str]]] = []
        surface: set[str] = set()
        for doc in docs:
            per_field: dict[str, list[str]] = {}
            for name, spec in FIELDS.items():
                tokens = [w for w in words(doc.fields.get(name, "")) if w not in self.stopwords]
                per_field[name] = tokens
                if spec.language == "de":
                    surface.update(w for w in tokens if len(w) >= 3 and not w.isdigit())
            tokenised.append(per_field)
        self.vocabulary = Vocabulary(surface, self.stemmer)
        maker.vocabulary = self.vocabulary

        term_ids: dict[str, int] = {}
        e_term, e_doc, e_val = array("i"), array("i"), array("f")
        lengths = {name: np.zeros(self.size, dtype=np.float32) for name in FIELDS}
        field_rows: dict[str, tuple[array[int], array[int], array[float]]] = {
            name: (array("i"), array("i"), array("f")) for name in FIELDS
        }
        for d, per_field in enumerate(tokenised):
            for name, tokens in per_field.items():
                lengths[name][d] = len(tokens)
                tf: dict[str, float] = {}
                for word, count in Counter(tokens).items():
                    for term, weight in maker.doc_terms(word, FIELDS[name].language):
                        tf[term] = tf.get(term, 0.0) + weight * count
                rows = field_rows[name]
                for term, value in tf.items():
                    tid = term_ids.setdefault(term, len(term_ids))
                    rows[0].append(tid)
                    rows[1].append(d)
                    rows[2].append(value)
        del tokenised

        for name, spec in FIELDS.items():
            t_arr = np.frombuffer(field_rows[name][0], dtype=np.int32)
            d_arr = np.frombuffer(field_rows[name][1], dtype=np.int32)
            v_arr = np.frombuffer(field_rows[name][2], dtype=np.float32)
            avg = float(lengths[name].mean()) if self.size else 0.0
            if avg == 0.0:
                continue
            norm = (1.0 - spec.b) + spec.b * (lengths[name] / avg)
            contrib = spec.weight * v_arr / norm[d_arr]
            e_term.extend(t_arr.tolist())
            e_doc.extend(d_arr.tolist())
            e_val.extend(contrib.astype(np.float32).tolist())

        terms = np.frombuffer(e_term, dtype=np.int32).astype(np.int64)
        docs_ = np.frombuffer(e_doc, dtype=np.int32).astype(np.int64)
        vals = np.frombuffer(e_val, dtype=np.float32)
        key = terms * max(self.size, 1) + docs_
        order = np.argsort(key, kind="stable")
        key, vals = key[order], vals[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else key
        tf_tilde = np.add.reduceat(vals, starts) if len(key) else vals
        ukey = key[starts] if len(key) else key
        self._doc = (ukey % max(self.size, 1)).astype(np.int32)
        term_of = (ukey // max(self.size, 1)).astype(np.int64)
        df = np.bincount(term_of, minlength=len(term_ids)).astype(np.float64)
        idf = np.log1p((self.size - df + 0.5) / (df + 0.5))
        self._impact = (idf[term_of] * tf_tilde * (K1 + 1) / (K1 + tf_tilde)).astype(np.float32)
        self._offsets = np.searchsorted(term_of, np.arange(len(term_ids) + 1)).astype(np.int64)
        self._term_ids = term_ids

    # -- query ------------------------------------------------------------------
    def has_term(self, term: str) -> bool:
        """Tell whether a term occurs in any document."""
        return term in self._term_ids

    def _word_slot(self, word: str, weight: float, complete_last: bool) -> Slot:
        slot: Slot = []
        for term in (self.stemmer.de(word), self.stemmer.en(word)):
            if term in self._term_ids:
                slot.append((term, weight * W_EXACT))
        if slot or word.isdigit():
            return slot
        if complete_last:
            for other in self.vocabulary.completions(word):
                slot.append((self.stemmer.de(other), weight * W_PREFIX))
        for other, distance in self.vocabulary.similar(word):
            w = W_TYPO_1 if distance == 1 else W_TYPO_2
            slot.append((self.stemmer.de(other), weight * w))
        return slot

    def _word_group(self, word: str, complete_last: bool) -> Group:
        group: Group = [[self._word_slot(word, 1.0, complete_last)]]
        parts = self.vocabulary.split(word)
        if parts:
            group.append(
                [self._word_slot(p, W_PART, False) for p in parts if p not in self.stopwords]
            )
        return group

    def analyse(self, query: str) -> Analysis:
        """Turn a question into weighted groups of index terms."""
        tokens = words(query)
        complete = bool(query) and not query[-1].isspace()
        analysis = Analysis()
        i = 0
        while i < len(tokens):
            last = complete and i == len(tokens) - 1
            phrase = self.phrases.match(tokens, i)
            if phrase is not None:
                span = [w for w in phrase.words if w not in self.stopwords]
                own: Alternative = [self._word_slot(w, 1.0, False) for w in span]
                group: Group = [own] if span else []
                for expansion in phrase.expansions:
                    kept = [w for w in expansion if w not in self.stopwords]
                    if kept:
                        group.append([self._word_slot(w, phrase.weight, False) for w in kept])
                if len(phrase.words) == 1 and span:
                    group.extend(self._word_group(span[0], last)[1:])
                analysis.groups.append(group)
                i += len(phrase.words)
                continue
            word = tokens[i]
            i += 1
            if word in self.stopwords:
                continue
            analysis.groups.append(self._word_group(word, last))
        return analysis

    def _slot_scores(self, slot: Slot) -> FloatArray | None:
        best: FloatArray | None = None
        for term, weight in slot:
            tid = self._term_ids.get(term)
            if tid is None:
                continue
            lo, hi = self._offsets[tid], self._offsets[tid + 1]
            if best is None:
                best = np.zeros(self.size, dtype=np.float32)
            docs = self._doc[lo:hi]
            np.maximum.at(best, docs, self._impact[lo:hi] * weight)
        return best

    def scores(self, analysis: Analysis) -> FloatArray:
        """Score every document: sum over groups of the best reading of each group."""
        total = np.zeros(self.size, dtype=np.float32)
        for group in analysis.groups:
            best: FloatArray | None = None
            for alternative in group:
                summed: FloatArray | None = None
                for slot in alternative:
                    vec = self._slot_scores(slot)
                    if vec is not None:
                        summed = vec if summed is None else summed + vec
                if summed is not None:
                    best = summed if best is None else np.maximum(best, summed)
            if best is not None:
                total += best
        return total

    def search(
        self, query: str, limit: int = 10, participant: str | None = None
    ) -> list[tuple[str, float]]:
        """Return up to `limit` (key, score) pairs, best first; empty when nothing matches."""
        if self.size == 0 or limit <= 0:
            return []
        total = self.scores(self.analyse(query))
        if participant is not None:
            pid = self._participants.get(participant)
            if pid is None:
                return []
            total = np.where(self._participant_of == pid, total, 0.0).astype(np.float32)
        hits = np.flatnonzero(total > 0)
        if hits.size == 0:
            return []
        top = hits[np.argpartition(-total[hits], limit - 1)[:limit]] if hits.size > limit else hits
        order = sorted(top.tolist(), key=lambda i: (-float(total[i]), self.keys[i]))
        return [(self.keys[i], float(total[i])) for i in order]


def build_index(docs: Iterable[IndexDoc]) -> SearchIndex:
    """Build an index from documents."""
    return SearchIndex(list(docs))


__all__ = ["FIELDS", "IndexDoc", "SearchIndex", "build_index"]
