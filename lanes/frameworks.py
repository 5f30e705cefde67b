"""What lanes knows of each framework: how to tell its objects apart, read its tensors as
NumPy arrays, and call its models on a NumPy array. Nothing here imports a framework until
an object of that framework is passed in."""


def framework(value):
    """"keras" or "torch" if `value` is a Keras layer or model or a PyTorch module, else None."""
    roots = {cls.__module__.split(".")[0] for cls in type(value).__mro__}
    return "keras" if "keras" in roots else "torch" if "torch" in roots and hasattr(value, "parameters") else None


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
    return model, "", True if framework(model) == "keras" else None
