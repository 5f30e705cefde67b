"""Probing a model: call it on a fixed input and on nudged copies, and see which outputs move."""
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .frameworks import as_callable, to_numpy
from .text import one_line

MODEL_PROBE_SHAPE = (3, 4, 1)  # check_model's default input: 3 lanes of 4 steps, 1 feature
SLOTS_ONE_BY_ONE = 256  # check_model nudges each slot alone up to here; above, lanes and steps whole
SAMPLE_STEPS = 4  # above that, where lanes mix: the steps of lanes 0, 1 and the last nudged alone
MAX_SLOTS = 65_536  # check_model's input: lanes x time steps, at most


@dataclass
class Probe:
    """Calls a model on a fixed input and on nudged copies of it, and says which outputs moved."""

    call: Callable
    inputs: np.ndarray
    base: np.ndarray
    time_major: bool
    nudge: float
    reads: str
    rng: np.random.Generator
    inference: bool | None  # the model runs in inference mode: True, False, or None (not known)
    calls: int = 0
    traced: bool = False
    heads: int = 1  # per-step outputs returned together, all judged
    repeated: bool = True  # every lane's output the same at every step, for every input so far

    @classmethod
    def of(cls, model, shape, time_major, nudge, seed):
        rng = np.random.default_rng(seed)
        ids = len(shape) == 2
        inputs = rng.integers(0, 2, shape) if ids else rng.standard_normal(shape).astype(np.float32)
        call, reads, inference = as_callable(model)
        probe = cls(call, inputs, None, time_major, nudge,
                    ("int64 ids 0 and 1" if ids else "float32") + reads, rng, inference)
        raw = probe.raw(inputs)
        probe.base = probe.outputs(inputs, raw)
        probe.repeated = _same_along_time(probe.base)
        if probe.heads > 1:
            probe.reads += f", its {probe.heads} per-step outputs read together"
        if raw.ndim == 2:  # (batch, time) per step, or (batch, units) a lane?
            follows = probe.follows_time()
            if follows is False:
                raise ValueError(f"the model's output: expected per-step outputs, got one vector a lane, of shape "
                                 f"{raw.shape}: it keeps its length when the input has a step more "
                                 "(return_sequences=True?)")
            if follows is None:
                probe.reads += ", its 2-D output read as one number a step"
        started = time.perf_counter()  # the second call: a model built by the first, warm
        again = probe.outputs(inputs)
        took = time.perf_counter() - started
        if not np.allclose(again, probe.base, rtol=1e-5, atol=1e-6):
            raise ValueError("the model: expected the same outputs for the same input twice, got others (a "
                             "stateful layer, or dropout in training mode? pass a stateless copy)")
        n_lanes, n_steps = probe.base.shape[:2]
        calls_left = n_lanes * n_steps if n_lanes * n_steps <= SLOTS_ONE_BY_ONE else n_lanes + n_steps
        if took * calls_left > 1.0:  # worth a trace: a Keras model runs op by op, but as a graph in milliseconds
            graph = _traced(probe)
            probe.call, probe.traced = graph or probe.call, graph is not None
        return probe

    def outputs(self, inputs, out=None):
        """The model's outputs for `inputs` (`out`, if it was called already), as (lanes, time, k)
        floats in batch-major order."""
        out = self.raw(inputs) if out is None else out
        if out.ndim < 2 or out.shape[:2] != inputs.shape[:2]:
            time_axis = 0 if self.time_major else 1
            steps = (out.ndim >= 3 and out.shape[1 - time_axis] == inputs.shape[1 - time_axis]  # its time axis alone
                     and not (inputs.ndim == 3 and out.shape[time_axis] == inputs.shape[2]  # differs, not swapped with
                              and inputs.shape[time_axis] in out.shape[2:]))  # the features
            raise ValueError(f"the model's output: expected per-step outputs of shape {inputs.shape[:2]} + "
                             f"(units,), like its input, got shape {out.shape} " + (
                                 "(return_sequences=True?)" if out.ndim < 3 else
                                 f"({out.shape[time_axis]} steps for {inputs.shape[time_axis]}: a layer that changes "
                                 "the length of time, such as a Conv1D with padding='valid', pooling or a stride? "
                                 "padding='causal' keeps one output a step)" if steps else
                                 "(does the model move its time axis: a Permute, a Reshape, a transpose?)"))
        if not np.isfinite(out).all():
            raise ValueError("the model's output: expected finite numbers, got NaN or infinity")
        out = out.reshape(*inputs.shape[:2], -1)
        return out.transpose(1, 0, 2) if self.time_major else out

    def raw(self, inputs):
        """What the model returns for `inputs`, as one float array (see `array`)."""
        self.calls += 1
        try:
            out = self.call(inputs.copy())
        except Exception as error:
            raise ValueError(f"the model: expected it to take a {inputs.dtype} array of shape {inputs.shape}, but "
                             f"it raised {one_line(error)} (call it on such an array yourself to see where)") from None
        if out is None:
            raise ValueError("the model: expected per-step outputs, got None (a function that returns nothing?)")
        return self.array(out, inputs.shape[:2])

    def array(self, out, leading):
        """What the model returned, as one float array. Of a list or a tuple, every per-step array
        (shape `leading` + ..., as the first's): a model's several outputs, a Bidirectional layer's
        two halves, side by side along their last axis, and all judged; what is not per step (the
        state of (outputs, state), as nn.LSTM and return_state=True give) left out."""
        if isinstance(out, list | tuple) and out and _per_step(out[0], leading):
            heads = [item for item in out if _per_step(item, leading) and len(item.shape) == len(out[0].shape)]
            self.heads = len(heads)
            out = (np.concatenate([self.array(head, leading).reshape(*leading, -1) for head in heads], axis=2)
                   if len(heads) > 1 else heads[0])
        if isinstance(out, list | tuple | dict):
            raise ValueError(f"the model's output: expected per-step outputs, one array or a list of them, got a "
                             f"{type(out).__name__}" + (f" with the keys {', '.join(map(repr, out))} (pass a function "
                                                        "that returns the outputs you train on, as one array)"
                                                        if isinstance(out, dict) else
                                                        " (pass a function that returns the outputs alone)"))
        try:
            return np.asarray(to_numpy(out), dtype=np.float64)
        except Exception as error:
            raise ValueError(f"the model's output: expected an array, got {type(out).__name__} ({error}); "
                             "for PyTorch, return net(torch.from_numpy(x))[0].detach().cpu().numpy()") from None

    def follows_time(self):
        """For a 2-D output, (batch, time) or (batch, units) with units that happen to equal the
        time steps: does its second axis follow a longer input? True, False, or None (the model
        takes no other length)."""
        axis = 0 if self.time_major else 1
        longer = np.concatenate([self.inputs, self.inputs.take([-1], axis=axis)], axis=axis)
        self.calls += 1
        try:
            out = self.call(longer)
        except Exception:
            return None
        out = _first(out)
        return len(getattr(out, "shape", ())) >= 2 and out.shape[axis] == longer.shape[axis]

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
        """Nudge the (lane, step) `slots` at once: (lanes, time) bools, the outputs that moved."""
        moved = np.abs(self.nudged(slots) - self.base) > 1e-6 * (1 + np.abs(self.base))
        return moved.any(axis=2)


def _same_along_time(out):
    """Is every lane's output (lanes, time, k) the same at every step?"""
    return bool(np.allclose(out, out[:, :1], rtol=1e-6, atol=1e-9))


def _per_step(value, leading):
    return hasattr(value, "shape") and tuple(value.shape[:2]) == tuple(leading)


def _traced(probe):
    """The probe's model as a TensorFlow graph, if it returns TensorFlow tensors (a Keras model
    on the TensorFlow backend does) and the graph gives the same outputs; else None."""
    inputs = probe.inputs
    if not type(_first(probe.call(inputs.copy()))).__module__.startswith("tensorflow"):
        return None
    import tensorflow as tf

    graph = tf.function(probe.call)
    try:
        same = np.allclose(probe.outputs(inputs, probe.array(graph(inputs.copy()), inputs.shape[:2])), probe.base,
                           rtol=1e-4, atol=1e-5)
    except Exception:  # a function that cannot run as a graph (it calls .numpy(), say): call it as it is
        return None
    return graph if same else None


def _first(out):
    """The per-step outputs of what a model returned: the first of (outputs, state)."""
    return out[0] if isinstance(out, list | tuple) and out else out


