"""The wheel people pipx-install: built offline from the sources, its metadata checked."""
import email.parser
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import optplayground

ROOT = Path(__file__).parents[1]
SCREENSHOT_URL = "https://raw.githubusercontent.com/optplayground/optplayground/main/docs/screenshot.png"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """`python -m build --wheel` on a copy of the sources (the checkout gets no build/)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "optplayground", source / "optplayground",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(source / "dist"), str(source)], check=True, capture_output=True, timeout=300)
    [built] = (source / "dist").glob("*.whl")
    assert built.name == f"optplayground-{optplayground.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(built) as archive:
        yield archive


def _dist_info(wheel, name: str) -> str:
    return wheel.read(f"optplayground-{optplayground.__version__}.dist-info/{name}").decode()


def test_metadata_has_an_spdx_licence_classifiers_urls_and_the_readme(wheel):
    meta = email.parser.Parser().parsestr(_dist_info(wheel, "METADATA"))
    assert meta["Name"] == "optplayground" and meta["Version"] == optplayground.__version__
    assert meta["License-Expression"] == "MIT" and meta.get_all("License-File") == ["LICENSE"]
    assert "Copyright (c) 2026 the optplayground authors" in _dist_info(wheel, "licenses/LICENSE")
    classifiers = meta.get_all("Classifier")
    assert "Intended Audience :: Education" in classifiers
    assert not any(c.startswith("License ::") for c in classifiers)  # the SPDX string says it
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert urls["Homepage"] == "https://github.com/optplayground/optplayground"
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["Description-Content-Type"] == "text/markdown"
    readme = meta.get_payload()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert SCREENSHOT_URL in images and all(url.startswith("https://") for url in images)

def test_a_console_script_for_the_cli_and_a_gui_script_for_the_window(wheel):
    entry_points = _dist_info(wheel, "entry_points.txt")
    assert "[console_scripts]\noptplayground = optplayground.cli:main" in entry_points
    assert "[gui_scripts]\noptplayground-gui = optplayground.cli:open_window" in entry_points
    from optplayground import cli

    assert callable(cli.main) and callable(cli.open_window)


def test_the_wheel_carries_the_package_and_its_resources_only(wheel):
    names = wheel.namelist()
    assert "optplayground/cli.py" in names and "optplayground/core/engine.py" in names
    presets = [n for n in names if n.startswith("optplayground/resources/presets/")]
    shipped = sorted((ROOT / "optplayground/resources/presets").glob("*.toml"))
    assert len(presets) == len(shipped) >= 14
    assert "optplayground/resources/icons/optplayground-256.png" in names
    assert not any(n.startswith(("tests/", "packaging/", "docs/")) for n in names)


def test_the_pinned_versions_satisfy_the_declared_ranges():
    from packaging.requirements import Requirement

    pins = {}
    for line in (ROOT / "packaging/constraints.txt").read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for text in project["dependencies"] + project["optional-dependencies"]["test"]:
        requirement = Requirement(text)
        assert requirement.specifier.contains(pins[requirement.name.lower()]), text


def test_the_trimmed_bundle_keeps_qt_chinese_translations_only():
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        from bundle_trim import drop_unused
    finally:
        sys.path.pop(0)
    toc = [(f"PySide6/{qt}translations/{name}", "", "DATA") for qt in ("Qt/", "")
           for name in ("qtbase_zh_CN.qm", "qtbase_de.qm", "qt_help_zh_CN.qm")]
    assert [entry[0] for entry in drop_unused(toc)] == [
        "PySide6/Qt/translations/qtbase_zh_CN.qm", "PySide6/translations/qtbase_zh_CN.qm"]
