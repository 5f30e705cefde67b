"""lanes.check_model on every output shape: per step, one a lane (the last step's output, h_n,
a pooled head), several side by side, and tuples whose judged item is found by its shape."""
import numpy as np
import pytest

import lanes


def running_sum(x):  # an RNN in spirit: each output reads its lane up to its own step
    return np.cumsum(np.asarray(x, dtype=np.float64), axis=1)


def along_the_batch(x):  # a time-major RNN fed batch-major input
    return np.cumsum(np.asarray(x, dtype=np.float64), axis=0)


@pytest.mark.parametrize("model", [
    lambda x: running_sum(x)[:, -1],  # Keras' LSTM without return_sequences; PyTorch's out[:, -1]
    lambda x: running_sum(x)[:, -1, 0],  # one number a lane
    lambda x: running_sum(x)[:, -1][None],  # nn.LSTM's h_n: (layers, lanes, units)
    lambda x: (running_sum(x)[:, -1][None], running_sum(x)[:, -1][None]),  # (h_n, c_n)
    lambda x: running_sum(x).mean(axis=1) @ np.ones((1, 5)),  # pooled over time, then a head of 5
], ids=["last step", "one number", "h_n", "h_n and c_n", "pooled head"])
def test_one_output_a_lane_that_reads_its_lane_is_ok(model):
    # before: "expected per-step outputs of shape (3, 4) + (units,) ... (return_sequences=True?)"
    check = lanes.check_model(model, (3, 4, 1))
    assert check.ok and check.condition == "one_output_reads_its_lane" and not check.per_step, check.verdict
    assert "per-sequence (one a lane, at its last step)" in str(check) and check.depends.shape == (3, 4, 3, 1)


@pytest.mark.parametrize("model, condition", [
    (lambda x: np.asarray(x, dtype=np.float64)[:, -1], "no_memory"),  # the last step alone: no memory
    (lambda x: running_sum(x)[:, 0], "outputs_late"),  # out[:, 0] where out[:, -1] belongs
    (lambda x: running_sum(x)[:, -1] + running_sum(x)[:, -1].mean(axis=0), "batch_statistics"),
    (lambda x: along_the_batch(x)[:, -1][None], "walks_time_along_the_batch"),
    (lambda x: running_sum(x)[:, -1] + np.asarray(x, dtype=np.float64)[::-1, -1], "mixes_lanes"),
], ids=["last step alone", "first step", "batch mean", "time-major", "reversed lanes"])
def test_one_output_a_lane_that_misses_its_lane_is_not_ok(model, condition):
    check = lanes.check_model(model, (3, 4, 1))
    assert not check.ok and check.condition == condition, check.verdict


def test_a_time_first_state_is_named_for_what_it_is():
    # nn.LSTM(batch_first=False) fed (batch, time, features): its h_n has the time steps where lanes belong
    with pytest.raises(ValueError, match="the input's 4 time steps where its 3 lanes belong: the model reads time"):
        lanes.check_model(lambda x: along_the_batch(x)[-1][None], (3, 4, 1))


def test_a_tuples_per_step_item_is_found_by_its_shape_wherever_it_sits():
    # lax.scan's (carry, outputs): the carry first, a GRU whose units equal the steps (4). Before: the carry
    # alone was judged, and blamed on return_sequences
    def scan(x):
        outputs = np.repeat(running_sum(x), 4, axis=2)
        return outputs[:, -1], outputs

    check = lanes.check_model(scan, (3, 4, 1))
    assert check.ok and check.per_step and "(1 other array left out)" in str(check), check.verdict
    time_major = lanes.check_model(lambda x: (along_the_batch(x)[:, -1], along_the_batch(x)), (3, 4, 1))
    assert not time_major.ok and time_major.condition == "walks_time_along_the_batch"


