"""A module that ends the interpreter when imported (tests: an import-path optimizer)."""
import sys

sys.exit(7)
