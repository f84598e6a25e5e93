"""File and wire formats of plain values, with no use-case logic: the artsync-plan/1 format,
the agenda and minutes (JSON and Markdown), iCalendar, backup files, SVG charts and the demo trains."""
