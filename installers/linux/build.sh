#!/usr/bin/env bash
# Build the Linux bundle: dist/roistudio/ (one folder; `dist/roistudio/roistudio` runs the app and
# the CLI, no Python needed on the target) and dist/roistudio-VERSION-linux-x86_64.tar.gz with the
# desktop entry, the MIME type and the icons beside it (installed by the bundle's install.sh).
#
#   installers/linux/build.sh            # build, then print the size
#   installers/linux/build.sh --smoke    # build, then run installers/smoke_test.py on the result
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

# PyInstaller is the `build` extra of pyproject.toml; install it here when missing so the script
# works from a plain `pip install -e .` too.
if ! python3 -c "import PyInstaller" 2>/dev/null; then
    echo "build: installing PyInstaller"
    python3 -m pip install -q "pyinstaller>=6.10"
fi

version=$(python3 -c "import re,sys; print(re.search(r'__version__ = \"([^\"]+)\"', open('src/roistudio/__init__.py').read()).group(1))")
echo "build: Model ROI Studio $version with PyInstaller $(python3 -m PyInstaller --version)"
started=$(date +%s)
python3 -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$repo/dist" --workpath "$repo/build/pyinstaller" installers/roistudio.spec

bundle=dist/roistudio
# Freedesktop integration files travel inside the bundle, with a script that installs them per user.
mkdir -p "$bundle/share"
cp installers/linux/roistudio.desktop installers/linux/roistudio-mime.xml installers/linux/install.sh "$bundle/share/"
cp resources/icons/roistudio.svg "$bundle/share/"
chmod +x "$bundle/share/install.sh"

tarball="dist/roistudio-$version-linux-$(uname -m).tar.gz"
tar -C dist -czf "$tarball" roistudio
echo "build: done in $(( $(date +%s) - started )) s"
echo "build: bundle $(du -sh "$bundle" | cut -f1) ($bundle), tarball $(du -sh "$tarball" | cut -f1) ($tarball)"

if [ "${1:-}" = "--smoke" ]; then
    python3 installers/smoke_test.py "$bundle"
fi
