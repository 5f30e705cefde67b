"""lanes_examples.py: every form of the bug it knows, broken and fixed, through lanes' checks
(tf.data and Keras, in one process: runs.lanes_examples)."""
from conftest import run

CAUSES = {  # each broken form's verdict names its cause
    "seed": "side by side across lanes",
    "transpose": "side by side across lanes",
    "padding": "side by side across lanes",
    "timesteps_as_features": "time steps sit on the features axis, as a reshape to (samples, 1, timesteps)",
    "one_array": "side by side across lanes",
    "table": "a lane holds series 0, 1, 2, 3, ... in turn",
    "windows": "consecutive windows went to neighbouring lanes",
    "shuffled": "another order than the series' (shuffled",
    "overlap": "the windows overlap",
    "repeat": "every lane starts again where batch 1 began",
    "one_step": "every batch is one time step long",
    "targets": "its own first element, not the element after its last",
    "horizon": "the 5 elements from its own last element on, not the element after its last",
    "loader": "consecutive windows went to neighbouring lanes",
    "model": "outputs read other lanes",
    "batchnorm": "statistics over the whole batch",
    "backwards": "do not read their own step",
    "last_step": "reads earlier steps of its lane but not its last",
    "stateful": "do not read their own step",
    "tokens": "time along your batch axis",
    "one_hot": "learned nothing about the model",
    "real_shape": "time along your batch axis",
}


def test_every_broken_form_is_not_ok_and_every_fixed_form_is(runs):
    result = runs.lanes_examples
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert sorted(result.report) == sorted(f"{form}, {label}" for form in CAUSES for label in ("broken", "fixed"))
    for form, cause in CAUSES.items():
        broken, fixed = result.report[f"{form}, broken"], result.report[f"{form}, fixed"]
        assert not broken["ok"] and cause in broken["verdict"], (form, broken)
        assert fixed["ok"], (form, fixed)
        assert f"verdict: NOT OK: {broken['verdict']}\n" in result.stdout  # what it printed is what it found
    # a Keras model as it is, at (16, 64, 8): each lane whole, then each step
    assert result.report["real_shape, fixed"]["calls"] == 3 + 16 + 64  # the input, again, one step longer


def test_it_checks_some_forms_alone_and_refuses_unknown_ones():
    result = run("lanes_examples.py", "seed", "transpose", "seed")  # NumPy alone: TensorFlow is not loaded
    assert result.returncode == 0 and result.stdout.count("verdict: ") == 4 and result.stderr == ""  # each once
    result = run("lanes_examples.py", "no_such_form")
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and "no form 'no_such_form'" in result.stderr
