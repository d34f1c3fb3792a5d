"""core/coincide.py: which runs' drawn series coincide, kept up to date from new rows."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from optplayground.core.coincide import BLOCK, RTOL, Coincidence, agree
from optplayground.core.history import History

COLUMNS = ("step", "v")


def race(*series, cap=1_000_000):
    """A History whose run k has the values series[k] at steps 0, 1, …"""
    history = History([f"r{k}" for k in range(len(series))], ["sgd"] * len(series), cap,
                      columns=COLUMNS)
    for run, values in zip(history.runs, series):
        feed(run, values)
    return history


def feed(run, values, start=None):
    """Append `values` as the run's next rows."""
    start = run.rows_seen if start is None else start
    steps = np.arange(start, start + len(values), dtype=float)
    run.append(np.column_stack([steps, np.asarray(values, dtype=float)]))


def detect(history, floor=0.0):
    found = Coincidence(("v",), floor)
    found.update(history.runs)
    return found


BASE = np.linspace(3.0, -2.0, 50) ** 3


def test_equal_runs_form_a_group_and_a_different_one_parts_at_its_first_difference():
    other = BASE.copy()
    other[7:] += 0.5
    found = detect(race(BASE, BASE.copy(), other))
    assert found.groups() == [[0, 1]]
    assert found.parted_at(0, 1) is None and found.parted_at(0, 2) == found.parted_at(2, 1) == 7
    assert found.coincide(1, 0) and not found.coincide(0, 2)


def test_nearly_equal_is_within_a_billionth_and_no_further():
    found = detect(race(BASE, BASE * (1 + 0.2 * RTOL), BASE * (1 + 5 * RTOL)))
    assert found.groups() == [[0, 1]]
    assert found.parted_at(0, 2) == 0  # every value differs by five billionths


def test_a_pair_that_parts_at_step_k_still_coincides_for_a_cursor_before_k():
    parting = BASE.copy()
    parting[20:] *= 1.001
    found = detect(race(BASE, parting))
    assert found.parted_at(0, 1) == 20
    assert found.coincide(0, 1, step=19) and not found.coincide(0, 1, step=20)
    assert not found.coincide(0, 1)  # now
    assert found.groups(step=10) == [[0, 1]] and found.groups() == []


def test_not_finite_rows_equal_only_the_same_not_finite_value():
    nan = BASE.copy()
    nan[5] = np.nan
    inf = BASE.copy()
    inf[9] = np.inf
    neg = BASE.copy()
    neg[9] = -np.inf
    found = detect(race(nan, nan.copy(), BASE, inf, inf.copy(), neg))
    assert found.coincide(0, 1)  # NaN at the same step: neither is drawn there
    assert found.parted_at(0, 2) == 5  # NaN against a number
    assert found.coincide(3, 4) and found.parted_at(3, 5) == 9 and found.parted_at(2, 3) == 9


def test_three_equal_runs_are_one_group_and_its_first_can_leave_it():
    leaving = BASE.copy()
    leaving[30:] -= 1.0
    found = detect(race(leaving, BASE, BASE.copy()))
    assert found.groups() == [[1, 2]]
    assert found.groups(step=29) == [[0, 1, 2]]
    assert found.groups(among=[0, 2]) == [] and found.groups(step=3, among=[0, 2]) == [[0, 2]]


def test_a_run_that_stopped_early_coincides_while_its_rows_agree():
    found = detect(race(BASE, BASE[:12].copy()))
    assert found.groups() == [[0, 1]]


def test_a_run_that_stopped_parts_from_one_that_goes_on_past_its_end():
    history = race(BASE, BASE[:12].copy(), BASE.copy())
    found = Coincidence(("v",))
    found.update(history.runs)
    assert found.groups() == [[0, 1, 2]]  # run 1 may be behind: nothing to say yet
    history.runs[1].status = "diverged"
    found.update(history.runs)
    assert found.parted_at(0, 1) == found.parted_at(1, 2) == 12  # the first step it lacks
    assert found.groups() == [[0, 2]] and found.groups(step=11) == [[0, 1, 2]]
    for run in history.runs[::2]:
        run.status = "done"  # stopped together, all rows equal: still one path
    found.update(history.runs)
    assert found.parted_at(0, 2) is None


