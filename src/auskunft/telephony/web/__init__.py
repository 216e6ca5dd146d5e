"""The telephony slice's JSON API."""
