from __future__ import annotations

from auskunft.catalog.service.html_text import first_sentences, html_to_text


def test_paragraphs_and_lists_become_readable_text() -> None:
    html = "<p>\u200bErster&nbsp;Absatz.</p><ul><li>eins</li><li>zwei</li></ul><p>Ende<br>neu</p>"
    assert html_to_text(html) == "Erster Absatz.\n\n• eins\n• zwei\n\nEnde\nneu"


def test_empty_html_is_empty_text() -> None:
    assert html_to_text(None) == ""
    assert html_to_text("") == ""


def test_summaries_stop_at_a_sentence_end() -> None:
    text = "Das ist der erste Satz mit einigem Inhalt. " * 10
    summary = first_sentences(text, limit=100)
    assert summary.endswith(".")
    assert len(summary) <= 100
