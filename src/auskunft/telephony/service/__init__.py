"""Use cases of telephony: importing a queue_log, live events, the callers' keys."""
