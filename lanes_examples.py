"""The forms the layout bug takes in real code, each broken and then fixed, checked with lanes.

    python lanes_examples.py                      # every form: both checks' reports
    python lanes_examples.py windows targets      # some of them (names: see --help)

Each form is a function that returns lanes' check of the broken code and of the fixed
code, so that you can read it next to your own. The layout forms need NumPy alone; the
pipeline forms use tf.data and Keras, the model forms Keras layers. PyTorch is no
dependency: its DataLoader yields [inputs, targets] lists, and `loader` stands in for it
with a generator that does the same. docs/lanes.md shows what every form prints.
"""
import inspect

import numpy as np

import cli
import lanes
import process
import report
from quiet_tf import keras, tf

SERIES = np.arange(1000)  # stand-ins for your data: each element is its own position


def windows_of(series, size, shift):
    """tf.data windows of `size` elements every `shift`, each as one tensor."""
    return (tf.data.Dataset.from_tensor_slices(series).window(size, shift=shift, drop_remainder=True)
            .flat_map(lambda window: window.batch(size)))


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


def padding():
    """A stream of 95 zero-padded to fill (10, 10). Padding is read as padding: it neither
    hides the time-major reshape nor looks like a bug once the reshape is right."""
    def padded(stream):
        return np.pad(stream, (0, 100 - len(stream)))  # 95 positions, then five zeros

    return (lanes.check_layout(lambda stream: padded(stream).reshape(10, 10).T, 95),
            lanes.check_layout(lambda stream: padded(stream).reshape(10, 10), 95))


def timesteps_as_features():
    """Keras' classic: windows of 10 reshaped to (samples, 1, timesteps) to fit an LSTM's 3-D
    input. Each sample is one step of 10 features, so the RNN has no time to remember along;
    (samples, timesteps, 1) gives each element a step of its own."""
    windows = np.lib.stride_tricks.sliding_window_view(SERIES[:100], 10)  # (91, 10)
    return (lanes.check_batches([windows.reshape(-1, 1, 10)], stateful=False),
            lanes.check_batches([windows.reshape(-1, 10, 1)], stateful=False))


def one_array():
    """One array passed to check_batches, not a list of batches, is read as one batch: here
    the question's time-major layout transposed to (batch, time, 1), and the answer's."""
    question = np.arange(100).reshape(2, 50, 1).transpose(1, 0, 2)  # (50 lanes, 2 steps, 1)
    answer = np.arange(350).reshape(7, 50, 1)
    return lanes.check_batches(question, stateful=False), lanes.check_batches(answer, stateful=False)


def table():
    """A table of 8 series of 1000 steps, (time, series) as a DataFrame's .values holds them,
    for a model that reads one series a lane: check_layout takes the table's shape. Reshaped
    to (8, 1000, 1), its rows go into the lanes in order, so each lane holds every series in
    turn; transposed, table.T, each lane is one series."""
    return (lanes.check_layout(lambda table: table.reshape(8, 1000, 1), (1000, 8)),
            lanes.check_layout(lambda table: table.T[..., None], (1000, 8)))


# --- the pipeline: many batches, from tf.data and Keras ---------------------------------
def windows():
    """A stateful LSTM (the state carried from batch to batch) fed windows of 10, batched 4 at
    a time: lane 0 holds 0..9 and then 40..49, so the state it carries belongs to another
    stretch. The fix cuts the series into 4 stretches first, one a lane ("sequential
    partitioning"), and feeds each lane its stretch 10 steps at a time."""
    windowed = windows_of(SERIES, 10, 10).batch(4)  # (4 lanes, 10 steps): windows 0-3, then 4-7, ...
    partitioned = (tf.data.Dataset.from_tensor_slices(SERIES.reshape(4, 250).T)  # 250 steps of 4 lanes
                   .batch(10).map(tf.transpose))  # (4 lanes, 10 steps): lane i goes on through stretch i
    return lanes.check_batches(windowed, stateful=True), lanes.check_batches(partitioned, stateful=True)


