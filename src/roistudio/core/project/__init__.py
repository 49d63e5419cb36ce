"""Project files, roistudio:// links, the bundled demo."""
