"""The words of the Art. 15 document, in German (the letter goes to the citizen from a
German authority): what each kind of record is kept for, on which legal basis, how long,
and the names of states and steps. docs/privacy.md says the same at length."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Retention:
    """The retention periods in force (AUSKUNFT_*_RETENTION_DAYS)."""

    appointment_days: int
    concern_days: int


@dataclass(frozen=True)
class Purpose:
    """Why a kind of record is kept, on which basis, and when its personal data goes."""

    category: str  # appointments | waitlist | concerns
    title: str
    purpose: str
    legal_basis: str
    retention: str


def purposes(retention: Retention) -> tuple[Purpose, ...]:
    """The purposes of the three kinds of records that hold a citizen's data."""
    days, concern_days = retention.appointment_days, retention.concern_days
    return (
        Purpose(
            "appointments",
            "Termine",
            "Vergabe, Bestätigung, Erinnerung, Änderung und Absage Ihres Termins; die "
            "Dienststelle sieht, wen sie erwartet.",
            "Art. 6 Abs. 1 Buchst. e DSGVO (Wahrnehmung einer Aufgabe im öffentlichen "
            "Interesse: die Terminvergabe der Verwaltung).",
            f"Name, E-Mail-Adresse und Telefonnummer werden {days} Tage nach dem Termin "
            "gelöscht. Ohne sie bleibt der Termin (Zeit, Ort, Leistung, Status) für die "
            "Statistik erhalten.",
        ),
        Purpose(
            "waitlist",
            "Warteliste",
            "Ein frei werdender Termin wird Ihnen angeboten, in der Reihenfolge der Anmeldung.",
            "Art. 6 Abs. 1 Buchst. e DSGVO (Terminvergabe der Verwaltung), auf Ihren Antrag.",
            f"Solange Sie warten; nach dem Ende des Eintrags (gebucht, verlassen, "
            f"abgelaufen) werden Name, E-Mail-Adresse und Telefonnummer {days} Tage nach der "
            "Anmeldung gelöscht.",
        ),
        Purpose(
            "concerns",
            "Anliegen",
            "Weiterleitung Ihres Anliegens an die zuständige Stelle und deren Rückmeldung an "
            "Sie; Nachweis, wer es wann bearbeitet hat.",
            "Art. 6 Abs. 1 Buchst. a DSGVO (Ihre Einwilligung in die Weitergabe an die "
            "zuständige Stelle) und Buchst. e (Aufgabe im öffentlichen Interesse).",
            f"Name, Kontaktdaten, Frage, Ort, Antwort und alle Texte des Verlaufs werden "
            f"{concern_days} Tage nach dem Abschluss gelöscht. Ohne sie bleiben Zeiten, "
            "Status, zuständige Stellen und Ihre Bewertung für die Statistik und den "
            "Nachweis der Bearbeitung erhalten.",
        ),
    )


SOURCE = (
    "Die Angaben stammen von Ihnen selbst: online eingegeben, oder am Telefon, am Schalter, "
    "per E-Mail oder Brief dem Servicecenter genannt, das sie für Sie eingetragen hat."
)
RECIPIENTS = (
    "Die Angaben sehen die Mitarbeitenden des Servicecenters und der zuständigen Stellen, "
    "soweit sie sie für ihre Aufgabe brauchen; jeder Blick auf die Daten eines Anliegens "
    "wird protokolliert. Eine Übermittlung in Drittländer findet nicht statt."
)
RIGHTS = (
    "Sie können die Berichtigung unrichtiger Daten (Art. 16 DSGVO), ihre Löschung "
    "(Art. 17), die Einschränkung der Verarbeitung (Art. 18) verlangen und der Verarbeitung "
    "widersprechen (Art. 21).",
    "Eine Einwilligung können Sie jederzeit mit Wirkung für die Zukunft widerrufen "
    "(Art. 7 Abs. 3 DSGVO).",
    "Sie können sich bei einer Datenschutz-Aufsichtsbehörde beschweren (Art. 77 DSGVO), in "
    "Hessen beim Hessischen Beauftragten für Datenschutz und Informationsfreiheit.",
    "Eine automatisierte Entscheidung im Einzelfall (Art. 22 DSGVO) findet nicht statt.",
)

APPOINTMENT_STATUS = {
    "booked": "gebucht",
    "provisional": "vorläufig reserviert",
    "offered": "von der Warteliste angeboten",
    "cancelled": "abgesagt",
    "expired": "abgelaufen",
    "arrived": "wahrgenommen",
    "no_show": "nicht erschienen",
}
WAITLIST_STATUS = {
    "waiting": "wartet",
    "offered": "Termin angeboten",
    "booked": "Termin gebucht",
    "left": "verlassen",
    "expired": "abgelaufen",
}
CONCERN_STATUS = {
    "forwarded": "weitergeleitet",
    "in_progress": "in Bearbeitung",
    "waiting_for_citizen": "wartet auf Ihre Antwort",
    "returned": "an das Servicecenter zurückgegeben",
    "answered": "beantwortet",
    "closed": "abgeschlossen",
}
STEP = {
    "received": "eingegangen",
    "forwarded": "weitergeleitet",
    "sent_by_mail": "per E-Mail an die Stelle geschickt",
    "taken": "in Bearbeitung genommen",
    "asked_citizen": "Rückfrage an Sie",
    "citizen_replied": "Ihre Antwort",
    "note": "Vermerk",
    "returned": "zurückgegeben",
    "answered": "beantwortet",
    "reminded": "Erinnerung an die Stelle",
    "overdue": "Frist überschritten",
    "settled": "abgeschlossen",
    "reopened": "wieder geöffnet",
    "purged": "personenbezogene Daten gelöscht",
}
CONCERN_CHANNEL = {
    "115": "Behördennummer 115",
    "local": "Rufnummer des Servicecenters",
    "email": "E-Mail",
    "web": "Kontaktformular",
    "counter": "Schalter",
    "letter": "Brief",
}
BOOKED_VIA = {
    "online": "online von Ihnen gebucht",
    "phone": "vom Servicecenter für Sie gebucht",
}
ANSWER_VIA = {"email": "per E-Mail", "phone": "am Telefon", "public": "veröffentlicht"}
PREFERRED = {"email": "per E-Mail", "phone": "per Rückruf"}
LANGUAGE = {"de": "Deutsch", "en": "Englisch"}


def named(names: dict[str, str], code: str | None) -> str:
    """The German name of a code, the code itself when it has none."""
    if code is None:
        return ""
    return names.get(code, code)
