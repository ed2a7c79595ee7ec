"""Command-line entry point of the border targeting service (``targeting``)."""
