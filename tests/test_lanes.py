"""lanes.py: the lane map, the best a layout allows, and the three checks on user code."""
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

import data
import lanes


# --- the lane map and the best each layout allows --------------------------------------
def question_layout(batch, time):  # reshape to (time, batch), then lanes are the columns
    return np.arange(batch * time).reshape(time, batch).T


def answer_layout(batch, time):  # reshape to (batch, time): lanes are the rows
    return np.arange(batch * time).reshape(batch, time)


def brute_force(lane_map):
    """Seen-previous flags, best accuracy and best cross-entropy by enumerating every stream.
    Every slot is a target. Targets are pooled by what a model can know (its time step, the
    current bit, and the previous bit when it was read earlier in the same lane; not its
    lane), and each pool's best guess is its commonest class."""
    n = int(lane_map.max()) + 1
    seen = np.zeros(lane_map.shape, dtype=bool)
    for (lane, t), p in np.ndenumerate(lane_map):
        seen[lane, t] = p > 0 and p - 1 in lane_map[lane, :t]
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


def test_importing_lanes_needs_numpy_alone():
    # the machine learning frameworks are made unimportable: lanes.py must not need them
    code = ("import sys\n"
            "for name in ('tensorflow', 'keras', 'torch', 'jax', 'quiet_tf'): sys.modules[name] = None\n"
            "import lanes\n"
            "print(lanes.check_layout(lambda stream: stream.reshape(2, 3), 6).ok)\n"
            "print(sorted(name for name, module in sys.modules.items() if module and name.split('.')[0] in "
            "('tensorflow', 'keras')))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "True\n[]\n"


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
    (lambda stream: np.random.default_rng(0).permutation(stream).reshape(10, 10), "a lane"),
    (lambda stream: stream[[1, 0, *range(2, 100)]].reshape(10, 10), "jumps"),  # two neighbours swapped
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


@pytest.mark.parametrize("layout, length, expected", [
    (lambda stream: stream[:96].reshape(8, 12), 100, "every stream position 0..99"),  # drops the tail
    (lambda stream: np.append(stream, 100).reshape(1, 101), 100, "every stream position"),  # makes one up
    (lambda stream: stream / 3, 99, "whole-number"),
    (lambda stream: np.where(stream == 7, np.nan, stream).reshape(10, 10), 100, "NaN"),
    (lambda stream: stream, 100, "2-D or 3-D"),
    (lambda stream: stream.reshape(5, 5, 2, 2), 100, "2-D or 3-D"),
    (lambda stream: stream.reshape(10, 5, 2), 100, "features of slot (0, 0)"),  # a slot holding two positions
    (lambda stream: stream.astype(str).reshape(10, 10), 100, "numbers"),
    (lambda stream: -stream.reshape(10, 10), 100, "positions 0, 1, 2"),
    (lambda stream: stream.reshape(10, 10), 2 ** 24 + 1, "2**24"),
    (lambda stream: stream.reshape(10, 10), 100.0, "whole number"),
    (lambda stream: stream.reshape(10, 10), 1, "from 2"),
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


def test_check_batches_with_carried_state_needs_each_lane_to_go_on():
    batches = windows_in_batches(np.arange(1000), 10, 4)
    carried = lanes.check_batches(batches, stateful=True)
    assert not carried.ok and (carried.continuing, carried.handovers) == (0, 96)
    assert "lane 0 goes from 0 ... 9 in batch 1 to 40 ... 49 in batch 2" in carried.verdict
    assert "  lane 0 -> 0 ... 9 | 40 ... 49 | 80 ... 89\n" in str(carried)
    assert lanes.check_batches(batches, stateful=False).ok  # each batch on its own is fine
    partitioned = [np.arange(1000).reshape(4, 250)[:, i:i + 10] for i in range(0, 250, 10)]
    carried = lanes.check_batches(partitioned, stateful=True)
    assert carried.ok and (carried.continuing, carried.handovers) == (96, 96)
    assert carried.seen == 1000 - 4  # only each stretch's very first position has no predecessor in sight


def test_check_batches_stateful_needs_batches_of_one_size():
    batches = windows_in_batches(np.arange(100), 10, 4)  # 4, 4, then 2 lanes
    check = lanes.check_batches(batches, stateful=True)
    assert not check.ok and "drop_remainder=True" in check.verdict
    assert lanes.check_batches(batches, stateful=False).ok


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
    scattered = lanes.check_batches([(windows[:3], np.array([10, 12, 0]))], stateful=False)
    assert not scattered.ok and scattered.offset_found is None and "no fixed place" in scattered.verdict


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
    ([{"x": np.zeros((2, 3))}], "got a dict"),
    ([(np.zeros((2, 3)), np.zeros((3, 3)))], "targets: expected one a window"),
    ([np.zeros((2, 3)), (np.zeros((2, 3)), np.zeros(2))], "targets with every batch or with none"),
])
def test_check_batches_refuses_bad_input_with_what_it_expected(batches, expected):
    with pytest.raises(ValueError, match="expected") as refusal:
        lanes.check_batches(batches, stateful=False)
    assert expected in str(refusal.value)


def test_check_batches_refuses_a_stateful_that_is_not_a_bool():
    with pytest.raises(ValueError, match="expected True or False"):
        lanes.check_batches([np.zeros((2, 3))], stateful="yes")


def test_check_batches_stops_at_its_limit():
    def forever():
        start = 0
        while True:
            yield np.arange(start, start + 6).reshape(2, 3)
            start += 6

    assert lanes.check_batches(forever(), stateful=False, limit=50).batches == 50


# --- check_model -----------------------------------------------------------------------
# Models in plain NumPy, (batch, time, features) -> (batch, time, 1): what each output reads
# is known exactly, so the dependences counted can be checked against it.
def running_sum(x):  # an RNN in spirit: each output reads its lane up to its own step
    return np.cumsum(x, axis=1).sum(axis=2, keepdims=True)


def summed_along_the_batch(x):  # a time-major RNN fed batch-major input: walks along the batch
    return np.cumsum(x, axis=0).sum(axis=2, keepdims=True)


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


def test_check_model_flags_a_model_without_memory_and_notes_one_that_reads_ahead():
    no_memory = lanes.check_model(lambda x: np.tanh(x), (3, 4, 1))
    assert not no_memory.ok and "no output reads an earlier step" in no_memory.verdict
    both_ways = lanes.check_model(lambda x: np.cumsum(x, axis=1) + np.cumsum(x[:, ::-1], axis=1)[:, ::-1], (2, 3))
    assert both_ways.ok and both_ways.in_lane("later") == 6 and "later steps too" in both_ways.verdict


@pytest.mark.parametrize("model, shape, expected", [
    (running_sum, (3,), "(batch, time[, features])"),
    (running_sum, (3, 4, 0), "(batch, time[, features])"),
    (running_sum, (1, 4, 1), "2 or more lanes"),
    (running_sum, (100, 100, 1), "4096 slots at most"),
    (lambda x: x[:, :2], (3, 4, 1), "shape (3, 4) + (units,)"),
    (lambda x: (x, x), (3, 4, 1), "got a tuple"),
    (lambda x: x * np.nan, (3, 4, 1), "NaN"),
    (lambda x: x + np.random.default_rng().standard_normal(x.shape), (3, 4, 1), "same outputs"),  # stateful
])
def test_check_model_refuses_bad_input_with_what_it_expected(model, shape, expected):
    with pytest.raises(ValueError, match="expected") as refusal:
        lanes.check_model(model, shape)
    assert expected in str(refusal.value)


# --- the real forms, in tf.data and Keras (lanes_examples.py) -----------------------------
CAUSES = {  # each broken form's verdict names its cause
    "seed": "side by side across lanes",
    "transpose": "side by side across lanes",
    "windows": "consecutive windows went to neighbouring lanes",
    "shuffled": "shuffled batches",
    "targets": "its own first element, not the element after its last",
    "model": "outputs read other lanes",
}


def test_every_broken_form_is_not_ok_and_every_fixed_form_is(runs):
    result = runs["lanes examples"]
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert sorted(result.report) == sorted(f"{form}, {label}" for form in CAUSES for label in ("broken", "fixed"))
    for form, cause in CAUSES.items():
        broken, fixed = result.report[f"{form}, broken"], result.report[f"{form}, fixed"]
        assert not broken["ok"] and cause in broken["verdict"], (form, broken)
        assert fixed["ok"], (form, fixed)
        assert f"verdict: NOT OK: {broken['verdict']}\n" in result.stdout  # what it printed is what it found
