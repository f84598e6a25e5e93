"""Presenters: what the API, the CLI's --json and the pages show of the services' results."""
