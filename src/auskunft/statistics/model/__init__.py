"""The statistics slice's pure model: the demo year's traffic (the call figures' definitions
are telephony's, `telephony/model/figures.py`)."""
