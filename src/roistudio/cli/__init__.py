"""Command-line front end: ``roistudio sweep``, ``roistudio report`` and the GUI launcher."""
