"""The progress line: only on a terminal, only for work past the delay, gone when done."""
import io
import sys

from optplayground import cli, progress
from optplayground.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_no_line_for_work_shorter_than_the_delay():
    stream, clock = Terminal(), Clock()
    with Progress(1000, "race", "steps", stream=stream, clock=clock) as bar:
        clock.now += 1.9
        bar.update(900)
    assert stream.getvalue() == ""


def test_a_line_after_the_delay_redrawn_at_most_every_interval_then_blanked():
    stream, clock = Terminal(), Clock()
    with Progress(5000, "race", "steps", stream=stream, clock=clock) as bar:
        clock.now += 4.0
        bar.update(2000)
        first = stream.getvalue()
        assert first == "\rrace [##########--------------] 2,000/5,000 steps   40%  4 s, about 6 s left"
        clock.now += 0.05
        bar.update(2100)
        assert stream.getvalue() == first  # within the interval: not redrawn
        clock.now += 0.1
        bar.update(5000)
        assert stream.getvalue().rstrip(" ").endswith("\rrace [########################] 5,000/5,000 steps  100%  4 s")
    assert stream.getvalue().endswith("\r" + " " * len(bar.line(5000, 4.15)) + "\r")


def test_off_when_quiet_or_not_a_terminal():
    for stream, quiet in ((Terminal(), True), (io.StringIO(), False)):
        clock = Clock()
        with Progress(10, "race", stream=stream, quiet=quiet, clock=clock) as bar:
            clock.now += 60
            bar.update(5)
        assert stream.getvalue() == ""


def test_minutes_and_a_zero_total():
    bar = Progress(0, "sweep", stream=io.StringIO())
    assert bar.line(0, 75) == "sweep [########################] 0/0  100%  1:15 min"


def test_run_shows_progress_on_a_terminal_and_none_with_quiet(monkeypatch, capsys):
    class NoDelay(Progress):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs, delay=0.0, interval=0.0)

    monkeypatch.setattr(progress, "Progress", NoDelay)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(["run", "--opt", "sgd", "--steps", "300"]) == 0
    shown = terminal.getvalue()
    assert "race [" in shown and "300/300 steps  100%" in shown and shown.endswith("\r")
    assert "200/300 steps" in shown  # drawn as the race went, every 100 steps
    terminal.seek(0), terminal.truncate()
    assert cli.main(["run", "--opt", "sgd", "--steps", "300", "--quiet"]) == 0
    assert terminal.getvalue() == ""
    assert capsys.readouterr().out.count("sgd #1") == 1  # the table once: --quiet drops it
