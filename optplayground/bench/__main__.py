"""`python -m optplayground.bench core|gui NAME... [--quick]`: measure in this process and
print the figures as one JSON line (`optplayground bench` starts one such process per part).

A package's `__main__` is the one main module the engine's child process (multiprocessing
spawn) never imports again, so the child does not load Qt and the window for nothing.
"""
import importlib
import json
import sys

if __name__ == "__main__":
    part, *args = sys.argv[1:]
    measurements = importlib.import_module(f"optplayground.bench.{part}").MEASUREMENTS
    quick = "--quick" in args
    result = {}
    for name in (a for a in args if not a.startswith("--")):  # several: --quick saves start-ups
        result.update(measurements[name](quick))
    print(json.dumps(result))
