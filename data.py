"""The toy task, in plain NumPy: a stream of random bits and the class at each position.

    class = 2 * previous bit + current bit        (0, 1, 2 or 3)

    stream : 0  0  1  0  1  1
    labels : 0  0  1  2  1  3      the first element's predecessor counts as 0

A model that sees only the current bit can tell {0, 2} from {1, 3} and nothing more.

    >>> import data
    >>> train_rng, eval_rng = data.generators(seed=0)
    >>> streams = data.bit_streams(train_rng, count=3, length=100)   # (3, 100)
    >>> data.labels(streams).shape
    (3, 100)
    >>> data.labels([0, 0, 1, 0, 1, 1]).tolist()
    [0, 0, 1, 2, 1, 3]

Where the stream's positions land in the RNN's input, and what that allows a model to learn,
is the lanes package's business.
"""
import numpy as np

NUM_CLASSES = 4
PROBE_PATTERN = (0, 0, 1, 0, 1, 1)  # the seed's test input, repeated to fill a batch
PROBE_POSITIONS = (1, 2, 3, 5)  # where the pattern spells [0,0], [0,1], [1,0], [1,1]


def generators(seed):
    """Two independent NumPy generators from one seed: one for training, one held out."""
    return tuple(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))


def bit_streams(rng, count, length):
    """`count` fresh streams of `length` random bits: (count, length) int32."""
    return rng.integers(0, 2, size=(count, length), dtype=np.int32)


def labels(streams):
    """Class of every position, along the last axis: 2 * previous bit + current bit."""
    streams = np.asarray(streams)
    previous = np.zeros_like(streams)
    previous[..., 1:] = streams[..., :-1]  # the first element's predecessor counts as 0
    return 2 * previous + streams


def probe_stream(length):
    """The seed's probe: 0,0,1,0,1,1 repeated, cut to `length`."""
    return np.resize(np.array(PROBE_PATTERN, dtype=np.int32), length)


def confusion_matrix(true, predicted):
    """(NUM_CLASSES, NUM_CLASSES) counts: rows are true classes, columns predicted ones."""
    counts = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(counts, (np.ravel(true), np.ravel(predicted)), 1)
    return counts
