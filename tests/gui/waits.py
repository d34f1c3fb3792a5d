"""How long a GUI test waits for work done by the engine's process or another thread.

pytest-qt's default is 5 s: on a loaded 2-core machine the child process alone can take
longer to start. A passing test never waits this long; it only keeps a busy CI green."""
ENGINE_MS = 60_000
