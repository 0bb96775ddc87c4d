"""The domain's rules and vocabularies, with no database and no I/O: what a case is, its
closed vocabularies and their labels, validation messages, phone numbers, text, time, ids and
working-day deadlines. Light to import: the intake form loads parts of it before its first frame.
"""
