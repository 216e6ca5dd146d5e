"""E-mails to citizens about their appointments and waitlist places, sent by the worker."""
