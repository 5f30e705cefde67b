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
import shutil
import sys
import tempfile

import cli
import process
import report

SCRIPTS = ("broken_rnn.py", "fixed_rnn.py")
GAP = "  |  "


def parse_args(argv=None):
    parser = cli.Parser(description=cli.first_line(__doc__),
                        epilog="A flag left out keeps each script's own default (see fixed_rnn.py --help).")
    cli.add_training_flags(parser)  # no defaults: each script keeps its own
    cli.add_output_flags(parser, report="both reports ({script: its --report-json})", plot="both learning curves")
    args = parser.parse_args(argv)
    cli.refuse_without_room(parser, sum(cli.script_memory(script, args.units, args.layers) for script in SCRIPTS),
                            "both scripts at once need", "use a smaller --units or --layers")
    cli.asked(parser, args.report_json, args.plot)
    return args


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
    with tempfile.TemporaryDirectory() as folder:  # inside this run's own $TMPDIR: see process.run
        runs = [process.Script(script, flags, folder) for script in SCRIPTS]  # both train at once, one a core
        outputs, summaries = [], []
        for out, errors, summary in process.finish_all(runs):  # the first to fail ends the other, and this run
            sys.stderr.write(errors)
            outputs.append(out)
            summaries.append(summary)
    if args.report_json:  # the files first: a stdout that fails cannot lose them
        process.write_json(args.report_json, dict(zip(SCRIPTS, summaries, strict=True)))
    if args.plot:
        report.plot_curves(args.plot, summaries)
    texts = (heading(script) + out for script, out in zip(SCRIPTS, outputs, strict=True))
    print(side_by_side(*texts, shutil.get_terminal_size().columns), end="")


if __name__ == "__main__":
    process.run(main)  # Ctrl-C or SIGTERM ends both scripts too: see process.run
