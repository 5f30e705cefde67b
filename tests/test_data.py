"""data.py: the task itself, checked against the plainest possible code."""
import doctest

import numpy as np
import pytest

import data


def brute_force_labels(stream):
    out, previous = [], 0  # the first element's predecessor counts as 0
    for bit in stream:
        out.append(2 * previous + bit)
        previous = bit
    return out


def test_labels_match_a_plain_loop():
    train_rng, _ = data.generators(seed=5)
    streams = data.bit_streams(train_rng, count=20, length=37)
    expected = [brute_force_labels(row) for row in streams.tolist()]
    assert data.labels(streams).tolist() == expected  # every row, every position


def test_the_examples_in_the_docstring_run():
    assert doctest.testmod(data).failed == 0


def test_labels_of_the_seed_example():
    # the example from the question: 0 0 1 0 1 1 -> 0 0 1 2 1 3
    assert data.labels([0, 0, 1, 0, 1, 1]).tolist() == [0, 0, 1, 2, 1, 3]


def test_streams_are_bits_and_balanced():
    train_rng, _ = data.generators(seed=0)
    streams = data.bit_streams(train_rng, count=100, length=100)
    assert set(np.unique(streams)) == {0, 1}
    assert abs(streams.mean() - 0.5) < 0.02  # 10,000 fair bits: 4 standard deviations


def test_same_seed_same_streams_other_seed_other_streams():
    first = [data.bit_streams(rng, 4, 50) for rng in data.generators(seed=3)]
    again = [data.bit_streams(rng, 4, 50) for rng in data.generators(seed=3)]
    other = [data.bit_streams(rng, 4, 50) for rng in data.generators(seed=4)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], other[0])
    assert not np.array_equal(first[0], first[1])  # held-out data is not the training data


def test_probe_stream_repeats_the_seed_pattern():
    probe = data.probe_stream(100)
    assert probe.tolist()[:12] == [0, 0, 1, 0, 1, 1] * 2 and len(probe) == 100
    # at the probe positions the pattern spells classes 0, 1, 2, 3 in that order
    assert data.labels(probe)[list(data.PROBE_POSITIONS)].tolist() == [0, 1, 2, 3]


def test_confusion_matrix_counts_pairs():
    counts = data.confusion_matrix(true=[0, 0, 1, 3, 3, 3], predicted=[0, 2, 1, 3, 3, 1])
    assert counts.sum() == 6
    assert counts[0].tolist() == [1, 0, 1, 0]  # row: true class 0
    assert counts[3].tolist() == [0, 1, 0, 2]


# --- the lane map and the best each layout allows --------------------------------------
def question_layout(batch, time):  # reshape to (time, batch), then lanes are the columns
    return np.arange(batch * time).reshape(time, batch).T


def answer_layout(batch, time):  # reshape to (batch, time): lanes are the rows
    return np.arange(batch * time).reshape(batch, time)


def brute_force(lane_map):
    """Seen-previous flags, best accuracy and best cross-entropy by enumerating every stream:
    targets are pooled by what a model can know (its time step, the current bit, and the
    previous bit when it was read earlier in the same lane; not its lane), and each pool's
    best guess is its commonest class."""
    slot = {int(p): (lane, t) for (lane, t), p in np.ndenumerate(lane_map)}
    n = len(slot)
    seen = [p > 0 and slot[p - 1][0] == slot[p][0] and slot[p - 1][1] < slot[p][1] for p in range(n)]
    pools = {}
    for number in range(2 ** n):
        stream = [(number >> i) & 1 for i in range(n)]
        for p, label in enumerate(data.labels(stream)):
            visible = (slot[p][1], stream[p], stream[p - 1] if seen[p] else None)
            counts = pools.setdefault(visible, [0] * 4)
            counts[label] += 1
    total = n * 2 ** n
    accuracy = sum(max(c) for c in pools.values()) / total
    entropy = -sum(k * np.log(k / sum(c)) for c in pools.values() for k in c if k) / total
    return seen, accuracy, entropy


def test_seen_previous_and_best_possible_match_brute_force():
    rng = np.random.default_rng(0)
    maps = [layout(b, t) for b, t in [(2, 3), (3, 2), (1, 6), (6, 1), (2, 5), (5, 2), (3, 3)]
            for layout in (question_layout, answer_layout)]
    maps += [rng.permutation(8).reshape(2, 4) for _ in range(4)]  # any layout at all
    for lane_map in maps:
        seen, accuracy, entropy = brute_force(lane_map)
        assert data.seen_previous(lane_map).tolist() == seen, lane_map
        best = data.best_possible(lane_map)
        assert abs(best["accuracy"] - accuracy) < 1e-12, lane_map  # exact, up to rounding
        assert abs(best["cross_entropy"] - entropy) < 1e-12, lane_map


def test_the_seed_layouts():
    # the question: (T=2, batch=50); no target ever has its predecessor in its own lane
    assert data.seen_previous(question_layout(50, 2)).sum() == 0
    # a coin flip everywhere, but at time step 0 one target in 50 (the stream's first) is a
    # sure 0: P(previous 0) = 0.51 there, a little under ln 2 of entropy
    at_step_0 = -(0.51 * np.log(0.51) + 0.49 * np.log(0.49))
    assert data.best_possible(question_layout(50, 2)) == pytest.approx(
        {"accuracy": 0.505, "cross_entropy": (at_step_0 + np.log(2)) / 2}, abs=1e-12)
    # the answer: (batch=7, seq=50); all but the first target of each lane
    assert data.seen_previous(answer_layout(7, 50)).sum() == 343
    assert data.best_possible(answer_layout(7, 50)) == pytest.approx(
        {"accuracy": 0.9914, "cross_entropy": 0.0137}, abs=1e-4)


def test_a_lane_map_must_hold_every_position_once():
    with pytest.raises(ValueError):
        data.seen_previous(np.array([[0, 1], [1, 3]]))
