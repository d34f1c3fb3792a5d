"""The frame pacer: while a race runs at full speed, the step plots share a frame's budget,
the longest waiting first, and none waits longer than one round of them."""
from optplayground.gui.pacing import SMOOTHING, FramePacer

PLOTS = ("loss", "lr", "grad")


def test_plots_never_measured_are_drawn_together_first():
    pacer = FramePacer(budget_s=0.012)
    assert pacer.choose(PLOTS) == list(PLOTS)  # no costs known: each costs 0


def test_what_fits_the_budget_is_drawn_each_frame():
    pacer = FramePacer(budget_s=0.012)
    pacer.choose(PLOTS)
    pacer.measured(0.009, {"loss": 0.002, "lr": 0.002, "grad": 0.002})  # rest: 3 ms
    for _ in range(5):
        assert pacer.choose(PLOTS) == list(PLOTS)


def test_when_one_fits_the_plots_take_turns_longest_waiting_first():
    pacer = FramePacer(budget_s=0.012)
    pacer.choose(PLOTS)
    pacer.measured(0.020, {"loss": 0.004, "lr": 0.004, "grad": 0.004})  # rest: 8 ms
    turns = [pacer.choose(PLOTS) for _ in range(6)]
    assert turns == [["loss"], ["lr"], ["grad"], ["loss"], ["lr"], ["grad"]]


def test_one_plot_is_drawn_even_when_none_fits():
    pacer = FramePacer(budget_s=0.012)
    pacer.choose(PLOTS)
    pacer.measured(0.050, {"loss": 0.010, "lr": 0.010, "grad": 0.010})  # rest: 20 ms
    drawn = [pacer.choose(PLOTS) for _ in range(3)]
    assert sorted(p for chosen in drawn for p in chosen) == sorted(PLOTS)


def test_a_cheap_plot_fills_what_an_expensive_one_leaves():
    pacer = FramePacer(budget_s=0.012)
    pacer.choose(PLOTS)
    pacer.measured(0.0145, {"loss": 0.008, "lr": 0.0005, "grad": 0.002})  # rest: 4 ms
    assert pacer.choose(PLOTS) == ["loss"]  # 8 ms of 8 left
    assert pacer.choose(PLOTS) == ["lr", "grad"]  # loss just went: the others, 2.5 of 8 ms


def test_only_the_plots_behind_are_offered_and_costs_are_smoothed():
    pacer = FramePacer(budget_s=0.012)
    assert pacer.choose(["lr"]) == ["lr"]
    pacer.measured(0.010, {"lr": 0.004})
    pacer.measured(0.010, {"lr": 0.008})
    assert pacer.cost["lr"] == 0.004 + SMOOTHING * (0.008 - 0.004)
    assert pacer.rest == 0.006 + SMOOTHING * (0.002 - 0.006)
    assert pacer.choose([]) == []
