"""Probing a model: call it on a fixed input and on nudged copies, and see which outputs move.

A model's outputs are read as the lanes' outputs: per step, (lanes, time, units) like its
input, or per sequence, one output a lane ((lanes, units), or nn.GRU's h_n, (layers, lanes,
units)), which stands at the lane's last step. Of a list or tuple (nested too: nn.LSTM's
(output, (h_n, c_n))), every per-step array is judged, found by its shape wherever it sits;
where there is none, every per-sequence one. An output whose axis after the lanes has the
input's steps is tried on an input one step longer: it is per step only if that axis follows.
"""
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .frameworks import as_callable, shape_of, to_numpy
from .text import one_line

MODEL_PROBE_SHAPE = (3, 4, 1)  # check_model's default input: 3 lanes of 4 steps, 1 feature
SLOTS_ONE_BY_ONE = 256  # check_model nudges each slot alone up to here; above, lanes and steps whole
SAMPLE_STEPS = 4  # above that, where lanes mix: the steps of lanes 0, 1 and the last nudged alone
MAX_SLOTS = 4096  # check_model's input: lanes x time steps, at most (seconds, and under 1 GiB)
MAX_NUMBERS = 2 ** 24  # the model's input, and the outputs judged: numbers in all, at most


@dataclass(frozen=True)
class Head:
    """One output judged: item `index` of what the model returns (its arrays in order), per
    step or per sequence, with its lanes on `lane_axis`."""

    index: int
    per_step: bool
    lane_axis: int