def shuffled():
    """The same windows, shuffled before batching. Shuffling is right for a model that
    starts every batch from zeros, and wrong for one that carries its state."""
    shuffled_windows = windows_of(SERIES, 10, 10).shuffle(100, seed=0).batch(4)
    return (lanes.check_batches(shuffled_windows, stateful=True),
            lanes.check_batches(shuffled_windows, stateful=False))


def overlap():
    """Sliding windows (numpy's sliding_window_view, a shift of 1), fed one a batch to a model
    that carries its state: each window re-feeds nine steps the state has already seen.
    Windows that do not overlap (a shift of 10) go on where the last one stopped."""
    sliding = np.lib.stride_tricks.sliding_window_view(SERIES, 10)  # (991, 10): window i is i ... i + 9
    return (lanes.check_batches([window[None] for window in sliding[:100]], stateful=True),
            lanes.check_batches([window[None] for window in sliding[::10][:100]], stateful=True))


def repeat():
    """The partitioned pipeline of `windows`, repeated for training (.repeat()): at each
    epoch's end every lane starts its stretch again, and a stateful model hands it the
    state of the stretch's end. check_batches reads at most `limit` batches and says when
    there were more. Checked one epoch at a time, with the state reset between epochs, it
    is right."""
    partitioned = tf.data.Dataset.from_tensor_slices(SERIES.reshape(4, 250).T).batch(10).map(tf.transpose)
    return (lanes.check_batches(partitioned.repeat(), stateful=True, limit=100),
            lanes.check_batches(partitioned.take(25), stateful=True))


def one_step():
    """Batches one time step long, for a model that starts every batch from zeros: the RNN
    never sees two elements in a row, whatever the lanes hold. Windows of ten steps let it."""
    one_step_batches = tf.data.Dataset.from_tensor_slices(SERIES[:, None]).batch(4)  # (4 lanes, 1 step)
    return (lanes.check_batches(one_step_batches, stateful=False),
            lanes.check_batches(windows_of(SERIES, 10, 10).batch(4), stateful=False))


def targets():
    """keras.utils.timeseries_dataset_from_array with targets=series gives the window 0..9 the
    target 0, its own first element. To forecast the element after each window, the targets
    start sequence_length later."""
    own_start = keras.utils.timeseries_dataset_from_array(SERIES, targets=SERIES, sequence_length=10,
                                                          batch_size=32)
    next_one = keras.utils.timeseries_dataset_from_array(SERIES[:-10], targets=SERIES[10:],
                                                         sequence_length=10, batch_size=32)
    return lanes.check_batches(own_start, stateful=False), lanes.check_batches(next_one, stateful=False)


def horizon():
    """A forecaster of the next 5 elements: windows of 15 from timeseries_dataset_from_array,
    split into 10 inputs and 5 targets. Split one step early, the targets start at each
    window's own last input, which the model has already read."""
    windows = keras.utils.timeseries_dataset_from_array(SERIES, targets=None, sequence_length=15, batch_size=32)
    return (lanes.check_batches(windows.map(lambda w: (w[:, :10], w[:, 9:14])), stateful=False),
            lanes.check_batches(windows.map(lambda w: (w[:, :10], w[:, 10:])), stateful=False))


