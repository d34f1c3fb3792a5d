"""The command line when user code misbehaves: a module that exits while imported."""
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent


def test_an_optimizer_module_calling_sys_exit_is_one_line_exit_2(tmp_path):
    out = tmp_path / "never.csv"
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    result = subprocess.run([sys.executable, "-m", "optplayground", "run", "--opt", "exits_on_import:Opt",
                             "--allow-import", "--steps", "5", "--csv", str(out)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optplayground: error:"), result.stderr
    assert "cannot import module 'exits_on_import'" in lines[0] and "sys.exit(7)" in lines[0]
    assert not out.exists()
