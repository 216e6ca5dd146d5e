"""Telephony (issue 14): the calls of the telephone system, from Asterisk's queue_log
(imported or live), with their channel, waits and outcome; callers only as keyed hashes."""
