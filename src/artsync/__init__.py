"""artsync: the Release Train Engineer's system for keeping an Agile Release Train in sync."""

__version__ = "0.1.0"
