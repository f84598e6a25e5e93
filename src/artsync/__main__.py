"""``python -m artsync`` runs the command line."""

from artsync.cli.app import main

main()
