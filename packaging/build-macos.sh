#!/usr/bin/env bash
# Build the macOS disk image from a clean clone, in one command (takes minutes):
#
#     packaging/build-macos.sh
#
# -> dist/optplayground-<version>-macos-<arch>.dmg   (optplayground.app; drag it to Applications)
#
# Needs python3 (>= 3.11) and hdiutil (part of macOS). torch publishes macOS wheels for
# Apple silicon only, so build on an arm64 Mac. The app is signed ad hoc by PyInstaller, not
# notarized: the first start needs right-click > Open. Environment: PYTHON=python3.12.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=build/venv
APP=build/pyinstaller/optplayground.app

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
rm -rf build/lib build/bdist.*   # setuptools' leftovers: a deleted file must not linger
"$VENV/bin/python" -m pip install --quiet --upgrade \
    -c packaging/constraints.txt -c packaging/build-constraints.txt . pyinstaller
VERSION=$("$VENV/bin/python" -I -c "import optplayground; print(optplayground.__version__)")

echo "== PyInstaller (a few minutes)"
"$VENV/bin/pyinstaller" --noconfirm --log-level WARN \
    --distpath build/pyinstaller --workpath build/pyinstaller-work packaging/optplayground.spec

out="dist/optplayground-$VERSION-macos-$(uname -m).dmg"
echo "== $out"
stage=build/dmg
rm -rf "$stage"
mkdir -p "$stage" dist
ditto "$APP" "$stage/optplayground.app"      # keeps the bundle's links and signatures
ln -s /Applications "$stage/Applications"    # drag the app onto it
hdiutil create -volname "optplayground $VERSION" -srcfolder "$stage" -fs HFS+ \
    -format UDZO -ov "$out"
ls -l "$out"
