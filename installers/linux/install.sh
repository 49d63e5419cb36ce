#!/usr/bin/env sh
# Put Model ROI Studio in the applications menu of the current user and make .roiproj files and
# roistudio:// links open it. Run from the unpacked bundle: roistudio/share/install.sh
# (uninstall: roistudio/share/install.sh --uninstall). Nothing outside ~/.local is touched.
set -eu
share=$(cd "$(dirname "$0")" && pwd)
bundle=$(dirname "$share")
data=${XDG_DATA_HOME:-$HOME/.local/share}
bin=$HOME/.local/bin

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$bin/roistudio" "$data/applications/roistudio.desktop" "$data/icons/hicolor/scalable/apps/roistudio.svg"
    for size in 16 32 48 64 128 256 512; do rm -f "$data/icons/hicolor/${size}x${size}/apps/roistudio.png"; done
    if command -v xdg-mime >/dev/null 2>&1; then
        xdg-mime uninstall "$share/roistudio-mime.xml" || true
    else
        rm -f "$data/mime/packages/roistudio.xml"
        command -v update-mime-database >/dev/null 2>&1 && update-mime-database "$data/mime" || true
    fi
    list="$data/applications/mimeapps.list"
    [ -f "$list" ] && sed -i '/=roistudio\.desktop$/d' "$list"
    echo "Model ROI Studio removed from the menu (the bundle folder $bundle is left as it is)."
    exit 0
fi

mkdir -p "$bin" "$data/applications" "$data/icons/hicolor/scalable/apps"
ln -sf "$bundle/roistudio" "$bin/roistudio"
# The desktop entry runs the bundle by its absolute path, so it works without ~/.local/bin on PATH.
sed "s|^Exec=roistudio |Exec=\"$bundle/roistudio\" |" "$share/roistudio.desktop" > "$data/applications/roistudio.desktop"
cp "$share/roistudio.svg" "$data/icons/hicolor/scalable/apps/roistudio.svg"
for size in 16 32 48 64 128 256 512; do
    png="$bundle/_internal/resources/icons/roistudio-$size.png"
    if [ -f "$png" ]; then
        mkdir -p "$data/icons/hicolor/${size}x${size}/apps"
        cp "$png" "$data/icons/hicolor/${size}x${size}/apps/roistudio.png"
    fi
done
if command -v xdg-mime >/dev/null 2>&1; then
    xdg-mime install --novendor "$share/roistudio-mime.xml"
    xdg-mime default roistudio.desktop application/x-roistudio-project x-scheme-handler/roistudio
else
    # Without xdg-utils: register the type and the handlers by hand.
    mkdir -p "$data/mime/packages"
    cp "$share/roistudio-mime.xml" "$data/mime/packages/roistudio.xml"
    command -v update-mime-database >/dev/null 2>&1 && update-mime-database "$data/mime" || true
    list="$data/applications/mimeapps.list"
    touch "$list"
    grep -q '^\[Default Applications\]' "$list" || printf '[Default Applications]\n' >> "$list"
    for type in application/x-roistudio-project x-scheme-handler/roistudio; do
        grep -q "^$type=" "$list" || sed -i "/^\[Default Applications\]/a $type=roistudio.desktop" "$list"
    done
fi
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$data/applications" || true
echo "Model ROI Studio is in the applications menu; 'roistudio' is in $bin."
