"""The command line that the programs here share: the flags, their checks, and bad input as
one line on stderr with exit status 2, before TensorFlow loads; and how a run behaves as a
Unix tool (`run`): Ctrl-C and SIGTERM stop it at once and say which files were written, a
closed stdout ends the output quietly, child processes end with their parent, and no file is
ever left half-written (`write_atomically`).
"""
import argparse
import json
import math
import os
import signal
import sys
import tempfile
import threading

import data

MIN_BATCH = max(data.PROBE_POSITIONS) + 1  # stream positions in a batch, at least: the probe reads up to 5
MAX_BATCH = 100_000  # stream positions in a batch, at most; memory_needed decides what fits
MAX_EVAL = 1_000_000  # held-out positions, at most: 100 times the default
MAX_EVAL_BATCHES = 20_000  # held-out batches, at most: one after the other, about 5 s for the smallest
MAX_UNITS = 1024  # LSTM units a layer, at most: 25 million weights a layer
MAX_LAYERS = 16
MAX_SEED = 2 ** 32 - 1  # NumPy's and Keras's seeds take 32 bits
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
    """argparse type: a file that can be written. Its folder must take a new file, which is
    proved by making one there and removing it (asking os.access is not enough: root is told
    yes even in /proc). A device or a FIFO, such as /dev/stdout, is written in place."""
    if not text:
        raise argparse.ArgumentTypeError("expected a file path, got an empty one")
    if text.endswith(("/", os.sep)) or os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"expected a file path, got the folder {text!r}")
    if special(text):
        if not os.access(text, os.W_OK):
            raise argparse.ArgumentTypeError(f"cannot write to {text!r}")
        return text
    folder = os.path.dirname(os.path.realpath(text))  # through symbolic links: write_atomically writes there
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"folder {folder!r} does not exist")
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise argparse.ArgumentTypeError(f"cannot write in folder {folder!r}: {error.strerror}") from None
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
    output.add_argument("--report-json", type=writable_path, metavar="PATH",
                        help="also write the whole report as JSON to PATH")
    output.add_argument("--plot", type=plot_path, metavar="PATH.png",
                        help="also draw the learning curve to PATH.png (needs matplotlib)")
    args = parser.parse_args(argv)
    n = args.batch_size * args.seq_len
    if not MIN_BATCH <= n <= MAX_BATCH:
        parser.error(f"--batch-size x --seq-len is {n}; it must be {MIN_BATCH} to {MAX_BATCH} stream positions")
    batches = -(-args.eval_positions // n)
    if batches > MAX_EVAL_BATCHES:  # scored one after the other: the count, not the size, takes the time
        parser.error(f"--eval-positions {args.eval_positions} is {batches:,} batches of {n}; at most "
                     f"{MAX_EVAL_BATCHES:,} batches are scored ({MAX_EVAL_BATCHES * n:,} positions at this shape)")
    needed, free = memory_needed(args.batch_size, args.seq_len, args.units, args.layers), memory_free()
    if free is not None and needed > free:
        parser.error(f"this run needs about {needed / 2 ** 30:.1f} GiB of memory, and {free / 2 ** 30:.1f} GiB "
                     "is free: use a smaller --batch-size, --seq-len, --units or --layers")
    if args.learning_rate is None:
        args.learning_rate = defaults["learning_rates"][args.optimizer]
    asked(args.report_json, args.plot)
    return args


def memory_needed(batch_size, seq_len, units, layers):
    """Bytes a training run takes at its peak, estimated from its shapes: TensorFlow itself,
    what a training step keeps for its gradients at each position (40 bytes a unit and layer),
    and the recurrent weights' gradient at each time step (32 bytes a unit squared and layer).
    Fitted to the peak memory measured at five shapes, from the defaults to 8 layers of 256
    units over 1,000 steps, which gave about 38 and 30 bytes; the rest is room (docs/faults.md)."""
    positions = batch_size * seq_len
    return 800 * 2 ** 20 + 40 * positions * layers * units + 32 * seq_len * layers * units ** 2


def memory_free():
    """Bytes of memory free now (Linux: MemAvailable), or None where that cannot be read."""
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def asked(*paths):
    """The files this run was asked to write (None: not asked), as an interrupt reports them."""
    ASKED[:] = [path for path in paths if path]


# --------------------------------------------------------------------------- output files
WRITING = threading.Lock()  # held while a file is written: an interrupt waits for it, then keeps it
ASKED, WRITTEN = [], []  # the files this run was asked to write, and those written so far
UMASK = os.umask(0o022)  # read it the only way there is: set it, and
os.umask(UMASK)  # ... set it back at once


def special(path):
    """Is `path` (through its links) a file that is no regular file or folder: a device, a FIFO,
    /dev/stdout (whose link leads to a pipe, which no other path names)?"""
    return os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)


