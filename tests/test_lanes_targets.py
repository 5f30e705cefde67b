"""lanes.check_batches on the targets and inputs of real pipelines: the next H elements of a
window (any H), an encoder-decoder's inputs, and (x, (y, weight)) elements."""
import numpy as np
import pytest

import lanes

SERIES = np.arange(300)


def windows(size):
    return np.lib.stride_tricks.sliding_window_view(SERIES, size)


@pytest.mark.parametrize("horizon", [1, 3, 10, 25])
def test_the_next_h_elements_of_a_window_are_read_as_such_for_any_h(horizon):
    # x = series[i:i + 10], y = series[i + 10:i + 10 + H]. Before: a ValueError where H was not 10, and
    # at H = 10 "move each target 9 positions earlier"
    both = windows(10 + horizon)
    check = lanes.check_batches([(both[:, :10], both[:, 10:])], stateful=False)
    assert check.ok and check.offset_found == 1, check.verdict
    if horizon > 1:
        assert check.horizon == horizon and f"each window's targets are the {horizon} elements after its last" in str(
            check)


def test_targets_of_a_horizon_one_off_are_not_ok_and_say_where_they_should_start():
    both = windows(20)
    check = lanes.check_batches([(both[:, :10], both[:, 9:19])], stateful=False)  # from the last input, not after
    assert not check.ok and check.condition == "targets_elsewhere", check.verdict
    assert "the 10 elements from its own last element on, not the element after its last" in check.verdict
    assert "its targets series[i + 10:i + 20]" in check.verdict


def test_one_target_a_step_stays_one_a_step():
    both = windows(11)
    assert lanes.check_batches([(both[:, :10], both[:, 1:])], stateful=False).per_step  # the next element a step
    own = lanes.check_batches([(both[:, :10], both[:, :10])], stateful=False)
    assert not own.ok and "each step's target is its own element, not the next element" in own.verdict


def test_an_encoder_decoders_inputs_are_named_by_index():
    # fit([encoder_inputs, decoder_inputs], targets): before, the two were stacked into one array, and the
    # targets blamed with shapes the user never had
    both = windows(20)
    element = ((both[:, :10], both[:, 9:19]), both[:, 10:20])
    with pytest.raises(ValueError, match=r"a tuple of 2 arrays \(an encoder's and a decoder's\?\): name the one to "
                                         r"check with key=0 to key=1"):
        lanes.check_batches([element], stateful=False)
    assert lanes.check_batches([element], stateful=False, key=0).ok
    listed = lanes.check_batches([([both[:, :10], both[:, 9:19]], both[:, 10:20])], stateful=False, key=0)
    assert listed.ok and listed.horizon == 10
    time_major = lanes.check_batches([((both[:, :10].reshape(10, -1).T, both[:, 9:19]), both[:, 10:20])],
                                     stateful=False, key=0)
    assert not time_major.ok


def test_targets_with_weights_are_read_as_targets():
    # pytorch-forecasting's (x, (y, weight)): before, NumPy's own error
    both = windows(11)
    check = lanes.check_batches([(both[:, :10], (both[:, 10], np.ones(len(both))))], stateful=False)
    assert check.ok and check.offset_found == 1
    # as a DataLoader's default collate gives them: [x, [y, weight]], lists
    collated = lanes.check_batches([[both[:, :10], [both[:, 10], np.ones(len(both))]]], stateful=False)
    assert collated.ok and collated.offset_found == 1
    own = lanes.check_batches([[both[:, :10], [both[:, 9], np.ones(len(both))]]], stateful=False)
    assert not own.ok and own.condition == "targets_elsewhere"


def test_targets_one_a_lane_of_time_major_inputs_point_at_time_major():
    # found by a new user's probe: a collate_fn that stacks windows along axis 1, read without time_major
    both = windows(11)[:16]
    element = (both[:, :10].T[..., None], both[:, 10])  # inputs (10 steps, 16 lanes, 1), targets (16,)
    with pytest.raises(ValueError, match=r"one a lane for 16 lanes on the inputs' axis 1: are the inputs \(time"):
        lanes.check_batches([element], stateful=False)
    assert lanes.check_batches([element], stateful=False, time_major=True).ok
