"""Drive the real app with the keyboard under an X server: open data through the wizard, export, repeat.

Issue 7 item 1 was found this way: File > Open data, Enter through the wizard, Ctrl+Shift+E, a
path, Enter, and the app died (exit 139). This script does the same with ``xdotool``, ``rounds``
times in one session (each round imports through the wizard again, then exports the PDF with
Ctrl+Shift+E and the workbook with Ctrl+E), and checks after each round that the app still runs
and that both files open (openpyxl, pypdf).

Run it under a virtual X server::

    xvfb-run -a python scripts/xvfb_keyboard_export.py /work/shared/data/bank_marketing_scored.csv

It starts the app with ``HOME`` and the XDG folders in a temporary folder, so the user's settings,
recovery files and import cache are left alone. Exit 0 when every round passed; otherwise one
line saying which step failed (and the app's exit code if it died).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


class Failed(Exception):
    pass


def xdotool(*args: str) -> str:
    out = subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def find_window(title_part: str) -> str | None:
    """The id of a visible window whose title contains ``title_part`` (the newest), or None."""
    ids = xdotool("search", "--onlyvisible", "--name", title_part).split()
    return ids[-1] if ids else None


def wait_for(condition, what: str, app: subprocess.Popen, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if app.poll() is not None:
            raise Failed(f"the app died (exit {app.returncode}) while waiting for {what}")
        if condition():
            return
        time.sleep(0.2)
    raise Failed(f"timed out waiting for {what}")


def focus(title_part: str, app: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait for the window and give it the keyboard (Xvfb has no window manager to do it)."""
    wait_for(lambda: find_window(title_part) is not None, f"a window titled '{title_part}'", app, timeout)
    xdotool("windowfocus", "--sync", find_window(title_part) or "")
    time.sleep(0.3)


def keys(*names: str) -> None:
    for name in names:
        xdotool("key", "--clearmodifiers", name)
        time.sleep(0.15)


def type_text(text: str) -> None:
    xdotool("type", "--delay", "5", text)
    time.sleep(0.2)


def valid_outputs(xlsx: Path, pdf: Path) -> None:
    import openpyxl
    from pypdf import PdfReader

    book = openpyxl.load_workbook(xlsx)
    if "Summary" not in book.sheetnames:
        raise Failed(f"{xlsx}: no Summary sheet")
    if not PdfReader(pdf).pages[0].extract_text().strip():
        raise Failed(f"{pdf}: page 1 has no text")


def export(shortcut: str, target: Path, app: subprocess.Popen) -> None:
    focus("Model ROI Studio", app)
    keys(shortcut)
    focus("Export ", app)
    keys("ctrl+a")
    type_text(str(target))
    keys("Return")
    # "Export done. Open it now?" -> Close (Escape), so no viewer is started.
    focus("Export done", app, timeout=180)
    keys("Escape")
    wait_for(lambda: target.exists(), f"{target.name} to be written", app)


def import_through_wizard(data: Path, app: subprocess.Popen, first: bool) -> None:
    focus("Model ROI Studio", app)
    keys("ctrl+o")
    if not first:
        # A new import replaces the open project; an unsaved one is asked about first.
        time.sleep(1.0)
        if find_window("Unsaved changes"):
            focus("Unsaved changes", app)
            keys("alt+d")  # Discard
    focus("Open prediction data", app)
    type_text(str(data))
    keys("Return")  # -> preview
    time.sleep(1.0)
    keys("Return")  # -> import (runs on the worker)
    time.sleep(1.0)
    # Next is enabled once the import is done: press it until the mapping page shows.
    for _ in range(60):
        if find_window("Open prediction data") is None:
            break
        focus("Open prediction data", app)
        keys("Return")
        time.sleep(1.0)
    wait_for(lambda: find_window("Open prediction data") is None, "the wizard to close", app, timeout=120)


def run(data: Path, rounds: int, out: Path) -> None:
    home = Path(tempfile.mkdtemp(prefix="roistudio-xvfb-"))
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"),
               PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))  # fmt: skip
    env.pop("QT_QPA_PLATFORM", None)  # a real X server this time
    app = subprocess.Popen([sys.executable, "-m", "roistudio"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        focus("Model ROI Studio", app)
        time.sleep(2.0)  # the analysis views load after the first paint
        for n in range(1, rounds + 1):
            import_through_wizard(data, app, first=n == 1)
            focus("Model ROI Studio", app)
            time.sleep(3.0)  # the sweep
            pdf, xlsx = out / f"round-{n}.pdf", out / f"round-{n}.xlsx"
            export("ctrl+shift+e", pdf, app)
            export("ctrl+e", xlsx, app)
            valid_outputs(xlsx, pdf)
            if app.poll() is not None:
                raise Failed(f"round {n}: the app died (exit {app.returncode})")
            print(f"round {n}: app alive; {pdf.name} and {xlsx.name} open", flush=True)
    except Failed:
        if app.poll() is not None:
            sys.stderr.write(app.stderr.read()[-2000:])
        raise
    finally:
        if app.poll() is None:
            app.terminate()
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                app.kill()
        shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a prediction export (CSV) the wizard can map as proposed")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="folder for the exports (a temporary one)")
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        print("no DISPLAY: run under xvfb-run -a", file=sys.stderr)
        return 2
    if shutil.which("xdotool") is None:
        print("xdotool is not installed", file=sys.stderr)
        return 2
    out = args.out or Path(tempfile.mkdtemp(prefix="roistudio-exports-"))
    out.mkdir(parents=True, exist_ok=True)
    try:
        run(args.data.resolve(), args.rounds, out)
    except Failed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
