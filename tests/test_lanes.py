"""lanes: the lane map, the best a layout allows, and the three checks on user code."""
import importlib.util
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import data
import lanes


# --- the lane map and the best each layout allows --------------------------------------
def question_layout(batch, time):  # reshape to (time, batch), then lanes are the columns
    return np.arange(batch * time).reshape(time, batch).T


def answer_layout(batch, time):  # reshape to (batch, time): lanes are the rows
    return np.arange(batch * time).reshape(batch, time)


def brute_force(lane_map, blind=False):
    """Seen-previous flags, best accuracy and best cross-entropy by enumerating every stream.
    Every slot is a target. Targets are pooled by what a model can know (its time step, the
    current bit, and the previous bit when it was read earlier in the same lane; not its
    lane), and each pool's best guess is its commonest class. With blind, no previous bit is
    ever known: chance, what the current bit alone allows."""
    n = int(lane_map.max()) + 1
    seen = np.zeros(lane_map.shape, dtype=bool)
    for (lane, t), p in np.ndenumerate(lane_map):
        seen[lane, t] = p > 0 and p - 1 in lane_map[lane, :t] and not blind
    pools = {}
    for number in range(2 ** n):
        stream = [(number >> i) & 1 for i in range(n)]
        labels = data.labels(stream)
        for (lane, t), p in np.ndenumerate(lane_map):
            visible = (t, stream[p], stream[p - 1] if seen[lane, t] else None)
            pools.setdefault(visible, [0] * 4)[labels[p]] += 1
    total = lane_map.size * 2 ** n
    accuracy = sum(max(c) for c in pools.values()) / total
    entropy = -sum(k * np.log(k / sum(c)) for c in pools.values() for k in c if k) / total
    return seen, accuracy, entropy


def test_seen_previous_and_best_possible_match_brute_force():
    rng = np.random.default_rng(0)
    maps = [layout(b, t) for b, t in [(2, 3), (3, 2), (1, 6), (6, 1), (2, 5), (5, 2), (3, 3)]
            for layout in (question_layout, answer_layout)]
    maps += [rng.permutation(8).reshape(2, 4) for _ in range(4)]  # any layout at all
    maps += [np.lib.stride_tricks.sliding_window_view(np.arange(7), 4)[::2],  # overlapping windows
             np.array([[2, 3, 4], [0, 1, 2], [4, 5, 6]]), np.array([[1, 0, 1, 2], [3, 2, 3, 4]])]  # repeats
    for lane_map in maps:
        seen, accuracy, entropy = brute_force(lane_map)
        assert lanes.seen_previous(lane_map).tolist() == seen.tolist(), lane_map
        best = lanes.best_possible(lane_map)
        assert abs(best["accuracy"] - accuracy) < 1e-12, lane_map  # exact, up to rounding
        assert abs(best["cross_entropy"] - entropy) < 1e-12, lane_map


def test_the_seed_layouts():
    # the question: (T=2, batch=50); no target ever has its predecessor in its own lane
    assert lanes.seen_previous(question_layout(50, 2)).sum() == 0
    # a coin flip everywhere, but at time step 0 one target in 50 (the stream's first) is a
    # sure 0: P(previous 0) = 0.51 there, a little under ln 2 of entropy
    at_step_0 = -(0.51 * np.log(0.51) + 0.49 * np.log(0.49))
    assert lanes.best_possible(question_layout(50, 2)) == pytest.approx(
        {"accuracy": 0.505, "cross_entropy": (at_step_0 + np.log(2)) / 2}, abs=1e-12)
    # the answer: (batch=7, seq=50); all but the first target of each lane
    assert lanes.seen_previous(answer_layout(7, 50)).sum() == 343
    assert lanes.best_possible(answer_layout(7, 50)) == pytest.approx(
        {"accuracy": 0.9914, "cross_entropy": 0.0137}, abs=1e-4)


# --- check_layout ----------------------------------------------------------------------
def test_check_layout_reports_lanes_counts_and_the_best():
    broken = lanes.check_layout(lambda stream: stream.reshape(2, 50, 1), 100, time_major=True)
    assert not broken.ok and broken.lane_map.shape == (50, 2) and broken.lane_map[1].tolist() == [1, 51]
    assert broken.seen.sum() == 0 and broken.in_order.sum() == 0
    assert broken.best == lanes.best_possible(question_layout(50, 2))
    text = str(broken)
    assert "  lane 1 -> 1, 51\n" in text and "lanes that count up by one: 0 of 50\n" in text
    assert text.splitlines()[-1].startswith("verdict: NOT OK: consecutive positions")
    fixed = lanes.check_layout(lambda stream: stream.reshape(7, 50, 1), 350)
    assert fixed.ok and fixed.seen.sum() == 343 and str(fixed).splitlines()[-1].startswith("verdict: ok: ")


@pytest.mark.parametrize("layout, cause", [
    (lambda stream: stream.reshape(10, 10).T, "side by side across lanes"),  # a time-major reshape
    (lambda stream: stream.reshape(10, 10).T.reshape(5, 20), "a lane steps by 10"),  # reshape, not transpose
    (lambda stream: stream.reshape(10, 10)[:, ::-1], "runs backwards"),
    (lambda stream: np.random.default_rng(0).permutation(stream).reshape(10, 10), "in no pattern this check knows"),
    (lambda stream: stream[[1, 0, *range(2, 100)]].reshape(10, 10), "out of order"),  # two neighbours swapped
    (lambda stream: np.random.default_rng(2).permuted(stream.reshape(10, 10), axis=1), "shuffled inside the lane"),
    # Keras' classic: (samples, 1, timesteps), time on the features axis; and (batch, time, 2) of a stream
    (lambda stream: stream.reshape(10, 1, 10), "10 consecutive positions: time steps sit on the features axis"),
    (lambda stream: stream.reshape(10, 5, 2), "2 consecutive positions: time steps sit on the features axis"),
])
def test_check_layout_names_the_cause(layout, cause):
    check = lanes.check_layout(layout, 100)
    assert not check.ok and cause in check.verdict, check.verdict


def test_check_layout_allows_overlapping_windows():
    # windows of 10 every 5 positions: positions repeat across lanes, and each lane counts up
    windows = lanes.check_layout(lambda stream: np.lib.stride_tricks.sliding_window_view(stream, 10)[::5], 100)
    assert windows.ok and windows.lane_map.shape == (19, 10) and windows.seen.sum() == 19 * 9


def test_check_layout_checks_the_way_back():
    def from_lanes(per_lane):  # the way back that matches reshape(10, 10).T: transpose again
        return per_lane.T.ravel()

    good = lanes.check_layout(lambda stream: stream.reshape(10, 10), 100, undo=lambda x: x.ravel())
    assert good.ok and good.undoes is True
    wrong_way_back = lanes.check_layout(lambda stream: stream.reshape(10, 10), 100, undo=from_lanes)
    assert not wrong_way_back.ok and wrong_way_back.undoes is False and "undo" in wrong_way_back.verdict


