"""An index updated with a few changed services (`SearchIndex.updated`) answers like one
built whole over the same catalog, and never shows what was removed."""

from __future__ import annotations

from functools import cache

import pytest

from auskunft.catalog.service.demo import read_demo_catalog
from auskunft.search.model.index import IndexDoc, SearchIndex


def as_doc(s: dict[str, object]) -> IndexDoc:
    keywords = [str(k) for k in s.get("keywords", [])]  # type: ignore[attr-defined]
    return IndexDoc(
        key=str(s["id"]),
        participant=str(s.get("participant", "kassel")),
        fields={
            "name": str(s["name"]),
            "keywords": " ; ".join(keywords),
            "summary": str(s.get("summary", "")),
            "body": str(s.get("description", "")),
        },
        phrases=[str(s["name"]), *keywords],
    )


@cache
def catalog() -> tuple[IndexDoc, ...]:
    return tuple(as_doc(s) for s in read_demo_catalog()["service"])


def edited() -> tuple[list[IndexDoc], list[str], list[IndexDoc]]:
    """Changed docs (three edits, one new service), removed keys, and the final catalog."""
    docs = list(catalog())
    first, second, third = docs[3], docs[10], docs[20]
    changes = [
        IndexDoc(first.key, first.participant, {**first.fields, "keywords": "Quittungsbeleg"},
                 phrases=[first.fields["name"], "Quittungsbeleg"]),
        IndexDoc(second.key, "baunatal", {**second.fields, "name": "Zaunkönigpflege Nord"},
                 phrases=["Zaunkönigpflege Nord"]),
        IndexDoc(third.key, third.participant, {**third.fields, "body": "Kaum noch Text."}),
        IndexDoc("neu-1", "kassel", {"name": "Laternenumzugsgenehmigung",
                                     "body": "Wer einen Laternenumzug plant, meldet ihn an."},
                 phrases=["Laternenumzugsgenehmigung"]),
    ]  # fmt: skip
    removed = [docs[30].key, docs[31].key]
    by_key = {d.key: d for d in docs}
    for d in changes:
        by_key[d.key] = d
    final = [d for k, d in by_key.items() if k not in removed]
    return changes, removed, final


def queries(final: list[IndexDoc]) -> list[str]:
    names = [d.fields["name"] for d in final[::4]]
    words = [d.fields["name"].split()[0] for d in final[1::5]]
    return [
        *names,
        *words,
        "Quittungsbeleg",
        "Zaunkönig",
        "Laternenumzug",
        "Laternenumzugsgenehmigung",
    ]


def test_an_updated_index_ranks_like_one_built_whole() -> None:
    changes, removed, final = edited()
    base = SearchIndex(list(catalog()))
    updated = base.updated(changes, removed)
    whole = SearchIndex(final)
    assert updated.changed == 4 and updated.size == base.size + 1
    same_first = same_five = 0
    asked = queries(final)
    for q in asked:
        mine = [k for k, _ in updated.search(q, limit=5)]
        theirs = [k for k, _ in whole.search(q, limit=5)]
        assert bool(mine) == bool(theirs), q
        same_first += mine[:1] == theirs[:1]
        same_five += len(set(mine) & set(theirs)) >= min(4, len(theirs))
    # The statistics of the base (document frequencies, mean lengths) stay until the next
    # whole build: ties may order differently, the answers do not.
    assert same_first / len(asked) >= 0.95
    assert same_five / len(asked) >= 0.95


def test_changed_services_are_found_by_their_new_words_only() -> None:
    changes, removed, _ = edited()
    updated = SearchIndex(list(catalog())).updated(changes, removed)
    assert updated.search("Quittungsbeleg")[0][0] == changes[0].key
    assert updated.search("Zaunkönigpflege")[0][0] == changes[1].key
    assert updated.search("Laternenumzugsgenehmigung")[0][0] == "neu-1"
    # A word of its text, and the part of its name that the text names.
    assert "neu-1" in [k for k, _ in updated.search("Laternenumzug", limit=10)]
    assert updated.search("Laternenumz")[0][0] == "neu-1"  # being typed
    # Its old name counts no more: it scores for it only through its other texts.
    old_name = catalog()[10].fields["name"]
    before = dict(SearchIndex(list(catalog())).search(old_name, limit=10))
    after = dict(updated.search(old_name, limit=10))
    assert after.get(changes[1].key, 0.0) < before[changes[1].key] / 2


def test_removed_services_never_come_back() -> None:
    changes, removed, _ = edited()
    gone = {d.key: d.fields["name"] for d in catalog() if d.key in removed}
    updated = SearchIndex(list(catalog())).updated(changes, removed)
    for name in gone.values():
        keys = [k for k, _ in updated.search(name, limit=100)]
        assert not set(keys) & set(removed)
        similarity = [1.0 if k in removed else 0.0 for k in updated.keys]
        import numpy as np

        hits = updated.search(name, limit=100, similarity=np.array(similarity, dtype=np.float32))
        assert not {k for k, _ in hits} & set(removed)


def test_the_participant_filter_follows_a_moved_service() -> None:
    changes, removed, _ = edited()
    updated = SearchIndex(list(catalog())).updated(changes, removed)
    assert [k for k, _ in updated.search("Zaunkönigpflege", participant="baunatal")] == [
        changes[1].key
    ]
    assert changes[1].key not in [
        k for k, _ in updated.search("Zaunkönigpflege", participant="kassel")
    ]
    assert updated.search("Laternenumzug", participant="nirgendwo") == []


def test_updating_again_starts_from_the_build_and_leaves_the_old_index_alone() -> None:
    changes, removed, _ = edited()
    base = SearchIndex(list(catalog()))
    before = base.search("Zaunkönig", limit=5)
    once = base.updated(changes[:2], [])
    twice = once.updated(changes, removed)
    assert twice.changed == 4
    assert base.search("Zaunkönig", limit=5) == before
    assert "neu-1" not in [k for k, _ in once.search("Laternenumzugsgenehmigung", limit=100)]
    assert twice.search("Laternenumzugsgenehmigung")[0][0] == "neu-1"


@pytest.mark.parametrize("q", ["", "   ", "Hunde"])
def test_an_update_of_an_empty_index_works(q: str) -> None:
    empty = SearchIndex([])
    updated = empty.updated([IndexDoc("a", "p", {"name": "Hundesteuer"})])
    assert updated.size == 1
    hits = updated.search(q)
    assert [k for k, _ in hits] == (["a"] if q.strip() else [])
