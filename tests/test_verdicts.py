"""lanes/verdicts.py: every named condition of every check is reached, each by a case of its own."""
import numpy as np
import pytest

import lanes
from lanes import verdicts


def layout(function, length=100, **flags):
    return lambda: lanes.check_layout(function, length, **flags)


def batches(listed, stateful=False, **flags):
    return lambda: lanes.check_batches(listed, stateful=stateful, **flags)


def model(function, shape=(3, 4, 1), **flags):
    return lambda: lanes.check_model(function, shape, **flags)


def stretches(n, lanes_, window):  # one stretch a lane, `window` steps a batch: what a stateful model needs
    rows = np.arange(n).reshape(lanes_, -1)
    return [rows[:, i:i + window] for i in range(0, rows.shape[1], window)]


def side_by_side(n, window, lanes_):  # consecutive windows in neighbouring lanes
    windows = np.arange(n).reshape(-1, window)
    return [windows[i:i + lanes_] for i in range(0, len(windows), lanes_)]


def one_real_slot_a_lane(n):  # lane 0: 0, 1, then padding; each other lane one position and padding
    return np.array([[0, 1, 0, 0]] + [[i, 0, 0, 0] for i in range(2, n)])


def running_sum(x):
    return np.cumsum(x, axis=1)


def batch_norm(x):
    h = np.cumsum(x, axis=1)
    return (h - h.mean()) / h.std()


def viewed(x):  # x.view(time, batch, ...) where a transpose belongs
    return np.cumsum(x.reshape(x.shape[1], x.shape[0], -1), axis=0).reshape(x.shape)


def lane_0_reads_lane_2_backwards(x):
    out = np.cumsum(x, axis=1)
    out[0] += x[2, ::-1]
    return out


def lane_5_reads_lane_6(x):  # where a big shape's sample (lanes 0, 1 and the last) does not look
    out = np.cumsum(x, axis=1)
    out[5] += x[6]
    return out


def backwards(x):  # go_backwards=True, its outputs not flipped back
    return np.cumsum(x[:, ::-1], axis=1)


