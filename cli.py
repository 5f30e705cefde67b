"""The command line that the programs here share: the flags, and their checks. Bad input is
one line on stderr and exit status 2, before TensorFlow loads: a bad value, a report that
could not be written, a run that would not fit in memory. How a program then runs as a
process (signals, children, files written whole, the exit) is process.py's.
"""
import argparse
import importlib
import math
import os
import sys
import tempfile

import data
import process

MIN_BATCH = max(data.PROBE_POSITIONS) + 1  # stream positions in a batch, at least: the probe reads up to 5
MAX_BATCH = 100_000  # stream positions in a batch, at most; memory_needed decides what fits
MAX_EVAL = 1_000_000  # held-out positions, at most: 100 times the default
MAX_EVAL_BATCHES = 20_000  # held-out batches, at most: one after the other, about 5 s for the smallest
MAX_UNITS = 1024  # LSTM units a layer, at most: 25 million weights a layer
MAX_LAYERS = 16
MAX_SEED = 2 ** 32 - 1  # NumPy's and Keras's seeds take 32 bits
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam"}  # --optimizer's choices, and how the report names them
STATES = ("carry", "reset")
PLOT_REQUIREMENTS = "pip install -r requirements-plot.txt"  # what --plot and experiments.py need
SMALLER_RUN = "use a smaller --batch-size, --seq-len, --units or --layers"  # a run that needs less memory


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
        process.fail(f"{self.prog}: {message} (see --help)")


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
    """argparse type: a file that can be written, as a shell's `>` could (process.writable). A
    device or a FIFO, such as /dev/stdout, is written in place."""
    if not text:
        raise argparse.ArgumentTypeError("expected a file path, got an empty one")
    if text == "-":  # stdout, as for most tools
        text = "/dev/stdout"
    if text.endswith(("/", os.sep)) or os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"expected a file path, got the folder {text!r}")
    if why := process.writable(text):
        raise argparse.ArgumentTypeError(why)
    return text


def first_line(doc):
    """A program's docstring's first line, for --help and its report; under python -OO, which
    drops docstrings, the program's name."""
    return doc.strip().splitlines()[0] if doc else os.path.basename(sys.argv[0])


def installed(module):
    """Can `module` be imported? (It is, to know.)"""
    if module == "matplotlib":
        matplotlib_home()
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def matplotlib_home():
    """Matplotlib keeps its settings and font cache in ~/.config/matplotlib and ~/.cache/matplotlib.
    Where it cannot write them (a read-only $HOME), it warns on stderr and makes a temporary
    folder of its own; a folder in this run's temporary folder takes their place instead, quietly."""
    if "MPLCONFIGDIR" in os.environ:
        return
    for kind, default in (("CONFIG", "~/.config"), ("CACHE", "~/.cache")):
        folder = os.path.join(os.environ.get(f"XDG_{kind}_HOME") or os.path.expanduser(default), "matplotlib")
        try:
            os.makedirs(folder, exist_ok=True)
            if os.access(folder, os.W_OK):
                continue
        except OSError:
            pass
        os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="matplotlib-")  # inside this run's $TMPDIR
        return


def plot_path(text):
    """argparse type: a writable .png path, and matplotlib installed to draw it."""
    if not text.lower().endswith(".png"):
        raise argparse.ArgumentTypeError(f"expected a .png file name, got {text!r}")
    if not installed("matplotlib"):  # only looked for: imported where it draws (report.picture)
        raise argparse.ArgumentTypeError(f"needs matplotlib, which is not installed: {PLOT_REQUIREMENTS}")
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
    add(run, "--seed", f"seed for the weights and the data, 0 to {MAX_SEED}; same seed, same report",
        type=whole_number(0, MAX_SEED))
    add(run, "--eval-positions", f"held-out stream positions to score, at least; at most {MAX_EVAL:,}, "
        f"and {MAX_EVAL_BATCHES:,} batches", type=whole_number(1, MAX_EVAL))
    model = parser.add_argument_group("model and training")
    add(model, "--units", f"LSTM units in each layer, at most {MAX_UNITS} (and what memory holds)",
        type=whole_number(1, MAX_UNITS))
    add(model, "--layers", f"stacked LSTM layers, at most {MAX_LAYERS} (and what memory holds)",
        type=whole_number(1, MAX_LAYERS))
    add(model, "--optimizer", "sgd (the seed's) or adam", type=str.lower, choices=OPTIMIZERS)
    rates = defaults.get("learning_rates")
    add(model, "--learning-rate", "step size" + (rates and " (default: " + ", ".join(
        f"{rate} with {name}" for name, rate in rates.items()) + ")" or ""), type=positive_number, metavar="X")
    add(model, "--state", "carry: each batch starts from the last one's final LSTM state (the seed's); "
        "reset: from zeros, since every batch is a fresh, independent stream", type=str.lower, choices=STATES)


