"""The teams' trackers: HTTP clients checked against ../shared/contracts, and the pulls through the services."""
