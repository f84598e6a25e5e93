"""The ``artsync`` command line: thin commands that call one service and render its result."""