@dataclass
class Probe:
    """Calls a model on a fixed input and on nudged copies of it, and says which outputs moved."""

    call: Callable
    inputs: np.ndarray
    time_major: bool
    nudge: float
    reads: str
    rng: np.random.Generator
    inference: bool | None  # the model runs in inference mode: True, False, or None (not known)
    heads: list = field(default_factory=list)
    shapes: list = field(default_factory=list)  # the shape of every array the model returns
    longer: list | None = None  # their shapes for an input one step longer ([]: the model took none)
    base: np.ndarray | None = None
    calls: int = 0
    traced: bool = False
    repeated: bool = True  # every lane's output the same at every step, for every input so far

    @property
    def per_step(self):
        return self.heads[0].per_step

    @classmethod
    def of(cls, model, shape, time_major, nudge, seed):
        rng = np.random.default_rng(seed)
        ids = len(shape) == 2
        inputs = rng.integers(0, 2, shape) if ids else rng.standard_normal(shape).astype(np.float32)
        call, reads, inference = as_callable(model)
        probe = cls(call, inputs, time_major, nudge, ("int64 ids 0 and 1" if ids else "float32") + reads, rng,
                    inference)
        first = probe.leaves(probe.raw(inputs))
        probe.shapes = [shape_of(leaf) for leaf in first]
        probe.heads, said = probe.plan()
        probe.reads += said
        probe.base = probe.outputs(inputs, first)
        probe.repeated = _same_along_time(probe.base)
        started = time.perf_counter()  # the second call: a model built by the first, warm
        again = probe.outputs(inputs)
        took = time.perf_counter() - started
        if probe.moved_from_base(again).any():  # what a nudge would be said to move, moved by nothing
            raise ValueError("the model: expected the same outputs for the same input twice, got outputs that differ "
                             f"by up to {np.abs(again - probe.base).max():.3g}, more than the 1e-6 (relative) that "
                             "this check reads as moved: " + (
                                 "in .train() mode its dropout draws anew at every call; pass net.eval()"
                                 if reads.endswith("(in .train() mode)") else
                                 "a stateful layer, dropout called with training=True, or noise? Pass a copy that "
                                 "gives the same outputs every time (inference mode, no state carried)"))
        n_lanes, n_steps = probe.lanes_and_steps(inputs)
        calls_left = n_lanes * n_steps if n_lanes * n_steps <= SLOTS_ONE_BY_ONE else n_lanes + n_steps
        if took * calls_left > 1.0:  # worth a trace: a Keras model runs op by op, but as a graph in milliseconds
            graph = _traced(probe, first)
            probe.call, probe.traced = graph or probe.call, graph is not None
        return probe

    def lanes_and_steps(self, inputs):
        return (inputs.shape[1], inputs.shape[0]) if self.time_major else inputs.shape[:2]

    def plan(self):
        """The heads to judge, from the shapes of the model's arrays, and words for the report."""
        n_lanes, n_steps = self.lanes_and_steps(self.inputs)
        leading = (n_steps, n_lanes) if self.time_major else (n_lanes, n_steps)
        arrays = [shape for shape in self.shapes if shape is not None]
        lanes_on = self.lane_axes() if len(arrays) > 1 or any(
            len(shape) >= 2 and shape[0] == shape[1] == n_lanes for shape in arrays) else {}
        steps, sequences = [], []
        for index, shape in enumerate(self.shapes):
            axis = lanes_on.get(index, "unknown")  # where an input one lane wider shows the lanes, if it was tried
            if shape is None or axis is None:
                continue
            if len(shape) >= 2 and shape[:2] == leading and axis in ("unknown", 1 if self.time_major else 0):
                steps.append(index)
            elif len(shape) in (1, 2) and shape[0] == n_lanes and axis in ("unknown", 0):
                sequences.append(Head(index, False, 0))
            elif len(shape) == 3 and shape[1] == n_lanes and (axis == 1 or axis == "unknown" and shape[0] != n_lanes):
                sequences.append(Head(index, False, 1))  # h_n: (layers, lanes, k)
        time_first = [head.index for head in sequences if head.lane_axis == 1 and not self.time_major
                      and self.shapes[head.index][0] == n_steps]  # (layers, lanes, k), or (time, lanes, k)?
        follows = self.follow(steps + time_first) if steps or time_first else {}
        for index in time_first:
            if follows.get(index) is False and self.follow([index], axis=0).get(index):
                raise ValueError(f"the model's output: expected per-step outputs of shape {leading} + (units,), "
                                 f"like its input, got shape {self.shapes[index]}: the input's {n_steps} time steps "
                                 f"on axis 0 (it follows an input one step longer) and its {n_lanes} lanes on axis 1, "
                                 "(time, batch) outputs for a (batch, time) input: permute them back "
                                 "(out.permute(1, 0, 2), out.transpose(0, 1)), or, if the model takes (time, batch), "
                                 "check it with time_major=True")
        said = ""
        if steps and not follows:
            said = ", an input one step longer not taken, so its outputs are read as per step by their shape"
        heads = []
        for index in steps:
            if follows.get(index, True):
                heads.append(Head(index, True, 1 if self.time_major else 0))
            elif len(self.shapes[index]) == 2 and not self.time_major:  # (lanes, units), units = the steps
                sequences.append(Head(index, False, 0))
            else:
                raise ValueError(f"the model's output: expected per-step outputs whose time axis follows the input's, "
                                 f"got shape {self.shapes[index]}, whose axis {0 if self.time_major else 1} keeps its "
                                 f"length when the input has {n_steps + 1} steps: time is on another axis (a Conv1d's "
                                 "(batch, channels, time) not permuted back, fed to an RNN that then runs along the "
                                 "channels?)")
        if not heads:
            heads = sorted(sequences, key=lambda head: head.index)
        if not heads:
            raise ValueError(self.no_head_text(leading))
        judged = sum(math.prod(self.shapes[head.index]) for head in heads)
        if judged > MAX_NUMBERS:
            raise ValueError(f"the model's output: expected {MAX_NUMBERS:,} numbers at most, got {judged:,}: "
                             "check a smaller shape, or a model with fewer units")
        kind = "per-step" if heads[0].per_step else "per-sequence (one a lane, at its last step)"
        left = len([shape for shape in self.shapes if shape is not None]) - len(heads)
        if len(heads) > 1:
            said += f", its {len(heads)} {kind} outputs read together"
        elif left or not heads[0].per_step:
            said += f", its {kind} output"
        if left:
            said += f" ({left} other array{'s' * (left > 1)} left out)"
        return heads, said

    def lane_axes(self):
        """{index: the axis of that array that follows an input one lane wider (None: no axis
        does, so it holds no lanes: nn.LSTM's h_n of a model that reads time first)}, or {} where
        the model takes no such input. Tried where the shapes alone cannot tell: several arrays
        (an output and h_n may have one shape), or one whose first two axes are both the lanes'."""
        shapes = self.shapes_one_longer(1 if self.time_major else 0)
        if len(shapes) != len(self.shapes):
            return {}
        found = {}
        for index, (before, after) in enumerate(zip(self.shapes, shapes, strict=True)):
            if before is None or after is None or len(before) != len(after):
                continue
            grew = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if a != b]
            found[index] = grew[0] if len(grew) == 1 and after[grew[0]] == before[grew[0]] + 1 else None
        return found

    def follow(self, indices, axis=None):
        """{index: does that array's `axis` (its time axis, unless said) follow an input one step
        longer?}, or {} where the model takes no such input (a fixed length), or returns arrays of
        other kinds then. The model is called once for it, however often this is asked."""
        time_axis = 0 if self.time_major else 1
        axis = time_axis if axis is None else axis
        if self.longer is None:
            self.longer = self.shapes_one_longer(time_axis)
        if len(self.longer) != len(self.shapes):
            return {}
        steps = self.inputs.shape[time_axis] + 1
        return {index: self.longer[index] is not None and len(self.longer[index]) > axis
                and self.longer[index][axis] == steps for index in indices}

    def shapes_one_longer(self, axis):
        """The shapes of the arrays the model returns for its input one entry longer along `axis`
        (the last lane or step again), or [] where it takes no such input."""
        longer = np.concatenate([self.inputs, self.inputs.take([-1], axis=axis)], axis=axis)
        self.calls += 1
        try:
            with warnings.catch_warnings():  # Keras warns of an input shape its model was not built for
                warnings.simplefilter("ignore")
                return [shape_of(leaf) for leaf in self.leaves(self.call(longer))]
        except Exception:
            return []

    def no_head_text(self, leading):
        """Why no array the model returns can be read as the lanes' outputs, from the first."""
        out = next((shape for shape in self.shapes if shape is not None), None)
        if out is None:
            return "the model's output: expected arrays, got none with a shape"
        inputs, time_axis = self.inputs.shape, 0 if self.time_major else 1
        lanes_kept = len(out) >= 3 and out[1 - time_axis] == inputs[1 - time_axis]
        moved = lanes_kept and inputs[time_axis] in out[2:]  # the steps are there, on a later axis
        steps = lanes_kept and not moved  # its time axis alone differs
        n_lanes, n_steps = self.lanes_and_steps(self.inputs)
        if n_lanes != n_steps and n_steps in out and n_lanes not in out:
            return (f"the model's output: expected per-step outputs of shape {leading} + (units,), or one output a "
                    f"lane ({n_lanes}, units), got shape {out}, with the input's {n_steps} time steps where its "
                    f"{n_lanes} lanes belong: the model reads time first (PyTorch's default batch_first=False, fed "
                    "(batch, time, features): use batch_first=True), or takes out[-1] of a batch-first output, "
                    "which is its last lane (out[:, -1] is each lane's last step)")
        return (f"the model's output: expected per-step outputs of shape {leading} + (units,), like its input, or "
                f"one output a lane ({n_lanes}, units), got shape {out} " + (
                    f"({out[time_axis]} steps for {inputs[time_axis]}: a layer that changes the length of time, "
                    "such as a Conv1D with padding='valid', pooling or a stride? padding='causal' keeps one output a "
                    "step)" if steps else
                    f"(the input's {inputs[time_axis]} time steps are on axis {out.index(inputs[time_axis], 2)}: the "
                    "model moves its time axis, as a Conv1d's (batch, channels, time) not permuted back, a Permute "
                    "or a transpose do; put time back on axis 1)" if moved else
                    "(does the model move its time axis: a Permute, a Reshape, a transpose?)"))

    def leaves(self, out):
        """The arrays of what the model returned, in order: lists and tuples taken apart, nested too."""
        if out is None:
            raise ValueError("the model: expected outputs, got None (a function that returns nothing?)")
        if isinstance(out, dict):
            raise ValueError(f"the model's output: expected an array or a list of them, got a dict with the keys "
                             f"{', '.join(map(repr, out))} (pass a function that returns the outputs you train on)")
        if isinstance(out, list | tuple):
            return [leaf for item in out for leaf in self.leaves(item)]
        return [out]

    def outputs(self, inputs, leaves=None):
        """The judged outputs for `inputs` (`leaves`, if the model was called already), as
        (lanes, steps, k) floats in batch-major order: steps 1 for outputs one a lane."""
        leaves = self.leaves(self.raw(inputs)) if leaves is None else leaves
        if [shape_of(leaf) for leaf in leaves] != self.shapes:
            raise ValueError(f"the model's output: expected arrays of the same shapes at every call, got "
                             f"{[shape_of(leaf) for leaf in leaves]} after {self.shapes}")
        n_lanes, n_steps = self.lanes_and_steps(inputs)
        parts = []
        for head in self.heads:
            try:
                array = np.array(to_numpy(leaves[head.index]), dtype=np.float64)  # a copy: a buffer may be reused
            except Exception as error:
                raise ValueError(f"the model's output: expected an array, got {type(leaves[head.index]).__name__} "
                                 f"({one_line(error)})") from None
            array = np.moveaxis(array, head.lane_axis, 0)  # (lanes, time, ...), also where time came first
            parts.append(array.reshape(n_lanes, n_steps if head.per_step else 1, -1))
        out = np.concatenate(parts, axis=2)
        if not np.isfinite(out).all():
            raise ValueError("the model's output: expected finite numbers, got NaN or infinity")
        return out

    def raw(self, inputs):
        """What the model returns for `inputs`."""
        self.calls += 1
        try:
            return self.call(inputs.copy())
        except Exception as error:
            raise ValueError(f"the model: expected it to take a {inputs.dtype} array of shape {inputs.shape}, but "
                             f"it raised {one_line(error)} (call it on such an array yourself to see where)") from None

    def nudged(self, slots):
        """The outputs with the (lane, step) `slots` (batch-major) nudged at once."""
        nudged = self.inputs.copy()
        for lane, step in slots:
            at = (step, lane) if self.time_major else (lane, step)
            if nudged.ndim == 2:  # ids: the other one
                nudged[at] = 1 - nudged[at]
            else:  # roll the features one place (a one-hot vector's hot index moves too), and add
                nudged[at] = np.roll(nudged[at], 1) + self.nudge * self.rng.uniform(0.5, 1.5)
        out = self.outputs(nudged)
        self.repeated = self.repeated and _same_along_time(out)
        return out

    def moved(self, slots):
        """Nudge the (lane, step) `slots` at once: (lanes, output steps) bools, the outputs that moved."""
        return self.moved_from_base(self.nudged(slots)).any(axis=2)

    def moved_from_base(self, out):
        """Which of `out` differ from the outputs for the unnudged input, more than rounding does."""
        return np.abs(out - self.base) > 1e-6 * (1 + np.abs(self.base))