def test_near_zero_the_floor_sets_the_scale():
    tiny = np.array([1e-20, -3e-20, 0.0])
    assert detect(race(tiny, -tiny)).groups() == []  # relative to themselves: all differ
    assert detect(race(tiny, -tiny), floor=4.0).groups() == [[0, 1]]  # the map's box: equal


def test_agree_compares_every_series_of_a_row():
    a = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    b = a.copy()
    b[1, 2] = 1.1
    assert agree(a, b).tolist() == [True, True, False]


def test_rows_past_the_cap_are_compared_where_both_kept_them():
    long = np.cos(np.arange(3000) / 50.0)
    parting = long.copy()
    parting[2600:] += 1.0
    history = race(long, long.copy(), parting, long[:2200].copy(), cap=1000)
    found = detect(history)
    assert found.groups() == [[0, 1, 3]]  # run 3 stopped early: its tail thinned apart
    assert 2600 <= found.parted_at(0, 2) < 2700  # the first kept step at or after 2600


def test_a_long_race_is_compared_block_by_block():
    long = np.sin(np.arange(3 * BLOCK) / 100.0)
    late, early = long.copy(), long.copy()
    late[2 * BLOCK + 5:] += 1e-3
    early[3] = 0.0
    found = detect(race(long, long.copy(), late, early))
    assert found.groups() == [[0, 1]]
    assert found.parted_at(0, 2) == found.parted_at(1, 2) == 2 * BLOCK + 5
    assert found.parted_at(0, 3) == found.parted_at(2, 3) == 3


def test_a_new_race_starts_over():
    found = detect(race(BASE, BASE.copy()))
    assert found.groups() == [[0, 1]]
    found.update(race(BASE, BASE + 1.0).runs)
    assert found.groups() == [] and found.parted_at(0, 1) == 0


def test_rows_compared_once_are_not_compared_again():
    history = race(BASE[:10], BASE[:10].copy())
    found = detect(history)
    found._compare = None  # nothing new: nothing compared
    found.update(history.runs)
    assert found.groups() == [[0, 1]]


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_fed_in_chunks_it_finds_what_it_finds_from_scratch(data):
    n_runs = data.draw(st.integers(2, 4))
    length = data.draw(st.integers(1, 40))
    base = np.array(data.draw(st.lists(st.floats(-1e3, 1e3), min_size=length, max_size=length)))
    series = []
    for _ in range(n_runs):
        values = base.copy()
        if data.draw(st.booleans()):  # this run parts somewhere (or is NaN there)
            k = data.draw(st.integers(0, length - 1))
            values[k] = data.draw(st.sampled_from([np.nan, values[k] + 1.0, values[k] * (1 + RTOL / 4)]))
        series.append(values[:data.draw(st.integers(1, length))])
    whole = detect(race(*series))
    history = race(*([] for _ in series))
    found = Coincidence(("v",))
    fed = [0] * n_runs
    while any(f < len(s) for f, s in zip(fed, series)):
        for k, values in enumerate(series):
            chunk = data.draw(st.integers(1, 8))  # runs fed at different paces
            feed(history.runs[k], values[fed[k]:fed[k] + chunk], fed[k])
            fed[k] = min(len(values), fed[k] + chunk)
        found.update(history.runs)
    for i in range(n_runs):
        for j in range(i + 1, n_runs):
            assert found.parted_at(i, j) == whole.parted_at(i, j) == reference(series[i], series[j])
    assert found.groups() == whole.groups()
    assert found.groups(step=length // 2) == whole.groups(step=length // 2)


def reference(a, b):
    """The first step where two series differ, by the definition, one row at a time."""
    for step, (x, y) in enumerate(zip(a, b)):
        same = x == y or (np.isnan(x) and np.isnan(y)) or abs(x - y) <= RTOL * max(abs(x), abs(y))
        if not same:
            return step
    return None
