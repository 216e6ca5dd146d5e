"""The citizen's rights (DSGVO Art. 15 and 17, issue 13): a supervisor finds everything
stored about an e-mail address or a phone number, exports it as a document, and erases
it. The slice has no tables: it asks the appointments and forwarding slices through
their services (`service/personal.py` of each), and tells the audit log what it did.
"""
