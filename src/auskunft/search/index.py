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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from auskunft.search.analyzer import (
    PhraseTable,
    Stemmer,
    Vocabulary,
    clause_words,
    fold,
    load_lexicon,
    participle_infinitives,
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
    "name": FieldSpec(4.0, 0.75, "de"),
    "keywords": FieldSpec(2.5, 0.5, "de"),
    "summary": FieldSpec(1.2, 0.6, "de"),
    "body": FieldSpec(0.35, 0.75, "de"),
    "topic": FieldSpec(0.4, 0.3, "de"),
    "name_en": FieldSpec(3.0, 0.75, "en"),
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
W_PARTICIPLE = 0.95
# A document phrase (name, editors' keyword) that the question contains is a
# curated "best bet": it lifts the document by this share of the best plain
# score, times the square of the share of the question's words it covers.
BEST_BET = 0.6
# Fusion with the optional dense signal (docs/search.md): weight of the
# standardised cosine beside the lexical score scaled to 1, the least z of a
# document that only the dense model finds, and how many content words make a
# question "sentence-like" enough to ask the model.
DENSE_WEIGHT = 0.25
DENSE_ONLY_Z = 2.0
SENTENCE_WORDS = 5


@dataclass
class IndexDoc:
    """A document to index: an external key, its participant and its texts."""

    key: str
    participant: str
    fields: dict[str, str]
    # Whole phrases a caller may say for this document (its name, the editors'
    # keywords): when the question contains all words of one, that is a strong sign.
    phrases: list[str] = field(default_factory=list)


Slot = list[tuple[str, float]]  # alternatives for one word: (term, weight)
Alternative = list[Slot]  # one reading of a group: all its words
Group = list[Alternative]  # competing readings; the best one counts


@dataclass
class Analysis:
    """What the query became: groups of weighted alternatives."""

    groups: list[Group] = field(default_factory=list)
    # Terms of the compound parts of every word read, own or expanded: a phrase
    # "Ausweis geklaut" is contained in "Perso geklaut" (Perso -> Personalausweis).
    part_terms: set[str] = field(default_factory=set)


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

    def __init__(self, docs: Sequence[IndexDoc], place_names: Iterable[str] = ()) -> None:
        lexicon = load_lexicon()
        stop = lexicon["stopwords"]
        self.stopwords = {fold(w) for w in (*stop.get("de", []), *stop.get("en", []))}
        # Names of municipalities say where the caller lives, not what they need;
        # the municipality decides the office, so they do not rank services.
        self.place_words = {w for name in place_names for w in words(name)} - self.stopwords
        self.stemmer = Stemmer()
        self.phrases = PhraseTable.from_lexicon(lexicon, self.stopwords)
        self._typo_damping = 1.0
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
        """Count words per (field, document) in Python, everything after that in NumPy."""
        names = list(FIELDS)
        english = [FIELDS[f].language == "en" for f in names]
        word_ids: list[dict[str, int]] = [{}, {}]  # German, English surface words
        tokens = array("i")
        seg_len = np.zeros((self.size, len(names)), dtype=np.int64)
        stop = self.stopwords
        for d, doc in enumerate(docs):
            for f, name in enumerate(names):
                text = doc.fields.get(name)
                if not text:
                    continue
                ids = word_ids[english[f]]
                found = [ids.setdefault(w, len(ids)) for w in words(text) if w not in stop]
                seg_len[d, f] = len(found)
                tokens.extend(found)

        self.vocabulary = Vocabulary(
            (w for w in word_ids[0] if len(w) >= 3 and not w.isdigit()), self.stemmer
        )
        maker = TermMaker(self.stemmer, self.stopwords)
        maker.vocabulary = self.vocabulary
        term_ids: dict[str, int] = {}
        # word -> terms (its stem, plus compound parts at a lower weight), as CSR.
        n_de = len(word_ids[0])
        map_ptr, map_term, map_weight = [0], [], []
        for lang, ids in (("de", word_ids[0]), ("en", word_ids[1])):
            for word in ids:  # dicts keep insertion order, i.e. id order
                for term, weight in maker.doc_terms(word, lang):
                    map_term.append(term_ids.setdefault(term, len(term_ids)))
                    map_weight.append(weight)
                map_ptr.append(len(map_term))
        ptr = np.array(map_ptr, dtype=np.int64)
        m_term = np.array(map_term, dtype=np.int64)
        m_weight = np.array(map_weight, dtype=np.float32)

        n, n_fields = max(self.size, 1), len(names)
        n_words = max(len(ptr) - 1, 1)
        # One int64 key per token: (field, word, doc). English words follow the
        # German ones in the word numbering. Built in place to keep memory flat.
        en_offset = np.array([n_de if e else 0 for e in english], dtype=np.int64)
        seg_base = (
            (np.arange(n_fields, dtype=np.int64) * n_words + en_offset)[None, :] * n
            + np.arange(self.size, dtype=np.int64)[:, None]
        ).reshape(-1)
        key = np.frombuffer(tokens, dtype=np.int32).astype(np.int64)
        del tokens
        key *= n
        key += np.repeat(seg_base, seg_len.reshape(-1))
        key.sort()
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else key
        tf = np.diff(np.r_[starts, key.size])
        key = key[starts]
        w_doc, rest = key % n, key // n
        w_word, w_field = rest % n_words, rest // n_words
        del key, rest, starts
        # Expand each word to its terms.
        reps = ptr[w_word + 1] - ptr[w_word]
        row = np.repeat(np.arange(w_word.size), reps)
        within = np.arange(row.size) - np.repeat(np.cumsum(reps) - reps, reps)
        slot = ptr[w_word][row] + within
        e_term, e_doc, e_field = m_term[slot], w_doc[row], w_field[row]
        e_tf = tf[row].astype(np.float32) * m_weight[slot]
        del row, within, slot, w_doc, w_word, w_field, tf
        n_terms = max(len(term_ids), 1)
        key2 = (e_field * n_terms + e_term) * n + e_doc
        order = np.argsort(key2, kind="stable")
        key2, e_tf = key2[order], e_tf[order]
        starts = np.flatnonzero(np.r_[True, key2[1:] != key2[:-1]]) if key2.size else key2
        f_tf = np.add.reduceat(e_tf, starts) if key2.size else e_tf
        key2 = key2[starts] if key2.size else key2
        f_doc, rest = key2 % n, key2 // n
        f_term, f_field = rest % n_terms, rest // n_terms

        # Each field is scored as BM25 with its own document frequencies: a word
        # that every service lists among its documents ("Reisepass") is common in
        # the body but rare, and telling, among names.
        impact = np.zeros(f_tf.size, dtype=np.float32)
        for f, name in enumerate(names):
            spec = FIELDS[name]
            sel = f_field == f
            lengths = seg_len[:, f].astype(np.float32)
            avg = float(lengths.mean()) if self.size else 0.0
            if avg == 0.0 or not sel.any():
                continue
            t_f, d_f = f_term[sel], f_doc[sel]
            tfn = f_tf[sel] / ((1.0 - spec.b) + spec.b * (lengths[d_f] / avg))
            df = np.bincount(t_f, minlength=n_terms).astype(np.float64)
            idf = np.log1p((self.size - df + 0.5) / (df + 0.5))
            impact[sel] = spec.weight * idf[t_f] * tfn * (K1 + 1) / (K1 + tfn)

        key3 = f_term * n + f_doc
        order = np.argsort(key3, kind="stable")
        key3, impact = key3[order], impact[order]
        starts = np.flatnonzero(np.r_[True, key3[1:] != key3[:-1]]) if key3.size else key3
        self._impact = (np.add.reduceat(impact, starts) if key3.size else impact).astype(np.float32)
        key3 = key3[starts] if key3.size else key3
        self._doc = (key3 % n).astype(np.int32)
        self._offsets = np.searchsorted(key3 // n, np.arange(len(term_ids) + 1)).astype(np.int64)
        self._term_ids = term_ids
        self._build_phrases(docs)

    def _build_phrases(self, docs: Sequence[IndexDoc]) -> None:
        """Store each document phrase as a set of term ids, with an inverted list."""
        p_doc, p_len, p_terms, p_ptr = array("i"), array("i"), array("i"), [0]
        seen: dict[str, tuple[int, ...]] = {}
        for d, doc in enumerate(docs):
            done: set[tuple[int, ...]] = set()
            for phrase in doc.phrases:
                ids = seen.get(phrase)
                if ids is None:
                    terms = {self.stemmer.de(w) for w in words(phrase) if w not in self.stopwords}
                    found = [self._term_ids.get(t) for t in terms]
                    ids = tuple(sorted(i for i in found if i is not None))
                    if len(ids) != len(terms):
                        ids = ()
                    seen[phrase] = ids
                if not ids or ids in done:
                    continue
                done.add(ids)
                p_doc.append(d)
                p_len.append(len(ids))
                p_terms.extend(ids)
                p_ptr.append(len(p_terms))
        self._phrase_doc = np.frombuffer(p_doc, dtype=np.int32).copy()
        self._phrase_len = np.frombuffer(p_len, dtype=np.int32).copy()
        term_of_entry = np.frombuffer(p_terms, dtype=np.int32)
        owner = np.repeat(np.arange(len(p_len), dtype=np.int32), np.diff(np.array(p_ptr)))
        order = np.argsort(term_of_entry, kind="stable")
        self._phrase_of_term = owner[order]
        self._phrase_offsets = np.searchsorted(
            term_of_entry[order], np.arange(len(self._term_ids) + 1)
        ).astype(np.int64)

    def phrase_coverage(self, analysis: Analysis) -> FloatArray | None:
        """Per document, the largest share of the question's words covered by one of its phrases."""
        terms = {
            term
            for group in analysis.groups
            for alternative in group
            for slot in alternative
            for term, _ in slot
        } | analysis.part_terms
        ids = {tid for term in terms if (tid := self._term_ids.get(term)) is not None}
        if not ids or self._phrase_doc.size == 0:
            return None
        candidates = np.concatenate(
            [
                self._phrase_of_term[self._phrase_offsets[t] : self._phrase_offsets[t + 1]]
                for t in ids
            ]
        )
        if candidates.size == 0:
            return None
        phrase, hits = np.unique(candidates, return_counts=True)
        complete = phrase[hits == self._phrase_len[phrase]]
        if complete.size == 0:
            return None
        groups = max(sum(1 for g in analysis.groups if any(s for a in g for s in a)), 1)
        coverage = np.zeros(self.size, dtype=np.float32)
        share = np.minimum(self._phrase_len[complete] / groups, 1.0).astype(np.float32)
        np.maximum.at(coverage, self._phrase_doc[complete], share)
        return coverage

    # -- query ------------------------------------------------------------------
    def _note_parts(self, analysis: Analysis, words_read: list[str]) -> None:
        for word in words_read:
            for part in self.vocabulary.split(word) or ():
                analysis.part_terms.add(self.stemmer.de(part))

    def _joins(self, word: str) -> bool:
        """Tell whether a particle+verb word is one the catalog or the word data knows."""
        return self.stemmer.de(word) in self._term_ids or word in self.phrases.by_first

    def _word_slot(
        self, word: str, weight: float, complete_last: bool, correct: bool = True
    ) -> Slot:
        slot: Slot = []
        for term in (self.stemmer.de(word), self.stemmer.en(word)):
            if term in self._term_ids:
                slot.append((term, weight * W_EXACT))
        if slot or word.isdigit() or not correct:
            return slot
        for infinitive in participle_infinitives(word):
            term = self.stemmer.de(infinitive)
            if term in self._term_ids:
                slot.append((term, weight * W_PARTICIPLE))
        if slot:
            return slot
        if complete_last:
            for other in self.vocabulary.completions(word):
                slot.append((self.stemmer.de(other), weight * W_PREFIX))
        for other, distance in self.vocabulary.similar(word):
            w = W_TYPO_1 if distance == 1 else W_TYPO_2 * self._typo_damping
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
        # Stopwords go first, so "pick it up" meets the phrase "pick up" and
        # "auf die Welt gekommen" meets "Welt gekommen".
        tokens = [w for w in clause_words(query, self._joins) if w not in self.stopwords]
        complete = bool(query) and not query[-1].isspace()
        # In a long sentence an unknown word is more often a name than a typo:
        # a correction two edits away counts less there.
        self._typo_damping = 0.5 if len(tokens) >= 5 else 1.0
        analysis = Analysis()
        i = 0
        while i < len(tokens):
            last = complete and i == len(tokens) - 1
            phrase = self.phrases.match(tokens, i)
            if phrase is not None:
                span = list(phrase.words)
                own: Alternative = [self._word_slot(w, 1.0, False) for w in span]
                group: Group = [own] if span else []
                for expansion in phrase.expansions:
                    kept = [w for w in expansion if w not in self.stopwords]
                    self._note_parts(analysis, kept)
                    if kept:
                        # Our own expansion words are spelled right: never "correct" them.
                        group.append(
                            [self._word_slot(w, phrase.weight, False, False) for w in kept]
                        )
                if len(phrase.words) == 1 and span:
                    group.extend(self._word_group(span[0], last)[1:])
                analysis.groups.append(group)
                i += len(phrase.words)
                continue
            word = tokens[i]
            i += 1
            if word in self.place_words:
                continue
            self._note_parts(analysis, [word])
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

    def is_sentence(self, query: str) -> bool:
        """Tell whether a question is sentence-like (enough content words for meaning to matter)."""
        return sum(1 for w in words(query) if w not in self.stopwords) >= SENTENCE_WORDS

    def search(
        self,
        query: str,
        limit: int = 10,
        participant: str | None = None,
        similarity: FloatArray | None = None,
    ) -> list[tuple[str, float]]:
        """Return up to `limit` (key, score) pairs, best first; empty when nothing matches.

        `similarity`, when given, holds a dense cosine per document (index order);
        it is fused with the lexical score as a standardised bonus.
        """
        if self.size == 0 or limit <= 0:
            return []
        analysis = self.analyse(query)
        total = self.scores(analysis)
        coverage = self.phrase_coverage(analysis)
        if coverage is not None and total.size:
            lift = BEST_BET * float(total.max()) * coverage**2
            total = np.where(total > 0, total + lift, total).astype(np.float32)
        if similarity is not None and similarity.size == self.size and self.size > 1:
            best = float(total.max())
            z = (similarity - similarity.mean()) / (float(similarity.std()) + 1e-9)
            fused = (total / best if best > 0 else total) + DENSE_WEIGHT * z
            # Dense-only candidates must be clearly similar; lexical hits stay in.
            keep = (total > 0) | (z >= DENSE_ONLY_Z)
            total = np.where(keep, np.maximum(fused, 1e-6), 0.0).astype(np.float32)
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


__all__ = ["FIELDS", "IndexDoc", "SearchIndex"]
