"""The answer's layout: a batch-major reshape, (batch, time).

    python fixed_rnn.py                        # the seed's settings: 3000 steps, seed 0

A stream of random bits (data.py) is cut into a batch, fed to a 2-layer LSTM, and trained
to name the class 2 * previous bit + current bit at every position. The LSTM state is
carried from one batch to the next, as in the StackOverflow question this reproduces
(--state reset starts every batch from zeros instead).

broken_rnn.py and fixed_rnn.py are one file but for the layout: `diff broken_rnn.py
fixed_rnn.py` shows the only lines that differ, in to_lanes and from_lanes below.

Flags: --steps, --seed, --eval-positions, --units, --layers, --optimizer, --learning-rate,
--state, --batch-size, --seq-len, --report-json PATH, --plot PATH.png (see --help).
"""
import os
import sys
import time

import numpy as np

import cli
import data
import lanes
import process
import report
from quiet_tf import keras, tf

# --- settings: the seed's, one a line; UNITS is --units on the command line and "units" in the
# JSON report, and so on for all but LEARNING_RATES (--learning-rate), CLIP_NORM and PRINT_EVERY ---
BATCH_SIZE = 7  # lanes: sequences the LSTM runs side by side
SEQ_LEN = 50  # time steps in each lane
UNITS = 5  # units in each LSTM layer
LAYERS = 2  # stacked LSTM layers
OPTIMIZER = "sgd"  # plain SGD; or "adam"
LEARNING_RATES = {"sgd": 0.1, "adam": 0.01}  # each optimizer's default step size
STATE = "carry"  # each batch starts from the last one's final state; or "reset" to zeros
CLIP_NORM = 10.0  # gradients are clipped to this global norm
STEPS = 3000  # training steps, a fresh random batch each
PRINT_EVERY = 300  # print the loss every this many steps; also steps per tf.function call
EVAL_POSITIONS = 10_000  # held-out stream positions to score, at least
SEED = 0  # seeds the weights and the data
TITLE = __doc__.splitlines()[0]  # the layout, in one line: heads the report


def parse_args(argv=None):
    return cli.parse_args(TITLE, dict(
        steps=STEPS, seed=SEED, eval_positions=EVAL_POSITIONS, units=UNITS, layers=LAYERS,
        optimizer=OPTIMIZER, learning_rates=LEARNING_RATES, state=STATE,
        batch_size=BATCH_SIZE, seq_len=SEQ_LEN), argv)


# --- the layout: how the flat stream becomes the (batch, time, features) input ---------
def to_lanes(stream, batch_size, seq_len):
    """(n,) stream -> (batch, time, 1), the shape keras.layers.RNN reads."""
    laid_out = tf.reshape(stream, (batch_size, seq_len, 1))  # (batch, time, 1): fills lane 0 first
    return laid_out  # (batch, time, 1): lane j is stream[j * seq_len], stream[j * seq_len + 1], ...


def from_lanes(per_lane):
    """(batch, time, k) RNN outputs -> (n, k) in stream order, to line up with the labels."""
    stream_major = per_lane  # (batch, time, k): already in stream order
    return tf.reshape(stream_major, (-1, per_lane.shape[-1]))  # (n, k): row i is stream[i]


