"""Install the torch build that suits this machine into the running Python (a venv).

    .venv/bin/python packaging/install_torch.py      (`make run` / `make test` do it)

The version is the pin in packaging/constraints.txt. Which build:
  TORCH=auto (default)  the CPU build where no NVIDIA GPU is found, the default build where one is
  TORCH=cpu             the CPU build (~200 MB, against gigabytes of CUDA wheels)
  TORCH=cuda | default  the default build of your indexes (on Linux from PyPI: the CUDA build)

PyPI's Linux torch is the CUDA build; the CPU build comes from PyTorch's own CPU index
(TORCH_INDEX, default https://download.pytorch.org/whl/cpu; empty: never use it). That index
is added only when pip cannot already find a CPU build (a local wheel through find-links,
say), and only when it answers within a few seconds: an offline machine falls back to what
pip finds, and says so. Nothing is done when the right build is already installed.
Standard library only: it runs before anything else is installed.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CONSTRAINTS = Path(__file__).with_name("constraints.txt")
CHOICES = ("auto", "cpu", "cuda", "default")
PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Plan:
    pip_args: tuple[str, ...]  # after `pip install`; empty: nothing to do
    note: str                  # one line for the person watching
    uninstall_first: bool = False  # the installed build is the other one (same version)


def plan(pin: str, choice: str, gpu: bool, platform: str, installed: str | None,
         pip_finds: Callable[[], str | None], index: str,
         index_reachable: Callable[[str], bool]) -> Plan:
    """What to install. `installed`: the torch version there now (None: none);
    `pip_finds()`: the version pip would pick from its own indexes and find-links, the CPU
    index left out (None: it finds none); both callables are asked only when needed."""
    want_cpu = choice == "cpu" or (choice == "auto" and not gpu)
    why = {"cpu": "asked for: TORCH=cpu", "cuda": "asked for: TORCH=cuda",
           "default": "asked for: TORCH=default"}.get(choice) or (
        "no NVIDIA GPU found" if want_cpu else "an NVIDIA GPU found")
    have = installed is not None and _matches(installed, pin)
    if have and (not _linux(platform) or is_cpu_build(installed, platform) == want_cpu):
        return Plan((), f"torch {installed} is installed ({why}): nothing to do")
    if not want_cpu:
        return Plan((f"torch=={pin}",), f"torch {pin}, the default build ({why})",
                    uninstall_first=have)
    if not _linux(platform):  # PyPI's macOS and Windows wheels are the CPU build
        return Plan((f"torch=={pin}",), f"torch {pin}, the CPU build ({why})")
    cpu_build = f"torch=={pin}+cpu"  # PyTorch's name for it; a CUDA torch {pin} is replaced
    found = pip_finds()
    if found is not None and _matches(found, pin) and is_cpu_build(found, platform):
        return Plan((f"torch=={found}",), f"torch {found}, the CPU build ({why}), found "
                                          "without PyTorch's CPU index")
    if index and index_reachable(index):
        return Plan((cpu_build, "--extra-index-url", index),
                    f"torch {pin}+cpu, the CPU build ({why}), from {index}")
    where = f"{index} cannot be reached" if index else "TORCH_INDEX is empty"
    return Plan((f"torch=={pin}",), f"torch {pin} as your indexes have it ({where}): on Linux "
                                    "that may be the CUDA build, gigabytes")


def _linux(platform: str) -> bool:
    return platform.startswith("linux")


def is_cpu_build(version: str, platform: str) -> bool:
    """'2.13.0+cpu' is; a version without a local label is the CPU build except on Linux
    (PyPI's Linux wheels are the CUDA build; macOS and Windows wheels are CPU-only)."""
    local = version.partition("+")[2]
    if local:
        return local.startswith("cpu")
    return not _linux(platform)


def _matches(version: str, pin: str) -> bool:
    return version.partition("+")[0] == pin


def choice_from(environ: dict) -> str:
    choice = (environ.get("TORCH") or "auto").strip().lower()
    if choice not in CHOICES:
        raise ValueError(f"TORCH={environ.get('TORCH')!r}: expected one of {', '.join(CHOICES)}")
    return choice


def pinned_version(constraints: Path = CONSTRAINTS) -> str:
    for line in constraints.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"\s*torch\s*==\s*([^\s#;]+).*", line)
        if match:
            return match.group(1)
    raise ValueError(f"{constraints} pins no torch==VERSION")


# ------------------------------------------------------------------ the machine

def nvidia_gpu_present() -> bool:
    """An NVIDIA driver that sees a GPU: `nvidia-smi -L` lists one, or the kernel module does."""
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10)
            if listed.returncode == 0 and "GPU" in listed.stdout:
                return True
        except (OSError, subprocess.SubprocessError):
            pass
    gpus = Path("/proc/driver/nvidia/gpus")
    return gpus.is_dir() and any(gpus.iterdir())


def installed_version() -> str | None:
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def version_pip_finds(requirement: str) -> str | None:
    """The torch version pip resolves from its configured indexes and find-links, or None.
    A dry run: nothing is downloaded but the index pages (and a wheel's metadata)."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        try:
            subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet",
                            "--no-deps", "--ignore-installed", "--timeout", "15", "--retries", "1",
                            "--report", str(report), requirement],
                           check=True, capture_output=True, timeout=300)
            chosen = json.loads(report.read_text(encoding="utf-8"))["install"]
        except (OSError, subprocess.SubprocessError, ValueError, KeyError):
            return None
    return chosen[0]["metadata"]["version"] if chosen else None


def reachable(url: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/torch/", timeout=timeout) as reply:
            return reply.status == 200
    except (OSError, ValueError):  # no network, DNS, TLS, HTTP errors, a malformed URL
        return False


def main() -> int:
    try:
        choice = choice_from(os.environ)
        pin = pinned_version()
    except ValueError as error:
        print(f"install_torch: error: {error}", file=sys.stderr)
        return 2
    gpu = nvidia_gpu_present() if choice == "auto" else False
    chosen = plan(pin, choice, gpu, sys.platform, installed_version(),
                  pip_finds=lambda: version_pip_finds(f"torch=={pin}"),
                  index=os.environ.get("TORCH_INDEX", CPU_INDEX),
                  index_reachable=reachable)
    print(f"install_torch: {chosen.note}", file=sys.stderr)
    if not chosen.pip_args:
        return 0
    if chosen.uninstall_first:
        subprocess.check_call([sys.executable, "-m", "pip", "uninstall", "--yes", "torch"])
    return subprocess.call([sys.executable, "-m", "pip", "install", "--quiet",
                            "-c", str(CONSTRAINTS), *chosen.pip_args])


if __name__ == "__main__":
    sys.exit(main())
