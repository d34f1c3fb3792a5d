"""`python -m optplayground`: the same as the `optplayground` command."""
import os
import sys


def _drop_current_folder() -> None:
    """`python -m optplayground` puts the current folder first on sys.path, so a module
    lying beside a stranger's experiment file could be imported by name. The app imports
    nothing from there (unless the package itself lives there: a source checkout)."""
    if sys.flags.safe_path or not sys.path:
        return
    first = os.path.abspath(sys.path[0] or os.curdir)
    package_home = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if first == os.getcwd() and first != package_home:
        del sys.path[0]


_drop_current_folder()

from .cli import main  # noqa: E402

if __name__ == "__main__":  # the engine's child process (spawn) may import this module
    sys.exit(main())
