"""What both training scripts share after the model: the printed report, its JSON copy and
the learning curve (experiments.py draws its picture the same way, through `picture`).
Nothing here knows which layout it is reporting on: each script prints its own lane map,
through lanes.
"""
import io
import json
import math
import os
import tempfile

import numpy as np

import data
import files

PLOT_REQUIREMENTS = "pip install -r requirements-plot.txt"  # what can_draw needs: for --plot, experiments.py
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam"}  # --optimizer's choices, and how the report names them
STATE_NAMES = {"carry": "state carried", "reset": "state reset"}  # the --state policies, as reports name them
PAIRS = "{0,2}/{1,3}"  # the pairs that a model seeing only the current bit cannot split


DIVERGED = 100.0  # nats: a loss above this (p of the true class under e**-100) is a run that blew up


def diverged_at(losses):
    """The first step whose loss is not a finite number (NaN, infinity) or above DIVERGED, or None."""
    return next((step for step, loss in enumerate(losses) if not math.isfinite(loss) or loss > DIVERGED), None)


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
        import matplotlib  # noqa: F401  (no pyplot, so no backend: a file or a notebook, never a window)
    except ImportError:
        return False
    return True


def new_figure(rows, columns, size, **subplots):
    """A matplotlib Figure of rows x columns panels, and its axes (a 2-D array). No pyplot: nothing
    global, and a notebook shows it once, where it is returned."""
    can_draw()
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.subplots(rows, columns, squeeze=False, **subplots)


def save_figure(figure, path, dpi=100):
    """`figure` to the PNG file `path`, whole."""
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=dpi)
    files.write_file(path, png.getvalue())


def settings_line(summary):
    """A run's settings, as a picture's title shows them."""
    settings = summary["settings"]
    return (f"lanes (batch {settings['batch_size']}, time {settings['seq_len']}, 1), {settings['layers']} x "
            f"{settings['units']} LSTM, {STATE_NAMES[settings['state']]}\n{settings['steps']} steps, "
            f"{OPTIMIZERS[settings['optimizer']]} {settings['learning_rate']:g}, seed {settings['seed']}")


def _window(steps):
    """Steps in the moving mean of a curve of `steps`: about a twentieth of them, 1 to 50."""
    return max(1, min(50, steps // 20))


def _smoothed(values):
    """The mean of each _window of steps, at the step in its middle."""
    window = _window(len(values))
    middles = np.arange(len(values) - window + 1) + (window - 1) / 2
    return middles, np.convolve(values, np.ones(window) / window, "valid")


def _floors(axis, floors, best_name, near):
    """The horizontal lines of a panel, labelled; the layout's best, where it lies on another line,
    is said to lie there, and why."""
    for (name, value), style in zip(floors.items(), ("C3:", "C1--", "C2-."), strict=True):
        label = f"{name}: {value:.3f}"
        if name == best_name and abs(value - floors[near]) < 0.01:
            label += f",\nthe same as {near}: this layout\nshows no lane a bit's predecessor"
        axis.axhline(value, color=style[:2], linestyle=style[2:], linewidth=1.5 if name == best_name else 1,
                     label=label)


def learning_curves(summaries):
    """The learning curves of runs (their --report-json summaries) as a matplotlib Figure, a column a
    run: training loss above, training accuracy below, each with the lines that bound it. A script
    saves it (--plot); a notebook shows it."""
    figure, axes = new_figure(2, len(summaries), (6.5 * len(summaries), 8.5), sharex="col")
    for column, summary in enumerate(summaries):
        loss_axis, accuracy_axis = axes[0][column], axes[1][column]
        best, steps = summary["best_possible"], len(summary["loss_history"])
        loss_axis.plot(summary["loss_history"], color="0.8", linewidth=0.6, label="loss at each step")
        mean = f"mean of {_window(steps)} steps"
        middles, means = _smoothed(summary["loss_history"])
        loss_axis.plot(middles, means, color="C0", linewidth=1.8, label=mean)
        _floors(loss_axis, summary["loss_floors"], "best this layout allows", "current bit only (ln 2)")
        end = means[-1]
        gap = end - best["cross_entropy"]
        why = ("at the best this layout allows:\nmore steps cannot help" if gap < 0.02 else
               f"{gap:.3f} above the best this layout allows:\n" + (
                   "the carried state, each batch starting from\nanother stream's (see --state reset)"
                   if summary["verdict"].startswith("learned") and summary["settings"]["state"] == "carry"
                   else "not there yet; more steps may help"))
        loss_axis.annotate(why, (steps - 1, end), xytext=(0.97, 0.4), textcoords="axes fraction", ha="right",
                           va="center", fontsize="small", arrowprops=dict(arrowstyle="->", color="0.4"),
                           bbox=dict(boxstyle="round", facecolor="white", edgecolor="0.8"))
        loss_axis.set_ylim(0, 2.9)  # room above ln 4 for the legend
        loss_axis.set_title(f"{summary['script']}: {settings_line(summary)}", fontsize="medium")
        loss_axis.legend(loc="upper right", fontsize="small")
        for values, name, color in ((summary["accuracy_history"], "four classes", "C0"),
                                    (summary["current_bit_accuracy_history"], "current bit: {0,2} or {1,3}", "C4")):
            accuracy_axis.plot(*_smoothed(values), color=color, linewidth=1.8, label=f"{name}, {mean}")
        _floors(accuracy_axis, {"guessing": 0.25, "current bit only": 0.5,
                                "best this layout allows": best["accuracy"]}, "best this layout allows",
                "current bit only")
        accuracy_axis.set_ylim(-0.55, 1.05)  # room below 0 for the legend, under every curve
        accuracy_axis.set_yticks(np.linspace(0, 1, 6))
        accuracy_axis.set_xlabel("training step")
        accuracy_axis.legend(loc="lower right", fontsize="small", ncols=2)
    axes[0][0].set_ylabel("training loss (cross-entropy, nats)")
    axes[1][0].set_ylabel("training accuracy")
    return figure


def plot_curves(path, summaries):
    """learning_curves, to the PNG file `path`."""
    save_figure(learning_curves(summaries), path)