# --- model ---------------------------------------------------------------------------
def build_model(batch_size, seq_len, units, layers):
    cells = [keras.layers.LSTMCell(units) for _ in range(layers)]
    rnn = keras.layers.RNN(keras.layers.StackedRNNCells(cells),
                           return_sequences=True, return_state=True)  # time loop: one tf.while_loop
    head = keras.layers.Dense(data.NUM_CLASSES)  # LSTM output -> class logits
    zero_state = [[tf.zeros((batch_size, units))] * 2 for _ in range(layers)]  # [h, c] a layer

    def forward(stream, state):
        """Logits (n, classes) in stream order, and the LSTM's final state."""
        inputs = tf.cast(to_lanes(stream, batch_size, seq_len), tf.float32)  # (batch, time, 1)
        outputs, *state = rnn(inputs, initial_state=state)  # outputs: (batch, time, units)
        return head(from_lanes(outputs)), state

    rnn.build((batch_size, seq_len, 1))  # creates the weights
    head.build((None, units))
    return forward, rnn.trainable_variables + head.trainable_variables, zero_state


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)  # the weights
    tf.config.experimental.enable_op_determinism()
    tf.config.threading.set_intra_op_parallelism_threads(1)  # tiny matrices: one thread is fastest
    train_rng, eval_rng = data.generators(args.seed)  # the data
    n = args.batch_size * args.seq_len  # stream positions in one batch
    forward, weights, zero_state = build_model(args.batch_size, args.seq_len, args.units, args.layers)
    optimizer = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}[args.optimizer](
        learning_rate=args.learning_rate, global_clipnorm=CLIP_NORM)

    def next_state(final_state):
        """The state the next batch starts from. Every batch is a fresh, independent stream, so
        its lane i does not go on from this batch's lane i: carrying (the seed's way) hands it
        bits of another stream, and resetting to zeros is the honest start."""
        return final_state if args.state == "carry" else zero_state

    @tf.function(jit_compile=True)  # one compiled call trains a whole print interval
    def train(streams, labels, state):
        """One SGD step per row of streams and labels, (steps, n) each; each step's loss, accuracy
        and current-bit accuracy, (steps, 3)."""
        history = tf.TensorArray(tf.float32, size=streams.shape[0])
        for step in tf.range(streams.shape[0]):
            with tf.GradientTape() as tape:
                logits, final_state = forward(streams[step], state)
                loss = tf.reduce_mean(  # mean cross-entropy over the n positions
                    tf.nn.sparse_softmax_cross_entropy_with_logits(labels[step], logits))
            optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights, strict=True))
            predicted = tf.argmax(logits, axis=1, output_type=tf.int32)  # (n,) the likeliest class
            history = history.write(step, [loss, tf.reduce_mean(tf.cast(predicted == labels[step], tf.float32)),
                                           tf.reduce_mean(tf.cast(predicted % 2 == labels[step] % 2, tf.float32))])
            state = next_state(final_state)
        return history.stack(), state

    @tf.function  # forward only, one call: compiling it would cost more than it saves
    def predict(streams, state):
        """Softmax (batches, n, classes) of each row of streams (batches, n). Row 0 is the probe,
        which leaves the state as it is; from row 1 on, the state goes on from batch to batch,
        as in training."""
        probabilities = tf.TensorArray(tf.float32, size=streams.shape[0])
        for batch in tf.range(streams.shape[0]):
            logits, final_state = forward(streams[batch], state)
            probabilities = probabilities.write(batch, tf.nn.softmax(logits))
            if batch > 0:
                state = next_state(final_state)
        return probabilities.stack()

    settings = dict(seed=args.seed, steps=args.steps, batch_size=args.batch_size, seq_len=args.seq_len,
                    units=args.units, layers=args.layers, optimizer=args.optimizer,
                    learning_rate=args.learning_rate, state=args.state, clip_norm=CLIP_NORM,
                    print_every=PRINT_EVERY, eval_positions=args.eval_positions)
    print(report.header(TITLE, settings), flush=True)

    # The index probe: push the positions 0..n-1 through the very layout code used for training,
    # and read off which stream position each (lane, time) slot holds. lanes.check_layout is
    # the check you can run on your own layout code, too.
    layout = lanes.check_layout(lambda positions: to_lanes(positions, args.batch_size, args.seq_len), n,
                                undo=from_lanes)
    if not layout.undoes:
        sys.exit("from_lanes does not undo to_lanes: logits and labels would not line up")
    print(layout.lane_lines("bit"), flush=True)

    state, started, losses, accuracies = zero_state, time.perf_counter(), [], []
    for first in range(0, args.steps, PRINT_EVERY):
        streams = data.bit_streams(train_rng, min(PRINT_EVERY, args.steps - first), n)  # (steps, n)
        history, state = train(tf.constant(streams), tf.constant(data.labels(streams)), state)
        losses += history[:, 0].numpy().tolist()
        accuracies += history[:, 1:].numpy().tolist()  # [accuracy, current-bit accuracy] a step
        print(report.loss_line(first, losses[first]), flush=True)
        if report.diverged_at(losses) is not None:  # the report says where, and what to try
            break
    train_seconds = time.perf_counter() - started

    streams = data.bit_streams(eval_rng, args.eval_batches, n)  # whole batches
    probe, *probabilities = predict(tf.constant(np.vstack([data.probe_stream(n), streams])), state).numpy()
    held_out = report.held_out_summary(np.concatenate(probabilities), data.labels(streams).ravel())

    summary = dict(
        script=os.path.basename(globals().get("__file__", "notebook")),  # pasted into a notebook: no file
        title=TITLE, settings=settings,
        loss_history=losses, accuracy_history=[accuracy for accuracy, _ in accuracies],
        current_bit_accuracy_history=[current_bit for _, current_bit in accuracies],
        probe=dict(pattern=data.PROBE_PATTERN, positions=data.PROBE_POSITIONS,
                   probabilities=probe[list(data.PROBE_POSITIONS)].tolist()),
        lanes=layout.summary(), best_possible=layout.best, loss_floors=report.loss_floors(layout.best),
        held_out=held_out, verdict=report.verdict(held_out, losses),
        timing=dict(train_seconds=round(train_seconds, 3)))
    print(report.outcome(summary), end="")
    if args.report_json:
        report.write_json(args.report_json, summary)
    if args.plot:
        report.plot_curves(args.plot, [summary])
    return summary


if __name__ == "__main__":
    process.run_as_tool(main)  # Ctrl-C, SIGTERM, a failing stdout, $TMPDIR: see process.py
