"""The installer definitions agree with the app and with each other; the version lives in one place.

The bundles themselves are built and smoke-tested by ``installers/linux/build.sh --smoke`` (run by
.ci/run); Windows and macOS cannot be built here, so their definitions are checked as text.
"""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

from roistudio import __version__
from roistudio.cli.main import build_parser
from roistudio.core.project.links import SCHEME
from roistudio.core.project.project import PROJECT_SUFFIX

REPO = Path(__file__).resolve().parents[1]
INSTALLERS = REPO / "installers"
MIME_TYPE = "application/x-roistudio-project"
EXTENSION = PROJECT_SUFFIX.lstrip(".")


def test_the_version_has_one_source():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "roistudio.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:[.-]?\w+)?", __version__)
    # No second copy of the version string in the code, the spec or the installer scripts.
    copies = [
        path.relative_to(REPO)
        for folder in (REPO / "src", INSTALLERS)
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix in (".py", ".spec", ".iss", ".sh", ".plist", ".desktop")
        and f'"{__version__}"' in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert copies == [Path("src/roistudio/__init__.py")]


def test_version_flag_prints_the_package_version(capsys):
    try:
        build_parser().parse_args(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"roistudio {__version__}"
    done = subprocess.run(
        [sys.executable, "-m", "roistudio", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"roistudio {__version__}")


def test_the_changelog_has_an_unreleased_section_and_this_version():
    text = (REPO / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.M)
    assert headings[0] == "Unreleased"
    assert __version__ in headings


def test_linux_desktop_entry_and_mime_type_associate_projects_and_links():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(INSTALLERS / "linux" / "roistudio.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Exec"].split()[0] == "roistudio" and desktop["Exec"].split()[1] in (
        "%u",
        "%f",
        "%U",
        "%F",
    )
    mime_types = [m for m in desktop["MimeType"].split(";") if m]
    assert set(mime_types) == {MIME_TYPE, f"x-scheme-handler/{SCHEME}"}
    assert (REPO / "resources" / "icons" / f"{desktop['Icon']}.svg").is_file()

    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(INSTALLERS / "linux" / "roistudio-mime.xml").getroot()
    (mime,) = root.findall("m:mime-type", ns)
    assert mime.get("type") == MIME_TYPE
    assert [g.get("pattern") for g in mime.findall("m:glob", ns)] == [f"*{PROJECT_SUFFIX}"]

    install = (INSTALLERS / "linux" / "install.sh").read_text()
    assert f"x-scheme-handler/{SCHEME}" in install and MIME_TYPE in install


def test_windows_installer_registers_projects_and_links():
    iss = (INSTALLERS / "windows" / "roistudio.iss").read_text()
    assert f'Subkey: "Software\\Classes\\{PROJECT_SUFFIX}"' in iss
    assert f'Subkey: "Software\\Classes\\{SCHEME}"; ValueType: string; ValueName: "URL Protocol"' in iss
    # Both open the app with the file or link as its argument.
    assert (
        iss.count(
            'shell\\open\\command"; ValueType: string; ValueName: ""; ValueData: """{app}\\{#AppExe}"" ""%1"""'
        )
        == 2
    )
    assert re.search(r'#define AppExe "roistudio\.exe"', iss)
    assert 'Source: "..\\..\\dist\\roistudio\\*"' in iss


def test_macos_info_plist_declares_the_document_and_url_types():
    spec = (INSTALLERS / "roistudio.spec").read_text()
    assert f'"CFBundleTypeExtensions": ["{EXTENSION}"]' in spec
    assert f'"public.filename-extension": ["{EXTENSION}"]' in spec
    assert f'"CFBundleURLSchemes": ["{SCHEME}"]' in spec


def test_the_spec_ships_the_resources_the_app_looks_for():
    spec = (INSTALLERS / "roistudio.spec").read_text()
    for folder in ("resources/demo", "resources/fonts", "resources/icons"):
        assert f'"{folder}")' in spec
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert (REPO / "resources" / "icons" / f"roistudio-{size}.png").is_file()
    # The spec's entry point is the console script's function.
    entry = (INSTALLERS / "entry.py").read_text()
    assert "from roistudio.cli.main import console_main" in entry
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["roistudio"] == "roistudio.cli.main:console_main"
