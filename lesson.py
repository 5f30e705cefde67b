# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # My RNN only learns the current input
#
# An LSTM should learn something that needs the *previous* input, and it is stuck at 50%. In this
# lesson you will see why: not the model, but the way a stream was cut into the batch. Run the
# cells in order; the two trainings take seconds each.
#
# **Where to run it.** From a clone of this project: `make demo` once, then start Jupyter with the
# project's Python (`.venv/bin/python -m jupyter lab lesson.ipynb`, after
# `.venv/bin/pip install jupyterlab`), or pick `.venv` as the kernel. **On Colab**, which has
# TensorFlow and Keras already: clone the project in a cell (`!git clone URL`), `%cd` into it,
# then `%pip install -r requirements-plot.txt`, and open `lesson.ipynb` from there.

# %%
# %matplotlib inline
import numpy as np

import data
import lanes
import report

# %% [markdown]
# ## 1. The task
#
# A stream of random bits. The class of each position is the number that the previous bit and the
# current bit spell in binary: `2 * previous + current`, so 0 to 3. To name it, a model must
# remember the bit before.

# %%
stream = np.array([0, 0, 1, 0, 1, 1])
print("stream:", stream)
print("labels:", data.labels(stream))  # the first bit's predecessor counts as 0

# %% [markdown]
# ## 2. One stream, laid out two ways
#
# An RNN reads a batch of shape (batch, time, features): `batch` sequences, the *lanes*, side by
# side, one time step at a time. It remembers along a lane, never across. Feed a layout the
# positions `0, 1, 2, ...` instead of bits, and the lane map shows which position each lane holds.
#
# The StackOverflow question reshaped 100 bits **time first**, `(2, 50, 1)`, and fed the result
# as 50 lanes of 2 steps:

# %%
question = lanes.check_layout(lambda positions: positions.reshape(2, 50, 1), 100, time_major=True)
print(question.lane_lines("bit"))

# %% [markdown]
# Lane 1 holds positions 1 and 51. The class of 51 needs bit 50, which is in lane 0: no lane
# ever holds a bit's predecessor. The answer reshaped 350 bits **batch first**, `(7, 50, 1)`:

# %%
answer = lanes.check_layout(lambda positions: positions.reshape(7, 50, 1), 350)
print(answer.lane_lines("bit"))

# %% [markdown]
# Each lane now holds 50 consecutive positions: every bit but a lane's first follows its
# predecessor in its lane.

# %% [markdown]
# ## 3. Train both, briefly
#
# `broken_rnn.py` and `fixed_rnn.py` are the same script but for those layout lines
# (`diff broken_rnn.py fixed_rnn.py`). Each `main` takes the flags you would type, prints its
# report and returns it as a dict. To be quick, 300 steps of Adam instead of the seed's 3000 of
# SGD: the conclusion is the same (`docs/experiments.md` tries bigger models and longer runs).

# %%
import broken_rnn  # noqa: E402  (TensorFlow loads at the first run, not here)
import fixed_rnn  # noqa: E402

broken = broken_rnn.main(["--steps", "300", "--optimizer", "adam"])

# %% [markdown]
# Read the **probe**: row *i* is a position whose class is *i*. The broken model splits each row
# between the two classes that share the current bit, and the **confusion matrix** shows it
# mixing 0 with 2 and 1 with 3: it knows the current bit, and nothing before it.

# %%
fixed = fixed_rnn.main(["--steps", "300", "--optimizer", "adam"])

# %% [markdown]
# The fixed model names every class. Its accuracy stops just short of the best its layout allows:
# a lane's first bit has no predecessor in the lane.

# %% [markdown]
# ## 4. The learning curves
#
# Loss above, accuracy below, each with the lines that bound it. The broken loss falls from
# guessing (ln 4) to the current bit alone (ln 2) and stays there: that is the best its layout
# allows, so more steps cannot help.

# %%
report.learning_curves([broken, fixed])  # a matplotlib figure: the scripts' --plot saves the same

# %% [markdown]
# ## 5. The best each layout allows
#
# `lanes.best_possible` works it out from the lane map alone, before any training: a position
# whose predecessor is earlier in its lane can be named; any other, only half the time.

# %%
for name, run in (("broken", broken), ("fixed", fixed)):
    print(f"{name:6}  held-out accuracy {run['held_out']['accuracy']:.4f}, "
          f"best this layout allows {run['best_possible']['accuracy']:.4f}")

# %% [markdown]
# ## 6. Your turn: check a reshape of your own
#
# Replace the function below with the way your code lays a stream out, and the number of
# positions with one that fits it. `check_layout` says whether every lane counts up by one, and
# if not, what went wrong and how to fix it. It reads the first axis as the lanes: where your
# model reads time first, as the question's did, add `time_major=True`, as in section 2. Try
# `positions.reshape(50, 2, 1)`, a transpose, or your own code (`lanes.check_batches` checks a
# whole pipeline; `lanes.check_model` a model: `docs/lanes.md`).

# %%
def my_layout(positions):
    return positions.reshape(10, 10, 1).transpose(1, 0, 2)  # your reshape here


print(lanes.check_layout(my_layout, 100))
