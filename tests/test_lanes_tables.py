"""lanes.check_layout on a table of several series, (time, series), checked as the user has it."""
import numpy as np
import pytest

import lanes

T, S = 1000, 8  # 1000 steps of 8 series


def test_a_table_reshaped_is_not_ok_and_transposed_is():
    # before, following the docs ("a function from a 1-D stream"), the reshape was ok and the transpose not
    reshaped = lanes.check_layout(lambda table: table.reshape(S, T, 1), (T, S))
    assert not reshaped.ok and reshaped.condition == "series_interleaved", reshaped.verdict
    assert "table.T" in reshaped.verdict and "from a table of 8 series of 1000 steps" in str(reshaped)
    assert lanes.check_layout(lambda table: table.T[..., None], (T, S)).ok
    assert lanes.check_layout(lambda table: table.T.reshape(S, 50, 20).reshape(-1, 20, 1), (T, S)).ok  # windows
    time_major = lanes.check_layout(lambda table: table[..., None], (T, S), time_major=True)  # (time, batch) as is
    assert time_major.ok, time_major.verdict


def test_windows_cut_across_series_are_not_ok():
    flat = lambda table: table.T.reshape(-1)  # noqa: E731  (series after series, as one stream)
    # series after series, cut into windows of 60 (zero-padded at the end): windows span two series
    crossing = lanes.check_layout(lambda table: np.append(flat(table), np.zeros(40, int)).reshape(-1, 60), (T, S))
    assert not crossing.ok and crossing.condition == "crosses_series", crossing.verdict


def test_a_table_layout_must_keep_every_position_and_undo_gives_the_table_back():
    with pytest.raises(ValueError, match="every position of the table at least once"):
        lanes.check_layout(lambda table: table[:, :4].T, (T, S))
    check = lanes.check_layout(lambda table: table.T, (T, S), undo=lambda out: out.T)
    assert check.ok and check.undoes
    assert not lanes.check_layout(lambda table: table.T, (T, S), undo=lambda out: out).ok


@pytest.mark.parametrize("length", [(1, 8), (T, 0), (2 ** 12, 2 ** 11), (T, S, 1), (10.0, 2)])
def test_a_tables_shape_is_checked(length):
    with pytest.raises(ValueError, match="length: expected"):
        lanes.check_layout(lambda table: table.T, length)
