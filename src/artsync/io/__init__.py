"""Importers and exporters: the artsync-plan/1 interchange format and the demo trains."""
