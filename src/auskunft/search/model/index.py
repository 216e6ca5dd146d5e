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

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from auskunft.search.model.analyzer import (
    PhraseTable,
    Stemmer,
    Vocabulary,
    clause_words,
    fold,
    load_lexicon,
    participle_infinitives,
    words,
)
from auskunft.search.model.postings import FIELDS, IndexDoc, Postings

FloatArray = npt.NDArray[np.float32]


# Weights of query-side expansions relative to the caller's own word.
W_EXACT = 1.0
W_PART = 0.85
W_TYPO_1 = 0.75
W_TYPO_2 = 0.55
W_PREFIX = 0.6
W_PARTICIPLE = 0.95
W_CLIPPED = 0.5
MIN_CLIPPED = 5
# A document phrase (name, editors' keyword) that the question contains is a
# curated "best bet": it lifts the document by this share of the best plain
# score, times the square of the share of the question's words it covers.
BEST_BET = 0.6
NAME_SHARE = 0.35
# Fusion with the optional dense signal (docs/search.md): weight of the
# standardised cosine beside the lexical score scaled to 1, the least z of a
# document that only the dense model finds, and how many content words make a
# question "sentence-like" enough to ask the model.
DENSE_WEIGHT = 0.25
# ... and for short questions (a word, a compound, a short phrase): the words decide, the
# model breaks ties and brings what no word of the catalog names ("Idiotentest"); measured
# on short queries of the Munich export (docs/search.md).
DENSE_WEIGHT_SHORT = 0.15
DENSE_ONLY_Z = 2.0
SENTENCE_WORDS = 5
# The caller's own word, when few documents have it whole, keeps those documents among
# the first of its group (`_literal_floor`): at the LITERAL_RANK-th score, at most
# LITERAL_SPREAD above it.
LITERAL_RANK = 3
LITERAL_MAX_DOCS = 10
LITERAL_SPREAD = 0.05
# Fused scores below this are noise (and would print as 0.0).
MIN_SCORE = 1e-3


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
    # Groups whose first reading is the caller's own word as the catalog has it whole,
    # beside readings of its compound parts ("Laternenumzug": the word, or Laterne + Umzug).
    literal: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Evidence:
    """How well the best hit fits the question: what `known` is decided from."""

    words: int  # the question's content words (groups of readings)
    unknown: int  # of them, matching no service at all
    covered: float  # of them, matched by the best hit (a compound half matched counts half)
    fit: float  # the best hit's lexical score over the most the question's words can score
    top: float  # the best hit's score (0: no hit)
    second: float  # the runner-up's score
    best: int = -1  # the best hit's index position (-1: none)


