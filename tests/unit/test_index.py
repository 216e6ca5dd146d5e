from __future__ import annotations

from auskunft.search.index import IndexDoc, SearchIndex


def doc(
    key: str, name: str, keywords: str = "", body: str = "", participant: str = "p"
) -> IndexDoc:
    return IndexDoc(key, participant, {"name": name, "keywords": keywords, "body": body})


INDEX = SearchIndex(
    [
        doc("pa", "Personalausweis beantragen", "Perso Ausweis"),
        doc("rp", "Reisepass beantragen", "Pass Reise"),
        doc("fs", "Führerschein umtauschen", "Kartenführerschein"),
        doc("an", "Wohnsitz anmelden", "Umzug Zuzug", participant="q"),
    ]
)


def first(query: str) -> str | None:
    hits = INDEX.search(query, limit=3)
    return hits[0][0] if hits else None


def test_exact_and_inflected_words_find_the_service() -> None:
    assert first("Personalausweise") == "pa"
    assert first("Anmeldung des Wohnsitzes") == "an"


def test_colloquial_words_and_typos_find_the_service() -> None:
    assert first("grauer Lappen") == "fs"
    assert first("Persnalausweis") == "pa"


def test_compounds_are_split_against_the_vocabulary() -> None:
    assert first("Führerscheinumtausch") == "fs"
    assert first("Wohnsitzanmeldung") == "an"


def test_the_word_being_typed_is_completed() -> None:
    assert first("Reisep") == "rp"


def test_nothing_matches_gives_an_empty_list() -> None:
    assert INDEX.search("xylophon quark", limit=5) == []


def test_a_participant_filter_keeps_only_its_services() -> None:
    assert [k for k, _ in INDEX.search("anmelden Ausweis", limit=5, participant="q")] == ["an"]
    assert INDEX.search("Ausweis", limit=5, participant="nobody") == []


def test_an_empty_index_answers_nothing() -> None:
    assert SearchIndex([]).search("Ausweis") == []
