"""German (and English) text analysis: folding, tokens, stems, compounds, typos.

Index and query go through the same folding and stemming, so that
``Führerschein``, ``Fuehrerschein`` and ``FÜHRERSCHEINE`` meet in one term.
German fields are stemmed with Snowball German, English fields with Snowball
English; a query word is tried with both, since a caller may write either.
"""

from __future__ import annotations

import copy
import re
import threading
import tomllib
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from heapq import merge
from importlib import resources
from typing import Any

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

_TOKEN = re.compile(r"[a-z0-9]+")
# Linking elements (Fugenelemente) that may join the parts of a German compound.
_LINKS = ("", "s", "es", "n", "en", "e", "er")
MIN_PART = 3
# A word family member stands in for the caller's word at this weight; the
# caller's own word, where the catalog has it, always counts more.
FAMILY_WEIGHT = 0.6


def fold(text: str) -> str:
    """Lower-case, spell umlauts as ae/oe/ue, ß as ss, and drop other accents."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    if text.isascii():
        return text
    # Accents go (é -> e); symbols without an ASCII letter (€, §, –) are no words anyway.
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def words(text: str) -> list[str]:
    """Split folded text into word tokens (letters and digits)."""
    return _TOKEN.findall(fold(text))


# Verb particles that German splits off to the end of a clause
# ("Wir wandern nächsten Monat aus", "Ich melde mich morgen an").
PARTICLES = (
    "ab", "an", "auf", "aus", "ein", "fest", "heim", "her", "hin", "los", "mit", "nach",
    "um", "vor", "weg", "zu", "zurueck", "zusammen",
)  # fmt: skip
_CLAUSE = re.compile(r"[.,;:!?()\[\]\n]+")


def clause_words(text: str, joins: Callable[[str], bool]) -> list[str]:
    """Words of a text, with split-off verb particles joined back to their verb.

    In each clause that ends in a particle, the particle is put in front of the
    first earlier word for which `joins(particle + word)` holds (a word the
    catalog knows): "wandern … aus" becomes "auswandern".
    """
    out: list[str] = []
    for clause in _CLAUSE.split(fold(text)):
        tokens = _TOKEN.findall(clause)
        if len(tokens) >= 2 and tokens[-1] in PARTICLES:
            particle = tokens[-1]
            for i, word in enumerate(tokens[:-1]):
                if word not in PARTICLES and joins(particle + word):
                    tokens = [*tokens[:i], particle + word, *tokens[i + 1 : -1]]
                    break
        out.extend(tokens)
    return out


def participle_infinitives(word: str) -> list[str]:
    """Infinitives a past participle may come from: (ab)gemeldet -> (ab)melden.

    Only regular formations; irregular stems (gezogen, gestorben) are in the word families.
    """
    found: list[str] = []
    prefixes = [""] + [p for p in PARTICLES if word.startswith(p)]
    for particle in prefixes:
        rest = word[len(particle) :]
        if rest.startswith("zu") and particle and len(rest) > 5:
            found.append(particle + rest[2:])  # abzumelden -> abmelden
        if not rest.startswith("ge") or len(rest) < 6:
            continue
        core = rest[2:]
        if core.endswith("et"):
            infinitive = core[:-2] + "en"
        elif core.endswith("t"):
            infinitive = core[:-1] + "en"
        elif core.endswith("en"):
            infinitive = core
        else:
            continue
        found.append(particle + infinitive)
        if particle:
            # The bare verb last: "abgekauft" is still about kaufen when the
            # catalog never says abkaufen.
            found.append(infinitive)
    return found


@lru_cache(maxsize=1)
def load_lexicon() -> dict[str, Any]:
    """Load the editable word data (stopwords, synonyms, English glossary)."""
    data: dict[str, Any] = {}
    folder = resources.files("auskunft.search") / "data"
    for name in ("stopwords.toml", "synonyms.toml", "english.toml"):
        with (folder / name).open("rb") as handle:
            data[name.removesuffix(".toml")] = tomllib.load(handle)
    return data


class Stemmer:
    """Cached Snowball stemmers for German and English, safe to share between threads.

    The C stemmers of PyStemmer must not be used by two threads at once; the
    lock is only taken on a cache miss.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._de = snowballstemmer.stemmer("german")
        self._en = snowballstemmer.stemmer("english")
        self._cache_de: dict[str, str] = {}
        self._cache_en: dict[str, str] = {}

    def de(self, word: str) -> str:
        """Return the German stem of a folded word."""
        stem = self._cache_de.get(word)
        if stem is None:
            if len(word) > 3 and not word.isdigit():
                with self._lock:
                    stem = self._de.stemWord(word)
            else:
                stem = word
            self._cache_de[word] = stem
        return stem

    def en(self, word: str) -> str:
        """Return the English stem of a folded word, marked so it never meets a German one."""
        stem = self._cache_en.get(word)
        if stem is None:
            if len(word) > 3:
                with self._lock:
                    stem = "~" + self._en.stemWord(word)
            else:
                stem = "~" + word
            self._cache_en[word] = stem
        return stem


@dataclass
class Phrase:
    """A sequence of folded words and the word lists it may stand for."""

    words: tuple[str, ...]
    expansions: list[tuple[str, ...]]
    weight: float