def write_atomically(path, write):
    """Call write(binary_file) to make the file `path`. A regular file is written to a
    temporary file beside it and renamed into place: a crash never leaves it half-written, and
    an old file stays whole until the new one is ready. A symbolic link is written through, to
    the file it points to; a device or a FIFO (/dev/stdout) is written in place, never
    replaced. A file that cannot be written is a one-line error, exit status 2."""
    with WRITING:
        try:
            if special(path):
                with open(path, "wb") as out:
                    write(out)
            else:
                real = os.path.realpath(path)
                handle, temporary = tempfile.mkstemp(dir=os.path.dirname(real), prefix=".tmp-",
                                                     suffix=os.path.basename(real))
                try:
                    with os.fdopen(handle, "wb") as out:
                        write(out)
                    os.chmod(temporary, 0o666 & ~UMASK)  # as open() would have made it, not mkstemp's 0o600
                    os.replace(temporary, real)
                except BaseException:
                    os.unlink(temporary)
                    raise
        except OSError as error:
            fail(f"cannot write {path!r}: {error.strerror}")
        WRITTEN.append(path)


def strict(value):
    """`value` with every float that is not finite (a diverged loss) as None: strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: strict(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strict(item) for item in value]
    return value


def write_json(path, summary):
    text = json.dumps(strict(summary), indent=1, allow_nan=False) + "\n"
    write_atomically(path, lambda out: out.write(text.encode()))


# --------------------------------------------------------------------------- the process
PARENT = "RNN_LESSON_PARENT"  # set for a child process: its parent's pid
STOPPERS = []  # what an interrupted run does before it exits: end its child processes
BEFORE_EXIT = []  # what must be done before any exit (quiet_tf's stderr filter drains here)
SIGNALS = {"SIGINT": "interrupted", "SIGTERM": "terminated", "SIGHUP": "hung up"}
STOPPING = []  # the thread that a signal has set to stop the run: from then on only it ends it


class ReaderGone(Exception):
    """Nobody reads stdout any more, and no file was asked for: nothing is left to do."""


class QuietWhenClosed:
    """sys.stdout, except that once its reader has gone (a closed pipe: `| head`), output
    stops without a word. With files to write, the run goes on to write them; without, it
    ends (ReaderGone)."""

    def __init__(self, stream):
        self.stream, self.gone = stream, False

    def write(self, text):
        if not self.gone:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self.reader_gone()
        return len(text)

    def flush(self):
        if not self.gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self.reader_gone()

    def reader_gone(self):
        self.gone = True
        devnull = os.open(os.devnull, os.O_WRONLY)  # what is still buffered goes nowhere, quietly
        os.dup2(devnull, self.stream.fileno())
        os.close(devnull)
        if not ASKED:
            raise ReaderGone

    def __getattr__(self, name):
        return getattr(self.stream, name)


def interactive():
    """Under IPython or Jupyter (%run) or `python -i`, the session goes on after the script."""
    return bool(sys.flags.interactive) or "IPython" in sys.modules


def exit_now(status=0):
    """Exit with `status` at once, once output is flushed. Python and TensorFlow take about a
    second to tear down their modules at exit, which a run whose files are all written and
    closed can skip. Once a signal is stopping the run, only `stop` may end it: any other
    thread that gets here waits for that."""
    if STOPPING and threading.current_thread() is not STOPPING[0]:
        threading.Event().wait()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            pass
    for finish in BEFORE_EXIT:
        finish()
    os._exit(status)


def stop_message(signum):
    """What an interrupted run says: which of the files it was asked for exist."""
    said = [f"{path} was written" for path in WRITTEN] + [f"{path} was not written"
                                                          for path in ASKED if path not in WRITTEN]
    return SIGNALS[signal.Signals(signum).name] + (": " + "; ".join(said) if said else "")


def watch_parent():
    """A child of side_by_side.py or experiments.py ends when its parent does, however the
    parent ends (SIGKILL too): it looks twice a second, and stops itself as SIGTERM would."""
    parent = os.environ.get(PARENT)
    if parent != str(os.getppid()):
        return

    def watch():
        while os.getppid() == int(parent):
            threading.Event().wait(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="watch parent", daemon=True).start()


def child(command, **popen):
    """Start a child process that ends with this one: an interrupted run sends it SIGTERM
    (and SIGKILL 2 s later), and if this process dies any other way, the child sees it."""
    import subprocess

    process = subprocess.Popen(command, env={**os.environ, PARENT: str(os.getpid())}, **popen)

    def end():
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(2)
            except subprocess.TimeoutExpired:
                process.kill()

    STOPPERS.append(end)
    return process


def out_of_memory(error):
    return isinstance(error, MemoryError) or type(error).__name__ == "ResourceExhaustedError"


def stop(signum):
    """End the run for signal `signum`: its child processes first, then, once a file being
    written is finished (no other is begun), one line that says which files exist."""
    STOPPING.append(threading.current_thread())
    said = sys.stderr
    sys.stdout = sys.stderr = open(os.devnull, "w")  # from now on only this line is said
    for end in STOPPERS:
        end()
    WRITING.acquire()
    try:
        print(stop_message(signum), file=said)
    except OSError:  # nobody reads stderr any more (a parent that died): exit all the same
        pass
    sys.stderr = said
    exit_now(128 + signum)


def catch_signals():
    """On POSIX, whichever thread a signal reaches (TensorFlow's and OpenBLAS's threads too),
    its number goes down a pipe to a thread that waits for it and stops the run. Elsewhere
    (Windows), Ctrl-C arrives as KeyboardInterrupt in the main thread, between calls."""
    if os.name != "posix":
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    for name in SIGNALS:
        signal.signal(getattr(signal, name), lambda signum, frame: None)  # not the default: the thread acts
    threading.Thread(target=lambda: stop(os.read(read_end, 1)[0]), name="signals", daemon=True).start()


def run(main):
    """Run main() as a Unix tool. Ctrl-C, SIGTERM and SIGHUP stop the run at once, whatever it
    is in the middle of (a compiled training call can take minutes, and Python sees a signal
    only between calls): on POSIX each signal's number is written to a pipe (set_wakeup_fd),
    whichever thread it reaches, and a thread of its own reads it and stops the run (`stop`)
    while TensorFlow keeps the main thread. A run so stopped exits with 128 + the signal's
    number. A closed stdout ends the output quietly (status 141, as a tool killed by SIGPIPE,
    unless files were asked for: then they are written). Running out of memory is one line,
    status 1."""
    if interactive():  # %run: the session goes on, and Ctrl-C is IPython's
        try:
            main()
        except KeyboardInterrupt:
            print(stop_message(signal.SIGINT), file=sys.stderr)
        return
    sys.stdout = QuietWhenClosed(sys.stdout)
    catch_signals()
    watch_parent()
    try:
        main()
    except KeyboardInterrupt:  # Windows: Ctrl-C arrives here, between TensorFlow's calls
        stop(signal.SIGINT)
    except SystemExit as error:
        if isinstance(error.code, str):
            print(error.code, file=sys.stderr)
        exit_now(error.code if isinstance(error.code, int) else 1 if error.code else 0)
    except ReaderGone:
        exit_now(128 + 13)  # SIGPIPE's number on Linux and macOS
    except Exception as error:
        if not out_of_memory(error):
            raise
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"{os.path.basename(sys.argv[0])}: out of memory ({message[:200]}); try a smaller --batch-size, "
              "--seq-len, --units or --layers", file=sys.stderr)
        exit_now(1)
    exit_now(0)
