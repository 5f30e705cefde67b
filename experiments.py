"""Would a bigger model, Adam or longer training fix the broken layout? A grid of runs.

    python experiments.py              # 36 runs: the table, .json and .png in a new folder experiments-N
    python experiments.py --out docs   # ... written into docs/experiments.md, .json and .png instead
    python experiments.py --quick      # 2 short runs, to see that it works; their figures mean nothing

Both scripts, with three models, under both state policies (--state carry, the seed's, and
--state reset), over three seeds. Each run goes through --report-json, as in side_by_side.py,
two at a time (one a core). The table gives the held-out accuracy and cross-entropy of each
layout, model and policy, as the mean over the seeds with the lowest and highest, beside the
best that the layout allows (lanes.best_possible). The table goes into FOLDER/experiments.md
(between the markers TABLE_START and TABLE_END, where the page has them, as docs/ does), the
figures of every run into FOLDER/experiments.json (for docs/, the test suite rebuilds the table
from them, and checks three runs against its own), and a picture into FOLDER/experiments.png.
"""
import importlib.util
import itertools
import os
import sys
import tempfile
from itertools import product
from pathlib import Path

import numpy as np

import cli
import files
import memory
import process
import report
import side_by_side

SCRIPTS = {"broken_rnn.py": "broken (time, batch)", "fixed_rnn.py": "fixed (batch, time)"}
MODELS = {  # what people try first when an LSTM is stuck: a bigger model, Adam, longer training
    "the seed's: 5 units x 2 layers, SGD 0.1": (),
    "big: 32 units x 2 layers, Adam 0.01": ("--units", "32", "--optimizer", "adam"),
    "long: the seed's, 10,000 steps": ("--steps", "10000"),
}
SHORT = dict(zip(MODELS, ("the seed's", "32 units, Adam", "10,000 steps"), strict=True))  # as the picture says
SEEDS = (0, 1, 2)
QUICK = {"models": list(MODELS)[:1], "states": list(report.STATE_NAMES)[:1], "seeds": SEEDS[:1],
         "steps": 20, "eval_positions": 100}  # a smoke test, not a result
TABLE_START = "<!-- the table: written by python experiments.py -->\n"
TABLE_END = "<!-- end of the table -->\n"
KEPT = ("script", "settings", "held_out", "best_possible")  # of each run's report, in the .json


def parse_args(argv=None):
    parser = cli.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"one model, one policy, one seed, {QUICK['steps']} steps: checks that the grid runs")
    parser.add_argument("--out", metavar="FOLDER",
                        help="folder for experiments.md, .json and .png (default: a new folder experiments-N "
                        "here; --out docs rewrites the project's pages; with --quick, none: the table is only printed)")
    parser.add_argument("--jobs", type=cli.number(int, 1, 64), default=2,
                        help="runs at a time: one a core of a 2-core machine")
    args = parser.parse_args(argv)
    if not report.can_draw() or importlib.util.find_spec("tqdm") is None:  # draw(); the progress bar
        parser.error(f"needs matplotlib and tqdm, which are not both installed: {report.PLOT_REQUIREMENTS}")
    if args.out == "":
        parser.error("argument --out: expected a folder, got an empty name")
    new = args.out is None and not args.quick
    if new:  # a folder of its own, made once the other checks pass
        args.out = next(f"experiments-{n}" for n in itertools.count(1) if not os.path.exists(f"experiments-{n}"))
    if args.out and not new:  # every file the grid writes, checked before the first run starts
        for path in outputs(args.out):
            if why := files.writable(str(path)):
                parser.error(f"--out {args.out}: {why}")
    runs = grid(args.quick)
    at_once = min(args.jobs, len(runs))
    one = max(side_by_side.memory_needed(script, int(flags[flags.index("--units") + 1]) if "--units" in flags else None)
              for script, *_, flags in runs)
    if why := memory.refusal(at_once * one, *((f"{at_once} runs at once need", "use fewer --jobs")
                                             if at_once > 1 else ("a run needs",))):
        parser.error(why)
    if new:
        try:
            os.mkdir(args.out)
        except OSError as error:
            parser.error(f"cannot make the folder {args.out}: {error.strerror} (give --out FOLDER)")
    if args.out:
        process.asked(*map(str, outputs(args.out)))
    return args


def grid(quick):
    """Every run as (script, model name, state, seed, flags)."""
    models, states, seeds = ((QUICK["models"], QUICK["states"], QUICK["seeds"]) if quick
                             else (MODELS, list(report.STATE_NAMES), SEEDS))
    extra = ("--steps", str(QUICK["steps"]), "--eval-positions", str(QUICK["eval_positions"])) if quick else ()
    return [(script, model, state, seed, (*MODELS[model], "--state", state, "--seed", str(seed), *extra))
            for script, model, state, seed in product(SCRIPTS, models, states, seeds)]


def spread(values):
    return f"{np.mean(values):.4f} ({min(values):.4f} to {max(values):.4f})"


