"""lanes' fixes in the user's own framework's words, told from the objects passed in (stand-ins
here, named by module as each framework names its classes: the suite needs none of them)."""
import numpy as np
import pytest

import lanes


def stand_in(module, call=None, iterate=None):
    """An object whose class lives in `module`, as a framework's do."""
    namespace = {"__module__": module}
    if call:
        namespace["__call__"] = lambda self, x: call(x)
    if iterate is not None:
        namespace["__iter__"] = lambda self: iter(iterate)
    return type("StandIn", (), namespace)()


def along_the_batch(x):  # a model that reads time first, fed (batch, time, features)
    return np.cumsum(np.asarray(x, dtype=np.float64), axis=0)


@pytest.mark.parametrize("module, words", [
    ("keras.src.models.sequential", "Keras' RNN layers read (batch, time, features) as they are"),
    ("flax.linen.module", "Flax's RNN (flax.linen.RNN, flax.nnx.RNN) reads (batch, time, features)"),
    ("jaxlib.xla_extension", "lax.scan runs along axis 0: scan over x.swapaxes(0, 1)"),
    ("my_project.models", "Transpose its input, or use batch_first=True"),  # not known: the common words
])
def test_a_time_first_model_gets_the_fix_in_its_frameworks_words(module, words):
    check = lanes.check_model(stand_in(module, call=along_the_batch), (3, 4, 1))
    assert not check.ok and check.condition == "walks_time_along_the_batch" and words in check.verdict, check.verdict


@pytest.mark.parametrize("module, words", [
    ("torch.utils.data.dataloader", "DataLoader(..., drop_last=True)"),
    ("lightning.pytorch.core.datamodule", "DataLoader(..., drop_last=True)"),
    ("datasets.arrow_dataset", "drop_last_batch=True, in Dataset.iter or Dataset.batch"),
    ("tensorflow.python.data.ops.dataset_ops", ".batch(size, drop_remainder=True)"),
    ("my_project.data", "tf.data: drop_remainder=True; PyTorch's DataLoader: drop_last=True"),
])
def test_a_short_last_batch_gets_the_fix_in_its_pipelines_words(module, words):
    stretches = np.arange(120).reshape(4, 30)
    batches = [stretches[:, k:k + 10] for k in (0, 10)] + [stretches[:2, 20:30]]  # a short last batch
    pipeline = stand_in(module, iterate=batches)
    if module.startswith("tensorflow"):
        type(pipeline).element_spec = None  # what tells a Dataset
    check = lanes.check_batches(pipeline, stateful=True)
    assert not check.ok and words in check.verdict, check.verdict


def test_targets_out_of_place_get_a_recipe_in_the_pipelines_terms():
    windows = np.lib.stride_tricks.sliding_window_view(np.arange(100), 10)
    element = (windows[:-1], windows[:-1, -1])  # each window's own last element, not the next
    keras_words = lanes.check_batches([element], stateful=False)
    assert "timeseries_dataset_from_array" in keras_words.verdict
    torch_words = lanes.check_batches(stand_in("torch.utils.data.dataloader", iterate=[element]), stateful=False)
    assert "(window i is series[i:i + 10], its target series[i + 10])" in torch_words.verdict
