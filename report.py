"""What both training scripts share around the model: checking flags, printing the report,
and writing its JSON copy. Nothing here knows which layout it is reporting on.
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np

import data

PAIRS = "{0,2}/{1,3}"  # the pairs that a model seeing only the current bit cannot split


# ---------------------------------------------------------------------------- flags
class Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr and exit status 2."""

    def error(self, message):
        fail(f"{self.prog}: {message} (see --help)")


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def whole_number(minimum):
    """argparse type: a whole number of at least `minimum`."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def writable_path(text):
    """argparse type: a file path whose folder exists and can be written to."""
    folder = os.path.dirname(os.path.abspath(text))
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"cannot write to folder {folder!r}")
    return text


# --------------------------------------------------------------------------- output
def write_atomically(path, text):
    """Write to a temporary file beside `path`, then rename it into place: a crash never
    leaves a half-written file, and an old file stays whole until the new one is ready."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def write_json(path, report):
    try:
        write_atomically(path, json.dumps(report, indent=1) + "\n")
    except OSError as error:
        fail(f"cannot write the report to {path!r}: {error.strerror}")


def verdict(held_out):
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


def header(title, settings):
    return (f"{title}\n"
            f"lanes (batch {settings['batch_size']}, time {settings['seq_len']}, 1) | "
            f"{settings['lstm_layers']} LSTM layers x {settings['lstm_units']}\n"
            f"seed {settings['seed']} | {settings['steps']} steps | SGD {settings['learning_rate']}, "
            f"clip {settings['clip_norm']}\n")


def loss_line(step, loss):
    return f"step {step:5d} | loss {loss:.4f}"


def outcome(summary):
    """Everything printed after training: probe table, held-out scores, verdict."""
    held_out = summary["held_out"]
    positions = ", ".join(map(str, data.PROBE_POSITIONS))
    lines = ["", f"probe: softmax on 0,0,1,0,1,1,... at {positions}",
             "  (row i is the position whose class is i)"]
    for row, probs in enumerate(summary["probe"]["probabilities"]):
        lines.append("{}: [{:.4f} {:.4f} {:.4f} {:.4f}]".format(row, *probs))
    lines += [
        "",
        f"held-out: {held_out['positions']} fresh positions",
        f"  accuracy              {held_out['accuracy']:.4f}",
        f"  current-bit accuracy  {held_out['current_bit_accuracy']:.4f}  (pair {PAIRS})",
        f"  cross-entropy         {held_out['cross_entropy']:.4f} nats",
        "  confusion matrix (rows true, columns predicted)",
        "          " + "".join(f"{f'pred {c}':>8}" for c in range(data.NUM_CLASSES)),
    ]
    for true_class, row in enumerate(held_out["confusion"]):
        lines.append(f"  true {true_class} " + "".join(f"{count:8d}" for count in row))
    lines += ["", f"verdict: {summary['verdict']}"]
    return "\n".join(lines) + "\n"
