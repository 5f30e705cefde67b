"""The forms the layout bug takes in real code, each broken and then fixed, checked with lanes.py.

    python lanes_examples.py                      # every form: both checks' reports
    python lanes_examples.py windows targets      # some of them (names: see --help)

Each form is a function that returns lanes.py's check of the broken code and of the fixed
code, so that you can read it next to your own. The layout forms need NumPy alone; the
pipeline forms use tf.data and Keras, the model form a Keras LSTM.
"""
import inspect

import numpy as np

import cli
import lanes
from quiet_tf import keras, tf

SERIES = np.arange(1000)  # stand-ins for your data: each element is its own position


# --- the layout: one batch, from a flat stream ------------------------------------------
def seed():
    """The StackOverflow question: 100 bits reshaped to (T=2, batch=50, 1) for a model that
    reads time first (the list of time steps tf.nn.rnn took). The answer: (batch=7, time=50, 1)
    for a model that reads the batch first."""
    broken = lanes.check_layout(lambda stream: stream.reshape(2, 50, 1), 100, time_major=True)
    fixed = lanes.check_layout(lambda stream: stream.reshape(7, 50, 1), 350)
    return broken, fixed


def transpose():
    """A (batch, time) batch made time-major for a model that reads time first, such as
    PyTorch's nn.LSTM with its default batch_first=False: a reshape keeps the stream's order,
    so only a transpose moves the axes."""
    def reshaped(stream):
        return stream.reshape(7, 50, 1).reshape(50, 7, 1)  # (time, batch, 1)? the shape only

    def transposed(stream):
        return stream.reshape(7, 50, 1).transpose(1, 0, 2)  # (time, batch, 1): lane j is still j*50 ...

    return (lanes.check_layout(reshaped, 350, time_major=True),
            lanes.check_layout(transposed, 350, time_major=True))


# --- the pipeline: many batches, from tf.data and Keras ---------------------------------
def windows():
    """A stateful LSTM (the state carried from batch to batch) fed windows of 10, batched 4 at
    a time: lane 0 holds 0..9 and then 40..49, so the state it carries belongs to another
    stretch. The fix cuts the series into 4 stretches first, one a lane ("sequential
    partitioning"), and feeds each lane its stretch 10 steps at a time."""
    windowed = (tf.data.Dataset.from_tensor_slices(SERIES)
                .window(10, shift=10, drop_remainder=True).flat_map(lambda window: window.batch(10))
                .batch(4))  # (4 lanes, 10 steps): windows 0-3, then 4-7, ...
    partitioned = (tf.data.Dataset.from_tensor_slices(SERIES.reshape(4, 250).T)  # 250 steps of 4 lanes
                   .batch(10).map(tf.transpose))  # (4 lanes, 10 steps): lane i goes on through stretch i
    return lanes.check_batches(windowed, stateful=True), lanes.check_batches(partitioned, stateful=True)


def shuffled():
    """The same windows, shuffled before batching. Shuffling is right for a model that
    starts every batch from zeros, and wrong for one that carries its state."""
    shuffled_windows = (tf.data.Dataset.from_tensor_slices(SERIES)
                        .window(10, shift=10, drop_remainder=True).flat_map(lambda window: window.batch(10))
                        .shuffle(100, seed=0).batch(4))
    return (lanes.check_batches(shuffled_windows, stateful=True),
            lanes.check_batches(shuffled_windows, stateful=False))


def targets():
    """keras.utils.timeseries_dataset_from_array with targets=series gives the window 0..9 the
    target 0, its own first element. To forecast the element after each window, the targets
    start sequence_length later."""
    own_start = keras.utils.timeseries_dataset_from_array(SERIES, targets=SERIES, sequence_length=10,
                                                          batch_size=32)
    next_one = keras.utils.timeseries_dataset_from_array(SERIES[:-10], targets=SERIES[10:],
                                                         sequence_length=10, batch_size=32)
    return lanes.check_batches(own_start, stateful=False), lanes.check_batches(next_one, stateful=False)


# --- the model: which inputs each output reads ------------------------------------------
def model():
    """A model written for time-major input, (time, batch, features): a Keras LSTM with a
    transpose on either side, as PyTorch's nn.LSTM(batch_first=False) reads. Fed batch-major
    data, it walks time along the batch. Fed what it expects (time_major=True), it is fine."""
    keras.utils.set_random_seed(0)
    lstm = keras.layers.LSTM(4, return_sequences=True)  # Keras RNNs read (batch, time, features)

    def time_major_lstm(inputs):  # (time, batch, features) -> (time, batch, 4)
        return keras.ops.transpose(lstm(keras.ops.transpose(inputs, (1, 0, 2))), (1, 0, 2))

    return (lanes.check_model(time_major_lstm, (3, 4, 1)),
            lanes.check_model(time_major_lstm, (4, 3, 1), time_major=True))


FORMS = {form.__name__: form for form in (seed, transpose, windows, shuffled, targets, model)}


def parse_args(argv=None):
    parser = cli.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("forms", nargs="*", metavar="FORM",
                        help=f"forms to check, of: {', '.join(FORMS)} (default: all of them)")
    parser.add_argument("--report-json", type=cli.writable_path, metavar="PATH",
                        help="also write each check's ok and verdict as JSON to PATH")
    args = parser.parse_args(argv)
    unknown = [name for name in args.forms if name not in FORMS]
    if unknown:
        parser.error(f"no form {unknown[0]!r}; the forms are {', '.join(FORMS)}")
    cli.asked(args.report_json)
    return args


def main(argv=None):
    args = parse_args(argv)
    found = {}
    for name in args.forms or FORMS:
        form = FORMS[name]
        print(f"== {name}\n{inspect.cleandoc(form.__doc__)}\n", flush=True)
        for label, check in zip(("broken", "fixed"), form(), strict=True):
            print(f"-- {label}\n{check}\n", flush=True)
            found[f"{name}, {label}"] = {"ok": check.ok, "verdict": check.verdict}
    if args.report_json:
        cli.write_json(args.report_json, found)


if __name__ == "__main__":
    cli.run(main)
