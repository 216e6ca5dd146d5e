from __future__ import annotations

from auskunft.search.model.index import IndexDoc, SearchIndex


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


def test_a_particle_participle_falls_back_to_its_bare_verb() -> None:
    index = SearchIndex(
        [doc("um", "Fahrzeug umschreiben", "Auto kaufen"), doc("ab", "Fahrzeug abmelden")]
    )
    # "abgekauft": the catalog knows neither abkaufen nor the participle, only kaufen.
    assert index.search("Auto abgekauft", limit=1)[0][0] == "um"


def test_a_misspelt_word_of_the_word_data_keeps_its_synonyms() -> None:
    index = SearchIndex(
        [doc("nw", "Nebenwohnung anmelden"), doc("hw", "Hauptwohnung anmelden", "Umzug")]
    )
    # "Zweitwohnsitz" means Nebenwohnung (synonyms.toml); one letter is missing here.
    assert index.search("Zweitwonsitz anmelden", limit=1)[0][0] == "nw"


def test_a_clipped_word_stands_for_the_words_it_begins() -> None:
    # A trailing space: the word is complete, so this is not completion while typing.
    assert first("Kartenführer ") == "fs"


def test_inflected_alt_is_an_old_thing_not_old_age() -> None:
    index = SearchIndex(
        [doc("gs", "Grundsicherung im Alter"), doc("ab", "Fahrzeug abmelden", "Auto")]
    )
    assert [k for k, _ in index.search("mein altes Auto", limit=5)] == ["ab"]


def test_short_questions_take_the_meaning_as_a_tie_breaker_only() -> None:
    import numpy as np

    from auskunft.search.model.index import DENSE_WEIGHT, DENSE_WEIGHT_SHORT

    # "beantragen" matches the ID card and the passport alike; the model leans to the
    # passport, and finds the driving licence closest of all (which no word matches).
    similarity = np.array([0.1, 0.5, 0.9, 0.0], dtype=np.float32)
    short, _ = INDEX.search_with_evidence(
        "beantragen", similarity=similarity, dense_weight=DENSE_WEIGHT_SHORT
    )
    assert [key for key, _ in short] == ["rp", "pa"]  # no document by meaning alone
    long, _ = INDEX.search_with_evidence(
        "beantragen", similarity=similarity, dense_weight=DENSE_WEIGHT
    )
    assert {key for key, _ in long} >= {"rp", "pa"}
    # A word's every hit stays, however far the model finds it.
    far = np.array([-5.0, 0.0, 0.0, 0.0], dtype=np.float32)
    kept, _ = INDEX.search_with_evidence(
        "Personalausweis", similarity=far, dense_weight=DENSE_WEIGHT_SHORT
    )
    assert [key for key, _ in kept][:1] == ["pa"]


def test_a_telling_word_finds_the_text_that_has_it_over_names_with_its_parts() -> None:
    docs = [
        doc(f"u{i}", f"Umzug {what}", "Umzug Laterne")
        for i, what in enumerate(["melden", "ins Ausland", "planen", "der Firma", "im Haus"])
    ]
    docs.append(doc("la", "Veranstaltung anmelden", body="Wer einen Laternenumzug plant, meldet."))
    docs.extend(doc(f"x{i}", f"Sonstiges {i}", body="Nichts weiter.") for i in range(20))
    index = SearchIndex(docs)
    keys = [k for k, _ in index.search("Laternenumzug", limit=3)]
    assert "la" in keys
    # Where no text has the whole word, its parts decide as before.
    assert index.search("Auslandsumzug", limit=1)[0][0] == "u1"
