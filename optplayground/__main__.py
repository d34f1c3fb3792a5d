"""`python -m optplayground`: the same as the `optplayground` command."""
import sys

from .cli import main

if __name__ == "__main__":  # the engine's child process (spawn) may import this module
    sys.exit(main())
