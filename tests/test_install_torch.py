"""The setup's choice of torch build (packaging/install_torch.py): the logic, not the network."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
_spec = importlib.util.spec_from_file_location("install_torch", ROOT / "packaging" / "install_torch.py")
it = sys.modules["install_torch"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(it)

PIN = "2.13.0"
INDEX = it.CPU_INDEX


def never(*_):
    raise AssertionError("asked though the answer was already known")


def plan(choice="auto", gpu=False, platform="linux", installed=None, finds=never,
         index=INDEX, reachable=never):
    return it.plan(PIN, choice, gpu, platform, installed, finds, index, reachable)


def test_no_gpu_and_a_local_cpu_wheel_needs_no_cpu_index():
    chosen = plan(finds=lambda: "2.13.0+cpu")  # the index is never probed
    assert chosen.pip_args == ("torch==2.13.0+cpu",) and not chosen.uninstall_first
    assert "without PyTorch's CPU index" in chosen.note


def test_no_gpu_and_only_the_cuda_build_at_hand_adds_the_cpu_index():
    probed = []
    chosen = plan(finds=lambda: "2.13.0", reachable=lambda url: probed.append(url) or True)
    assert chosen.pip_args == ("torch==2.13.0+cpu", "--extra-index-url", INDEX)
    assert probed == [INDEX]


@pytest.mark.parametrize("finds", [lambda: "2.13.0", lambda: None, lambda: "2.12.0+cpu"])
def test_an_unreachable_cpu_index_falls_back_and_says_so(finds):
    chosen = plan(finds=finds, reachable=lambda url: False)
    assert chosen.pip_args == ("torch==2.13.0",)
    assert "cannot be reached" in chosen.note and "CUDA" in chosen.note


def test_an_empty_torch_index_is_never_probed():
    chosen = plan(finds=lambda: "2.13.0", index="")
    assert chosen.pip_args == ("torch==2.13.0",) and "TORCH_INDEX is empty" in chosen.note


@pytest.mark.parametrize("choice", ["auto", "cuda", "default"])
def test_a_gpu_or_an_explicit_choice_gets_the_default_build(choice):
    chosen = plan(choice=choice, gpu=choice == "auto")
    assert chosen.pip_args == ("torch==2.13.0",) and not chosen.uninstall_first


def test_torch_cpu_wins_over_a_gpu():
    assert plan(choice="cpu", gpu=True, finds=lambda: "2.13.0+cpu").pip_args == ("torch==2.13.0+cpu",)


@pytest.mark.parametrize("choice, gpu, installed", [
    ("auto", False, "2.13.0+cpu"), ("cpu", True, "2.13.0+cpu"),
    ("auto", True, "2.13.0"), ("cuda", False, "2.13.0+cu130"), ("default", False, "2.13.0"),
])
def test_the_right_build_already_installed_means_nothing_to_do(choice, gpu, installed):
    chosen = plan(choice=choice, gpu=gpu, installed=installed)
    assert chosen.pip_args == () and "nothing to do" in chosen.note


def test_the_other_build_of_the_pinned_version_is_replaced():
    to_cpu = plan(installed="2.13.0", finds=lambda: "2.13.0+cpu")  # a CUDA torch, no GPU
    assert to_cpu.pip_args == ("torch==2.13.0+cpu",)  # a different version: pip replaces it
    to_cuda = plan(choice="cuda", installed="2.13.0+cpu")
    assert to_cuda.pip_args == ("torch==2.13.0",) and to_cuda.uninstall_first


def test_another_version_installed_is_upgraded_to_the_pin():
    assert plan(installed="2.12.0+cpu", finds=lambda: "2.13.0+cpu").pip_args == ("torch==2.13.0+cpu",)


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_macos_and_windows_wheels_on_pypi_are_the_cpu_build(platform):
    assert plan(platform=platform).pip_args == ("torch==2.13.0",)
    assert plan(platform=platform, installed="2.13.0").pip_args == ()


@pytest.mark.parametrize("value, choice", [(None, "auto"), ("", "auto"), ("CPU", "cpu"),
                                           (" cuda ", "cuda"), ("default", "default")])
def test_the_torch_variable(value, choice):
    assert it.choice_from({} if value is None else {"TORCH": value}) == choice


def test_a_bad_torch_variable_is_one_line_and_status_2():
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "install_torch.py")],
                            capture_output=True, text=True, env=dict(os.environ, TORCH="rocm"),
                            timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "install_torch: error: TORCH='rocm': expected one of auto, cpu, cuda, default"]


def test_the_pin_comes_from_the_constraints(tmp_path):
    import torch

    assert it.pinned_version() == torch.__version__.split("+")[0]  # what the tests run on
    empty = tmp_path / "c.txt"
    empty.write_text("numpy==2.0\n# torch==1.0 in a comment\n")
    with pytest.raises(ValueError, match="pins no torch"):
        it.pinned_version(empty)


def test_an_unreachable_index_answers_false_at_once():
    assert it.reachable("http://127.0.0.1:9/whl/cpu", timeout=2) is False  # refused, local
    assert it.reachable("not a url") is False


def test_nvidia_smi_listing_a_gpu_counts(tmp_path, monkeypatch):
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H200 (UUID: GPU-1)'\n")
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert it.nvidia_gpu_present()
    smi.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n")  # no driver
    if not Path("/proc/driver/nvidia/gpus").is_dir():
        assert not it.nvidia_gpu_present()
