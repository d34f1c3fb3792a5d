import csv
import io

import numpy as np

from optplayground.core.history import COLUMNS, CSV_HEADER, History, RunHistory


def rows(start, n):
    steps = np.arange(start, start + n, dtype=float)
    return np.column_stack([steps] + [steps * (i + 1) for i in range(len(COLUMNS) - 1)])


def test_rows_across_blocks_come_back_in_order():
    record = RunHistory("a", "sgd", cap=100_000)
    for start in range(0, 50_000, 777):
        record.append(rows(start, min(777, 50_000 - start)))
    data = record.array()
    assert data.shape == (50_000, len(COLUMNS))
    np.testing.assert_array_equal(data[:, 0], np.arange(50_000))
    np.testing.assert_array_equal(record.column("loss"), np.arange(50_000) * 3)


def test_past_the_cap_rows_are_exact_then_decimated_and_memory_stays_bounded():
    cap = 1000
    record = RunHistory("a", "sgd", cap=cap)
    for start in range(0, 200_000, 500):
        record.append(rows(start, 500))
    data = record.array()
    steps = data[:, 0]
    np.testing.assert_array_equal(steps[:cap], np.arange(cap))  # exact up to the cap
    tail = steps[cap:] - cap
    assert np.all(np.diff(tail) > 0), "tail stays in step order"
    assert steps[-1] == 199_999, "the newest row always shows"
    strides = np.unique(np.diff(tail[:-1]))  # on the stride, but for the newest row
    assert len(strides) == 1 and strides[0] >= 128  # one even stride, doubled as needed
    assert tail[0] == 0 and tail[-1] > 200_000 - cap - strides[0] * 2  # covers the whole run
    assert record.rows_seen == 200_000
    assert record.nbytes() <= (cap + max(1024, cap // 4)) * len(COLUMNS) * 8
    assert len(record) == len(data)


def test_preallocated_columns_are_views_and_grow_when_needed():
    record = RunHistory("a", "sgd", cap=10_000, expected_rows=100)
    record.append(rows(0, 60))
    assert record.column("x").base is not None and record.column("x").flags["C_CONTIGUOUS"]
    record.append(rows(60, 90))  # more than expected: grows
    np.testing.assert_array_equal(record.column("step"), np.arange(150))
    np.testing.assert_array_equal(record.last(), rows(149, 1)[0])


def test_csv_is_long_format_with_full_precision_and_final_status():
    history = History(["A", "B"], ["adam", "sgd"], cap=10)
    history[0].append(np.array([[0, 0.1, 1 / 3, 2.0, 0.01, 5.0, 1.0], [1, 0.2, 0.3, 1.5, 0.01, 4.0, 1.0]]))
    history[0].status = "done"
    history[1].append(np.array([[0, -1.0, 2.0, 3.0, 0.1, 9.0, 9.0]]))
    history[1].status = "diverged"
    text = io.StringIO()
    history.write_csv(text)
    table = list(csv.reader(io.StringIO(text.getvalue())))
    assert tuple(table[0]) == CSV_HEADER
    assert table[1] == ["A", "adam", "0", "0.1", repr(1 / 3), "2.0", "0.01", "5.0", "1.0", "running"]
    assert table[2][-1] == "done" and table[3][-1] == "diverged"
    assert float(table[1][4]) == 1 / 3