def test_an_output_whose_time_axis_does_not_follow_the_input_is_refused():
    # (batch, time, channels) sent to a Conv1d as (batch, channels, time) and never permuted back: the RNN
    # after it runs along the 4 channels, which equal the 4 steps. Before: ok, every step of its own lane
    def conv_then_rnn(x):
        channels_first = np.einsum("btc,cd->bdt", x, np.ones((x.shape[2], 4)))
        return np.cumsum(channels_first, axis=1)

    with pytest.raises(ValueError, match="keeps its length when the input has 5 steps: time is on another axis"):
        lanes.check_model(conv_then_rnn, (3, 4, 2))
    assert lanes.check_model(lambda x: running_sum(x) @ np.ones((2, 4)), (3, 4, 2)).ok  # units = steps: per step


def test_per_step_outputs_come_before_those_one_a_lane():
    # nn.LSTM's (output, (h_n, c_n)): the per-step output is judged, the states left out and said so
    check = lanes.check_model(lambda x: (along_the_batch(x), (running_sum(x)[:, -1][None],) * 2), (3, 4, 1))
    assert not check.ok and check.per_step and "(2 other arrays left out)" in str(check)


def test_a_model_that_takes_one_length_only_is_read_by_shape():
    def fixed_length(x):
        if x.shape[1] != 4:
            raise ValueError("built for 4 steps")
        return running_sum(x)

    check = lanes.check_model(fixed_length, (3, 4, 1))
    assert check.ok and "an input one step longer not taken" in str(check)


def test_a_state_with_as_many_layers_as_lanes_is_told_apart_by_one_lane_more():
    # found by running the PyTorch forms: nn.GRU(num_layers=3)'s h_n at 3 lanes is (3, 3, units), and was
    # refused as "3 steps for 4"; a time-first nn.LSTM(num_layers=3) fed (3, 4, 1) returns h_n and c_n of its
    # output's shape, (3, 4, units), which followed a longer input too and were judged as outputs
    def h_n(x, layers=3):  # batch first: the last step of each lane, one a layer
        return np.stack([running_sum(x)[:, -1] * (layer + 1) for layer in range(layers)])

    check = lanes.check_model(h_n, (3, 4, 1))
    assert check.ok and not check.per_step and check.condition == "one_output_reads_its_lane", check.verdict

    def time_first_lstm(x, layers=3):  # torch's default: axis 0 read as time, axis 1 as the batch
        out = along_the_batch(x)
        state = np.stack([out[-1] * (layer + 1) for layer in range(layers)])  # (layers, its batch, units)
        return out, (state, state)

    check = lanes.check_model(time_first_lstm, (3, 4, 1))
    assert check.condition == "walks_time_along_the_batch" and "(2 other arrays left out)" in str(check), str(check)


def test_time_major_outputs_never_permuted_back_are_refused():
    # found by a new user's probe: an nn.GRU fed x.permute(1, 0, 2), its (time, batch, k) output never
    # permuted back, was read as a state (layers, lanes, k), its 5 steps as 5 layers: ok
    def permuted_gru(ids):
        return np.cumsum(np.eye(4)[ids].transpose(1, 0, 2), axis=0)  # (time, batch, 4)

    with pytest.raises(ValueError, match=r"the input's 5 time steps on axis 0 .* \(time, batch\) outputs for a "
                                         r"\(batch, time\) input: permute them back"):
        lanes.check_model(permuted_gru, (3, 5))
    assert lanes.check_model(lambda ids: permuted_gru(ids).transpose(1, 0, 2), (3, 5)).ok


def test_a_conv1d_head_that_leaves_time_last_is_named_so():
    # (batch, time, k) -> (batch, channels, time): was "8 steps for 5: padding='valid'?"
    with pytest.raises(ValueError, match="the input's 5 time steps are on axis 2: the model moves its time axis"):
        lanes.check_model(lambda x: np.repeat(running_sum(x).transpose(0, 2, 1), 8, axis=1), (3, 5, 1))


def test_a_view_to_time_batch_is_named_for_outputs_one_a_lane_too():
    # found by a new user's probe: x.reshape(time, batch, ...) into a time-first RNN, then h_n[-1]: was
    # "in no pattern this check knows"
    def viewed_last_state(x):
        lanes_, time = x.shape[:2]
        return along_the_batch(x.reshape(time, lanes_, -1))[-1]  # (lanes, k): the view's last step

    check = lanes.check_model(viewed_last_state, (3, 4, 1))
    assert not check.ok and check.condition == "viewed_as_time_batch", check.verdict
