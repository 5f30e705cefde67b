"""lanes on JAX's own objects: a Flax model's apply, a lax.scan function, Keras on JAX.

    KERAS_BACKEND=jax python tests/jax_forms.py    # in an environment with jax, flax, keras and numpy

JAX is no dependency of this project, so nothing in the test suite runs this. Each form
gives a check that must not be ok and one that must, with a phrase its verdict must hold;
then check_model is timed (median of 3) at (3, 4, 1) and (16, 64, 8) on models passed as a
user would, un-jitted. The script prints every verdict and exits 1 if any is wrong.
"""
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import flax  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from flax import linen as nn  # noqa: E402
from flax import nnx  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import lanes  # noqa: E402  (from the project folder)


class LinenLSTM(nn.Module):
    """nn.RNN over an LSTMCell, then a Dense head; time_major as nn.RNN takes it."""

    units: int = 8
    time_major: bool = False

    @nn.compact
    def __call__(self, x):
        return nn.Dense(4)(nn.RNN(nn.LSTMCell(self.units), time_major=self.time_major)(x))


def linen_apply(features, units=8, time_major=False):
    """`lambda x: model.apply(params, x)`, un-jitted, as a Flax user passes it."""
    model = LinenLSTM(units, time_major)
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((2, 3, features)))
    return lambda x: model.apply(params, x)


def linen_rnn():
    """nn.RNN(..., time_major=True) reads (time, batch, features): fed batch-major data, it
    walks time along the batch; time_major=False (the default) is right."""
    return (lanes.check_model(linen_apply(1, time_major=True), (3, 4, 1)),
            lanes.check_model(linen_apply(1), (3, 4, 1)), "time along your batch axis")


def nnx_rnn():
    """A Flax nnx module passed as it is: nnx.RNN with time_major=True fed batch-major, and
    batch-major (time_major=False)."""
    def built(time_major):
        return nnx.RNN(nnx.LSTMCell(1, 8, rngs=nnx.Rngs(0)), time_major=time_major)

    return (lanes.check_model(built(True), (3, 4, 1)), lanes.check_model(built(False), (3, 4, 1)),
            "time along your batch axis")


def scan_params(features, units=16, seed=0):
    keys = jax.random.split(jax.random.PRNGKey(seed), 3)
    return (jax.random.normal(keys[0], (features, units)) * 0.5, jax.random.normal(keys[1], (units, units)) * 0.3,
            jax.random.normal(keys[2], (units, 4)) * 0.5)


def scan_rnn(features):
    """A tanh RNN written with lax.scan along axis 0: it reads (time, batch, features)."""
    w_in, w_h, w_out = scan_params(features)

    def time_major(x):  # (time, batch, features) -> (time, batch, 4)
        def step(h, x_t):
            h = jnp.tanh(x_t @ w_in + h @ w_h)
            return h, h @ w_out

        return jax.lax.scan(step, jnp.zeros((x.shape[1], w_h.shape[0])), x)[1]

    return time_major


def lax_scan():
    """A lax.scan RNN written time-major: fed batch-major data, it walks time along the batch;
    with a transpose on either side it reads (batch, time, features), and is right."""
    time_major = scan_rnn(1)
    return (lanes.check_model(time_major, (3, 4, 1)),
            lanes.check_model(lambda x: jnp.swapaxes(time_major(jnp.swapaxes(x, 0, 1)), 0, 1), (3, 4, 1)),
            "time along your batch axis")


def keras_backwards():
    """Keras on JAX: an LSTM with go_backwards=True returns its outputs last step first;
    Bidirectional flips them back."""
    keras.utils.set_random_seed(0)
    backward = keras.layers.LSTM(4, return_sequences=True, go_backwards=True)
    both_ways = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    return (lanes.check_model(backward, (3, 6, 1)), lanes.check_model(both_ways, (3, 6, 1)),
            "do not read their own step")