def test_check_layout_reads_zeros_at_a_lanes_end_or_start_as_padding():
    padded = lanes.check_layout(lambda stream: np.pad(stream, (0, 5)).reshape(10, 10), 95)  # 95, then 5 zeros
    assert padded.ok and padded.padding.sum() == 5 and padded.padding[9, 5:].all()
    assert padded.targets == 95 and padded.seen.sum() == 85 and "padded slots" in padded.verdict
    assert "  lane 0 -> 0 ... 9\n" in str(padded) and "padding: 5 slots of 0" in str(padded)
    pre = lanes.check_layout(lambda stream: np.pad(stream, (3, 0)).reshape(3, 11), 30)  # zeros, then 0 ... 29
    assert pre.ok and pre.padding[0, :3].all() and not pre.padding[0, 3]  # that 0 is position 0 itself
    # padding hides no bug: a zero-padded time-major reshape is still named as one
    time_major = lanes.check_layout(lambda stream: np.pad(stream, (0, 5)).reshape(10, 10).T, 95)
    assert not time_major.ok and "side by side across lanes" in time_major.verdict
    # a lone 0 at a lane's end is position 0, not padding, when no other 0 is: a rotated stream
    rotated = lanes.check_layout(lambda stream: np.roll(stream, -1).reshape(10, 10), 100)
    assert not rotated.ok and rotated.padding.sum() == 0 and "jumps" in rotated.verdict


def test_check_layout_with_lanes_one_step_long_is_not_ok():
    one_step = lanes.check_layout(lambda stream: stream.reshape(100, 1), 100)
    assert one_step.in_order.all() and one_step.seen.sum() == 0  # in order, trivially, and hopeless
    assert not one_step.ok and "one time step long" in one_step.verdict


def test_chance_is_what_the_current_element_alone_allows():
    for lane_map in (question_layout(3, 2), answer_layout(2, 4), np.array([[3, 4, 5], [0, 1, 2]])):
        _, accuracy, entropy = brute_force(lane_map, blind=True)
        chance = lanes.check_layout(lambda stream, m=lane_map: m, lane_map.size).chance
        assert chance == pytest.approx({"accuracy": accuracy, "cross_entropy": entropy}, abs=1e-12), lane_map


@pytest.mark.parametrize("layout, length, expected", [
    (lambda stream: stream[:96].reshape(8, 12), 100, "every stream position 0..99"),  # drops the tail
    (lambda stream: np.append(stream, 100).reshape(1, 101), 100, "every stream position"),  # makes one up
    (lambda stream: stream / 3, 99, "whole-number"),
    (lambda stream: np.where(stream == 7, np.nan, stream).reshape(10, 10), 100, "NaN"),
    (lambda stream: stream, 100, "2-D or 3-D"),
    (lambda stream: stream.reshape(5, 5, 2, 2), 100, "2-D or 3-D"),
    (lambda stream: stream.reshape(10, 5, 2)[:, :, ::-1], 100, "features of slot (0, 0)"),  # two positions
    (lambda stream: (stream.reshape(10, 10), stream), 100, "got a tuple of 2 arrays"),  # (inputs, targets)
    (lambda stream: stream.reshape(3, 3), 100, "it raised ValueError: cannot reshape"),  # the layout's own error
    (lambda stream: stream.astype(str).reshape(10, 10), 100, "numbers"),
    (lambda stream: -stream.reshape(10, 10), 100, "positions 0, 1, 2"),
    (lambda stream: stream.reshape(10, 10), 2 ** 22 + 1, "2**22"),
    (lambda stream: stream.reshape(10, 10), 100.0, "whole number"),
    (lambda stream: stream.reshape(10, 10), 1, "from 2"),
    (lambda stream: stream[::2].reshape(5, 10), 100, "without 50 of them (1, 3, 5, 7, ...)"),
    (lambda stream: None, 100, "got None"),
    ("not a function", 100, "layout: expected a function"),
])
def test_check_layout_refuses_bad_input_with_what_it_expected(layout, length, expected):
    with pytest.raises(ValueError, match="expected") as refusal:
        lanes.check_layout(layout, length)
    assert expected in str(refusal.value)