def _same_along_time(out):
    """Is every lane's output (lanes, time, k) the same at every step (of two or more)?"""
    return out.shape[1] > 1 and bool(np.allclose(out, out[:, :1], rtol=1e-6, atol=1e-9))


def _traced(probe, leaves):
    """The probe's model compiled once, if it gives the same outputs so: a TensorFlow graph
    where it returns TensorFlow tensors (a Keras model on the TensorFlow backend does), or
    jax.jit where it returns JAX arrays (a Flax apply, a lax.scan, Keras on JAX); else None.
    Under jax.jit, with Keras loaded, the call runs in a keras.StatelessScope: a layer that
    updates a variable (a BatchNormalization in training mode) would leave a tracer in it; a
    Flax nnx module passed as it is gets nnx.jit, which carries its state updates out.
    The probe's base outputs become the compiled call's, so no rounding of its own reads as moved."""
    inputs, call = probe.inputs, probe.call
    roots = {type(leaf).__module__.split(".")[0] for leaf in leaves}  # a jax.Array is jaxlib's ArrayImpl
    if "tensorflow" in roots:
        import tensorflow as tf

        graph = tf.function(call)
    elif roots & {"jax", "jaxlib"}:
        import functools
        import sys

        import jax

        keras, nnx = sys.modules.get("keras"), sys.modules.get("flax.nnx")  # imported by the model's code, if at all
        stateless = hasattr(keras, "StatelessScope") and keras.backend.backend() == "jax"  # Keras 3 on JAX

        def compiled(inputs):
            if not stateless:
                return call(inputs)
            with keras.StatelessScope():
                return call(inputs)

        graph = jax.jit(compiled)
        if nnx is not None and isinstance(call, nnx.Module):  # it updates its own state (an RNN's Rngs count)
            graph = functools.partial(nnx.jit(lambda module, inputs: module(inputs)), call)
    else:
        return None
    try:
        out = probe.outputs(inputs, probe.leaves(graph(inputs.copy())))
    except Exception:  # a function that cannot run as a graph (it calls .numpy(), or mutates its state): as it is
        return None
    if not np.allclose(out, probe.base, rtol=1e-4, atol=1e-5):
        return None
    probe.base = out
    probe.repeated = _same_along_time(out)
    return graph