def keras_time_major():
    """Keras on JAX: a Keras LSTM with a transpose on either side reads (time, batch,
    features): fed batch-major, it walks time along the batch; checked time_major, right."""
    keras.utils.set_random_seed(0)
    lstm = keras.layers.LSTM(4, return_sequences=True)

    def time_major_lstm(inputs):
        return keras.ops.transpose(lstm(keras.ops.transpose(inputs, (1, 0, 2))), (1, 0, 2))

    return (lanes.check_model(time_major_lstm, (3, 4, 1)),
            lanes.check_model(time_major_lstm, (4, 3, 1), time_major=True), "time along your batch axis")


def keras_batchnorm():
    """Keras on JAX: BatchNormalization called with training=True (it updates its moving
    statistics at every call) mixes the lanes; training=False does not."""
    keras.utils.set_random_seed(0)
    lstm, norm = keras.layers.LSTM(4, return_sequences=True), keras.layers.BatchNormalization()
    training = lanes.check_model(lambda x: norm(lstm(x), training=True), (3, 4, 1))
    keras.ops.convert_to_numpy(norm.moving_mean)  # raises if jax.jit left a tracer in it
    return training, lanes.check_model(lambda x: norm(lstm(x), training=False), (3, 4, 1)), "statistics over the"


FORMS = (linen_rnn, nnx_rnn, lax_scan, keras_backwards, keras_time_major, keras_batchnorm)


def keras_lstm(features, bidirectional=False):
    keras.utils.set_random_seed(0)
    lstm = keras.layers.LSTM(32, return_sequences=True)
    return keras.Sequential([keras.Input((None, features)), keras.layers.Bidirectional(lstm) if bidirectional
                             else lstm, keras.layers.Dense(4)])


class NnxLSTM(nnx.Module):
    """nnx.RNN over an LSTMCell, then a Linear head: an nnx module, passed as it is."""

    def __init__(self, features, units=32):
        rngs = nnx.Rngs(0)
        self.rnn, self.head = nnx.RNN(nnx.LSTMCell(features, units, rngs=rngs)), nnx.Linear(units, 4, rngs=rngs)

    def __call__(self, x):
        return self.head(self.rnn(x))


TIMED = {"Keras on JAX: LSTM(32) + Dense(4)": keras_lstm,
         "Keras on JAX: Bidirectional(LSTM(32)) + Dense(4)": lambda features: keras_lstm(features, True),
         "Flax linen nn.RNN(LSTMCell(32)) + Dense(4), apply un-jitted": lambda features: linen_apply(features, 32),
         "Flax nnx module nnx.RNN(LSTMCell(32)) + Linear(4), as it is": NnxLSTM,
         "plain jax lax.scan RNN(16), un-jitted": lambda features: (lambda f: lambda x: jnp.swapaxes(
             f(jnp.swapaxes(x, 0, 1)), 0, 1))(scan_rnn(features))}


def timed(name, shape, runs=3):
    """The median of `runs` check_model calls, each on a model built anew (nothing compiled yet)."""
    took = []
    for _ in range(runs):
        model = TIMED[name](shape[2])
        started = time.perf_counter()
        check = lanes.check_model(model, shape)
        took.append(time.perf_counter() - started)
    print(f"== {name} at {shape}: median {statistics.median(took):.2f} s of {', '.join(f'{t:.2f}' for t in took)}, "
          f"{check.calls} calls, traced={check.traced}, ok={check.ok}", flush=True)
    return check.ok


def main():
    wrong = 0
    for form in FORMS:
        broken, fixed, cause = form()
        right = not broken.ok and cause in broken.verdict and fixed.ok
        wrong += not right
        print(f"== {form.__name__}: {'as expected' if right else 'WRONG'} (traced {broken.traced}, {fixed.traced})\n"
              f"-- broken\n{broken}\n-- fixed\n{fixed}\n", flush=True)
    for name in TIMED:
        for shape in ((3, 4, 1), (16, 64, 8)):
            wrong += not timed(name, shape)
    print(f"jax {jax.__version__}, flax {flax.__version__}, keras {keras.__version__} ({keras.backend.backend()}), "
          f"numpy {np.__version__}, python {sys.version.split()[0]}: "
          f"{'all as expected' if not wrong else f'{wrong} WRONG'}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
