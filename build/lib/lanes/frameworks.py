"""What lanes knows of each framework: how to tell its objects apart, read its tensors as
NumPy arrays, and call its models on a NumPy array. Nothing here imports a framework until
an object of that framework is passed in."""
from .text import one_line


def framework(value):
    """"keras" or "torch" if `value` is a Keras layer or model or a PyTorch module, else None."""
    roots = {cls.__module__.split(".")[0] for cls in type(value).__mro__}
    return "keras" if "keras" in roots else "torch" if "torch" in roots and hasattr(value, "parameters") else None


def shape_of(value):
    """`value.shape` as a tuple of ints, or None where it has none (or asking raises)."""
    try:
        return tuple(int(n) for n in value.shape)
    except Exception:
        return None


def to_numpy(value):
    """A PyTorch tensor (on any device, with gradients or not, bfloat16 too) as a NumPy array;
    anything else as it is."""
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):
        value = value.detach().cpu()
        return (value.float() if "bfloat16" in str(getattr(value, "dtype", "")) else value).numpy()
    return value


def as_callable(model):
    """(a function from a NumPy array to the model's output, words for the report, whether the
    model runs in inference mode: True, False or None, not known). A PyTorch module gets a tensor
    on its own device, without gradients, in the mode it is in; a Keras model is called as it
    is, which runs it in inference mode."""
    if not callable(model):
        raise ValueError(f"the model: expected a callable (a function, a Keras model, a PyTorch module), "
                         f"got {type(model).__name__}")
    if getattr(model, "__name__", None) == "predict" and framework(getattr(model, "__self__", None)) == "keras":
        model = model.__self__  # model.predict: the model itself, which can run as a graph (predict cannot)
    if framework(model) == "torch":
        import torch

        weight = next(model.parameters(), torch.zeros(0))

        def call(inputs):
            tensor = torch.as_tensor(inputs, device=weight.device)
            if tensor.is_floating_point() and weight.is_floating_point():
                tensor = tensor.to(weight.dtype)  # a .double() or .bfloat16() module gets its own kind of float
            with torch.no_grad():
                return model(tensor)

        return call, ", as a torch tensor" + (" (in .train() mode)" if model.training else ""), not model.training
    if framework(model) == "keras" and _stateful(model):
        return stateless_copy(model), ", a stateless copy of it (stateful=False, the same weights)", True
    return model, "", True if framework(model) == "keras" else None


def _stateful(layer):
    """Does this Keras layer or model, or any layer inside it, carry its state from call to call?"""
    return bool(getattr(layer, "stateful", False)) or any(_stateful(inner) for inner in getattr(layer, "layers", ()))


def stateless_copy(model):
    """A Keras model's copy with every stateful=True in its layers' configs made False (inside
    wrappers such as Bidirectional too), its batch size left free, and the same weights; or,
    where Keras cannot clone it (a subclassed model), a ValueError that says how to make one."""
    import keras

    def unstate(config):
        if isinstance(config, dict):
            return {key: False if key == "stateful" else unstate(value) for key, value in config.items()}
        return [unstate(value) for value in config] if isinstance(config, list) else config

    try:
        copy = keras.models.clone_model(model, input_tensors=keras.Input(shape=model.input_shape[1:]),
                                        clone_function=lambda layer: layer.__class__.from_config(
                                            unstate(layer.get_config())))
        copy.set_weights(model.get_weights())
    except Exception as error:
        raise ValueError("the model: expected a model whose state does not carry from call to call, got a stateful "
                         f"Keras model that keras.models.clone_model cannot copy ({one_line(error)}). Check a copy "
                         "built the same way with stateful=False in every layer, given the same weights: "
                         "copy.set_weights(model.get_weights())") from None
    return copy
