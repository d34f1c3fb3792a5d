"""Render the app icon from its SVG: PNGs for Linux, .ico for Windows, .icns for macOS.

    python packaging/make_icons.py      (any Python with PySide6, e.g. .venv/bin/python)

The results are committed under optplayground/resources/icons/; run this again after
editing optplayground.svg. The .ico and .icns hold PNG images, which Windows (Vista on)
and macOS (10.7 on) read, so no image library beyond Qt is needed.
"""
from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "optplayground" / "resources" / "icons"
SVG = ICONS / "optplayground.svg"
PNG_SIZES = (48, 128, 256, 512)                 # hicolor sizes the .deb installs
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_TYPES = {b"icp4": 16, b"icp5": 32, b"icp6": 64, b"ic07": 128, b"ic08": 256,
              b"ic09": 512, b"ic10": 1024}       # ic10 is 512@2x


def render(size: int) -> bytes:
    """The SVG drawn at size x size, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        sys.exit(f"cannot read {SVG}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def ico(images: dict[int, bytes]) -> bytes:
    """An .ico file: a directory of entries, each a PNG (0 in a size byte means 256)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for size, png in images.items():
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def icns(images: dict[bytes, bytes]) -> bytes:
    """An .icns file: 'icns', total length, then (type, length, PNG) chunks."""
    chunks = b"".join(kind + struct.pack(">I", 8 + len(png)) + png for kind, png in images.items())
    return b"icns" + struct.pack(">I", 8 + len(chunks)) + chunks


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (fonts, image I/O)
    sizes = sorted(set(PNG_SIZES) | set(ICO_SIZES) | set(ICNS_TYPES.values()))
    png = {size: render(size) for size in sizes}
    for size in PNG_SIZES:
        (ICONS / f"optplayground-{size}.png").write_bytes(png[size])
    (ICONS / "optplayground.ico").write_bytes(ico({s: png[s] for s in ICO_SIZES}))
    (ICONS / "optplayground.icns").write_bytes(icns({k: png[s] for k, s in ICNS_TYPES.items()}))
    print(f"wrote {len(PNG_SIZES)} PNGs, optplayground.ico and optplayground.icns in {ICONS}")


if __name__ == "__main__":
    main()