CASES = {  # condition: a check that its verdict must come from
    "time_on_features": layout(lambda s: s.reshape(10, 1, 10)),
    "series_interleaved": layout(lambda table: table.reshape(8, 100, 1), (100, 8)),  # rows first, not table.T
    "crosses_series": layout(lambda table: table.T.reshape(-1)[:600].reshape(-1, 60), (100, 6)),  # windows of 60
    "lanes_and_time_swapped": batches([np.array([[0, 5, 8], [1, 6, 9], [2, 7, 10], [3, 0, 11], [4, 0, 12],
                                                 [0, 0, 13]])]),  # pad_sequence without batch_first=True
    "subsampled": batches([np.arange(0, 200, 2).reshape(10, 10)]),
    "side_by_side_across_lanes": layout(lambda s: s.reshape(10, 10).T),
    "steps_by_more_than_one": layout(lambda s: s.reshape(10, 10).T.reshape(5, 20)),
    "one_position_along_time": layout(lambda s: np.repeat(s[:, None], 3, axis=1)),
    "runs_backwards": layout(lambda s: s.reshape(10, 10)[:, ::-1]),
    "shuffled_inside_a_lane": layout(lambda s: np.random.default_rng(2).permuted(s.reshape(10, 10), axis=1)),
    "jumps": batches([np.delete(np.arange(100), [5, 6]).reshape(7, 14)]),
    "out_of_order": layout(lambda s: np.random.default_rng(0).permutation(s).reshape(10, 10)),
    "undo_does_not_invert": layout(lambda s: s.reshape(10, 10), undo=lambda y: y.T.ravel()),
    "layout_counts_up": layout(lambda s: s.reshape(5, 20)),
    "lanes_one_step_long": layout(lambda s: s.reshape(100, 1)),
    "what_was_seen": layout(lambda s: one_real_slot_a_lane(len(s))),
    "lane_of_padding_carried": batches([np.arange(8).reshape(2, 4), np.array([[8, 9, 10, 11], [0, 0, 0, 0]])],
                                       stateful=True),  # a last batch filled out with an empty row
    "epoch_starts_over": batches(stretches(1000, 4, 10) * 3, stateful=True),
    "windows_overlap": batches([w[None] for w in np.lib.stride_tricks.sliding_window_view(np.arange(100), 10)],
                               stateful=True),
    "windows_in_neighbouring_lanes": batches(side_by_side(1000, 10, 4), stateful=True),
    "windows_in_other_lanes": batches([np.stack([a[2 * k], b[2 * k], a[2 * k + 1], b[2 * k + 1]]) for k in range(5)
                                       for a, b in [(np.arange(50).reshape(10, 5),
                                                     np.arange(50, 100).reshape(10, 5))]], stateful=True),
    "windows_reread": batches([w[None] for w in np.random.default_rng(0).permutation(  # said beside "shuffled"
        np.lib.stride_tricks.sliding_window_view(np.arange(100), 10))], stateful=True),
    "lanes_skip": batches([np.arange(i, i + 10)[None] for i in range(0, 900, 15)], stateful=True),
    "batches_reordered": batches(stretches(100, 4, 5)[::-1], stateful=True),
    "batch_sizes_differ": batches(stretches(1200, 4, 10)[:29] + [np.arange(3)[:, None] * 300 + 290 + np.arange(10)],
                                  stateful=True),
    "targets_elsewhere": batches([(np.lib.stride_tricks.sliding_window_view(np.arange(100), 10),
                                   np.arange(9, 100))]),  # each window's own last element, not the next
    "batches_count_up": batches(stretches(1000, 4, 10), stateful=True),
    "batches_one_step_long": batches([np.arange(10)[:, None]]),
    "nothing_moved": model(lambda x: np.zeros(x.shape[:2] + (2,))),
    "reads_the_batch_first": model(running_sum, (4, 3, 1), time_major=True),
    "walks_time_along_the_batch": model(lambda x: np.cumsum(x, axis=0)),
    "batch_statistics": model(batch_norm),
    "both_ways_along_the_batch": model(lambda x: np.cumsum(x - x.mean(axis=0), axis=1)),
    "viewed_as_time_batch": model(viewed),
    "mixes_lanes": model(lane_0_reads_lane_2_backwards),
    "same_output_along_time": model(lambda x: np.repeat(np.cumsum(x, 1)[:, -1:], x.shape[1], axis=1)),
    "mixing_the_sample_missed": model(lane_5_reads_lane_6, (16, 64, 1)),
    "reads_its_whole_lane": model(lambda x: np.cumsum(x, axis=1) + np.cumsum(x[:, ::-1], axis=1)[:, ::-1], (2, 3)),
    "reads_its_lane_and_later_steps": model(lambda x: np.cumsum(x, axis=1) + np.roll(x, -1, axis=1) * [1, 1, 1, 0],
                                            (2, 4)),
    "one_output_reads_its_lane": model(lambda x: np.cumsum(x, axis=1)[:, -1]),  # return_sequences=False
    "reads_its_lane_up_to_its_step": model(running_sum),
    "no_memory": model(np.tanh),
    "reads_time_backwards": model(lambda x: backwards(x)[:, ::-1], (3, 6, 1)),
    "outputs_late": model(lambda x: np.concatenate([np.zeros_like(x[:, :1]), np.cumsum(x, axis=1)[:, :-1]], axis=1)),
    "out_of_step": model(backwards, (3, 6, 1)),
    "misses_its_own_step": model(lambda x: np.maximum.accumulate(x, axis=1), (3, 5, 1)),
    "misses_the_step_before": model(lambda x: x + np.concatenate([np.zeros_like(x[:, :2]), x[:, :-2]], axis=1)),
}
LISTS = {"check_layout": verdicts.LAYOUT, "check_batches": verdicts.BATCHES, "check_model": verdicts.MODEL}


def test_every_condition_has_a_case_a_docstring_and_a_kind():
    conditions = {condition for listed in (*LISTS.values(), *verdicts.PROBLEMS.values()) for condition in listed}
    assert {condition.__name__ for condition in conditions} == set(CASES)
    assert all(condition.__doc__ and condition.ok in (True, False) for condition in conditions)
    for listed in LISTS.values():  # each list ends in a condition that fits anything, and names each once
        assert listed[-1] in (verdicts.what_was_seen, verdicts.misses_the_step_before)
        assert len(set(listed)) == len(listed)


@pytest.mark.parametrize("name", CASES)
def test_each_condition_gives_the_verdict_of_its_case(name):
    check = CASES[name]()
    condition = getattr(verdicts, name)
    if not any(condition in listed for listed in LISTS.values()):  # a problem said beside the verdict's own
        assert name in check.problems and condition(check) in check.verdict, check.verdict
        return
    assert check.condition == name, (check.condition, check.verdict)
    assert check.ok is condition.ok and check.verdict == condition(check)


def test_every_problem_of_a_pipeline_is_said_at_once_the_fix_for_all_first():
    # shuffled and overlapping, one window a batch, and a short last batch: before, "shuffled" alone, and
    # "overlap" only once that was fixed
    windows = np.lib.stride_tricks.sliding_window_view(np.arange(100), 10)
    shuffled = [w[None] for w in np.random.default_rng(0).permutation(windows)]
    check = lanes.check_batches(shuffled, stateful=True)
    assert check.problems == ["batches_reordered", "windows_reread"], check.problems
    assert check.verdict.startswith("2 problems at once. stateful=False solves both at once")
    assert "(1) lane 0 goes from" in check.verdict and "(2) 1 lane read again" in check.verdict
    targets = lanes.check_batches([(w, w[:, 0]) for w in shuffled], stateful=True)  # and targets out of place
    assert len(targets.problems) == 3 and "stateful=False solves" not in targets.verdict
    assert lanes.check_batches(shuffled, stateful=False).ok
