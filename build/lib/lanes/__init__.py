"""Find the "my RNN only learns the current input" bug in your own code. NumPy only.

An RNN carries its memory along a lane (one sequence of the batch), never across lanes. So
feed your code the positions 0, 1, 2, ... instead of data and look where each one lands:
inside every lane they should count up by one. Three checks do that for you:

    import numpy as np, lanes
    print(lanes.check_layout(lambda stream: stream.reshape(7, 50, 1), 350))  # your reshape
    print(lanes.check_batches(my_pipeline(np.arange(1000)), stateful=True))  # your batches
    print(lanes.check_model(my_model, (3, 4, 1)))                           # your model

Each returns a result with `.ok`, `.verdict`, `.condition` (the name of the verdict's
condition in lanes.verdicts) and its figures as attributes, and a str() that
is a short report ending in one verdict line. The verdict comes from a table of patterns,
each with its cause and fix; where no pattern fits, it says what it saw and guesses no cause.
One rule holds over every table: where the best accuracy that the figures allow on a task
that needs the previous element is at chance, the verdict is never ok. Shapes are
(batch, time[, features]), or (time, batch[, features]) with time_major=True.

The lane map under all three is a (lanes, time) array: the stream position in each slot.
From it, `seen_previous` says which slots hold a position whose predecessor was read
earlier in the same lane, and `best_possible` gives the best accuracy and cross-entropy any
model can reach on a task that needs the previous element (broken_rnn.py and fixed_rnn.py
report both for their own layouts, through check_layout).

    >>> import numpy as np, lanes
    >>> question = np.arange(100).reshape(2, 50).T      # the question's layout: 50 lanes of 2
    >>> int(lanes.seen_previous(question).sum())        # no position follows its predecessor
    0
    >>> lanes.check_layout(lambda stream: stream.reshape(7, 50), 350).ok
    True

The package needs nothing but NumPy (a Keras model or a PyTorch module passed to check_model
as it is brings its own framework along): `pip install .` from this project, or copy the
folder lanes/ into yours. Its modules, one a job: maps (the lane map), pipelines (reading
batches), frameworks and probe (calling a model), verdicts (each verdict a named condition,
in one explicit order a check), text (how reports say things), checks (the three checks).
"""
from .checks import BatchesCheck, LayoutCheck, ModelCheck, check_batches, check_layout, check_model
from .maps import best_possible, lane_map, seen_previous
from .verdicts import AT_CHANCE

__all__ = ["check_layout", "LayoutCheck", "check_batches", "BatchesCheck", "check_model", "ModelCheck",
           "lane_map", "seen_previous", "best_possible", "AT_CHANCE"]
