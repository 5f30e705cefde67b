"""lanes on bad input and at its limits: a result or a ValueError that names the parameter,
never another exception, and no wrong ok; each limit usable (its time and memory are measured
in docs/performance.md, never in a test)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lanes


def running_sum(x):
    return np.cumsum(x, axis=1)


# --- wrong oks, found by hand: each was ok before ----------------------------------------
def test_a_missing_position_after_a_leading_zero_is_not_read_as_padding():
    # 0, 2, 3, 4, 5: position 1 is missing; read as padding, the 0 made the lane count up
    check = lanes.check_batches([np.array([[0, 2, 3, 4, 5]])], stateful=False)
    assert not check.ok and check.condition == "jumps", check.verdict
    assert lanes.check_batches([np.array([[0, 0, 1, 2, 3]])], stateful=False).ok  # pre-padding, before position 0
    assert lanes.check_batches([np.array([[0, 1, 2], [0, 5, 6]])], stateful=False).ok  # 0 is held: padding


def test_a_pipeline_that_refills_one_buffer_is_read_batch_by_batch():
    def refilled(batches):  # what a loader that reuses its output array yields
        buffer = np.empty_like(batches[0])
        for batch in batches:
            buffer[...] = batch
            yield buffer

    time_major = [np.arange(8).reshape(4, 2).T + 8 * k for k in range(3)]  # lanes step by 2
    check = lanes.check_batches(refilled([*time_major, np.arange(24, 32).reshape(2, 4)]), stateful=False)
    assert not check.ok and check.condition == "side_by_side_across_lanes", check.verdict


def test_a_model_that_reuses_its_output_buffer_is_read_call_by_call():
    buffer = np.empty((3, 4, 1))

    def reusing(x):  # float64 in, float64 out: np.asarray would not copy
        np.cumsum(x.astype(np.float64), axis=1, out=buffer)
        return buffer

    assert lanes.check_model(reusing).ok


# --- the determinism gate and what counts as moved agree ----------------------------------
def test_noise_that_would_read_as_moved_is_refused_not_blamed_on_the_lanes():
    rng = np.random.default_rng(0)

    def noisy(x):  # 2e-6 relative noise: under the old gate (1e-5), then "outputs read other lanes"
        out = np.cumsum(x.astype(np.float64), axis=1) + 10
        return out * (1 + 2e-6 * rng.standard_normal(out.shape))

    with pytest.raises(ValueError, match=r"the model: expected the same outputs .* 1e-6 \(relative\)"):
        lanes.check_model(noisy)
    assert lanes.check_model(lambda x: np.cumsum(x, axis=1) * (1 + 1e-9 * rng.standard_normal())).ok  # rounding


# --- every cause of another exception, now a ValueError naming the parameter -------------------
class RaisingShape:
    @property
    def shape(self):
        raise RuntimeError("no shape here")

    def __array__(self, dtype=None, copy=None):
        return np.arange(6).reshape(2, 3)


class FailsToStart:
    def __iter__(self):
        raise RuntimeError("the connection is gone")


@pytest.mark.parametrize("call, expected", [
    (lambda: lanes.check_layout(lambda s: s.reshape(2, 5), 10, undo=lambda y: y.nope), "undo: expected it to take"),
    (lambda: lanes.check_batches(FailsToStart(), stateful=False), "batches: expected your pipeline to start"),
    (lambda: lanes.check_batches([{1: np.zeros((2, 3)), "x": np.zeros((2, 3))}], stateful=False),
     "a dict with keys [1, 'x']"),
    (lambda: lanes.check_batches([np.arange(6).reshape(2, 3)], stateful=False, target_offset=2 ** 70),
     "target_offset: expected a whole number from -2**31 to 2**31"),
    (lambda: lanes.check_batches([np.arange(6).reshape(2, 3)], stateful=False, limit=2 ** 70), "limit: expected"),
    (lambda: lanes.check_layout(lambda s: s.reshape(2, 5), 2 ** 70), "length: expected"),
    (lambda: lanes.check_model(running_sum, seed=2 ** 70), "seed: expected a whole number from 0"),
    (lambda: lanes.check_model(running_sum, seed=-1), "seed: expected a whole number from 0"),
    (lambda: lanes.check_model(running_sum, time_major=np.array([True, False])), "time_major: expected True"),
    (lambda: lanes.check_model(running_sum, nudge=2 ** 70), "nudge: expected a finite number from 0.001"),
    (lambda: lanes.check_model(running_sum, (3, 4, 10 ** 9)), "numbers at most in the input"),  # was 89 GiB asked
    (lambda: lanes.check_model(running_sum, (64, 1024, 1)), "4,096 slots at most"),  # was a MemoryError
])
def test_each_cause_of_another_exception_is_a_value_error(call, expected):
    with pytest.raises(ValueError) as refusal:
        call()
    assert expected in str(refusal.value)


def test_a_shape_that_raises_and_a_stateful_lane_of_zeros_give_a_value_error_or_a_result():
    with pytest.raises(ValueError, match="batches: expected an iterable of batches"):  # was the RuntimeError
        lanes.check_batches(RaisingShape(), stateful=False)
    assert lanes.check_batches([RaisingShape()], stateful=False).ok  # a batch: read through __array__, as NumPy does
    check = lanes.check_batches([np.arange(8).reshape(2, 4), np.array([[8, 9, 10, 11], [0, 0, 0, 0]])],
                                stateful=True)  # was IndexError
    assert not check.ok and "lane 1 of batch 2, the last, is all padding" in check.verdict


# --- the fuzz: a result or a ValueError, nothing else --------------------------------------
def values():
    """Things a user might pass anywhere: flags of every type and size, arrays of every kind,
    containers of them, and objects that fail when asked."""
    arrays = st.builds(lambda array, dtype: array.astype(dtype),
                       hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
                                  elements=st.integers(-1, 40)),
                       st.sampled_from([np.int64, np.int32, np.float32, np.float64, np.bool_, np.complex64, np.uint8,
                                        np.dtype("U3"), np.dtype("O")]))
    leaves = (st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=True)
              | st.text(max_size=3) | arrays | st.just(RaisingShape()) | st.just(FailsToStart())
              | st.builds(lambda n, m: np.arange(n * m).reshape(n, m), st.integers(1, 6), st.integers(1, 6)))
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                        | st.dictionaries(st.integers(0, 2) | st.text(max_size=1), inner, max_size=3), max_leaves=8)


def positions():
    """Batches of stream positions as pipelines make them: in order or not, padded, 2-D or 3-D."""
    def build(lanes_, steps, start, kind, features):
        batch = start + np.arange(lanes_ * steps).reshape(lanes_, steps)
        if kind == "time-major":
            batch = batch.reshape(steps, lanes_).T
        elif kind == "zeros":
            batch[-1, -1:] = 0
            batch[0, :1] = 0
        elif kind == "empty lane":
            batch[-1] = 0
        return np.repeat(batch[..., None], features, axis=2) if features else batch

    return st.builds(build, st.integers(1, 4), st.integers(1, 5), st.integers(0, 30),
                     st.sampled_from(["in order", "time-major", "zeros", "empty lane"]), st.integers(0, 2))


def elements():
    """What a pipeline yields: a batch, (inputs, targets[, weights]), [inputs, targets], a dict."""
    return (positions() | st.tuples(positions(), positions() | values()) | st.lists(positions(), max_size=3)
            | st.dictionaries(st.integers(0, 1) | st.sampled_from(["x", "y"]), positions() | values(), max_size=3)
            | values())


def pipelines():
    def generator(items):
        yield from items

    return (st.lists(elements(), max_size=5) | st.builds(generator, st.lists(elements(), max_size=5)) | elements()
            | st.just(FailsToStart()))


def functions():
    """Callables: models and layouts that give outputs of every shape, raise, or return garbage."""
    def returning(value):
        return lambda x: value

    def reshaping(shape):
        return lambda x: np.resize(np.asarray(x, dtype=np.float64), shape)

    def raising(x):
        raise RuntimeError("inside the user's code")

    def noisy(x):
        return np.cumsum(x, axis=1) + np.random.default_rng().standard_normal()

    def several(x):  # (outputs, (h, c)), nn.LSTM's, with h one a lane
        out = np.cumsum(np.asarray(x, dtype=np.float64), axis=1)
        return out, (out[:, -1], out[:, -1])

    return (st.builds(returning, values()) | st.builds(reshaping, hnp.array_shapes(min_dims=1, max_dims=4))
            | st.sampled_from([raising, running_sum, noisy, several, np.tanh, lambda x: running_sum(x)[:, -1],
                               lambda x: running_sum(x)[:, ::-1], lambda x: x.reshape(-1), lambda x: {"out": x}])
            | values())


VALUES, FUNCTIONS, PIPELINES = values(), functions(), pipelines()


def flag(valid):
    """Mostly a valid value, so that the checks go on past their flags; now and then anything."""
    return st.one_of(*[valid] * 7, VALUES)


def a_result_or_a_value_error(call):
    try:
        result = call()
    except ValueError as error:
        assert str(error).split(":")[0], error  # it names what it is about
        return
    assert isinstance(result.ok, bool) and isinstance(result.verdict, str) and isinstance(str(result), str)


FUZZ = settings(max_examples=300, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FUZZ
@given(layout=FUNCTIONS | st.builds(lambda shape: lambda s: s.reshape(shape), st.sampled_from(
           [(2, 3), (3, 2), (6, 1), (1, 6), (2, 3, 1), (3, 1, 2), (2, 1, 3), (6,)])),
       length=flag(st.just(6)), time_major=flag(st.booleans()),
       undo=flag(st.none() | st.just(lambda y: np.asarray(y).ravel())) | FUNCTIONS)
def test_check_layout_gives_a_result_or_a_value_error(layout, length, time_major, undo):
    a_result_or_a_value_error(lambda: lanes.check_layout(layout, length, time_major=time_major, undo=undo))


@FUZZ
@given(batches=PIPELINES, stateful=flag(st.booleans()), time_major=flag(st.just(False)),
       target_offset=flag(st.integers(-2, 2)), limit=flag(st.integers(1, 5)), key=flag(st.none() | st.just("x")))
def test_check_batches_gives_a_result_or_a_value_error(batches, stateful, time_major, target_offset, limit, key):
    a_result_or_a_value_error(lambda: lanes.check_batches(batches, stateful, time_major=time_major,
                                                          target_offset=target_offset, limit=limit, key=key))


@FUZZ
@given(model=FUNCTIONS, shape=flag(st.tuples(st.integers(1, 4), st.integers(1, 5)) | st.tuples(
           st.integers(1, 4), st.integers(1, 5), st.integers(1, 3))),
       time_major=flag(st.booleans()), nudge=flag(st.just(1.0)), seed=flag(st.integers(0, 3)))
def test_check_model_gives_a_result_or_a_value_error(model, shape, time_major, nudge, seed):
    a_result_or_a_value_error(lambda: lanes.check_model(model, shape, time_major=time_major, nudge=nudge, seed=seed))


def test_stretches_of_unequal_length_are_told_from_a_short_batch():
    # found by a new user's probe: lanes zero-filled where their stretch ends were told to drop a short batch
    stretches = np.zeros((4, 60), dtype=int)
    for lane, length in enumerate((60, 40, 55, 30)):
        stretches[lane, :length] = 100 * lane + 1 + np.arange(length)
    check = lanes.check_batches([stretches[:, k:k + 20] for k in range(0, 60, 20)], stateful=True)
    assert not check.ok and "its stretch ended before the others'" in check.verdict, check.verdict
    assert "drop" not in check.verdict