NO_EVIDENCE = Evidence(0, 0, 0.0, 0.0, 0.0, 0.0)


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
        # The word data's own words, for typos in them ("Zweitwonsitz", "Perrso").
        self._phrase_words = Vocabulary(self.phrases.by_first, self.stemmer)
        self.keys = [d.key for d in docs]
        self.size = len(docs)
        participants = sorted({d.participant for d in docs})
        self._participant_of = (
            np.array([participants.index(d.participant) for d in docs], dtype=np.int32)
            if docs
            else np.zeros(0, dtype=np.int32)
        )
        self._participants = {p: i for i, p in enumerate(participants)}
        postings = Postings(docs, self.stemmer, self.stopwords)
        self._postings = postings
        # Documents changed since this index was built (`updated`): their postings here
        # no longer count (`_stale`), an overlay's do, at `_over_at`; gone ones stay out.
        self._base: SearchIndex = self
        self._over: Postings | None = None
        self._over_at = np.zeros(0, dtype=np.int64)
        self._stale: npt.NDArray[np.bool_] | None = None
        self._gone: npt.NDArray[np.bool_] | None = None
        self._position: dict[str, int] | None = None
        self.vocabulary = postings.vocabulary
        self._term_ids = postings.term_ids

    @property
    def stale(self) -> npt.NDArray[np.bool_] | None:
        """Per position, whether the built postings there no longer count (None: none)."""
        return self._stale

    def positions(self, keys: Sequence[str]) -> list[int]:
        """The index positions of these keys (each must be indexed)."""
        if self._position is None:
            self._position = {k: i for i, k in enumerate(self.keys)}
        return [self._position[k] for k in keys]

    @property
    def changed(self) -> int:
        """How many documents the overlay holds (0: as built)."""
        return int(self._over_at.size)

    def updated(self, docs: Sequence[IndexDoc], removed: Iterable[str] = ()) -> SearchIndex:
        """A new index: this one's base as built, with `docs` (every document changed
        since the base was built, in their current form) laid over it and `removed` left
        out. Costs the size of the change, not of the catalog; this index stays as it is
        (questions in flight keep reading it).
        """
        base = self._base
        other = copy.copy(base)
        position = {k: i for i, k in enumerate(base.keys)}
        keys = list(base.keys)
        participants = dict(base._participants)
        participant_of = base._participant_of.copy()
        at: list[int] = []
        for doc in docs:
            i = position.get(doc.key)
            if i is None:
                i = len(keys)
                keys.append(doc.key)
                position[doc.key] = i
                participant_of = np.append(participant_of, np.int32(-1))
            pid = participants.setdefault(doc.participant, len(participants))
            participant_of[i] = pid
            at.append(i)
        stale = np.zeros(len(keys), dtype=np.bool_)
        stale[at] = True
        gone = np.zeros(len(keys), dtype=np.bool_)
        for key in removed:
            i = position.get(key)
            if i is not None and not stale[i]:
                gone[i] = stale[i] = True
                participant_of[i] = -1
        over = Postings(docs, base.stemmer, base.stopwords, base=base._postings) if docs else None
        other.keys, other.size = keys, len(keys)
        other._participants, other._participant_of = participants, participant_of
        other._over, other._over_at = over, np.array(at, dtype=np.int64)
        other._stale, other._gone = stale, gone
        other._position = position
        if over is not None:
            other.vocabulary, other._term_ids = over.vocabulary, over.term_ids
        return other

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
        if not ids:
            return None
        groups = max(sum(1 for g in analysis.groups if any(s for a in g for s in a)), 1)
        coverage = _phrase_hits(self._postings, ids, groups, self.size, None)
        if coverage is not None and self._stale is not None:
            coverage[self._stale] = 0.0
        if self._over is not None:
            more = _phrase_hits(self._over, ids, groups, self.size, self._over_at)
            if more is not None:
                coverage = more if coverage is None else np.maximum(coverage, more)
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
        self,
        word: str,
        weight: float,
        complete_last: bool,
        correct: bool = True,
        damping: float = 1.0,
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
                # The most specific known reading: "abgemeldet" is abmelden, not melden.
                return [(term, weight * W_PARTICIPLE)]
        if complete_last:
            for other in self.vocabulary.completions(word):
                slot.append((self.stemmer.de(other), weight * W_PREFIX))
        for other, distance in self.vocabulary.similar(word):
            w = W_TYPO_1 if distance == 1 else W_TYPO_2 * damping
            slot.append((self.stemmer.de(other), weight * w))
        if not slot and len(word) >= MIN_CLIPPED:
            # German clips long words ("Schwerbi", "Reha", "Azubi"): an unknown
            # word that begins known ones may stand for them.
            for other in self.vocabulary.completions(word):
                slot.append((self.stemmer.de(other), weight * W_CLIPPED))
        return slot

    def _word_group(self, word: str, complete_last: bool, damping: float = 1.0) -> Group:
        group: Group = [[self._word_slot(word, 1.0, complete_last, damping=damping)]]
        parts = self.vocabulary.split(word)
        if parts:
            group.append([self._part_slot(p) for p in parts if p not in self.stopwords])
        return group

    def _part_slot(self, part: str) -> Slot:
        """A compound part, with the one-word synonyms of that part ("Zweitwohnsitz" in
        "Zweitwohnsitzanmeldung" also means Nebenwohnung)."""
        slot = self._word_slot(part, W_PART, False)
        phrase = self.phrases.match([part], 0)
        if phrase is not None and phrase.words == (part,):
            for expansion in phrase.expansions:
                if len(expansion) == 1:
                    weight = W_PART * phrase.weight
                    slot.extend(self._word_slot(expansion[0], weight, False, False))
        return slot

    def analyse(self, query: str) -> Analysis:
        """Turn a question into weighted groups of index terms."""
        # Stopwords go first, so "pick it up" meets the phrase "pick up" and
        # "auf die Welt gekommen" meets "Welt gekommen".
        tokens = [w for w in clause_words(query, self._joins) if w not in self.stopwords]
        complete = bool(query) and not query[-1].isspace()
        # In a long sentence an unknown word is more often a name than a typo:
        # a correction two edits away counts less there. (A local, not state of
        # the index: one index answers many threads at once.)
        damping = 0.5 if len(tokens) >= 5 else 1.0
        analysis = Analysis()
        i = 0
        while i < len(tokens):
            last = complete and i == len(tokens) - 1
            scale = 1.0
            phrase = self.phrases.match(tokens, i)
            if phrase is None and (corrected := self._phrase_typo(tokens, i)) is not None:
                # A misspelt word of the word data: read it as spelt right, for less.
                tokens[i], scale = corrected, W_TYPO_1
                phrase = self.phrases.match(tokens, i)
            if phrase is not None:
                span = list(phrase.words)
                own: Alternative = [self._word_slot(w, scale, False, damping=damping) for w in span]
                group: Group = [own] if span else []
                for expansion in phrase.expansions:
                    kept = [w for w in expansion if w not in self.stopwords]
                    self._note_parts(analysis, kept)
                    if kept:
                        # Our own expansion words are spelled right: never "correct" them.
                        weight = phrase.weight * scale
                        group.append([self._word_slot(w, weight, False, False) for w in kept])
                if len(phrase.words) == 1 and span and scale == 1.0:
                    group.extend(self._word_group(span[0], last, damping)[1:])
                analysis.groups.append(group)
                i += len(phrase.words)
                continue
            word = tokens[i]
            i += 1
            if word in self.place_words:
                continue
            self._note_parts(analysis, [word])
            group = self._word_group(word, last, damping)
            if len(group) > 1 and self.stemmer.de(word) in self._term_ids:
                analysis.literal.add(len(analysis.groups))
            analysis.groups.append(group)
        return analysis

    def _phrase_typo(self, tokens: list[str], i: int) -> str | None:
        """The word-data word that tokens[i] is one slip away from, when the catalog
        does not know tokens[i] and the corrected word starts a phrase there."""
        word = tokens[i]
        if word in self.place_words or self.stemmer.de(word) in self._term_ids:
            return None
        for other, distance in self._phrase_words.similar(word):
            if distance == 1 and self.phrases.match([*tokens[:i], other, *tokens[i + 1 :]], i):
                return other
        return None

    def _slot_scores(self, slot: Slot) -> FloatArray | None:
        best: FloatArray | None = None
        postings = self._postings
        known = postings.offsets.size - 1
        tids = [
            (tid, weight) for term, weight in slot if (tid := self._term_ids.get(term)) is not None
        ]
        for tid, weight in tids:
            if tid >= known:
                continue
            lo, hi = postings.offsets[tid], postings.offsets[tid + 1]
            if best is None:
                best = np.zeros(self.size, dtype=np.float32)
            np.maximum.at(best, postings.doc[lo:hi], postings.impact[lo:hi] * weight)
        if best is not None and self._stale is not None:
            best[self._stale] = 0.0
        over = self._over
        if over is not None:
            for tid, weight in tids:
                lo, hi = over.offsets[tid], over.offsets[tid + 1]
                if lo == hi:
                    continue
                if best is None:
                    best = np.zeros(self.size, dtype=np.float32)
                np.maximum.at(best, self._over_at[over.doc[lo:hi]], over.impact[lo:hi] * weight)
        return best

    def group_scores(
        self, analysis: Analysis, slots: dict[int, FloatArray | None] | None = None
    ) -> list[FloatArray | None]:
        """Per group of the question, every document's score for its best reading (None:
        the group matches no document). `slots` keeps each slot's scores for a second look."""
        found: list[FloatArray | None] = []
        for number, group in enumerate(analysis.groups):
            best: FloatArray | None = None
            own: FloatArray | None = None
            for position, alternative in enumerate(group):
                summed: FloatArray | None = None
                for slot in alternative:
                    vec = self._slot_scores(slot)
                    if slots is not None:
                        slots[id(slot)] = vec
                    if vec is not None:
                        summed = vec if summed is None else summed + vec
                if position == 0:
                    own = summed
                if summed is not None:
                    best = summed if best is None else np.maximum(best, summed)
            if number in analysis.literal and own is not None and best is not None:
                best = _literal_floor(best, own)
            found.append(best)
        return found

    def scores(self, analysis: Analysis) -> FloatArray:
        """Score every document: sum over groups of the best reading of each group."""
        return self._total(self.group_scores(analysis))

    def _total(self, groups: list[FloatArray | None]) -> FloatArray:
        total = np.zeros(self.size, dtype=np.float32)
        for best in groups:
            if best is not None:
                total += best
        return total

    def has_content(self, query: str) -> bool:
        """Whether a question has a word that is not a stopword."""
        return any(w not in self.stopwords for w in words(query))

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

        `similarity`, when given, holds a dense similarity per document (index
        order, any scale); it is fused with the lexical score as a standardised bonus.
        """
        return self.search_with_evidence(
            query, limit, participant, similarity, count_covered=False
        )[0]

    def search_with_evidence(
        self,
        query: str,
        limit: int = 10,
        participant: str | None = None,
        similarity: FloatArray | None = None,
        count_covered: bool = True,
        dense_weight: float = DENSE_WEIGHT,
    ) -> tuple[list[tuple[str, float]], Evidence]:
        """`search`, and how well its best hit fits the question's words (`covered` only
        with `count_covered`: it looks at every reading again)."""
        if self.size == 0 or limit <= 0:
            return [], NO_EVIDENCE
        analysis = self.analyse(query)
        slots: dict[int, FloatArray | None] = {}
        groups = self.group_scores(analysis, slots if count_covered else None)
        total = self._total(groups)
        coverage = self.phrase_coverage(analysis)
        if coverage is not None and total.size:
            lift = BEST_BET * float(total.max()) * coverage**2
            total = np.where(total > 0, total + lift, total).astype(np.float32)
        if similarity is not None and similarity.size == self.size and self.size > 1:
            best = float(total.max())
            z = (similarity - similarity.mean()) / (float(similarity.std()) + 1e-9)
            fused = (total / best if best > 0 else total) + dense_weight * z
            # Dense-only candidates must be clearly similar; lexical hits stay in
            # unless the model finds them far below average.
            # A short question is found by its words: a document only the model finds is
            # more often wrong than right there (measured: 1 of 7 Munich queries without a
            # lexical hit), and an unrelated question ("Kinoprogramm heute") would get one.
            alone = dense_weight >= DENSE_WEIGHT
            if not alone:  # ... and every document its words found stays, if last
                fused = np.where(total > 0, np.maximum(fused, 2 * MIN_SCORE), fused)
            keep = ((total > 0) | (alone & (z >= DENSE_ONLY_Z))) & (fused > MIN_SCORE)
            total = np.where(keep, fused, 0.0).astype(np.float32)
        if self._gone is not None:
            total[self._gone] = 0.0
        if participant is not None:
            pid = self._participants.get(participant)
            if pid is None:
                return [], NO_EVIDENCE
            total = np.where(self._participant_of == pid, total, 0.0).astype(np.float32)
        hits = np.flatnonzero(total > 0)
        unknown = sum(1 for g in groups if g is None or not g.any())
        if hits.size == 0:
            return [], Evidence(len(groups), unknown, 0.0, 0.0, 0.0, 0.0)
        top = hits[np.argpartition(-total[hits], limit - 1)[:limit]] if hits.size > limit else hits
        order = sorted(top.tolist(), key=lambda i: (-float(total[i]), self.keys[i]))
        first = order[0]
        attainable = sum(float(g.max()) for g in groups if g is not None)
        lexical = sum(float(g[first]) for g in groups if g is not None)
        evidence = Evidence(
            words=len(groups),
            unknown=unknown,
            covered=self._covered(analysis, first, slots) if count_covered else 0.0,
            fit=lexical / attainable if attainable > 0 else 0.0,
            top=float(total[first]),
            second=float(total[order[1]]) if len(order) > 1 else 0.0,
            best=first,
        )
        return [(self.keys[i], float(total[i])) for i in order], evidence

    def _covered(self, analysis: Analysis, doc: int, slots: dict[int, FloatArray | None]) -> float:
        """How many of the question's words one document matches: per group, the best
        reading's share of words (or compound parts) that the document contains."""
        covered = 0.0
        for group in analysis.groups:
            best = 0.0
            for alternative in group:
                if not alternative:
                    continue
                matched = 0
                for slot in alternative:
                    vec = slots[id(slot)] if id(slot) in slots else self._slot_scores(slot)
                    matched += vec is not None and vec[doc] > 0
                best = max(best, matched / len(alternative))
            covered += best
        return covered


