#!/usr/bin/env bash
# Smoke test of a built Linux package, no root and no install needed:
#
#     packaging/smoke-test.sh dist/optplayground_<version>_amd64.deb
#     packaging/smoke-test.sh dist/optplayground-<version>-linux-x86_64.tar.gz
#
# Unpacks the package into a scratch folder and runs the app from there in an empty
# environment (env -i: no venv, no PYTHONPATH, no build machine paths, no display), then
# checks what it made. Prints the time to the first frame and the wall time of each run.
# Needs dpkg-deb (for a .deb), ldd, objdump and the system's python3 (to read the PNG).
set -euo pipefail

[ $# -eq 1 ] && [ -f "$1" ] || { echo "usage: $0 PACKAGE.deb|PACKAGE.tar.gz" >&2; exit 2; }
PACKAGE=$(realpath "$1")
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/optplayground-smoke.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
ROOT=$SCRATCH/root
mkdir -p "$ROOT" "$SCRATCH/home"
SIZE=1280x800

main() {
    unpack
    check_files
    check_libraries
    run_app
    echo "PASS  $(basename "$PACKAGE")"
}

fail() { echo "FAIL  $*" >&2; exit 1; }

unpack() {
    case "$PACKAGE" in
        *.deb) dpkg-deb -x "$PACKAGE" "$ROOT"
               BUNDLE=$ROOT/opt/optplayground
               APP=$ROOT/usr/bin/optplayground ;;   # through the /usr/bin symlink
        *.tar.gz) tar -xzf "$PACKAGE" -C "$ROOT"
               BUNDLE=$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d -name 'optplayground-*')
               APP=$BUNDLE/optplayground ;;
        *) fail "not a .deb or .tar.gz: $PACKAGE" ;;
    esac
    [ -x "$APP" ] || fail "no optplayground program in the package"
    echo "package   $(du -h "$PACKAGE" | cut -f1)   unpacked $(du -sh "$ROOT" | cut -f1)   ($(basename "$PACKAGE"))"
}

