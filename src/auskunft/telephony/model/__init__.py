"""The telephony slice's pure model: queue_log lines, and calls folded from their events."""
