"""What both training scripts share after the model: the printed report, its JSON copy and
the learning curve (experiments.py draws its picture the same way, through `picture`).
Nothing here knows which layout it is reporting on: each script prints its own lane map,
through lanes.py.
"""
import io
import json
import math
import os
import tempfile
from contextlib import contextmanager

import numpy as np

import data
import files

OPTIMIZERS = {"sgd": "SGD", "adam": "Adam"}  # --optimizer's choices, and how the report names them
STATE_NAMES = {"carry": "state carried", "reset": "state reset"}  # the --state policies, as reports name them
PAIRS = "{0,2}/{1,3}"  # the pairs that a model seeing only the current bit cannot split


def diverged_at(losses):
    """The first step whose loss is not a finite number (NaN, infinity), or None."""
    return next((step for step, loss in enumerate(losses) if not math.isfinite(loss)), None)


def became(losses, step):
    return f"the loss became {losses[step]} at step {step}"


def verdict(held_out, losses):
    if (step := diverged_at(losses)) is not None:
        return f"diverged: {became(losses, step)}, so nothing was learned"
    if held_out["accuracy"] >= 0.95:
        return "learned all four classes"
    if held_out["current_bit_accuracy"] >= 0.95:
        return "confuses 0<->2 and 1<->3: sees only the current bit"
    return f"has not learned the task (held-out accuracy {held_out['accuracy']:.3f})"


def held_out_summary(probabilities, true):
    """Accuracy, current-bit accuracy, cross-entropy and confusion matrix of predictions
    `probabilities` (positions, classes) against classes `true` (positions,)."""
    predicted = probabilities.argmax(axis=1)
    picked = probabilities[np.arange(len(true)), true]
    return {
        "positions": int(len(true)),
        "accuracy": float(np.mean(predicted == true)),
        "current_bit_accuracy": float(np.mean(predicted % 2 == true % 2)),
        "cross_entropy": float(-np.mean(np.log(np.maximum(picked, 1e-12)))),
        "confusion": data.confusion_matrix(true, predicted).tolist(),
    }


def loss_floors(best):
    """The horizontal lines of the learning curve, in nats; `best` is lanes.best_possible's."""
    return {"guessing (ln 4)": math.log(4), "current bit only (ln 2)": math.log(2),
            "best this layout allows": best["cross_entropy"]}


def header(title, settings):
    state = STATE_NAMES[settings["state"]]  # between batches
    return (f"{title}\n"
            f"lanes (batch {settings['batch_size']}, time {settings['seq_len']}, 1) | "
            f"{settings['layers']} LSTM layers x {settings['units']} | {state}\n"
            f"seed {settings['seed']} | {settings['steps']} step{'s' * (settings['steps'] != 1)} | "
            f"{OPTIMIZERS[settings['optimizer']]} "
            f"{settings['learning_rate']:g}, clip {settings['clip_norm']:g}\n")


def loss_line(step, loss):
    return f"step {step:5d} | loss {loss:.4f}"


def outcome(summary):
    """Everything printed after training: probe table, held-out scores, verdict."""
    held_out, best = summary["held_out"], summary["best_possible"]
    scored = f"held-out: {held_out['positions']} fresh positions"
    positions = ", ".join(map(str, data.PROBE_POSITIONS))
    lines = ["", f"probe: softmax on {','.join(map(str, data.PROBE_PATTERN))},... at {positions}",
             "  (row i is the position whose class is i)"]
    for row, probs in enumerate(summary["probe"]["probabilities"]):
        lines.append("{}: [{:.4f} {:.4f} {:.4f} {:.4f}]".format(row, *probs))
    lines += [
        "",
        f"{scored:<34}{'measured':>9}{'best, this layout':>19}",
        f"{'  accuracy':<34}{held_out['accuracy']:>9.4f}{best['accuracy']:>19.4f}",
        f"{'  current-bit accuracy ' + PAIRS:<34}{held_out['current_bit_accuracy']:>9.4f}",
        f"{'  cross-entropy, nats':<34}{held_out['cross_entropy']:>9.4f}{best['cross_entropy']:>19.4f}",
        "  confusion matrix (rows true, columns predicted)",
        "          " + "".join(f"{f'pred {c}':>8}" for c in range(data.NUM_CLASSES)),
    ]
    for true_class, row in enumerate(held_out["confusion"]):
        lines.append(f"  true {true_class} " + "".join(f"{count:8d}" for count in row))
    if (step := diverged_at(summary["loss_history"])) is not None:
        lines += ["", f"training stopped: {became(summary['loss_history'], step)}. Try a lower "
                      f"--learning-rate (this run's was {summary['settings']['learning_rate']:g})."]
    lines += ["", f"verdict: {summary['verdict']}"]
    return "\n".join(lines) + "\n"


def write_json(path, summary):
    """`summary` to the file `path`, whole, as strict JSON: a loss that is not a finite number
    (a diverged run) is null."""
    def strict(value):
        if isinstance(value, dict):
            return {key: strict(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [strict(item) for item in value]
        return None if isinstance(value, float) and not math.isfinite(value) else value

    files.write_file(path, (json.dumps(strict(summary), indent=1, allow_nan=False) + "\n").encode())


def can_draw():
    """Is matplotlib installed? Where $HOME takes no files (a container's), its settings go to the
    run's temporary folder, and it says nothing about that."""
    if "MPLCONFIGDIR" not in os.environ and not os.access(os.path.expanduser("~"), os.W_OK):
        os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="matplotlib-")
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")  # draw to a file; no screen needed
    return True


@contextmanager
def picture(path, rows, columns, size, dpi, **subplots):
    """A matplotlib figure of rows x columns panels, `with picture(...) as (figure, axes)`: drawn
    in the block, then laid out and written to the PNG file `path` whole."""
    can_draw()
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(rows, columns, figsize=size, squeeze=False, **subplots)
    try:
        yield figure, axes
        figure.tight_layout()
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=dpi)
        files.write_file(path, png.getvalue())
    finally:
        plt.close(figure)


def plot_curves(path, summaries):
    """Training loss against steps, one panel a run, with the loss floors as lines."""
    with picture(path, 1, len(summaries), (6 * len(summaries), 4.2), dpi=100, sharey=True) as (_, axes):
        for axis, summary in zip(axes[0], summaries, strict=True):
            loss = np.array(summary["loss_history"])
            window = min(50, len(loss))
            axis.plot(loss, color="0.8", linewidth=0.6, label="loss at each step")
            axis.plot(np.arange(window - 1, len(loss)), np.convolve(loss, np.ones(window) / window, "valid"),
                      color="C0", linewidth=1.8, label=f"mean of {window} steps")
            for (name, value), style in zip(summary["loss_floors"].items(), ("C3:", "C1--", "C2-."), strict=True):
                axis.axhline(value, color=style[:2], linestyle=style[2:], label=f"{name}: {value:.3f}")
            settings = summary["settings"]
            axis.set_title(f"{summary['script']}: lanes of (batch {settings['batch_size']}, "
                           f"time {settings['seq_len']}, 1)")
            axis.set_xlabel("training step")
            axis.set_ylim(0, 2.3)  # room for the legend above the curve
            axis.legend(loc="upper right", fontsize="small")
        axes[0][0].set_ylabel("training loss (cross-entropy, nats)")