check_files() {
    ls "$BUNDLE"/_internal/optplayground/resources/presets/*.toml >/dev/null || fail "the presets are missing"
    [[ $PACKAGE == *.deb ]] || { echo "ok        presets"; return 0; }
    local file
    for file in usr/share/applications/optplayground.desktop \
                usr/share/icons/hicolor/{48x48,128x128,256x256,512x512}/apps/optplayground.png \
                usr/share/icons/hicolor/scalable/apps/optplayground.svg; do
        [ -s "$ROOT/$file" ] || fail "$file is missing"
    done
    grep -q '^Exec=optplayground' "$ROOT/usr/share/applications/optplayground.desktop" || fail ".desktop has no Exec"
    if command -v desktop-file-validate >/dev/null; then
        desktop-file-validate "$ROOT/usr/share/applications/optplayground.desktop" || fail ".desktop is invalid"
    fi
    dpkg-deb --field "$PACKAGE" Depends | grep -q 'libc6 (>= .*libegl1' || fail "Depends lacks libc6 or libegl1"
    echo "ok        menu entry, icons, presets; Depends: $(dpkg-deb --field "$PACKAGE" Depends | cut -c1-60)…"
}

check_libraries() {
    # Every library must come from the bundle or the system, never from a venv or a build
    # folder, and no RPATH may point outside the bundle.
    local file bad="" missing=""
    while IFS= read -r file; do
        if objdump -p "$file" 2>/dev/null | awk '$1 == "RPATH" || $1 == "RUNPATH" {print $2}' |
                tr ':' '\n' | grep -q -v '^\$ORIGIN'; then
            bad+="$file: $(objdump -p "$file" | grep -E 'RPATH|RUNPATH')"$'\n'
        fi
        while read -r soname _ path _; do
            case "$path" in
                "$BUNDLE"/*|/lib/*|/lib64/*|/usr/lib/*|/usr/lib64/*) ;;
                not) missing+="$soname " ;;
                *) bad+="$file -> $soname => $path"$'\n' ;;
            esac
        done < <(LD_LIBRARY_PATH="$BUNDLE/_internal" ldd "$file" 2>/dev/null | grep '=>')
    done < <(elf_files)
    [ -z "$bad" ] || fail "libraries from outside the bundle and the system:"$'\n'"$bad"
    missing=$(tr ' ' '\n' <<<"$missing" | grep . | sort -u | paste -sd' ' || true)
    [ -z "$missing" ] || echo "note      this system lacks $missing (see the .deb's Depends; GTK 3 and libtiff only for optional Qt plugins)"
    echo "ok        $(elf_files | wc -l) libraries link only the bundle and the system"
}

elf_files() {
    local file
    find "$BUNDLE" -type f \( -name '*.so*' -o -perm -u+x \) | while IFS= read -r file; do
        if [ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" = '177ELF' ]; then echo "$file"; fi
    done
}

clean_env() {  # the app as a user starts it: nothing inherited from this shell
    env -i HOME="$SCRATCH/home" QT_QPA_PLATFORM=offscreen PATH=/usr/bin:/bin "$@"
}

timed() {  # timed LABEL COMMAND...: run it in the clean environment, print its wall time
    local label=$1 start ms out status=0
    shift
    start=$(date +%s%N)
    out=$(clean_env "$@" 2>"$SCRATCH/stderr") || status=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    printf '%-9s %3d.%02d s  %s\n' "$label" $((ms / 1000)) $((ms % 1000 / 10)) "$(head -1 <<<"$out")"
    if [ "$status" -ne 0 ]; then
        cat "$SCRATCH/stderr" >&2
        fail "$label exited with status $status"
    fi
    LAST_OUTPUT=$out
}

run_app() {
    local preset name args=() runs=0 found
    timed bundle "$APP" --check-bundle
    timed version "$APP" --version
    [[ $LAST_OUTPUT == "optplayground "[0-9]* ]] || fail "--version does not name the app's version"
    # one headless race with every optimizer, Adam in Lookahead, and SGD under every LR schedule
    timed list "$APP" list optimizers
    for name in $(grep -v '^ ' <<<"$LAST_OUTPUT" | awk '{print $1}'); do
        if [ "$name" = lookahead ]; then args+=(--opt adam --lookahead)  # a wrapper, not an optimizer
        else args+=(--opt "$name"); fi
        runs=$((runs + 1))
    done
    timed list "$APP" list schedules
    for name in $(grep -v '^ ' <<<"$LAST_OUTPUT" | awk '{print $1}'); do
        args+=(--opt sgd --schedule "$name"); runs=$((runs + 1))
    done
    [ "$runs" -ge 20 ] || fail "list shows only $runs optimizers and schedules"
    timed run "$APP" run --quiet --steps 30 "${args[@]}" --csv "$SCRATCH/all.csv"
    found=$(cut -d, -f1 "$SCRATCH/all.csv" | sort -u | grep -c -v -x run)
    [ "$found" -eq "$runs" ] || fail "the CSV has $found runs, expected $runs"
    if grep ',error$' "$SCRATCH/all.csv"; then fail "a run ended in error (a module missing?)"; fi
    echo "ok        $runs runs in the CSV"
    timed list "$APP" list presets
    preset=$(grep -v '^ ' <<<"$LAST_OUTPUT" | awk 'NR == 1 {print $1}')
    timed export "$APP" run --quiet --steps 30 --preset "$preset" --png "$SCRATCH/race.png" --svg "$SCRATCH/race.svg"
    for name in race.png race-map.svg race-loss.svg race-lr.svg race-grad.svg; do
        [ -s "$SCRATCH/$name" ] || fail "run --png --svg did not write $name"
    done
    grep -q '<svg' "$SCRATCH/race-map.svg" || fail "race-map.svg is not an SVG"
    echo "ok        preset $preset exported as PNG and SVG"
    timed shot "$APP" shot --steps 50 --size "$SIZE" --out "$SCRATCH/shot.png"
    grep -q 'first frame after' <<<"$LAST_OUTPUT" || fail "shot did not report its first frame"
    echo "launch    $(grep -o 'first frame after [0-9.]* s' <<<"$LAST_OUTPUT") (the shot's wall time above includes the race)"
    check_png "$SCRATCH/shot.png"
}

check_png() {  # a real rendering: the right size, not tiny, many colours, no colour everywhere
    /usr/bin/env python3 - "$1" "$SIZE" <<'EOF' || fail "the screenshot is not a real rendering"
import struct, sys, zlib
path, size = sys.argv[1], tuple(int(v) for v in sys.argv[2].split("x"))
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
chunks, pos = {}, 8
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    chunks[kind] = chunks.get(kind, b"") + data[pos + 8:pos + 8 + length]
    pos += 12 + length
width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
assert (width, height) == size, f"{width}x{height}, expected {size[0]}x{size[1]}"
assert depth == 8 and colour in (2, 6), f"unexpected PNG format (depth {depth}, colour type {colour})"
assert len(data) > 40_000, f"only {len(data)} bytes"
bpp = 3 if colour == 2 else 4
raw, stride = zlib.decompress(chunks[b"IDAT"]), width * bpp
prev, colours, counts = bytearray(stride), set(), {}
for y in range(height):  # undo the PNG row filters
    kind, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = row[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if kind == 1: row[i] = (row[i] + a) & 255
        elif kind == 2: row[i] = (row[i] + b) & 255
        elif kind == 3: row[i] = (row[i] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 3):  # every third pixel is plenty
        pixel = bytes(row[x:x + 3])
        colours.add(pixel)
        counts[pixel] = counts.get(pixel, 0) + 1
    prev = row
top = max(counts.values()) / sum(counts.values())
assert len(colours) >= 64, f"only {len(colours)} colours"
assert top < 0.9, f"one colour covers {top:.0%} of the window"
print(f"ok        screenshot {width}x{height}, {len(data) // 1024} KB, {len(colours)} colours, "
      f"the most common one {top:.0%}")
EOF
}

main