@dataclass
class PhraseTable:
    """Multi-word synonyms: colloquial words, abbreviations, word families, English."""

    by_first: dict[str, list[Phrase]] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()

    def _key(self, text: str) -> tuple[str, ...]:
        found = words(text)
        kept = tuple(w for w in found if w not in self.stopwords)
        return kept or tuple(found)

    def add(self, phrase: str, expansions: Iterable[str], weight: float) -> None:
        """Register a phrase (any case/umlaut spelling) with its expansions."""
        key = self._key(phrase)
        exp = [k for e in expansions if (k := self._key(e))]
        if not key or not exp:
            return
        bucket = self.by_first.setdefault(key[0], [])
        for existing in bucket:
            if existing.words == key:
                existing.expansions.extend(e for e in exp if e not in existing.expansions)
                return
        bucket.append(Phrase(key, exp, weight))
        bucket.sort(key=lambda p: -len(p.words))

    def match(self, tokens: list[str], start: int) -> Phrase | None:
        """Return the longest phrase starting at tokens[start], if any."""
        for phrase in self.by_first.get(tokens[start], ()):
            end = start + len(phrase.words)
            if tuple(tokens[start:end]) == phrase.words:
                return phrase
        return None

    @classmethod
    def from_lexicon(cls, lexicon: dict[str, Any], stopwords: Iterable[str] = ()) -> PhraseTable:
        """Build the table from synonyms.toml and english.toml; stopwords are left out of keys."""
        table = cls(stopwords=frozenset(stopwords))
        syn = lexicon["synonyms"]
        for phrase, targets in syn.get("abbreviations", {}).items():
            table.add(phrase, targets, 1.0)
        for family in syn.get("families", {}).get("lists", []):
            members = list(family)
            for member in members:
                table.add(member, [m for m in members if m != member], FAMILY_WEIGHT)
        for phrase, targets in lexicon["english"].get("glossary", {}).items():
            table.add(phrase, targets, 0.9)
        return table


class Vocabulary:
    """Surface words of the indexed texts, for compound splitting, typos and prefixes."""

    def __init__(self, surface_words: Iterable[str], stemmer: Stemmer) -> None:
        self.words = sorted(set(surface_words))
        self.stemmer = stemmer
        # A compound part may be a bare stem: 'umtausch' in 'Führerscheinumtausch'
        # is known from 'umtauschen'.
        self.stems = {stem for w in self.words if len(stem := stemmer.de(w)) >= MIN_PART + 1}
        self.known = set(self.words) | self.stems
        self._by_length: dict[int, list[str]] = {}
        for w in self.words:
            self._by_length.setdefault(len(w), []).append(w)
        self._split_cache: dict[str, tuple[str, ...] | None] = {}

    def with_words(self, surface_words: Iterable[str]) -> Vocabulary:
        """This vocabulary and some more words (an edited service's), without re-reading
        the others: the lists and sets are copied, the big ones only once each."""
        new = sorted(w for w in set(surface_words) if not self._listed(w))
        if not new:
            return self
        other = copy.copy(self)
        other.words = list(merge(self.words, new))
        stems = {stem for w in new if len(stem := self.stemmer.de(w)) >= MIN_PART + 1}
        other.stems = self.stems | stems
        other.known = self.known | set(new) | stems
        other._by_length = dict(self._by_length)
        for w in new:
            other._by_length[len(w)] = [*other._by_length.get(len(w), ()), w]
        other._split_cache = {}
        return other

    def _listed(self, word: str) -> bool:
        at = bisect_left(self.words, word)
        return at < len(self.words) and self.words[at] == word

    def split(self, word: str) -> tuple[str, ...] | None:
        """Split a compound into known words (with linking elements), or None."""
        if word in self._split_cache:
            return self._split_cache[word]
        result = self._split(word, 0)
        parts = tuple(result) if result and len(result) > 1 else None
        self._split_cache[word] = parts
        return parts

    def _split(self, word: str, depth: int) -> list[str] | None:
        if depth > 0 and self._is_word(word):
            return [word]
        if depth > 3 or len(word) < 2 * MIN_PART:
            return None
        best: list[str] | None = None
        # Prefer the longest known head, so 'personalausweis' splits as
        # personal+ausweis, not per+sonal+...
        for cut in range(len(word) - MIN_PART, MIN_PART - 1, -1):
            head = word[:cut]
            if not self._is_word(head):
                continue
            rest = word[cut:]
            for link in _LINKS:
                if link and not rest.startswith(link):
                    continue
                tail = rest[len(link) :]
                if len(tail) < MIN_PART:
                    continue
                tail_parts = self._split(tail, depth + 1)
                if tail_parts and (best is None or len(tail_parts) + 1 < len(best)):
                    best = [head, *tail_parts]
            if best is not None and len(best) == 2:
                break
        return best

    def _is_word(self, word: str) -> bool:
        return word in self.known or (len(word) > MIN_PART and self.stemmer.de(word) in self.stems)

    def similar(self, word: str) -> list[tuple[str, int]]:
        """Return known words within a small edit distance (1, or 2 for long words).

        Transposed letters count as one edit (optimal string alignment), as
        they are one slip of the fingers ("abmleden").
        """
        if len(word) < 4 or word.isdigit():
            return []
        limit = 1 if len(word) < 9 else 2
        pool: list[str] = []
        for n in range(len(word) - limit, len(word) + limit + 1):
            pool.extend(self._by_length.get(n, ()))
        found = process.extract(word, pool, scorer=OSA.distance, score_cutoff=limit, limit=4)
        return [(w, int(d)) for w, d, _ in found if w != word]

    def completions(self, prefix: str, limit: int = 6) -> list[str]:
        """Return known words that start with a prefix (for as-you-type search)."""
        if len(prefix) < 3:
            return []
        start = bisect_left(self.words, prefix)
        out: list[str] = []
        for w in self.words[start:]:
            if not w.startswith(prefix) or len(out) >= limit:
                break
            if w != prefix:
                out.append(w)
        return out
