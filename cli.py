"""The command line that broken_rnn.py, fixed_rnn.py and side_by_side.py share: the flags,
their checks, and bad input as one line on stderr with exit status 2, before TensorFlow loads.
"""
import argparse
import math
import os
import sys

import data

MAX_BATCH = 100_000  # stream positions in a batch, at most: far beyond the lesson, well inside memory
MAX_EVAL = 10_000_000  # held-out positions, at most
MAX_UNITS = 1024  # LSTM units a layer, at most: 25 million weights a layer
MAX_LAYERS = 16
OPTIMIZERS = ("sgd", "adam")
STATES = ("carry", "reset")


class ShowDefaults(argparse.ArgumentDefaultsHelpFormatter):
    """--help adds each flag's default, except where there is none (None)."""

    def _get_help_string(self, action):
        return action.help if action.default is None else super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr and exit status 2, and --help shows the
    defaults."""

    def __init__(self, **kwargs):
        super().__init__(formatter_class=ShowDefaults, **kwargs)

    def error(self, message):
        fail(f"{self.prog}: {message} (see --help)")


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def whole_number(minimum, maximum=None):
    """argparse type: a whole number of at least `minimum` (and at most `maximum`)."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    return parse


def positive_number(text):
    """argparse type: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text!r}")
    return value


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


def plot_path(text):
    """argparse type: a writable .png path, and matplotlib installed to draw it."""
    if not text.lower().endswith(".png"):
        raise argparse.ArgumentTypeError(f"expected a .png file name, got {text!r}")
    try:
        import matplotlib  # noqa: F401  (only checked here; drawn in report.plot_curves)
    except ImportError:
        raise argparse.ArgumentTypeError(
            "needs matplotlib, which is not installed: pip install -r requirements-plot.txt") from None
    return writable_path(text)


def add_training_flags(parser, defaults=None):
    """The flags that both training scripts take. `defaults` maps each flag's name (--eval-positions:
    eval_positions) to its default, and learning_rates to each optimizer's default rate. Without
    defaults (side_by_side.py), a flag left out is None, and each script keeps its own."""
    defaults = defaults or {}

    def add(group, flag, help, **kwargs):
        group.add_argument(flag, default=defaults.get(flag[2:].replace("-", "_")), help=help, **kwargs)

    run = parser.add_argument_group("run")
    add(run, "--steps", "training steps, a fresh random batch each", type=whole_number(1))
    add(run, "--seed", "seed for the weights and the data; same seed, same report", type=whole_number(0))
    add(run, "--eval-positions", "held-out stream positions to score, at least", type=whole_number(1, MAX_EVAL))
    model = parser.add_argument_group("model and training")
    add(model, "--units", "LSTM units in each layer", type=whole_number(1, MAX_UNITS))
    add(model, "--layers", "stacked LSTM layers", type=whole_number(1, MAX_LAYERS))
    add(model, "--optimizer", "sgd (the seed's) or adam", type=str.lower, choices=OPTIMIZERS)
    rates = defaults.get("learning_rates")
    add(model, "--learning-rate", "step size" + (rates and " (default: " + ", ".join(
        f"{rate} with {name}" for name, rate in rates.items()) + ")" or ""), type=positive_number, metavar="X")
    add(model, "--state", "carry: each batch starts from the last one's final LSTM state (the seed's); "
        "reset: from zeros, since every batch is a fresh, independent stream", type=str.lower, choices=STATES)


def parse_args(description, defaults, argv=None):
    """Parse a training script's flags; `defaults` holds its settings (see add_training_flags,
    plus batch_size and seq_len)."""
    parser = Parser(description=description)
    add_training_flags(parser, defaults)
    layout = parser.add_argument_group("layout")
    layout.add_argument("--batch-size", type=whole_number(1), default=defaults["batch_size"],
                        help="lanes in a batch")
    layout.add_argument("--seq-len", type=whole_number(1), default=defaults["seq_len"],
                        help="time steps in a lane")
    output = parser.add_argument_group("output")
    output.add_argument("--report-json", type=writable_path, metavar="PATH",
                        help="also write the whole report as JSON to PATH")
    output.add_argument("--plot", type=plot_path, metavar="PATH.png",
                        help="also draw the learning curve to PATH.png (needs matplotlib)")
    args = parser.parse_args(argv)
    n, least = args.batch_size * args.seq_len, max(data.PROBE_POSITIONS) + 1
    if not least <= n <= MAX_BATCH:  # the probe reads positions up to 5; memory holds so much
        parser.error(f"--batch-size x --seq-len is {n}; it must be {least} to {MAX_BATCH} stream positions")
    if args.learning_rate is None:
        args.learning_rate = defaults["learning_rates"][args.optimizer]
    return args