def table(rows):
    """The Markdown table: one line for each layout, model and state policy."""
    lines = ["| layout | model | state | held-out accuracy: mean (min to max) | best allowed "
             "| cross-entropy, nats: mean (min to max) | lowest allowed |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for (script, model, state), summaries in rows.items():
        best = summaries[0]["best_possible"]
        lines.append(f"| {SCRIPTS[script]} | {model} | {state} "
                     f"| {spread([s['held_out']['accuracy'] for s in summaries])} | {best['accuracy']:.4f} "
                     f"| {spread([s['held_out']['cross_entropy'] for s in summaries])} "
                     f"| {best['cross_entropy']:.4f} |")
    seeds = sorted({s["settings"]["seed"] for summaries in rows.values() for s in summaries})
    return ("\n".join(lines) + f"\n\nSeeds {', '.join(map(str, seeds))}; held-out positions: "
            f"{rows[next(iter(rows))][0]['held_out']['positions']} and more a run.\n")


def draw(path, rows):
    """Held-out accuracy and cross-entropy of every run, a column a layout on the same scales, with
    the best the layout allows: what a model can expect, and the spread that chance gives a
    measurement of that many positions (two standard deviations each way)."""
    figure, axes = report.new_figure(2, len(SCRIPTS), (6.5 * len(SCRIPTS), 8.5), sharey="row")
    for column, script in enumerate(SCRIPTS):
        mine = [key for key in rows if key[0] == script]
        best, positions = rows[mine[0]][0]["best_possible"], rows[mine[0]][0]["held_out"]["positions"]
        for row, (measure, label) in enumerate((("accuracy", "held-out accuracy"),
                                                 ("cross_entropy", "held-out cross-entropy, nats"))):
            axis = axes[row][column]
            for x, key in enumerate(mine):
                values = [s["held_out"][measure] for s in rows[key]]
                axis.scatter(x + np.linspace(-0.15, 0.15, len(values)), values, s=22, zorder=3,
                             color="C0" if key[2] == "carry" else "C1", label=report.STATE_NAMES[key[2]])
            axis.axhline(best[measure], color="C2", linestyle="--", label="best this layout allows, in expectation")
            if measure == "accuracy":
                spread = 2 * np.sqrt(best[measure] * (1 - best[measure]) / positions)
                axis.axhspan(best[measure] - spread, best[measure] + spread, color="C2", alpha=0.2,
                             label=f"its chance spread over {positions:,} positions (2 standard deviations)")
            axis.set_xticks(range(len(mine)), [f"{SHORT[key[1]]}\n{key[2]}" for key in mine], fontsize=8)
            axis.set_ylabel(label)
            axis.set_title(f"{SCRIPTS[script]}: {'best' if row == 0 else 'lowest'} allowed {best[measure]:.4f}")
    handles, labels = axes[0][0].get_legend_handles_labels()
    shown = dict(zip(labels, handles, strict=True))  # each label once
    figure.legend(shown.values(), shown.keys(), loc="outside lower center", ncols=2, fontsize="small")
    report.save_figure(figure, path, dpi=90)


def main(argv=None):
    args = parse_args(argv)
    from tqdm import tqdm

    jobs, out = grid(args.quick), args.out
    with tempfile.TemporaryDirectory() as scratch:  # the first run to fail stops the grid
        bar = lambda ended: tqdm(ended, total=len(jobs), desc="runs", unit="run", file=sys.stderr,  # noqa: E731
                                 disable=not sys.stderr.isatty())  # a bar for a person only
        done = side_by_side.run_all([(script, flags) for script, *_, flags in jobs], args.jobs, scratch, bar)
    runs = [dict(model=model, state=state, seed=seed, **{key: summary[key] for key in KEPT})
            for (_, model, state, seed, _), (_, _, summary) in zip(jobs, done, strict=True)]
    text = table(grouped(runs))
    if out:  # the files first: a stdout that fails cannot lose them
        write(Path(out), text, runs)
    print(text, end="")
    if args.quick:
        print(f"\n--quick: {QUICK['steps']} steps and {QUICK['eval_positions']} held-out positions a run, far too "
              "few for these figures to mean anything; they show that the grid runs.")
    if out:
        print(f"\nwritten: {', '.join(map(str, outputs(out)))}")


def grouped(runs):
    """(script, model, state): the runs of its seeds, in grid order."""
    rows = {}
    for summary in runs:
        rows.setdefault((summary["script"], summary["model"], summary["state"]), []).append(summary)
    return rows


def table_in(page):
    """The table between the markers of a page, or None if it has no markers."""
    start, end = page.find(TABLE_START), page.find(TABLE_END)
    return page[start + len(TABLE_START):end] if 0 <= start < end else None


def outputs(out):
    """The files the grid writes in folder `out`: the page with the table, the figures, the picture."""
    return [Path(out) / f"experiments.{end}" for end in ("md", "json", "png")]


def write(out, text, runs):
    """The table into the page (between the markers, if it has them; else the table alone),
    the figures of every run, and the picture: see `outputs`."""
    page_path, figures_path, picture_path = outputs(out)
    page = page_path.read_text() if page_path.exists() else ""
    old = table_in(page)
    page = text if old is None else page.replace(TABLE_START + old + TABLE_END, TABLE_START + text + TABLE_END)
    files.write_file(page_path, page.encode())
    report.write_json(figures_path, runs)
    draw(picture_path, grouped(runs))


if __name__ == "__main__":
    process.run_as_tool(main)  # Ctrl-C or SIGTERM ends the runs under way too: see process.py
