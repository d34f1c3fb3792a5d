"""Side panels generated from the typed specs: problem, runs (with the run editor), transport."""
