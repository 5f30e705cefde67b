"""data.py: the task itself, checked against the plainest possible code."""
import doctest

import numpy as np

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
