"""The event hub: committed events fanned out to live clients, in this process and across processes."""
