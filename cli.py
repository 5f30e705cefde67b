"""The flags the programs here share, and their checks: bad input (a bad value, a file that cannot
be written, a run too big for memory) is one line on stderr and exit status 2, before TensorFlow loads."""
import argparse
import contextlib
import difflib
import math
import sys

import data
import files
import memory
import process
import report

MIN_BATCH, MAX_BATCH = max(data.PROBE_POSITIONS) + 1, 100_000  # positions a batch: the probe reads up to 5
MAX_EVAL = 1_000_000  # held-out positions, at most: 100 times the default
ALIASES = {"--lr": "--learning-rate", "--epochs": "--steps", "--hidden-size": "--units", "--batch": "--batch-size"}
MAX_UNITS, MAX_LAYERS, MAX_SEED = 1024, 16, 2 ** 32 - 1  # NumPy's and Keras's seeds take 32 bits


class Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr and exit status 2, naming the nearest real one
    (no abbreviations); --help shows the defaults; no flags given is none, never the process's own."""

    def __init__(self, **kwargs):
        super().__init__(formatter_class=_ShowDefaults, allow_abbrev=False, **kwargs)

    def parse_known_args(self, args=None, namespace=None):  # None: a notebook's kernel has flags of its own
        return super().parse_known_args([] if args is None else args, namespace)

    def error(self, message):
        if message.startswith("unrecognized arguments: "):
            flags = [flag for action in self._actions for flag in action.option_strings]
            typed = message.split()[2].split("=")[0]
            near = [ALIASES[typed]] if ALIASES.get(typed) in flags else difflib.get_close_matches(typed, flags, 1)
            message += f": did you mean {near[0]}?" if near else ""
        print(f"{self.prog}: {message} (see --help)", file=sys.stderr, flush=True)
        sys.exit(2)


class _ShowDefaults(argparse.ArgumentDefaultsHelpFormatter):
    def _get_help_string(self, action):  # no "(default: None)"
        return action.help if action.default is None else super()._get_help_string(action)


def number(kind, low, high=math.inf):
    """argparse type: a whole number (`kind` int) from `low` to `high`, or a finite float above `low`."""
    def parse(text):
        with contextlib.suppress(ValueError):
            value = kind(text)
            if low <= value <= high if kind is int else math.isfinite(value) and value > low:
                return value
        wanted = f"a whole number from {low}" + (f" to {high}" if high < math.inf else "") if kind is int else \
            f"a number above {low}"
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
    return parse


def file_path(text, png=False):
    """argparse type: a file that files.write_file can write (a .png, with matplotlib, if `png`)."""
    why = (f"expected a .png file name, got {text!r}" if png and not text.lower().endswith(".png") else
           f"needs matplotlib, which is not installed: {report.PLOT_REQUIREMENTS}" if png and not report.can_draw() else
           files.writable(text))
    if why:
        raise argparse.ArgumentTypeError(why)
    return text


def add_training_flags(parser, defaults=None):
    """The training scripts' flags, `defaults` by name; without (side_by_side.py), each script keeps its own."""
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
    if why := memory.refusal(memory.needed(args.batch_size, args.seq_len, args.units, args.layers),
                             "this run needs", "use a smaller --batch-size, --seq-len, --units or --layers"):
        parser.error(why)
    args.learning_rate = args.learning_rate or defaults["learning_rates"][args.optimizer]
    args.eval_batches = -(-args.eval_positions // n)  # whole batches of n that hold eval_positions at least
    process.asked(args.report_json, args.plot)
    return args
