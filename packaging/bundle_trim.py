"""What optplayground.spec leaves out of the bundle, and the helpers that do it.

The hooks collect whole packages; the app uses a fraction of them. Everything listed here
was checked by packaging/smoke-test.sh on the built package (every optimizer, every LR
schedule, a preset, a screenshot, pyqtgraph's menus and SVG export).
"""
from __future__ import annotations

import posixpath
import re
import subprocess
from fnmatch import fnmatch
from pathlib import Path, PurePath

_QT_UNUSED = ("QtQml", "QtQuick", "QtQuickWidgets", "QtQuickControls2", "QtQuickTest",
              "QtNetwork", "QtPdf", "QtPdfWidgets", "QtTest",
              "QtDesigner", "QtHelp", "QtUiTools", "QtSql", "QtXml", "QtConcurrent", "QtDBus",
              "QtPrintSupport")

# Modules the app never imports (pyqtgraph and torch reach for some of them optionally;
# torch itself needs torch._dynamo, sympy and parts of torch.testing: optimizers import them).
UNUSED_MODULES = [
    *(f"PySide6.{name}" for name in _QT_UNUSED),
    "pyqtgraph.examples", "pyqtgraph.opengl", "pyqtgraph.jupyter",
    "tkinter", "IPython", "ipykernel", "jupyter_rfb", "matplotlib", "pytest", "hypothesis",
    "torch.utils.tensorboard", "torch.utils.benchmark",
    "torch.testing._internal.opinfo", "torch.testing._internal.optests",
    "torch.testing._internal.generated", "torch.testing._internal.codegen",
    "torch.testing._internal.distributed.rpc",
]

# Files (paths inside the bundle) the app never opens. Qt's folders are PySide6/Qt/plugins
# on Linux and macOS, PySide6/plugins on Windows; plugins are libqtiff.so, qtiff.dll, ….
UNUSED_FILES = [
    # C++ headers, static and import libraries, torch's C++ test programs and test libraries
    "torch/bin/*", "torch/test/*", "torch/include/*", "torch/share/*", "*.a", "*.lib",
    "torch/lib/*test*", "torch/lib/*backend_with_compiler.*", "torch/lib/*aoti_custom_ops.*",
    # Qt's translations (but the Chinese the app speaks: KEEP_FILES), tools, software OpenGL
    "PySide6/*translations/*", "PySide6/include/*", "PySide6/opengl32sw.dll",
    "PySide6/*plugins/qmltooling/*", "PySide6/*plugins/designer/*",
    # Qt plugins for what the app does not do: displays without X or Wayland (EGLFS, KMS,
    # framebuffer, Vulkan display, VNC), touch over the network, networking, TIFF images
    "PySide6/*plugins/egldeviceintegrations/*", "PySide6/*plugins/platforms/*qeglfs.*",
    "PySide6/*plugins/platforms/*qminimalegl.*", "PySide6/*plugins/platforms/*qvnc.*",
    "PySide6/*plugins/platforms/*qlinuxfb.*", "PySide6/*plugins/platforms/*qvkkhrdisplay.*",
    "PySide6/*plugins/generic/*qtuiotouchplugin.*", "PySide6/*plugins/networkinformation/*",
    "PySide6/*plugins/tls/*", "PySide6/*plugins/imageformats/*qtiff.*",
]

# Exceptions to UNUSED_FILES: `import torch` fails without its shared-memory manager; Qt's
# own dialogs (file, colour, message box buttons) speak Chinese from qtbase_zh_CN.qm.
KEEP_FILES = ["torch/bin/torch_shm_manager*", "PySide6/*translations/qtbase_zh_CN.qm"]

# Linux: the desktop stack comes from the system (the .deb depends on it). These libraries
# must match the X or Wayland server, the GPU driver and the fonts installed there; copies
# from the build machine clash with them (an older libstdc++ breaks Mesa's drivers, say).
SYSTEM_LIBS = [
    r"libX11.*", r"libX(au|dmcp|ext|render|i|fixes|cursor|randr|inerama)\.so.*", r"libxcb.*",
    r"libxkbcommon.*", r"libwayland-.*", r"libfontconfig\..*", r"libfreetype\..*",
    r"libharfbuzz.*", r"libg(lib|io|object|module|thread)-2\.0\..*", r"libdbus-1\..*",
    r"lib(gtk|gdk|gdk_pixbuf)-.*", r"libatk.*", r"libatspi.*", r"libcairo.*", r"libpango.*",
    r"libpixman.*", r"libepoxy.*", r"libsystemd\..*", r"libstdc\+\+\..*", r"libgcc_s\..*",
    r"libgssapi_krb5.*", r"libkrb5.*", r"libk5crypto.*",
]


def leave_desktop_stack_to_system() -> None:
    """Extend PyInstaller's list of libraries it never collects (it has no option for this)."""
    from PyInstaller.depend import dylib

    dylib.exclude_list = dylib.MatchList(sorted(dylib._excludes) + SYSTEM_LIBS)


def drop_unused(toc: list) -> list:
    """The TOC without the files matching UNUSED_FILES (but not KEEP_FILES)."""
    def matches(entry, patterns):
        return any(fnmatch(PurePath(entry[0]).as_posix(), p) for p in patterns)

    return [e for e in toc if not matches(e, UNUSED_FILES) or matches(e, KEEP_FILES)]


def drop_orphans(binaries: list) -> list:
    """Drop the shared libraries that nothing left in the bundle links any more.

    Candidates are the libraries copied from the build system and Qt's own libraries;
    a library some excluded system library needs (libmount for the system's libgio, say)
    must not be shipped: it would be loaded in place of the system's copy.
    """
    def is_candidate(dest, src, kind):
        top_level_system = ("/" not in dest and src.startswith(("/lib", "/usr/lib"))
                            and not dest.startswith("libpython"))  # the bootloader loads it
        return kind == "BINARY" and (top_level_system or dest.startswith("PySide6/Qt/lib/"))

    binaries = [(PurePath(d).as_posix(), s, k) for d, s, k in binaries]
    candidates = {PurePath(d).name: s for d, s, k in binaries if is_candidate(d, s, k)}
    todo = [s for d, s, k in binaries
            if k in ("BINARY", "EXTENSION") and not is_candidate(d, s, k)]
    reached: set[str] = set()
    while todo:
        for name in _needed(todo.pop()):
            if name in candidates and name not in reached:
                reached.add(name)
                todo.append(candidates[name])
    orphans = {name for name in candidates if name not in reached}
    print(f"bundle_trim: dropping {len(orphans)} libraries nothing links: {' '.join(sorted(orphans))}")
    kept = [e for e in binaries if not (is_candidate(*e) and PurePath(e[0]).name in orphans)]
    return _without_dangling_links(kept)


def _needed(path: str) -> list[str]:
    """The libraries an ELF file links directly (objdump ships with PyInstaller's needs)."""
    out = subprocess.run(["objdump", "-p", path], capture_output=True, text=True).stdout
    return re.findall(r"^\s*NEEDED\s+(\S+)", out, re.MULTILINE)


def _without_dangling_links(toc: list) -> list:
    present = {dest for dest, _, kind in toc if kind != "SYMLINK"}
    return [(dest, src, kind) for dest, src, kind in toc
            if kind != "SYMLINK" or posixpath.normpath(
                posixpath.join(posixpath.dirname(dest), src)) in present]