# --- check_batches ---------------------------------------------------------------------
def windows_in_batches(series, window, lanes_a_batch):
    """What Dataset.window(window, shift=window).flat_map(batch).batch(lanes_a_batch) yields."""
    windows = series[: len(series) // window * window].reshape(-1, window)
    return [windows[i:i + lanes_a_batch] for i in range(0, len(windows), lanes_a_batch)]


def partitioned(series, lanes_a_batch, window):
    """One stretch a lane, fed `window` steps at a time: what a stateful model needs."""
    stretches = series[: len(series) // lanes_a_batch * lanes_a_batch].reshape(lanes_a_batch, -1)
    return [stretches[:, i:i + window] for i in range(0, stretches.shape[1], window)]


def test_check_batches_with_carried_state_needs_each_lane_to_go_on():
    batches = windows_in_batches(np.arange(1000), 10, 4)
    carried = lanes.check_batches(batches, stateful=True)
    assert not carried.ok and (carried.continuing, carried.handovers) == (0, 96)
    assert "lane 0 goes from 0 ... 9 in batch 1 to 40 ... 49 in batch 2" in carried.verdict
    assert "consecutive windows went to neighbouring lanes (each lane starts 10 after" in carried.verdict
    assert "  lane 0 -> 0 ... 9 | 40 ... 49 | 80 ... 89\n" in str(carried)
    assert lanes.check_batches(batches, stateful=False).ok  # each batch on its own is fine
    carried = lanes.check_batches(partitioned(np.arange(1000), 4, 10), stateful=True)
    assert carried.ok and (carried.continuing, carried.handovers) == (96, 96)
    assert carried.seen == 1000 - 4  # only each stretch's very first position has no predecessor in sight


@pytest.mark.parametrize("batches, cause", [
    # sliding windows (a shift of 1), one a batch: each re-feeds nine steps its state has seen
    ([window[None] for window in np.lib.stride_tricks.sliding_window_view(np.arange(100), 10)], "the windows overlap"),
    # the same, 8 a batch: consecutive windows side by side, overlapping each other
    ([np.lib.stride_tricks.sliding_window_view(np.arange(100), 10)[i:i + 8] for i in range(0, 88, 8)],
     "the windows overlap, so each lane re-feeds steps its state has already seen, and consecutive windows went to "
     "neighbouring lanes (each lane starts 1 after the one before)"),
    # windows of 10 every 15: every lane skips 5 positions
    ([np.arange(i, i + 10)[None] for i in range(0, 900, 15)], "every lane skips 5 positions"),
    # shuffled windows: lanes jump by amounts that differ
    ([windows_in_batches(np.arange(1000), 10, 4)[i] for i in np.random.default_rng(0).permutation(25)],
     "another order than the series' (shuffled"),
    # an epoch's end: every lane starts its stretch again
    (partitioned(np.arange(1000), 4, 10) * 3, "at batch 26 every lane starts again where batch 1 began"),
    # neighbouring windows, repeated (.repeat()): the cause is in the first epoch, the repeat is said too
    (windows_in_batches(np.arange(100), 5, 4) * 2, "consecutive windows went to neighbouring lanes (each lane starts "
     "5 after the one before), so each lane carries another stretch's state. Split the series into one stretch a "
     "lane first (stretches = series[:len(series) // lanes * lanes].reshape(lanes, -1), and batch k is "
     "stretches[:, k * steps:(k + 1) * steps]), or use stateful=False (and at batch 6 the pipeline starts over"),
    # one stretch a lane, its batches reversed: not an overlap
    (partitioned(np.arange(100), 4, 5)[::-1], "every lane goes back: the batches come in another order"),
    # two stretches interleaved over 4 lanes (A0, B0, A1, B1 | A2, ...): the next window is two lanes on
    ([np.stack([a[2 * k], b[2 * k], a[2 * k + 1], b[2 * k + 1]]) for k in range(5) for a, b in [(
        np.arange(50).reshape(10, 5), np.arange(50, 100).reshape(10, 5))]],
     "the window that goes on from lane 0 is lane 2 of batch 1: consecutive windows went to other lanes"),
], ids=["overlap", "overlap side by side", "skips", "shuffled", "wrap-around", "repeated", "reversed", "interleaved"])
def test_check_batches_names_what_breaks_the_carried_state(batches, cause):
    check = lanes.check_batches(batches, stateful=True)
    assert not check.ok and cause in check.verdict, check.verdict
    assert lanes.check_batches(batches, stateful=False).ok  # without carried state, each batch is fine


@pytest.mark.parametrize("batch, cause", [
    (np.delete(np.arange(100), [5, 6]).reshape(7, 14), "a lane jumps"),  # two positions dropped
    (np.arange(0, 200, 2).reshape(10, 10), "subsampled (sampling_rate"),  # every other position, in no lane
    (np.arange(100).reshape(10, 10).T.reshape(5, 20), "a lane steps by 10"),  # those between: in other lanes
    # timeseries_dataset_from_array(sampling_rate=2), windows 1 apart: those between are in overlapping windows
    (np.array([np.arange(i, i + 10, 2) for i in range(8)]), "only in other windows, which overlap it: the series is "
     "subsampled"),
    (np.lib.stride_tricks.sliding_window_view(np.arange(40), 10)[:8].reshape(-1, 1, 10), "10 consecutive positions: "
     "time steps sit on the features axis, as a reshape to (samples, 1, timesteps) puts them, so the RNN reads 10 "
     "elements as one step and has no time to remember along"),
    # PyTorch's pad_sequence without batch_first=True: (time, batch), zero-padded, fed as (batch, time). Before,
    # the 0 before lane 0's 5, 8 read as padding made it "subsampled"
    (np.array([[0, 5, 8], [1, 6, 9], [2, 7, 10], [3, 0, 11], [4, 0, 12], [0, 0, 13]]), "every lane would count up by "
     "one with lanes and time swapped: the batch is (time, batch), fed as (batch, time) (PyTorch's pad_sequence"),
], ids=["dropped", "subsampled", "reshape for transpose", "subsampled windows", "samples, 1, timesteps",
        "pad_sequence, time first"])
def test_check_batches_names_what_breaks_a_lane(batch, cause):
    check = lanes.check_batches([batch], stateful=False)
    assert not check.ok and cause in check.verdict, check.verdict


def test_stateful_lanes_that_skip_are_named_so_with_many_lanes_too():
    # one stretch a lane, but each window 15 on: 5 positions a lane never sees (x = w[:, :-1] over chunks)
    stretches = np.arange(1000).reshape(4, 250)
    check = lanes.check_batches([stretches[:, i:i + 10] for i in range(0, 240, 15)], stateful=True)
    assert not check.ok and "every lane skips 5 positions" in check.verdict, check.verdict
    # two faults at once: windows side by side, and a short last batch; the side by side is the one to fix
    windows = [np.arange(i, i + 20).reshape(2, 10) for i in range(0, 100, 20)] + [np.arange(100, 110)[None]]
    check = lanes.check_batches(windows, stateful=True)
    assert not check.ok and "consecutive windows went to neighbouring lanes" in check.verdict, check.verdict
    short_last = partitioned(np.arange(1200), 4, 10)[:29] + [np.arange(3)[:, None] * 300 + 290 + np.arange(10)]
    check = lanes.check_batches(short_last, stateful=True)
    assert not check.ok and "drop_last=True" in check.verdict, check.verdict


def test_check_batches_says_where_the_targets_sit():
    series = np.arange(100)
    windows = np.lib.stride_tricks.sliding_window_view(series, 10)  # (91, 10)
    own_first = lanes.check_batches([(windows[:32], series[:32]), (windows[32:64], series[32:64])], stateful=False)
    assert not own_first.ok and own_first.offset_found == -9
    assert own_first.target_text == "each window's target is its own first element, not the element after its last"
    nxt = lanes.check_batches([(windows[:32], series[10:42])], stateful=False)
    assert nxt.ok and nxt.offset_found == 1 and "element after its last" in nxt.verdict
    per_step = lanes.check_batches([(windows[:5, :, None], windows[:5])], stateful=False, target_offset=0)
    assert per_step.ok and per_step.target_text == "each step's target is its own element"
    assert not lanes.check_batches([(windows[:5], windows[:5])], stateful=False).ok  # expected the next element
    # timeseries_dataset_from_array(series[:-1], series[1:], 10): the fix is 10 ahead, whatever the offset was
    one_ahead = lanes.check_batches([(windows[:32], series[1:33])], stateful=False)
    assert not one_ahead.ok and one_ahead.verdict.endswith(
        "move each target 9 positions later (timeseries_dataset_from_array, sequence_length=10: "
        "data=series[:-10], targets=series[10:])")
    per_step = lanes.check_batches([(windows[:5], windows[:5])], stateful=False)  # one target a step: no such fix
    assert not per_step.ok and "timeseries_dataset_from_array" not in per_step.verdict
    scattered = lanes.check_batches([(windows[:3], np.array([10, 12, 0]))], stateful=False)
    assert not scattered.ok and scattered.offset_found is None and "no fixed place" in scattered.verdict
    rolled = lanes.check_batches([(series[None], np.roll(series, -1)[None])], stateful=False)  # the last wraps
    assert not rolled.ok and "from -99 to 1 positions after the last input they may use (99 of 100 at the next " \
                             "element)" in rolled.verdict
    one_hot = lanes.check_batches([(windows[:5, :, None], windows[:5, :, None].repeat(4, axis=2) + 1)],
                                  stateful=False)  # one target a step, repeated along its features
    assert one_hot.ok and one_hot.target_text == "each step's target is the next element"
    lagged = np.stack([windows[:5], windows[:5] + 1], axis=2)  # (x[t - 1], x[t]) as two features, on purpose
    assert lanes.check_batches([lagged], stateful=False).ok


def test_check_batches_takes_elements_as_pipelines_yield_them():
    x = np.arange(40).reshape(4, 10)
    y = x + 1  # each step's next element
    expected = lanes.check_batches([(x, y)], stateful=False)
    assert expected.ok and expected.offset_found == 1
    as_they_come = {
        "a DataLoader's [x, y] list": [[x, y]],
        "(x, y, sample_weight)": [(x, y, np.ones(4))],
        "({'tokens': x}, y), key='tokens'": [({"tokens": x, "mask": x > 0}, y)],
        "a dict of one input": [({"x": x}, y)],
        "a tuple of tensors with a shape": [(x[:, :, None], y[:, :, None])],
    }
    for form, batches in as_they_come.items():
        check = lanes.check_batches(batches, stateful=False, key="tokens" if "key=" in form else None)
        assert check.ok and check.offset_found == 1, form
    # a dict element's other items are not read: the verdict says so, not that the targets are right
    unread = lanes.check_batches([{"x": x, "y": x}], stateful=False, key="x")
    assert unread.ok and unread.verdict.endswith("; the inputs only: 'y' not read (to check targets, pass "
                                                 "(inputs, targets) tuples)")
    # a list of plain lists is one batch of lanes, not (inputs, targets)
    assert lanes.check_batches([[[0, 1, 2], [3, 4, 5]]], stateful=False).shapes == [(2, 3)]


def test_one_array_is_read_as_one_batch_and_says_so():
    question = np.arange(100).reshape(2, 50, 1).transpose(1, 0, 2)  # (50 lanes, 2 steps, 1): the bug inside
    check = lanes.check_batches(question, stateful=False)
    assert check.batches == 1 and check.shapes == [(50, 2)]  # not 50 batches of one step each
    assert not check.ok and "side by side across lanes" in check.verdict
    assert "read as one batch; to check it as a stack of (batch, time) batches, pass list(array)" in str(check)
    assert lanes.check_batches(np.arange(100).reshape(2, 50), stateful=False).ok  # 2-D: one batch, unambiguous
    with pytest.raises(ValueError, match=r"with stateful=True, expected the batches as the model gets them, got one "
                       r"array of shape \(40, 10, 1\): fit\(x, batch_size=b, shuffle=False\) cuts it"):
        lanes.check_batches(np.arange(400).reshape(-1, 10, 1), stateful=True)  # before: ok, "goes on in the next batch"
    stack = lanes.check_batches(np.stack(partitioned(np.arange(1000), 4, 10))[..., None], stateful=True)
    assert stack.ok and stack.batches == 25 and "a stack of 25 batches" in stack.read_as  # 4-D: batches


def test_check_batches_reads_padding_as_padding():
    # what Dataset.range(100).window(7, shift=7).flat_map(batch).padded_batch(4) yields: 0s after a short window
    windows = [np.pad(np.arange(i, min(i + 7, 100)), (0, 7 - len(range(i, min(i + 7, 100))))) for i in range(0, 100, 7)]
    batches = [np.stack(windows[i:i + 4]) for i in range(0, len(windows), 4)]
    check = lanes.check_batches(batches, stateful=False)
    assert check.ok and check.padded == 5 and check.targets == 100 and "padded slots" in check.verdict
    pre_padded = np.array([[0, 0, 0, 0, 1, 2], [0, 3, 4, 5, 6, 7], [0, 0, 0, 0, 8, 9]])  # pad_sequences(padding="pre")
    check = lanes.check_batches([pre_padded], stateful=False)
    assert check.ok and check.padded == 8 and check.targets == 10
    for filled_out in ([[0, 1, 2, 3], [4, 5, 6, 7], [0, 0, 0, 0]], [[1, 2, 3, 4], [5, 6, 7, 8], [0, 0, 0, 0]]):
        check = lanes.check_batches([np.array(filled_out)], stateful=False)  # a last batch filled out with a 0 row
        assert check.ok and check.padded == 4 and "broadcast" not in check.verdict, check.verdict
    broadcast = lanes.check_batches([np.array([[0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 2, 2]])], stateful=False)
    assert not broadcast.ok and "broadcast" in broadcast.verdict  # no lane moves: none is padding


def test_one_step_batches_without_carried_state_are_not_ok():
    one_step = [np.arange(i, i + 4)[:, None] for i in range(0, 100, 4)]  # (4 lanes, 1 step) each
    check = lanes.check_batches(one_step, stateful=False)
    assert check.lanes_in_order == check.lanes_total and check.seen == 0  # in order, trivially, and hopeless
    assert not check.ok and "one time step long" in check.verdict
    # one step a batch is fine where lane i goes on in the next batch and the state is carried
    assert lanes.check_batches(partitioned(np.arange(100), 4, 1), stateful=True).ok
    # mostly one step long: a single lane of two steps does not make it ok
    mostly = one_step + [np.array([[100, 101]])]
    check = lanes.check_batches(mostly, stateful=False)
    assert check.seen == 1 and not check.ok and "only 1 of 102 targets" in check.verdict


def test_check_batches_takes_tensors_that_carry_gradients():
    class Tensor:  # what PyTorch's tensors answer to: np.asarray refuses one that requires grad
        def __init__(self, array):
            self.array, self.shape = array, array.shape

        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("Can't call numpy() on Tensor that requires grad")

        def detach(self):
            return self

        def cpu(self):
            return self

        def numpy(self):
            return self.array

    check = lanes.check_batches([[Tensor(np.arange(20).reshape(2, 10)), Tensor(np.arange(1, 21).reshape(2, 10))]],
                                stateful=False)
    assert check.ok and check.offset_found == 1


def test_check_batches_reads_float32_positions_exactly_below_2_to_the_24():
    top = 2 ** 24
    below = np.arange(top - 8, top, dtype=np.float32).reshape(2, 4)
    assert lanes.check_batches([below], stateful=False).ok
    with pytest.raises(ValueError, match="exact only below 16777216"):
        lanes.check_batches([below + 4], stateful=False)  # 2**24 + 1 and 2**24 are the same float32


@pytest.mark.parametrize("batches, expected", [
    ([], "at least one batch"),
    (5, "an iterable of batches"),
    ([np.arange(10)], "batch 1: expected a 2-D or 3-D array"),  # one batch passed as the whole list
    (np.arange(10), "one lane, pass array.reshape(1, -1)"),
    ([{"x": np.zeros((2, 3)), "y": np.zeros(2)}], "name the input to check with key="),
    ([(np.zeros((2, 3)), np.zeros((3, 3)))], "targets: expected one a window"),
    ([np.zeros((2, 3)), (np.zeros((2, 3)), np.zeros(2))], "targets with every batch or with none"),
    ({"x": np.zeros((2, 3))}, "got a dict with keys ['x']: for one batch, pass [batch] and name its input with key="),
    ("0123", "got a str"),
    ([type("Dataset", (), {"element_spec": None})()], "got a tf.data Dataset (each window of .window() is one)"),
    ([type("PackedSequence", (tuple,), {"batch_sizes": 1, "data": 2})((1, 2, 3, 4))], "pad_packed_sequence"),
    ([(np.array([[1, 2, 3, 0], [4, 5, 6, 7]]), np.array([3, 4]))], "got each lane's length"),  # (padded, lengths)
    ((np.zeros((2, 3)) if i == 0 else 1 // 0 for i in range(2)), "reading batch 2 raised ZeroDivisionError"),
    ([np.eye(50)[np.arange(8).reshape(2, 4)]], "[1, 0, 0, 0, 0, 0, 0, 0] ... (50 in all); expected one position a "
                                                "slot (feed a 1-D stream, repeated along the features if your code "
                                                "needs several; here, one-hot vectors"),
    ([np.array([[0, 1, 2, -1], [3, 4, 5, 6]])], "got -1 (padding? pad with 0 here"),  # for Masking(mask_value=-1)
])
def test_check_batches_refuses_bad_input_with_what_it_expected(batches, expected):
    with pytest.raises(ValueError, match="expected") as refusal:
        lanes.check_batches(batches, stateful=False)
    assert expected in str(refusal.value)


@pytest.mark.parametrize("flags, expected", [
    ({"stateful": "yes"}, "stateful: expected True or False"),
    ({"stateful": False, "limit": 0}, "limit: expected a whole number"),
    ({"stateful": False, "time_major": "yes"}, "time_major: expected True or False"),
    ({"stateful": False, "time_major": None}, "time_major: expected True or False"),
    ({"stateful": False, "target_offset": "1"}, "target_offset: expected a whole number"),
    ({"stateful": False, "key": ["x"]}, "key: expected the name of the input"),
])
def test_check_batches_refuses_bad_flags(flags, expected):
    with pytest.raises(ValueError, match=expected):
        lanes.check_batches([np.zeros((2, 3))], **flags)


def test_check_batches_stops_at_its_limit_and_says_there_was_more():
    def forever():
        start = 0
        while True:
            yield np.arange(start, start + 6).reshape(2, 3)
            start += 6

    check = lanes.check_batches(forever(), stateful=False, limit=50)
    assert check.batches == 50 and check.more and "(the first 50: limit=50, and the pipeline has more)" in str(check)
    assert check.ok and "the pipeline has more (.repeat()?)" in check.verdict
    assert not lanes.check_batches(iter(windows_in_batches(np.arange(60), 3, 2)), stateful=False, limit=10).more


# --- check_model -----------------------------------------------------------------------
# Models in plain NumPy, (batch, time, features) -> (batch, time, 1): what each output reads
# is known exactly, so the dependences counted can be checked against it.
def running_sum(x):  # an RNN in spirit: each output reads its lane up to its own step
    return np.cumsum(x, axis=1).sum(axis=2, keepdims=True)


def summed_along_the_batch(x):  # a time-major RNN fed batch-major input: walks along the batch
    return np.cumsum(x, axis=0).sum(axis=2, keepdims=True)


def masked(mask, seed=0):
    """A linear NumPy model whose output (j, t) reads input (i, s) where mask[i, s, j, t], with a
    weight from 0.5 to 1.5; ids (a 2-D input) are read as one feature."""
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, mask.shape) * mask

    def model(x):
        x = np.asarray(x, dtype=np.float64)
        return np.einsum("isjt,is->jt", weights, x if x.ndim == 2 else x.sum(axis=2))[..., None]

    return model


def test_check_model_counts_what_each_output_reads():
    good = lanes.check_model(running_sum, (3, 4, 1))
    assert good.ok and good.across_lanes == 0
    assert (good.in_lane("earlier"), good.possible, good.in_lane("same"), good.in_lane("later")) == (18, 18, 12, 0)
    wrong_axis = lanes.check_model(summed_along_the_batch, (3, 4, 1))
    assert not wrong_axis.ok and wrong_axis.across_lanes == 12 and wrong_axis.in_lane("earlier") == 0
    assert "read other lanes" in wrong_axis.verdict and "batch_first=True" in wrong_axis.verdict
    text = str(wrong_axis)  # lane 1's last output moves with lanes 0 and 1 at that step
    assert "  lane 0  . . . x\n  lane 1  . . . x\n  lane 2  . . . .\n" in text
    # the same model is right when it is fed what it reads: (time, batch, features)
    assert lanes.check_model(summed_along_the_batch, (4, 3, 2), time_major=True).ok


@given(lanes_=st.integers(2, 3), time=st.integers(2, 4), ids=st.booleans(), data_=st.data())
@settings(max_examples=40, derandomize=True, database=None, deadline=None)
def test_check_model_finds_exactly_what_each_output_reads(lanes_, time, ids, data_):
    # any pattern of dependences at all: the check recovers it slot for slot
    mask = np.array(data_.draw(st.lists(st.booleans(), min_size=(lanes_ * time) ** 2,
                                        max_size=(lanes_ * time) ** 2))).reshape(lanes_, time, lanes_, time)
    check = lanes.check_model(masked(mask), (lanes_, time) if ids else (lanes_, time, 2))
    assert (check.depends == mask).all()


@pytest.mark.parametrize("mask_of, exact", [
    (lambda lanes_, time: np.einsum("ij,st->isjt", np.eye(lanes_), np.triu(np.ones((time, time)))), True),  # RNN
    (lambda lanes_, time: np.einsum("ij,st->isjt", np.triu(np.ones((lanes_, lanes_))), np.eye(time)), False),
    (lambda lanes_, time: np.ones((lanes_, time, lanes_, time)), False),  # batch statistics
], ids=["rnn", "time-major", "batch statistics"])
def test_check_model_at_a_big_shape_takes_lanes_plus_steps_calls(mask_of, exact):
    # 20 lanes of 16 steps: 320 slots, more than are nudged one by one
    mask = mask_of(20, 16).astype(bool)
    check = lanes.check_model(masked(mask), (20, 16, 3))
    # 3 calls first: the input, the same again, and one a step longer (do the outputs follow time?)
    if exact:  # lanes apart: each lane whole, then each step in every lane at once, 3 + 20 + 16 calls
        assert check.calls == 3 + 20 + 16 and check.probed.all() and (check.depends == mask).all() and check.ok
    else:  # lanes mix: 12 slots nudged alone, exactly right where they were
        assert check.calls == 3 + 20 + 12 and check.probed.sum() == 12 and not check.ok
        assert (check.depends[check.probed] == mask[check.probed]).all()
        assert "lanes 0, 1, 19 at steps 0, 1, 8, 15 nudged slot by slot (12 of 320 slots)" in str(check)


def test_a_shape_of_two_means_ids():
    table = np.random.default_rng(0).standard_normal((65, 4))
    seen = []

    def char_rnn(ids):  # ids -> an embedding table -> a running sum; .astype(int64) as .long() casts
        seen.append(ids)
        return np.cumsum(table[ids.astype(np.int64)], axis=1)

    check = lanes.check_model(char_rnn, (3, 4))
    assert check.ok and "int64 ids 0 and 1" in str(check)
    assert all(batch.dtype == np.int64 and set(np.unique(batch)) <= {0, 1} for batch in seen)  # valid for any Embedding
    time_major = lanes.check_model(lambda ids: np.cumsum(table[ids.astype(np.int64)], axis=0), (3, 4))
    assert not time_major.ok and "time along your batch axis" in time_major.verdict


def test_check_model_names_batch_statistics_and_nothing_moved():
    def batch_norm(x):  # normalised over the whole batch: every slot moves every output
        h = np.cumsum(x, axis=1)
        return (h - h.mean()) / h.std()

    mixed = lanes.check_model(batch_norm, (3, 4, 1))
    assert not mixed.ok and "statistics over the whole batch" in mixed.verdict and "training=False" in mixed.verdict
    per_step = lanes.check_model(lambda x: np.cumsum(x - x.mean(axis=0), axis=1), (3, 4, 1))  # over the batch, per step
    assert not per_step.ok and "statistics over the batch at each step" in per_step.verdict

    class KerasModel:  # to the check, a Keras model, which it calls in inference mode
        __module__ = "keras.src.models"

        def __call__(self, x):  # BatchNormalization()(h, training=True), fixed in the model
            return batch_norm(x)

    fixed_in_training = lanes.check_model(KerasModel(), (3, 4, 1))
    assert not fixed_in_training.ok and "even in inference mode" in fixed_in_training.verdict
    constant = lanes.check_model(lambda x: np.zeros(x.shape[:2] + (2,)), (3, 4, 1))
    assert not constant.ok and "no nudge moved any output, so this check learned nothing" in constant.verdict
    # one-hot inputs turned into ids: one feature moves nothing; the vocabulary's width does (a nudge rolls it)
    table = np.random.default_rng(0).standard_normal((5, 3))
    one_hot = lanes.check_model(lambda x: np.cumsum(table[np.argmax(x, axis=-1)], axis=1), (3, 4, 1))
    assert not one_hot.ok and "learned nothing" in one_hot.verdict
    assert lanes.check_model(lambda x: np.cumsum(table[np.argmax(x, axis=-1)], axis=1), (3, 4, 5)).ok


def test_check_model_flags_a_model_without_memory_and_notes_one_that_reads_ahead():
    no_memory = lanes.check_model(lambda x: np.tanh(x), (3, 4, 1))
    assert not no_memory.ok and "no output reads an earlier step" in no_memory.verdict
    skips_one = lanes.check_model(lambda x: x + np.concatenate([np.zeros_like(x[:, :2]), x[:, :-2]], axis=1),
                                  (3, 4, 1))  # its own step and the one before that
    assert not skips_one.ok and "9 of 9 outputs do not read their own lane's previous step" in skips_one.verdict
    both_ways = lanes.check_model(lambda x: np.cumsum(x, axis=1) + np.cumsum(x[:, ::-1], axis=1)[:, ::-1], (2, 3))
    assert both_ways.ok and both_ways.in_lane("later") == 6 and "every step of its own lane" in both_ways.verdict
    ahead = lanes.check_model(lambda x: np.cumsum(x, axis=1) + np.roll(x, -1, axis=1) * [1, 1, 1, 0],
                              (2, 4))  # ids: the next step too, but at the last
    assert ahead.ok and "6 read later steps too" in ahead.verdict, ahead.verdict


def test_fourth_probe_findings_get_their_own_verdicts():
    # a pooled output repeated along time (GlobalAveragePooling1D, RepeatVector): was ok, "later ones too"
    pooled = lanes.check_model(lambda x: np.repeat(np.cumsum(x, 1)[:, -1:], x.shape[1], axis=1), (3, 4, 1))
    assert not pooled.ok and "every step of a lane gives the same output" in pooled.verdict, pooled.verdict
    # a running max misses its own step where it does not rise: was blamed on go_backwards
    running_max = lanes.check_model(lambda x: np.maximum.accumulate(x, axis=1), (3, 5, 1))
    assert not running_max.ok and "go_backwards" not in running_max.verdict, running_max.verdict
    assert "this check knows no cause" in running_max.verdict
    # lanes that go on, in batches of 4 lanes and then of 2: not "drop the last, short batch"
    stretches = np.arange(400).reshape(4, 100)
    resized = [stretches[:, k:k + 10] for k in range(0, 50, 10)] + [stretches[:2, k:k + 10] for k in range(50, 100, 10)]
    check = lanes.check_batches(resized, stateful=True)
    assert not check.ok and "drop the last" not in check.verdict and "same size" in check.verdict, check.verdict
    # positions far apart (timestamps): no array as long as the gap
    assert not lanes.check_batches([np.arange(40).reshape(4, 10) * 10 ** 9], stateful=False).ok


def test_lanes_that_mix_where_a_big_shapes_sample_does_not_look_are_not_ok():
    def mixes_two_lanes(x):  # lane 5 reads lane 6; the sample nudges lanes 0, 1 and 15 slot by slot
        out = np.cumsum(x, axis=1)
        out[5] += x[6]
        return out

    check = lanes.check_model(mixes_two_lanes, (16, 64, 1))
    assert not check.ok and "where this sample did not look" in check.verdict  # before: ok


def running_backwards(x):  # an RNN run with go_backwards=True, its outputs not flipped back
    return np.cumsum(x[:, ::-1], axis=1)


@pytest.mark.parametrize("model, cause", [
    (running_backwards, "9 of 18 outputs do not read their own step (at steps 0 to 2)"),
    (lambda x: running_backwards(x)[:, ::-1], "read later steps of their lane (45 pairs) and no earlier one"),
    (lambda x: np.concatenate([np.zeros_like(x[:, :1]), np.cumsum(x, axis=1)[:, :-1]], axis=1),
     "no output reads its own step, only earlier ones: the outputs are late"),  # one step late
    (lambda x: x + np.roll(x, 1, axis=1) * (np.arange(6) % 3 > 0)[:, None] + np.roll(x, 2, axis=1) * (
        np.arange(6) == 3)[:, None], "3 of 15 outputs do not read their own lane's previous step (at steps 3;"),
    # its own step and the one before, but at step 3, where it reads step 1 instead: a memory that restarts
])
def test_a_model_whose_outputs_miss_their_own_step_or_the_one_before_is_not_ok(model, cause):
    # each lane alone, and better than chance: before, each was called ok
    check = lanes.check_model(model, (3, 6, 1))
    assert not check.ok and cause in check.verdict, check.verdict


def test_a_model_that_views_batch_time_as_time_batch_is_named_so():
    # x.view(time, batch, features) where x.transpose(0, 1) belongs, then a running sum along that "time"
    # axis: before, "in no pattern this check knows"
    def viewed(x):
        lanes_, time = x.shape[:2]
        return np.cumsum(x.reshape(time, lanes_, -1), axis=0).reshape(x.shape)

    for shape in ((3, 4, 1), (4, 3, 2)):
        check = lanes.check_model(viewed, shape)
        assert not check.ok and "the model reshapes its input to (time, batch)" in check.verdict, check.verdict
    assert "walks time along your batch axis" in lanes.check_model(summed_along_the_batch, (3, 4, 1)).verdict


def test_check_model_reads_the_first_of_outputs_and_state():
    check = lanes.check_model(lambda x: (running_sum(x), np.zeros(3)), (3, 4, 1))  # nn.LSTM: (output, (h, c))
    assert check.ok


def test_check_model_judges_every_per_step_output_of_a_list():
    # a model of two heads, the second time-major: before, the first alone was judged, and it was ok
    for heads in (lambda x: (running_sum(x), summed_along_the_batch(x)),
                  lambda x: [summed_along_the_batch(x), running_sum(x)]):
        check = lanes.check_model(heads, (3, 4, 1))
        assert not check.ok and "time-major" in check.verdict and "its 2 per-step outputs read together" in str(check)
    # with return_state=True: (outputs, h, c), the states one a lane, are left out
    assert lanes.check_model(lambda x: (running_sum(x), x[:, -1], x[:, -1]), (3, 4, 1)).ok


@pytest.mark.parametrize("model, shape, expected", [
    (running_sum, (3,), "(batch, time, features)"),
    (running_sum, (3, 4, 0), "(batch, time, features)"),
    (running_sum, (1, 4, 1), "2 or more lanes"),
    (running_sum, (100, 100, 1), "4,096 slots at most"),
    (lambda x: x[:, :2], (3, 4, 1), "shape (3, 4) + (units,)"),
    (lambda x: {"out": x}, (3, 4, 1), "got a dict"),
    (lambda x: x * np.nan, (3, 4, 1), "NaN"),
    (lambda x: x + np.random.default_rng().standard_normal(x.shape), (3, 4, 1), "same outputs"),  # stateful
    (lambda x: np.zeros(3)[x], (3, 4, 1), "raised IndexError"),  # float ids: the model's own error, in one line
    ("not a model", (3, 4, 1), "a callable"),
    (lambda x: None, (3, 4, 1), "got None (a function that returns nothing?)"),
    (lambda x: x.transpose(0, 2, 1), (3, 4, 2), "steps are on axis 2: the model moves its time axis"),  # Permute
    (lambda x: x[:, 1:] - x[:, :-1], (3, 4, 1), "3 steps for 4: a layer that changes the length of time"),  # 'valid'
])
def test_check_model_refuses_bad_input_with_what_it_expected(model, shape, expected):
    with pytest.raises(ValueError, match="expected") as refusal:
        lanes.check_model(model, shape)
    assert expected in str(refusal.value)


@pytest.mark.parametrize("flags, expected", [
    ({"nudge": "a"}, "nudge: expected a finite number from 0.001 to 1000"),
    ({"nudge": 0}, "nudge: expected a finite number from 0.001 to 1000"),
    ({"nudge": 1e-9}, "nudge: expected a finite number from 0.001 to 1000"),  # moves no float32 input near 1
    ({"seed": -1}, "seed: expected a whole number from 0"),  # NumPy's own error, before
    ({"seed": 2 ** 70}, "seed: expected a whole number from 0"),
    ({"seed": 1.5}, "seed: expected a whole number"),
    ({"time_major": "yes"}, "time_major: expected True or False"),
])
def test_check_model_refuses_bad_flags(flags, expected):
    with pytest.raises(ValueError, match=expected):
        lanes.check_model(running_sum, **flags)


def test_check_model_takes_a_keras_models_predict_as_the_model_itself():
    class KerasModel:  # to the check, a Keras model
        __module__ = "keras.src.models"
        calls = 0

        def __call__(self, x):
            KerasModel.calls += 1
            return running_sum(x)

        def predict(self, x):  # slow, and returns NumPy: it could never run as a graph
            raise AssertionError("predict called")

    check = lanes.check_model(KerasModel().predict)
    assert check.ok and KerasModel.calls == check.calls


def test_bfloat16_positions_are_exact_only_below_256():
    ml_dtypes = pytest.importorskip("ml_dtypes")  # NumPy's bfloat16, as TensorFlow and JAX give it
    small = np.arange(200).reshape(10, 20).astype(ml_dtypes.bfloat16)
    assert lanes.check_batches([small], stateful=False).ok
    with pytest.raises(ValueError, match="bfloat16 is exact only below 256"):
        lanes.check_batches([np.arange(400).reshape(10, 40).astype(ml_dtypes.bfloat16)], stateful=False)


# --- the rule over every check: nothing at chance is ever ok --------------------------------
def at_chance(check):
    """What the check's own figures say: the best accuracy is no better than the current element's alone.
    (lanes.verdicts.at_chance says the same; it is written out here so that the test of the rule taken out,
    which replaces that one, still knows what is at chance.)"""
    return check.best["accuracy"] - check.chance["accuracy"] < lanes.AT_CHANCE


def layouts():
    """Layouts of every kind: reshapes either way, lanes one step long, shuffles, overlapping windows,
    and tables of several series, transposed, reshaped, or cut into windows across series."""
    def build(kind, lanes_, time, seed):
        n = lanes_ * time
        if kind == "reshape":
            return n, lambda stream: stream.reshape(lanes_, time)
        if kind == "time-major":
            return n, lambda stream: stream.reshape(time, lanes_).T
        if kind == "shuffled":
            return n, lambda stream: np.random.default_rng(seed).permutation(stream).reshape(lanes_, time)
        if kind == "table, transposed":  # `lanes_` series of `time` steps, one series a lane
            return (time, lanes_), lambda table: table.T
        if kind == "table, reshaped":  # rows first: every series in turn
            return (time, lanes_), lambda table: table.reshape(lanes_, time)
        if kind == "table, windows across series":  # series after series, cut into windows of seed + 1
            return (time, lanes_), lambda table: np.append(table.T.ravel(), np.zeros(
                -n % (seed + 1), dtype=int)).reshape(-1, seed + 1)
        return n + time - 1, lambda stream: np.lib.stride_tricks.sliding_window_view(stream, time)  # windows

    kinds = ["reshape", "time-major", "shuffled", "windows", "table, transposed", "table, reshaped",
             "table, windows across series"]
    return st.builds(build, st.sampled_from(kinds), st.integers(1, 6), st.integers(1, 5), st.integers(0, 9)).filter(
        lambda built: (built[0] if isinstance(built[0], int) else built[0][0]) >= 2)


def masks():
    """Dependences of any pattern, (lanes, time, lanes, time): sparse ones over the whole batch, or
    inside each lane alone; most models so made have outputs that do not read their previous step."""
    @st.composite
    def draw(draw_):
        lanes_, time = draw_(st.integers(2, 3)), draw_(st.integers(2, 4))
        sparse = st.sampled_from([False, False, False, True])
        if draw_(st.booleans()):  # each lane reads only itself, in some pattern of steps
            own = np.array(draw_(st.lists(sparse, min_size=lanes_ * time * time, max_size=lanes_ * time * time)))
            return np.einsum("ij,ist->isjt", np.eye(lanes_, dtype=bool), own.reshape(lanes_, time, time)).astype(bool)
        flags = draw_(st.lists(sparse, min_size=(lanes_ * time) ** 2, max_size=(lanes_ * time) ** 2))
        return np.array(flags).reshape(lanes_, time, lanes_, time)

    return draw()


def sequence_masks():
    """Dependences of one output a lane, (lanes, time, lanes, 1): over the whole batch, or each lane
    reading only itself at some of its steps."""
    @st.composite
    def draw(draw_):
        lanes_, time = draw_(st.integers(2, 3), label="lanes"), draw_(st.integers(2, 4), label="time")
        steps = np.array(draw_(st.lists(st.booleans(), min_size=lanes_ * time, max_size=lanes_ * time)))
        if draw_(st.booleans()):  # each lane reads only itself
            return np.einsum("ij,is->isj", np.eye(lanes_, dtype=bool), steps.reshape(lanes_, time))[..., None]
        flags = draw_(st.lists(st.booleans(), min_size=(lanes_ * time) * lanes_, max_size=(lanes_ * time) * lanes_))
        return np.array(flags).reshape(lanes_, time, lanes_, 1)

    return draw()


def batch_sequences():
    """Batches of every kind: stretches that go on or not, one step long or more, shuffled, of
    changing sizes, zero-padded, with state carried or not."""
    def build(sizes, kind, stateful, seed):
        rng, batches, start = np.random.default_rng(seed), [], 0
        lanes_ = sizes[0][0]
        for number, (lanes_here, time) in enumerate(sizes):
            lanes_here = lanes_ if kind == "stretches" else lanes_here
            if kind == "stretches":  # lane i goes on through stretch i
                batch = np.arange(lanes_here)[:, None] * 1000 + number * time + np.arange(time)
            elif kind == "random":
                batch = rng.integers(0, 50, (lanes_here, time))
            else:  # consecutive windows side by side
                batch = start + np.arange(lanes_here * time).reshape(lanes_here, time)
                start += lanes_here * time
            if kind == "padded" and time > 1:
                batch[-1, -1] = 0
            batches.append(batch)
        return batches, stateful

    sizes = st.lists(st.tuples(st.integers(1, 4), st.sampled_from([1, 1, 1, 2, 3])), min_size=1, max_size=12)
    return st.builds(build, sizes, st.sampled_from(["stretches", "windows", "random", "padded"]), st.booleans(),
                     st.integers(0, 9))


def layout_is_not_ok_at_chance(built):
    length, layout = built
    check = lanes.check_layout(layout, length)
    assert not (check.ok and at_chance(check)), str(check)
    assert not (check.ok and check.seen.sum() == 0), str(check)


def batches_are_not_ok_at_chance(built):
    batches, stateful = built
    check = lanes.check_batches(batches, stateful=stateful)
    assert not (check.ok and at_chance(check)), str(check)
    assert not (check.ok and check.seen == 0), str(check)


def model_is_not_ok_at_chance(mask):
    check = lanes.check_model(masked(mask), mask.shape[:2] + (1,))
    assert not (check.ok and at_chance(check)), str(check)
    assert not (check.ok and not (check.own.all() and check.previous[:, 1:].all())), str(check)  # each output


def sequence_model_is_not_ok_at_chance(mask):
    check = lanes.check_model(lambda x: masked(mask)(x)[:, 0], mask.shape[:2] + (1,))  # (lanes, 1): one a lane
    assert not check.per_step
    assert not (check.ok and at_chance(check)), str(check)
    assert not (check.ok and not (check.own.all() and check.previous.all())), str(check)  # its last two steps


PROPERTIES = {  # name: (what is generated, the property, how many examples)
    "layouts": (layouts, layout_is_not_ok_at_chance, 100),
    "batches": (batch_sequences, batches_are_not_ok_at_chance, 150),
    "models": (masks, model_is_not_ok_at_chance, 60),
    "sequence models": (sequence_masks, sequence_model_is_not_ok_at_chance, 60),
}


def property_test(name, **settings_):
    inputs, holds, examples = PROPERTIES[name]
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    **settings_)(given(inputs())(holds))


test_no_layout_at_chance_is_ok = property_test("layouts")
test_no_batches_at_chance_are_ok = property_test("batches")
test_no_model_at_chance_is_ok = property_test("models")
test_no_sequence_model_at_chance_is_ok = property_test("sequence models")


@pytest.mark.parametrize("name", PROPERTIES)
def test_the_property_fails_when_the_rule_is_taken_out(name, monkeypatch):
    # the mutation: nothing is at chance any more (AT_CHANCE below every gap), so only the rows
    # decide; and a model's ok rows no longer ask that each output read its own step and the one
    # before (a private rule: a mutation test must reach the rule it takes out). The property must
    # then find an input it calls ok (no shrinking: any one will do)
    monkeypatch.setattr(lanes.verdicts, "AT_CHANCE", -math.inf)
    monkeypatch.setattr(lanes.verdicts, "_reads_own_and_previous", lambda check: bool(check.probed.all()))
    with pytest.raises(AssertionError):
        property_test(name, phases=[Phase.generate])()


def test_importing_lanes_needs_numpy_alone():
    # the machine learning frameworks are made unimportable: lanes must not need them
    code = ("import sys\n"
            "for name in ('tensorflow', 'keras', 'torch', 'jax', 'quiet_tf'): sys.modules[name] = None\n"
            "import lanes\n"
            "print(lanes.check_layout(lambda stream: stream.reshape(2, 3), 6).ok)\n"
            "print(lanes.check_model(lambda x: x.cumsum(axis=1), (3, 4, 1)).ok)\n"
            "print(sorted(name for name, module in sys.modules.items() if module and name.split('.')[0] in "
            "('tensorflow', 'keras', 'torch')))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "True\nTrue\n[]\n"


def test_the_package_opens_with_its_api():
    # lanes/__init__.py is the page a user opens: the docstring, then the public names, and nothing else
    source = (ROOT / "lanes" / "__init__.py").read_text()
    code = [line for line in source[source.index('\n"""\n') + 5:].splitlines() if line.strip()]
    assert all(line.startswith(("from .", "__all__", " ")) for line in code), code
    assert all(not name.startswith("_") for name in lanes.__all__)
    assert {type(check.ok) for check in (lanes.check_layout(lambda s: s.reshape(2, 3), 6),
                                         lanes.check_batches([np.zeros((2, 3))], stateful=False),
                                         lanes.check_model(running_sum))} == {bool}  # a field, in every result


def test_the_pytorch_forms():
    # PyTorch is no dependency: where it is installed, its own DataLoader, BatchNorm1d, Embedding
    # and nn.LSTM go through the checks as they are (tests/torch_forms.py; docs/compatibility.md)
    if importlib.util.find_spec("torch") is None:
        pytest.skip("PyTorch is not installed (no dependency); python tests/torch_forms.py where it is")
    import torch_forms

    for form in torch_forms.FORMS:
        broken, fixed, cause = form()
        assert not broken.ok and cause in broken.verdict and fixed.ok, form.__name__