def _literal_floor(best: FloatArray, own: FloatArray) -> FloatArray:
    """A document that has the caller's word itself, where the word is telling (few
    documents have it), ranks no lower than the LITERAL_RANK-th of the group, however
    well other documents match the word's compound parts: "Laternenumzug" finds the
    service whose text names it, even if "Umzug" is in the names of others."""
    holders = np.flatnonzero(own > 0)
    if holders.size == 0 or holders.size > LITERAL_MAX_DOCS or best.size < LITERAL_RANK:
        return best
    floor = float(np.partition(best, best.size - LITERAL_RANK)[best.size - LITERAL_RANK])
    if floor <= 0:
        return best
    # Among themselves they keep the order of their own match.
    lifted = floor * (1.0 + LITERAL_SPREAD * own[holders] / float(own[holders].max()))
    out = best.copy()
    out[holders] = np.maximum(best[holders], lifted)
    return out


def _phrase_hits(
    postings: Postings,
    ids: set[int],
    groups: int,
    size: int,
    at: npt.NDArray[np.int64] | None,
) -> FloatArray | None:
    """Per document (at its index position), the largest share of the question's words
    that one of its phrases in `postings` covers; None when no phrase is complete."""
    if postings.phrase_doc.size == 0:
        return None
    known = postings.phrase_offsets.size - 1
    lists = [
        postings.phrase_of_term[postings.phrase_offsets[t] : postings.phrase_offsets[t + 1]]
        for t in ids
        if t < known
    ]
    if not lists:
        return None
    candidates = np.concatenate(lists)
    if candidates.size == 0:
        return None
    phrase, hits = np.unique(candidates, return_counts=True)
    complete = phrase[hits == postings.phrase_len[phrase]]
    if complete.size == 0:
        return None
    coverage = np.zeros(size, dtype=np.float32)
    share = np.minimum(postings.phrase_len[complete] / groups, 1.0).astype(np.float32)
    # A question that contains a service's whole name is about it, however much
    # else the caller says (catalogs without keywords name services tersely).
    share = np.where(postings.phrase_is_name[complete], np.maximum(share, NAME_SHARE), share)
    docs = postings.phrase_doc[complete]
    np.maximum.at(coverage, at[docs] if at is not None else docs, share)
    return coverage


__all__ = ["FIELDS", "Evidence", "IndexDoc", "SearchIndex"]
