"""Use cases: one function per thing a person does.

Each takes the session first and keyword arguments after it, checks its
input, changes the store in one transaction that also appends the train's
event, and returns domain values.
"""
