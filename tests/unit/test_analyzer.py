from __future__ import annotations

from auskunft.search.model.analyzer import (
    PhraseTable,
    Stemmer,
    Vocabulary,
    fold,
    load_lexicon,
    words,
)


def test_folding_meets_umlauts_digraphs_and_sharp_s() -> None:
    assert fold("Führerschein") == fold("Fuehrerschein") == fold("FÜHRERSCHEIN")
    assert fold("Straße") == "strasse"
    assert fold("Café") == "cafe"


def test_words_drop_punctuation_and_full_text_syntax() -> None:
    assert words('"Perso" OR NEAR(*) ) -- ;') == ["perso", "or", "near"]


def test_german_stems_meet_across_inflection() -> None:
    stem = Stemmer()
    assert stem.de(fold("Anmeldung")) == stem.de(fold("anmelden"))
    assert stem.de(fold("Personalausweise")) == stem.de(fold("Personalausweis"))


def test_english_stems_never_collide_with_german_ones() -> None:
    stem = Stemmer()
    assert stem.en("passports") == stem.en("passport")
    assert stem.en("passport").startswith("~")


def test_compounds_split_into_known_words_with_linking_elements() -> None:
    stem = Stemmer()
    vocab = Vocabulary(["fuehrerschein", "umtauschen", "wohnung", "geber", "wohnsitz"], stem)
    assert vocab.split("fuehrerscheinumtausch") == ("fuehrerschein", "umtausch")
    parts = vocab.split("wohnungsgeber")
    assert parts is not None
    assert [stem.de(p) for p in parts] == ["wohnung", "geb"]
    assert vocab.split("wohnsitz") is None


def test_typos_find_close_known_words() -> None:
    vocab = Vocabulary(["personalausweis", "reisepass", "fuehrerschein"], Stemmer())
    assert ("personalausweis", 1) in vocab.similar("persnalausweis")
    assert vocab.similar("abc") == []


def test_completions_offer_words_being_typed() -> None:
    vocab = Vocabulary(["personalausweis", "personenstand", "reisepass"], Stemmer())
    assert vocab.completions("perso") == ["personalausweis", "personenstand"]
    assert vocab.completions("pe") == []


def test_colloquial_phrases_expand_to_official_words() -> None:
    table = PhraseTable.from_lexicon(load_lexicon())
    phrase = table.match(words("mein grauer Lappen ist weg"), 1)
    assert phrase is not None
    assert ("fuehrerschein",) in phrase.expansions


def test_split_off_verb_particles_are_joined_back() -> None:
    from auskunft.search.model.analyzer import clause_words

    known = {"auswandern", "anmelde"}
    assert "auswandern" in clause_words("Wir wandern im Mai nach Kanada aus.", known.__contains__)
    joined = clause_words("Ich melde mich an, aber nicht heute", known.__contains__)
    assert "anmelde" in joined and "an" not in joined
    assert clause_words("Ich gehe aus", known.__contains__) == ["ich", "gehe", "aus"]


def test_regular_participles_lead_back_to_infinitives() -> None:
    from auskunft.search.model.analyzer import participle_infinitives

    assert participle_infinitives("abgemeldet") == ["abmelden", "melden"]
    assert participle_infinitives("gemeldet") == ["melden"]
    assert "abgeben" in participle_infinitives("abgegeben")
    assert participle_infinitives("abzumelden") == ["abmelden"]
    assert participle_infinitives("haus") == []
