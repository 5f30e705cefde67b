"""Run broken_rnn.py and fixed_rnn.py at the same time and show their reports side by side.

    python side_by_side.py                     # the seed's settings
    python side_by_side.py --plot learning_curves.png    # what `make demo` runs
    python side_by_side.py --steps 1000 --seed 1
    python side_by_side.py --report-json both.json     # both reports as JSON, by script

Both scripts get the same flags (the model's too: --units, --optimizer, --state, ...), so
the layout is the only difference between the columns.
The columns need about 130 characters: in a narrower terminal (or COLUMNS=80, or output to
a pipe, which counts as 80) the two reports come one after the other instead. With --plot,
both learning curves go into one picture, side by side.
"""
import json
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import broken_rnn
import cli
import fixed_rnn
import memory
import process
import report

SCRIPTS = {"broken_rnn.py": broken_rnn, "fixed_rnn.py": fixed_rnn}  # imported for their settings: no TensorFlow
HERE = Path(__file__).resolve().parent  # where the scripts are, also when this file is reached through a link
GAP = "  |  "


def parse_args(argv=None):
    parser = cli.Parser(description=__doc__.splitlines()[0],
                        epilog="A flag left out keeps each script's own default (see fixed_rnn.py --help).")
    cli.add_training_flags(parser)  # no defaults: each script keeps its own
    cli.add_output_flags(parser, report="both reports ({script: its --report-json})", plot="both learning curves")
    for flag in argv or []:
        if flag.split("=")[0] in ("--batch-size", "--seq-len"):  # the one difference between the two columns
            parser.error(f"{flag.split('=')[0]}: the layout is what the two scripts compare, so each keeps its own; "
                         f"to try another, give it to broken_rnn.py or fixed_rnn.py alone")
    args = parser.parse_args(argv)
    needed = sum(memory_needed(script, args.units, args.layers) for script in SCRIPTS)
    smaller_fits = memory.refusal(sum(memory_needed(script, 1, 1) for script in SCRIPTS), "") is None
    if why := memory.refusal(needed, "both scripts at once need", "use a smaller --units or --layers" if smaller_fits
                             else "run broken_rnn.py and fixed_rnn.py one after the other"):
        parser.error(why)
    process.asked(args.report_json, args.plot)
    return args


def memory_needed(script, units=None, layers=None):
    """What one run of `script` needs (memory.needed), at its own shape, with its own units and
    layers unless given."""
    settings = SCRIPTS[script]
    return memory.needed(settings.BATCH_SIZE, settings.SEQ_LEN, units or settings.UNITS, layers or settings.LAYERS)


def run_script(script, flags, folder, progress=None):
    """Run a training script with `flags` as a child process that ends with this run; what it printed
    on stdout and stderr, and its report (its --report-json, a file in `folder`). Each step line it
    prints goes to progress(line) as it comes. If it fails, so does this run: with its own line where
    it refused its flags (exit status 2), else with what it said and a line that names it."""
    report_path = tempfile.mkstemp(dir=folder, prefix=Path(script).stem, suffix=".json")[1]
    with tempfile.TemporaryFile("w+", dir=folder) as said:  # a file, not a pipe: it never fills up
        child = process.child([sys.executable, str(HERE / script), *flags, "--report-json", report_path],
                              text=True, stdout=subprocess.PIPE, stderr=said)
        lines = []
        for line in child.stdout:
            lines.append(line)
            if progress and line.startswith("step"):
                progress(f"{script}: {line}")
        child.wait()
        said.seek(0)
        out, err = "".join(lines), said.read()
    if child.returncode == 2 and err.strip():
        print(err.strip().splitlines()[-1], file=sys.stderr)
        sys.exit(2)
    if child.returncode:
        sys.stderr.write(err)
        sys.exit(f"{script} {' '.join(flags)} failed with exit status {child.returncode}")
    return out, err, json.loads(Path(report_path).read_text())


def run_all(runs, at_once, folder, ended=lambda done: done, progress=None):
    """run_script each (script, flags) of `runs`, `at_once` at a time; what each gives, in order. The
    first to fail ends the others, and this run. `ended` wraps the runs as they end; `progress`: run_script's."""
    with ThreadPoolExecutor(at_once) as pool:
        futures = [pool.submit(run_script, script, flags, folder, progress) for script, flags in runs]
        try:
            for future in ended(as_completed(futures)):
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()  # no new run starts, ...
            process.end_children()  # ... and the runs under way end
            raise
    return [future.result() for future in futures]


def heading(script):
    """The line above each script's report."""
    return f"== {script}\n"


def side_by_side(left, right, width):
    """Two blocks of text as two columns if every row fits in `width` columns; else one block
    after the other, so that nothing wraps."""
    left, right = left.splitlines(), right.splitlines()
    left_width = max(map(len, left), default=0)
    if left_width + len(GAP) + max(map(len, right), default=0) > width:
        return "\n".join(left) + "\n\n" + "\n".join(right) + "\n"
    rows = max(len(left), len(right))
    left += [""] * (rows - len(left))
    right += [""] * (rows - len(right))
    return "\n".join(f"{a:<{left_width}}{GAP}{b}".rstrip() for a, b in zip(left, right, strict=True)) + "\n"


def main(argv=None):
    args = parse_args(argv)
    flags = [f"--{name.replace('_', '-')}={value}" for name, value in vars(args).items()
             if value is not None and name not in ("plot", "report_json")]
    with tempfile.TemporaryDirectory() as folder:  # inside this run's own $TMPDIR: see process.py
        print(f"training {' and '.join(SCRIPTS)} at once; each says how far it is every {fixed_rnn.PRINT_EVERY} "
              "steps, then both reports follow", file=sys.stderr, flush=True)
        done = run_all([(script, flags) for script in SCRIPTS], len(SCRIPTS), folder,  # both at once, one a core
                       progress=lambda line: print(line, end="", file=sys.stderr, flush=True))
    sys.stderr.write("".join(err for _, err, _ in done))
    both = {script: summary for script, (_, _, summary) in zip(SCRIPTS, done, strict=True)}
    if args.report_json:  # the files first: a stdout that fails cannot lose them
        report.write_json(args.report_json, both)
    if args.plot:
        report.plot_curves(args.plot, list(both.values()))
    texts = (heading(script) + out for script, (out, _, _) in zip(SCRIPTS, done, strict=True))
    print(side_by_side(*texts, shutil.get_terminal_size().columns), end="")
    return both


if __name__ == "__main__":
    process.run_as_tool(main)  # Ctrl-C or SIGTERM ends both scripts too: see process.py