def add_output_flags(group, report, plot=None):
    """--report-json PATH ("also write {report} as JSON to PATH") and, if `plot` says what it
    draws, --plot PATH.png."""
    group.add_argument("--report-json", type=writable_path, metavar="PATH", help=f"also write {report} as JSON to PATH")
    if plot:
        group.add_argument("--plot", type=plot_path, metavar="PATH.png",
                           help=f"also draw {plot} to PATH.png (needs matplotlib)")


def parse_args(description, defaults, argv=None):
    """Parse a training script's flags; `defaults` holds its settings (see add_training_flags,
    plus batch_size and seq_len)."""
    parser = Parser(description=description)
    add_training_flags(parser, defaults)
    layout = parser.add_argument_group("layout")
    layout.add_argument("--batch-size", type=whole_number(1), default=defaults["batch_size"],
                        help=f"lanes in a batch; a batch holds {MIN_BATCH} to {MAX_BATCH:,} positions, "
                        "and what memory holds")
    layout.add_argument("--seq-len", type=whole_number(1), default=defaults["seq_len"],
                        help="time steps in a lane")
    output = parser.add_argument_group("output")
    add_output_flags(output, report="the whole report", plot="the learning curve")
    args = parser.parse_args(argv)
    n = args.batch_size * args.seq_len
    if not MIN_BATCH <= n <= MAX_BATCH:
        parser.error(f"--batch-size x --seq-len is {n}; it must be {MIN_BATCH} to {MAX_BATCH} stream positions")
    batches = eval_batches(args.eval_positions, n)
    if batches > MAX_EVAL_BATCHES:  # scored one after the other: the count, not the size, takes the time
        parser.error(f"--eval-positions {args.eval_positions} is {batches:,} batches of {n}; at most "
                     f"{MAX_EVAL_BATCHES:,} batches are scored ({MAX_EVAL_BATCHES * n:,} positions at this shape)")
    refuse_without_room(parser, memory_needed(args.batch_size, args.seq_len, args.units, args.layers),
                        "this run needs", SMALLER_RUN)
    if args.learning_rate is None:
        args.learning_rate = defaults["learning_rates"][args.optimizer]
    asked(parser, args.report_json, args.plot)
    process.if_out_of_memory(SMALLER_RUN)  # if TensorFlow runs out all the same
    return args


def asked(parser, *paths):
    """Tell process.py which files the flags ask for (None: not asked), once no two of them are
    one file: each would overwrite the other."""
    real = [os.path.realpath(path) for path in paths if path and not process.special(path)]
    if len(set(real)) < len(real):
        parser.error(f"two of the files asked for are one file: {', '.join(process.shown(p) for p in paths if p)}")
    process.asked(*paths)


def eval_batches(eval_positions, n):
    """Held-out batches of `n` positions that hold `eval_positions` at least: whole batches."""
    return -(-eval_positions // n)


def refuse_without_room(parser, needed, what, hint=None):
    """One line and exit status 2 (parser.error) if `needed` bytes are more than memory leaves
    now (process.memory_room: what is free, or what a cgroup's or ulimit's limit leaves)."""
    room, limit = process.memory_room()
    if room is not None and needed > room:
        leaves = f"{room / 2 ** 30:.1f} GiB is free" if limit == "free" else f"{limit} leaves {room / 2 ** 30:.1f} GiB"
        parser.error(f"{what} about {needed / 2 ** 30:.1f} GiB of memory, and {leaves}" + (f": {hint}" if hint else ""))


def script_memory(script, units=None, layers=None):
    """The memory one run of a training script needs (memory_needed), at its own shape, with
    `units` and `layers` if given, else its own."""
    settings = importlib.import_module(os.path.splitext(os.path.basename(script))[0])  # TensorFlow loads later
    return memory_needed(settings.BATCH_SIZE, settings.SEQ_LEN, units or settings.UNITS, layers or settings.LAYERS)


def memory_needed(batch_size, seq_len, units, layers):
    """Bytes a training run takes at its peak, estimated from its shapes: TensorFlow itself,
    what a training step keeps for its gradients at each position (40 bytes a unit and layer),
    and the recurrent weights' gradient at each time step (32 bytes a unit squared and layer).
    Fitted to the peak memory measured at five shapes, from the defaults to 8 layers of 256
    units over 1,000 steps, which gave about 38 and 30 bytes; the rest is room (docs/faults.md)."""
    positions = batch_size * seq_len
    return 800 * 2 ** 20 + 40 * positions * layers * units + 32 * seq_len * layers * units ** 2
