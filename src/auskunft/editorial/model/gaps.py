"""The content-gap loop: what questions found nothing, normalised and counted, and what
of them may be shown (free text may hold names: a question is shown only once at least
`SHOWN_FROM_SESSIONS` different sessions asked it)."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

SHOWN_FROM_SESSIONS = 3
KEPT = timedelta(days=90)
# A portal search with results counts as a gap when no result was opened within this.
OPEN_WINDOW = timedelta(minutes=30)
MAX_QUERY = 200
REASONS = ("no_result", "not_opened", "unanswered")
CHANNELS = ("portal", "desk")

_EDGE = re.compile(r"^[\W_]+|[\W_]+$")


def normalised(query: str) -> str:
    """The form under which questions are counted together: lower case, one space,
    without punctuation at the ends ("Perso verloren?" = "perso  verloren")."""
    text = unicodedata.normalize("NFKC", query).casefold()
    text = " ".join(text.split())
    return _EDGE.sub("", text)[:MAX_QUERY]
