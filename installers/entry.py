"""Entry point of the PyInstaller bundles: the same ``roistudio`` command as the pip install.

``roistudio`` alone opens the app; ``roistudio sweep|report ...`` runs the command line. One
executable serves both, so the bundle needs no second launcher.
"""

import multiprocessing

from roistudio.cli.main import console_main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless when unused; required before any child process on Windows
    console_main()
