"""The fixes in the words of the user's own framework, told from the objects passed in.

`kind_of` names the framework of a model, a pipeline or what it yields; `say` gives a fix in
that framework's words, or in words that name the common ones where the framework is not
known (a plain function, a list of NumPy arrays)."""
from .frameworks import framework

ADVICE = {  # topic: {framework (None: not known): the words}
    "time first": {
        None: "Transpose its input, or use batch_first=True",
        "torch": "Use batch_first=True (nn.LSTM, nn.GRU, nn.RNN, nn.TransformerEncoderLayer), or x.transpose(0, 1) "
                 "before it and after",
        "keras": "Keras' RNN layers read (batch, time, features) as they are: drop the transpose around the layer",
        "flax": "Flax's RNN (flax.linen.RNN, flax.nnx.RNN) reads (batch, time, features) with time_major=False, "
                "its default: drop time_major=True, or the transpose",
        "jax": "lax.scan runs along axis 0: scan over x.swapaxes(0, 1), and swap its outputs back (a Flax RNN: "
               "time_major=False)",
    },
    "batch swapped": {
        None: "Transpose it, or use pad_sequence(..., batch_first=True)",
        "torch": "Use pad_sequence(..., batch_first=True), or x.transpose(0, 1)",
        "tf.data": "Transpose it, tf.transpose(x, (1, 0, 2)); keras.utils.pad_sequences pads (batch, time) as it is",
        "keras": "Transpose it, keras.ops.transpose(x, (1, 0, 2)); keras.utils.pad_sequences pads (batch, time)",
        "jax": "Transpose it, x.swapaxes(0, 1)",
        "huggingface": "Transpose it; a DataCollatorWithPadding pads (batch, time) as it is",
    },
    "drop last": {
        None: "tf.data: drop_remainder=True; PyTorch's DataLoader: drop_last=True",
        "tf.data": ".batch(size, drop_remainder=True)",
        "torch": "DataLoader(..., drop_last=True)",
        "huggingface": "drop_last_batch=True, in Dataset.iter or Dataset.batch",
        "keras": "a PyDataset whose __len__ rounds down, len(x) // batch_size",
    },
    "reset": {
        None: "Keras: each stateful layer's reset_state(); PyTorch: a fresh hidden state",
        "keras": "each stateful layer's reset_state(), in a callback's on_epoch_begin",
        "tf.data": "each stateful layer's reset_state(), in a callback's on_epoch_begin",
        "torch": "a fresh hidden state, h0 = None or zeros, when an epoch starts",
        "flax": "a fresh carry (the cell's initialize_carry) when an epoch starts",
        "jax": "a fresh carry when an epoch starts",
    },
    "inference": {
        None: "Check it in inference mode (model(x, training=False), net.eval()), where it uses its running statistics",
        "keras": "Check it in inference mode, model(x, training=False), where it uses its running statistics",
        "torch": "Check it in inference mode, net.eval(), where it uses its running statistics",
        "flax": "Check it in inference mode (BatchNorm(use_running_average=True), deterministic=True), where it "
                "uses its running statistics",
    },
}
ALIASES = {"lightning": "torch"}  # Lightning's loaders and modules are PyTorch's


def say(topic, kind):
    """The words for `topic` in framework `kind`'s terms, or the general ones."""
    words = ADVICE[topic]
    return words.get(kind, words.get(ALIASES.get(kind), words[None]))


def kind_of(value, depth=0):
    """The framework of a model, a pipeline, or an element it yields: "keras", "torch", "flax",
    "jax", "tf.data", "huggingface", "lightning", or None where none is known."""
    roots = {cls.__module__.split(".")[0] for cls in type(value).__mro__}
    for root, kind in (("lightning", "lightning"), ("pytorch_lightning", "lightning"), ("datasets", "huggingface"),
                       ("flax", "flax"), ("jax", "jax"), ("jaxlib", "jax")):
        if root in roots:
            return kind
    if "tensorflow" in roots:
        return "tf.data" if hasattr(value, "element_spec") or "Tensor" in type(value).__name__ else "keras"
    if framework(value) or "torch" in roots:
        return framework(value) or "torch"  # a module, or a DataLoader and the tensors it yields
    if depth < 3 and isinstance(value, list | tuple) and value:  # a list of batches, or (inputs, targets)
        return kind_of(value[0], depth + 1)
    if depth < 3 and isinstance(value, dict) and value:
        return kind_of(next(iter(value.values())), depth + 1)
    return None
