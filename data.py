"""The toy task, in plain NumPy: a stream of random bits and the class at each position.

    class = 2 * previous bit + current bit        (0, 1, 2 or 3)

    stream : 0  0  1  0  1  1
    labels : 0  0  1  2  1  3      the first element's predecessor counts as 0

A model that sees only the current bit can tell {0, 2} from {1, 3} and nothing more.

It also holds the check both training scripts run on their own layout. A lane map says
which stream position sits at each (lane, time) slot of the RNN's input: push
numpy.arange(n) through the layout code and read it off. From the map, `seen_previous`
finds the targets whose previous bit the RNN has already read in the same lane, and
`best_possible` gives the highest accuracy and lowest cross-entropy any model can reach
with that layout, whether it carries its state from batch to batch or resets it.

    >>> import numpy as np, data
    >>> train_rng, eval_rng = data.generators(seed=0)
    >>> streams = data.bit_streams(train_rng, count=3, length=100)   # (3, 100)
    >>> data.labels(streams).shape
    (3, 100)
    >>> lane_map = np.arange(100).reshape(2, 50).T     # the question's layout: (50 lanes, 2 steps)
    >>> int(data.seen_previous(lane_map).sum())       # targets whose previous bit is in sight
    0
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


def seen_previous(lane_map):
    """For each stream position (n,): has the RNN already read the previous position, earlier
    in the same lane? `lane_map` is (lanes, time): the stream position at each slot."""
    lane_map = np.asarray(lane_map)
    n = lane_map.size
    if sorted(lane_map.ravel().tolist()) != list(range(n)):
        raise ValueError("a lane map must hold each stream position 0..n-1 exactly once")
    lane_of, time_of = np.empty(n, dtype=int), np.empty(n, dtype=int)
    lane_of[lane_map], time_of[lane_map] = np.indices(lane_map.shape)
    seen = np.zeros(n, dtype=bool)
    seen[1:] = (lane_of[1:] == lane_of[:-1]) & (time_of[:-1] < time_of[1:])
    return seen


def best_possible(lane_map):
    """The best held-out accuracy and cross-entropy (nats) of any model fed this layout.

    A target whose previous bit is in sight can be named exactly. For any other target the
    model has only its current bit, and can at best bet on how often such a target's previous
    bit is 0. That is 1/2, except for the stream's first element, whose "previous bit" always
    counts as 0. A model may know the time step it is at (it can count, and under --state
    reset it starts every lane from zeros), but not which lane it is in: every lane runs the
    same weights on the same kind of input. So the bet is made per time step, over the hidden
    targets at that step. Whatever state a lane brings in from the previous batch, carried or
    reset to zeros, it holds nothing about this stream's bits, so neither policy beats this.
    """
    lane_map = np.asarray(lane_map)
    seen = seen_previous(lane_map)
    time_of = np.empty(seen.size, dtype=int)
    time_of[lane_map] = np.indices(lane_map.shape)[1]
    correct, entropy = float(seen.sum()), 0.0
    for step in np.unique(time_of[~seen]):
        pool = ~seen & (time_of == step)  # the hidden targets at this time step
        hidden, forced = int(pool.sum()), int(pool[0])  # forced: the stream's first element
        p_zero = (forced + 0.5 * (hidden - forced)) / hidden  # P(previous bit 0), in this pool
        correct += hidden * max(p_zero, 1 - p_zero)
        entropy += hidden * sum(p * np.log(1 / p) for p in (p_zero, 1 - p_zero) if p > 0)
    return {"accuracy": correct / seen.size, "cross_entropy": float(entropy / seen.size)}
