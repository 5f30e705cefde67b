"""The flags the programs here share, and their checks: bad input (a bad value, a file that cannot
be written, a run too big for memory) is one line on stderr and exit status 2, before TensorFlow loads."""
import argparse
import math
import sys

import data
import files
import process
import report

MIN_BATCH = max(data.PROBE_POSITIONS) + 1  # stream positions in a batch, at least: the probe reads up to 5
MAX_BATCH = 100_000  # stream positions in a batch, at most; memory_needed decides what fits
MAX_EVAL = 1_000_000  # held-out positions, at most: 100 times the default
MAX_UNITS, MAX_LAYERS, MAX_SEED = 1024, 16, 2 ** 32 - 1  # NumPy's and Keras's seeds take 32 bits
PLOT_REQUIREMENTS = "pip install -r requirements-plot.txt"  # what --plot and experiments.py need


class Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr and exit status 2; --help shows the defaults."""

    def __init__(self, **kwargs):
        super().__init__(formatter_class=_ShowDefaults, **kwargs)

    def error(self, message):
        print(f"{self.prog}: {message} (see --help)", file=sys.stderr, flush=True)
        sys.exit(2)


class _ShowDefaults(argparse.ArgumentDefaultsHelpFormatter):
    def _get_help_string(self, action):  # no "(default: None)"
        return action.help if action.default is None else super()._get_help_string(action)


def number(kind, low, high=math.inf):
    """argparse type: a whole number (`kind` int) from `low` to `high`, or a finite float above `low`."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is not None and (low <= value <= high if kind is int else math.isfinite(value) and value > low):
            return value
        wanted = f"a whole number from {low}" + (f" to {high}" if high < math.inf else "") if kind is int else \
            f"a number above {low}"
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
    return parse


def file_path(text, png=False):
    """argparse type: a file that files.write_file can write (a .png, with matplotlib, if `png`)."""
    if png and not text.lower().endswith(".png"):
        raise argparse.ArgumentTypeError(f"expected a .png file name, got {text!r}")
    if png and not report.can_draw():
        raise argparse.ArgumentTypeError(f"needs matplotlib, which is not installed: {PLOT_REQUIREMENTS}")
    if why := files.writable(text):
        raise argparse.ArgumentTypeError(why)
    return text


def add_training_flags(parser, defaults=None):
    """The flags both training scripts take, with `defaults` by name (learning_rates: each optimizer's).
    Without defaults (side_by_side.py), a flag left out is None: each script keeps its own."""
    defaults = defaults or {}

    def add(group, flag, help, **kwargs):
        group.add_argument(flag, default=defaults.get(flag[2:].replace("-", "_")), help=help, **kwargs)

    run, model = parser.add_argument_group("run"), parser.add_argument_group("model and training")
    add(run, "--steps", "training steps, a fresh random batch each", type=number(int, 1))
    add(run, "--seed", f"seed for the weights and the data, 0 to {MAX_SEED}; same seed, same report",
        type=number(int, 0, MAX_SEED))
    add(run, "--eval-positions", f"held-out stream positions to score, at least; at most {MAX_EVAL:,}",
        type=number(int, 1, MAX_EVAL))
    add(model, "--units", f"LSTM units in each layer, at most {MAX_UNITS} (and what memory holds)",
        type=number(int, 1, MAX_UNITS))
    add(model, "--layers", f"stacked LSTM layers, at most {MAX_LAYERS} (and what memory holds)",
        type=number(int, 1, MAX_LAYERS))
    add(model, "--optimizer", "sgd (the seed's) or adam", type=str.lower, choices=report.OPTIMIZERS)
    rates = ", ".join(f"{rate} with {name}" for name, rate in defaults.get("learning_rates", {}).items())
    add(model, "--learning-rate", "step size" + (f" (default: {rates})" if rates else ""), type=number(float, 0),
        metavar="X")
    add(model, "--state", "carry: each batch starts from the last one's final LSTM state (the seed's); reset: "
        "from zeros, since every batch is a fresh, independent stream", type=str.lower, choices=report.STATE_NAMES)


def add_output_flags(group, report, plot=None):
    """--report-json PATH (also write `report` as JSON) and, if `plot` says what it draws, --plot."""
    group.add_argument("--report-json", type=file_path, metavar="PATH", help=f"also write {report} as JSON to PATH")
    if plot:
        group.add_argument("--plot", type=lambda text: file_path(text, png=True), metavar="PATH.png",
                           help=f"also draw {plot} to PATH.png (needs matplotlib)")


def parse_args(description, defaults, argv=None):
    """A training script's flags; `defaults`: its settings (add_training_flags, batch_size, seq_len)."""
    parser = Parser(description=description)
    add_training_flags(parser, defaults)
    layout = parser.add_argument_group("layout")
    layout.add_argument("--batch-size", type=number(int, 1), default=defaults["batch_size"],
                        help=f"lanes in a batch; a batch holds {MIN_BATCH} to {MAX_BATCH:,} positions, and what "
                        "memory holds")
    layout.add_argument("--seq-len", type=number(int, 1), default=defaults["seq_len"], help="time steps in a lane")
    add_output_flags(parser.add_argument_group("output"), report="the whole report", plot="the learning curve")
    args = parser.parse_args(argv)
    n = args.batch_size * args.seq_len
    if not MIN_BATCH <= n <= MAX_BATCH:
        parser.error(f"--batch-size x --seq-len is {n}; it must be {MIN_BATCH} to {MAX_BATCH} stream positions")
    refuse_without_room(parser, memory_needed(args.batch_size, args.seq_len, args.units, args.layers),
                        "this run needs", "use a smaller --batch-size, --seq-len, --units or --layers")
    args.learning_rate = args.learning_rate or defaults["learning_rates"][args.optimizer]
    args.eval_batches = -(-args.eval_positions // n)  # whole batches of n that hold eval_positions at least
    process.asked(args.report_json, args.plot)
    return args


def refuse_without_room(parser, needed, what, hint=None):
    """parser.error if `needed` bytes are more than process.memory_room leaves."""
    room, limit = process.memory_room()
    if room is not None and needed > room:
        leaves = f"{room / 2 ** 30:.1f} GiB is free" if limit == "free" else f"{limit} leaves {room / 2 ** 30:.1f} GiB"
        parser.error(f"{what} about {needed / 2 ** 30:.1f} GiB of memory, and {leaves}" + (f": {hint}" if hint else ""))


def memory_needed(batch_size, seq_len, units, layers):
    """Bytes a training run takes at its peak, from its shapes: TensorFlow itself; 40 bytes a position,
    unit and layer (what a step keeps for its gradients); 32 bytes a time step, layer and unit squared
    (the recurrent weights' gradient at each step). Fitted to five measured peaks, with room."""
    return 800 * 2 ** 20 + 40 * batch_size * seq_len * layers * units + 32 * seq_len * layers * units ** 2
