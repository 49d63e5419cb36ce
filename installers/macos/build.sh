#!/usr/bin/env bash
# Build "Model ROI Studio.app" and dist/ModelROIStudio-VERSION.dmg on macOS (12 or newer).
# Cannot run on Linux: PyInstaller bundles for the system it runs on, and hdiutil/codesign are
# macOS tools. .github/workflows/installers.yml runs it on a macOS runner.
#
# Signing-ready (all optional; unsigned builds run after a right-click > Open):
#   CODESIGN_IDENTITY="Developer ID Application: Your Company (TEAMID)"   sign the app (hardened runtime)
#   ENTITLEMENTS=installers/macos/entitlements.plist                     (the default below)
#   NOTARY_PROFILE=roistudio-notary    a `xcrun notarytool store-credentials` profile: notarise and staple
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -c "import PyInstaller" 2>/dev/null || python3 -m pip install -q "pyinstaller>=6.10"
version=$(python3 -c "import re; print(re.search(r'__version__ = \"([^\"]+)\"', open('src/roistudio/__init__.py').read()).group(1))")
export ENTITLEMENTS=${ENTITLEMENTS:-installers/macos/entitlements.plist}
export CODESIGN_IDENTITY=${CODESIGN_IDENTITY:-}

# The spec reads CODESIGN_IDENTITY and ENTITLEMENTS and signs every binary of the .app with them.
python3 -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller installers/roistudio.spec
app="dist/Model ROI Studio.app"
python3 installers/smoke_test.py dist/roistudio

if [ -n "$CODESIGN_IDENTITY" ]; then
    codesign --force --deep --options runtime --timestamp --entitlements "$ENTITLEMENTS" \
        --sign "$CODESIGN_IDENTITY" "$app"
    codesign --verify --strict --verbose=2 "$app"
fi

dmg="dist/ModelROIStudio-$version.dmg"
staging=$(mktemp -d)
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"  # drag-to-install
rm -f "$dmg"
hdiutil create -volname "Model ROI Studio $version" -srcfolder "$staging" -fs HFS+ -format UDZO "$dmg"
rm -rf "$staging"

if [ -n "$CODESIGN_IDENTITY" ]; then
    codesign --force --timestamp --sign "$CODESIGN_IDENTITY" "$dmg"
    if [ -n "${NOTARY_PROFILE:-}" ]; then
        xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
        xcrun stapler staple "$dmg"
    fi
fi
echo "build: $dmg ($(du -sh "$dmg" | cut -f1)); app $(du -sh "$app" | cut -f1)"
