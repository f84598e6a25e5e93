"""The pure model of an Agile Release Train and the logic that reasons about it.

Nothing here does I/O, talks to a database or reads the clock: dates that
matter ("today") are passed in, values come in and new values go out.
"""
