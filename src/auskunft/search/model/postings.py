"""Building the index: per-field BM25 impacts of every term, and document phrases.

Words are counted per (field, document) in Python; everything after that is
NumPy over int64 keys, so 100,000 services build in about 20 s.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from auskunft.search.model.analyzer import Stemmer, Vocabulary, words


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
    "questions": FieldSpec(1.2, 0.5, "de"),
    "summary": FieldSpec(1.2, 0.6, "de"),
    "body": FieldSpec(0.35, 0.75, "de"),
    "topic": FieldSpec(0.4, 0.3, "de"),
    "name_en": FieldSpec(3.0, 0.75, "en"),
    "summary_en": FieldSpec(1.0, 0.6, "en"),
}
COMPOUND_PART_TF = 0.5
K1 = 1.2


@dataclass
class IndexDoc:
    """A document to index: an external key, its participant and its texts."""

    key: str
    participant: str
    fields: dict[str, str]
    # Whole phrases a caller may say for this document (its name first, then the
    # editors' keywords): when the question contains all words of one, that is a
    # strong sign.
    phrases: list[str] = field(default_factory=list)


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


class Postings:
    """Impacts per term (CSR: offsets into doc ids and impacts) and phrases per document."""

    def __init__(
        self,
        docs: Sequence[IndexDoc],
        stemmer: Stemmer,
        stopwords: set[str],
        base: Postings | None = None,
    ) -> None:
        self.stemmer = stemmer
        self.stopwords = stopwords
        self.size = len(docs)
        # Per field: the mean length and each term's document frequency (what BM25 weighs
        # by), kept so that an overlay of a few edited documents scores like the rest.
        self.avg_len = np.zeros(len(FIELDS), dtype=np.float32)
        self.df: list[npt.NDArray[np.float32]] = []
        self.term_ids: dict[str, int] = {}
        self.build(docs, base)

    def build(self, docs: Sequence[IndexDoc], base: Postings | None = None) -> None:
        """Count words per (field, document) in Python, everything after that in NumPy.

        With `base`, these are a few changed documents laid over a built index: they
        share its term numbering (new terms are numbered after its own), its vocabulary
        (plus their new words) and its statistics, so their impacts are comparable.
        """
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

        german = (w for w in word_ids[0] if len(w) >= 3 and not w.isdigit())
        if base is None:
            self.vocabulary = Vocabulary(german, self.stemmer)
        else:
            self.vocabulary = base.vocabulary.with_words(german)
        maker = TermMaker(self.stemmer, self.stopwords)
        maker.vocabulary = self.vocabulary
        term_ids: dict[str, int] = dict(base.term_ids) if base is not None else {}
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
        total = base.size if base is not None else self.size
        for f, name in enumerate(names):
            spec = FIELDS[name]
            sel = f_field == f
            lengths = seg_len[:, f].astype(np.float32)
            t_f, d_f = f_term[sel], f_doc[sel]
            df = np.bincount(t_f, minlength=n_terms).astype(np.float64)
            if base is None:
                avg = float(lengths.mean()) if self.size else 0.0
                self.df.append(df.astype(np.float32))
            else:
                # The base's statistics; a term it does not know counts as often as here.
                avg = float(base.avg_len[f]) or (float(lengths.mean()) if self.size else 0.0)
                known = base.df[f] if f < len(base.df) else np.zeros(0, dtype=np.float32)
                df[: known.size] = np.where(known > 0, known, df[: known.size])
            self.avg_len[f] = avg
            if avg == 0.0 or not sel.any():
                continue
            tfn = f_tf[sel] / ((1.0 - spec.b) + spec.b * (lengths[d_f] / avg))
            idf = np.log1p(np.maximum(total - df + 0.5, 0.5) / (df + 0.5))
            impact[sel] = spec.weight * idf[t_f] * tfn * (K1 + 1) / (K1 + tfn)

        key3 = f_term * n + f_doc
        order = np.argsort(key3, kind="stable")
        key3, impact = key3[order], impact[order]
        starts = np.flatnonzero(np.r_[True, key3[1:] != key3[:-1]]) if key3.size else key3
        self.impact = (np.add.reduceat(impact, starts) if key3.size else impact).astype(np.float32)
        key3 = key3[starts] if key3.size else key3
        self.doc = (key3 % n).astype(np.int32)
        self.offsets = np.searchsorted(key3 // n, np.arange(len(term_ids) + 1)).astype(np.int64)
        self.term_ids = term_ids
        self._build_phrases(docs)

    def _build_phrases(self, docs: Sequence[IndexDoc]) -> None:
        """Store each document phrase as a set of term ids, with an inverted list."""
        p_doc, p_len, p_terms, p_ptr = array("i"), array("i"), array("i"), [0]
        seen: dict[str, tuple[int, ...]] = {}
        is_name = array("b")
        for d, doc in enumerate(docs):
            done: set[tuple[int, ...]] = set()
            for position, phrase in enumerate(doc.phrases):
                ids = seen.get(phrase)
                if ids is None:
                    terms = {self.stemmer.de(w) for w in words(phrase) if w not in self.stopwords}
                    found = [self.term_ids.get(t) for t in terms]
                    ids = tuple(sorted(i for i in found if i is not None))
                    if len(ids) != len(terms):
                        ids = ()
                    seen[phrase] = ids
                if not ids or ids in done:
                    continue
                done.add(ids)
                is_name.append(position == 0)
                p_doc.append(d)
                p_len.append(len(ids))
                p_terms.extend(ids)
                p_ptr.append(len(p_terms))
        self.phrase_doc = np.frombuffer(p_doc, dtype=np.int32).copy()
        self.phrase_len = np.frombuffer(p_len, dtype=np.int32).copy()
        self.phrase_is_name = np.frombuffer(is_name, dtype=np.int8).astype(bool)
        term_of_entry = np.frombuffer(p_terms, dtype=np.int32)
        owner = np.repeat(np.arange(len(p_len), dtype=np.int32), np.diff(np.array(p_ptr)))
        order = np.argsort(term_of_entry, kind="stable")
        self.phrase_of_term = owner[order]
        self.phrase_offsets = np.searchsorted(
            term_of_entry[order], np.arange(len(self.term_ids) + 1)
        ).astype(np.int64)