def loader():
    """PyTorch's char-RNN habit: the hidden state is fed back in from batch to batch. The
    DataLoader over windows (DataLoader(TensorDataset(x, y), batch_size=3)) yields [x, y]
    lists, and puts consecutive windows side by side. pytorch/examples' batchify cuts the
    series into one stretch a lane and yields (time, batch) chunks for nn.LSTM's default
    batch_first=False. A generator yielding the same lists stands in for PyTorch here."""
    def data_loader(x, y, batch_size):  # what DataLoader(TensorDataset(x, y), batch_size) yields
        for start in range(0, len(x), batch_size):
            yield [x[start:start + batch_size], y[start:start + batch_size]]

    inputs, next_ones = SERIES[:-1].reshape(-1, 37), SERIES[1:].reshape(-1, 37)  # windows, and each step's next

    def batchify(series, lanes_a_batch, bptt):  # pytorch/examples word_language_model, in NumPy
        columns = series[:len(series) // lanes_a_batch * lanes_a_batch].reshape(lanes_a_batch, -1).T  # (time, batch)
        for i in range(0, len(columns) - 1, bptt):
            length = min(bptt, len(columns) - 1 - i)
            yield [columns[i:i + length], columns[i + 1:i + 1 + length]]  # (time, batch) each

    return (lanes.check_batches(data_loader(inputs, next_ones, 3), stateful=True),
            lanes.check_batches(batchify(SERIES, 4, 35), stateful=True, time_major=True))


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


def batchnorm():
    """An LSTM with BatchNormalization after it, called in training mode (training=True, or
    PyTorch's .train()): the batch's statistics mix every lane into every output, which is
    not the layout bug. In inference mode (training=False, .eval()) each lane is alone."""
    keras.utils.set_random_seed(0)
    lstm, norm = keras.layers.LSTM(4, return_sequences=True), keras.layers.BatchNormalization()
    return (lanes.check_model(lambda x: norm(lstm(x), training=True), (3, 4, 1)),
            lanes.check_model(lambda x: norm(lstm(x), training=False), (3, 4, 1)))


def backwards():
    """An LSTM with go_backwards=True reads the time axis from its end, and returns its
    outputs in that order: the output at step t belongs to another step, and half of them
    never read their own. Bidirectional flips them back and joins a forward pass: each output
    reads its own step, the one before it, and (for a label, not a forecast) the later ones."""
    keras.utils.set_random_seed(0)
    backward = keras.layers.LSTM(4, return_sequences=True, go_backwards=True)
    both_ways = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    return lanes.check_model(backward, (3, 6, 1)), lanes.check_model(both_ways, (3, 6, 1))


def last_step():
    """A forecaster or a classifier: one output a lane, the LSTM's output at the lane's last
    step (return_sequences=False; PyTorch's out[:, -1], or h_n). check_model judges it as the
    lane's output at its last step: it must read its own lane only, that step and the one
    before. The first step's output (out[:, 0]) knows nothing of the lane's end."""
    keras.utils.set_random_seed(0)
    lstm, head = keras.layers.LSTM(4, return_sequences=True), keras.layers.Dense(4)
    return (lanes.check_model(lambda x: head(lstm(x)[:, 0]), (3, 4, 1)),
            lanes.check_model(lambda x: head(lstm(x)[:, -1]), (3, 4, 1)))


def stateful():
    """A model built with stateful=True for batches of 8 carries each lane's state from call
    to call: the same input gives other outputs every time. check_model checks a stateless
    copy of it (the same layers with stateful=False, the same weights), at any batch size.
    With go_backwards=True its outputs come last step first; read forwards, it is right."""
    def built(go_backwards):
        keras.utils.set_random_seed(0)
        return keras.Sequential([keras.Input(batch_shape=(8, 6, 1)),
                                 keras.layers.LSTM(4, stateful=True, return_sequences=True, go_backwards=go_backwards)])

    return lanes.check_model(built(True), (3, 6, 1)), lanes.check_model(built(False), (3, 6, 1))


def tokens():
    """A char-RNN: ids -> Embedding -> LSTM. A (batch, time) shape means ids: the check feeds
    ids 0 and 1 and swaps them. Written for time-major ids and fed batch-major ones, it walks
    time along the batch; reading (batch, time), it is right."""
    keras.utils.set_random_seed(0)
    embed, lstm = keras.layers.Embedding(65, 8), keras.layers.LSTM(4, return_sequences=True)

    def time_major_char_rnn(ids):  # (time, batch) -> (time, batch, 4)
        return keras.ops.transpose(lstm(embed(keras.ops.transpose(ids))), (1, 0, 2))

    return (lanes.check_model(time_major_char_rnn, (3, 4)),
            lanes.check_model(lambda ids: lstm(embed(ids)), (3, 4)))


def one_hot():
    """A model that takes one-hot vectors and turns them into ids (argmax) before its
    Embedding. Checked with one feature, argmax is always 0: no nudge moves anything, and the
    check says it learned nothing. With the vocabulary's width, a nudge moves the hot index."""
    keras.utils.set_random_seed(0)
    embed, lstm = keras.layers.Embedding(5, 8), keras.layers.LSTM(4, return_sequences=True)

    def one_hot_char_rnn(vectors):  # (batch, time, vocabulary) -> (batch, time, 4)
        return lstm(embed(keras.ops.argmax(vectors, axis=-1)))

    return lanes.check_model(one_hot_char_rnn, (3, 4, 1)), lanes.check_model(one_hot_char_rnn, (3, 4, 5))


def real_shape():
    """A Keras model passed as it is, at a shape of real training, (16 lanes, 64 steps, 8
    features): check_model calls it on its input twice and one step longer, then nudges each
    lane whole, and then each step in every lane at once: 83 calls in all, not one for each of
    the 1,024 slots. Its RNN keeps a running sum (an
    identity recurrence), so every earlier step still moves an output 63 steps later; an LSTM
    forgets, and the steps it no longer feels (below a millionth) count as not read. The
    same model read time first (a transpose on either side) mixes the lanes, so a sample of
    slots is nudged one at a time instead."""
    keras.utils.set_random_seed(0)
    running_sum = keras.Sequential([keras.Input((None, 8)),
                                    keras.layers.SimpleRNN(16, activation=None, recurrent_initializer="identity",
                                                           return_sequences=True)])

    def time_major(inputs):  # (time, batch, features) -> (time, batch, 16)
        return keras.ops.transpose(running_sum(keras.ops.transpose(inputs, (1, 0, 2))), (1, 0, 2))

    return lanes.check_model(time_major, (16, 64, 8)), lanes.check_model(running_sum, (16, 64, 8))


FORMS = {form.__name__: form for form in (seed, transpose, padding, timesteps_as_features, one_array, table, windows,
                                          shuffled, overlap, repeat, one_step, targets, horizon, loader, model,
                                          batchnorm,
                                          backwards, last_step, stateful, tokens, one_hot, real_shape)}
NUMPY_ALONE = (seed, transpose, padding, timesteps_as_features, one_array, table)  # the forms that need no TensorFlow


def parse_args(argv=None):
    parser = cli.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("forms", nargs="*", metavar="FORM",
                        help=f"forms to check, of: {', '.join(FORMS)} (default: all of them)")
    cli.add_output_flags(parser, report="each check's ok and verdict")
    args = parser.parse_args(argv)
    unknown = [name for name in args.forms if name not in FORMS]
    if unknown:
        parser.error(f"no form {unknown[0]!r}; the forms are {', '.join(FORMS)}")
    process.asked(args.report_json)
    return args


def main(argv=None):
    args = parse_args(argv)
    names = dict.fromkeys(args.forms or FORMS)  # each once, in the order asked
    if any(FORMS[name] not in NUMPY_ALONE for name in names):
        tf.config.threading.set_intra_op_parallelism_threads(1)  # tiny models: one thread is fastest
        tf.config.threading.set_inter_op_parallelism_threads(1)
    found = {}
    for name in names:
        form = FORMS[name]
        print(f"== {name}\n{inspect.cleandoc(form.__doc__ or '')}\n", flush=True)
        for label, check in zip(("broken", "fixed"), form(), strict=True):
            print(f"-- {label}\n{check}\n", flush=True)
            found[f"{name}, {label}"] = {"ok": check.ok, "verdict": check.verdict,
                                         **({"calls": check.calls, "traced": check.traced}
                                            if isinstance(check, lanes.ModelCheck) else {})}
    if args.report_json:
        report.write_json(args.report_json, found)


if __name__ == "__main__":
    process.run_as_tool(main)
