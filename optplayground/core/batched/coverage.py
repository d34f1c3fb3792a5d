"""Which registry optimizers the batched engine steps as rows, and why the others run
alone. Torch-free, so `optplayground list optimizers` can say it without loading torch."""
from __future__ import annotations

from ..optimizers import OPTIMIZERS

# Registry optimizers that stay on the per-run path, and why; every other one has a rule
# (tests/test_batched_rules.py checks that the two sets cover the registry).
NOT_BATCHED = {
    "lbfgs": "each step runs inner iterations and a line search on a closure; runs alone",
}
_IMPORTED = "its own class steps it; runs alone"


def not_batched_reason(name: str) -> str | None:
    """Why optimizer `name` is not batched (None when it is, or for the Lookahead wrapper)."""
    if name == "lookahead" or (name in OPTIMIZERS and name not in NOT_BATCHED):
        return None
    return NOT_BATCHED.get(name, _IMPORTED)
