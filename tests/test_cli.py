"""Flags, bad input, files written, and the side-by-side view."""
import ast
import difflib
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import ROOT, run

import side_by_side

BAD_FLAGS = [
    ["--steps", "0"],
    ["--steps", "-3"],
    ["--steps", "ten"],
    ["--steps", "1.5"],
    ["--seed", "-1"],
    ["--eval-positions", "0"],
    ["--report-json", "/no/such/folder/report.json"],
    ["--report-json", "."],  # a folder, not a file
    ["--batch-size", "0"],
    ["--seq-len", "-2"],
    ["--seq-len", "many"],
    ["--batch-size", "1", "--seq-len", "5"],  # too short for the probe's positions 1, 2, 3, 5
    ["--batch-size", "1000", "--seq-len", "1000"],  # a million positions a batch
    ["--eval-positions", "100000000000"],
    ["--plot", "curve.txt"],  # not a .png
    ["--plot", "/no/such/folder/curve.png"],
    ["--no-such-flag"],
    ["--units", "0"],
    ["--units", "5000"],
    ["--layers", "-1"],
    ["--optimizer", "rmsprop"],
    ["--learning-rate", "nan"],
    ["--learning-rate", "inf"],
    ["--learning-rate", "0"],
    ["--learning-rate", "-0.1"],
    ["--state", "keep"],
    ["--seed", "4294967296"],  # 2**32: NumPy's and Keras's seeds take 32 bits
    ["--report-json", ""],
    ["--report-json", "tests/"],  # a folder
    ["--report-json", "/proc/x.json"],  # where even root cannot make a file
    ["--eval-positions", "1000001"],
    ["--batch-size", "1", "--seq-len", "6", "--eval-positions", "200000"],  # 33,334 batches of 6, scored in turn
    ["--batch-size", "1000", "--seq-len", "100", "--units", "1024", "--layers", "16"],  # about 112 GiB
]


SCRIPTS = ["broken_rnn.py", "fixed_rnn.py", "side_by_side.py"]  # experiments.py: see below
AS_A_USER = [  # one bad flag of each kind, run as a user runs it; the rest are checked in-process
    ["--steps", "0"],  # a value its type refuses
    ["--no-such-flag"],
    ["--seed", "4294967296"],
    ["--report-json", "/proc/x.json"],  # a path checked by making a file there
    ["--batch-size", "1", "--seq-len", "5"],  # checked after parsing, across flags
    ["--batch-size", "1000", "--seq-len", "100", "--units", "1024", "--layers", "16"],  # the memory estimate
]


@pytest.fixture(scope="module")
def refusals():
    """Every script run with each of AS_A_USER, four processes at a time (none loads TensorFlow)."""
    cases = [(script, tuple(flags)) for script in SCRIPTS for flags in AS_A_USER]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(cases, pool.map(lambda case: run(case[0], *case[1]), cases), strict=True))


@pytest.mark.parametrize("script, flags", [(script, flags) for script in SCRIPTS for flags in AS_A_USER],
                         ids=lambda value: " ".join(value) if isinstance(value, list) else value)
def test_bad_input_is_one_line_and_exit_2(script, flags, refusals):
    result = refusals[script, tuple(flags)]  # side_by_side.py refuses the flags it does not have, too
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr  # one line, no traceback
    assert script in result.stderr and result.stdout == ""


@pytest.fixture(scope="module")
def parsers():
    """Each script's own parse_args, imported here. Importing a training script imports
    quiet_tf, which sets TensorFlow's switches in the environment: put it back as it was, so
    that the runs this suite starts do not inherit them (they must set them themselves)."""
    saved = dict(os.environ)
    import broken_rnn
    import fixed_rnn

    os.environ.clear()
    os.environ.update(saved)
    return {"broken_rnn.py": broken_rnn.parse_args, "fixed_rnn.py": fixed_rnn.parse_args,
            "side_by_side.py": side_by_side.parse_args}


@pytest.mark.parametrize("flags", BAD_FLAGS, ids=" ".join)
def test_every_bad_flag_is_refused_in_one_line(flags, parsers, capsys):
    # the parsers the scripts run (cli.py): for every script, the same refusal as AS_A_USER's
    for script, parse_args in parsers.items():
        with pytest.raises(SystemExit) as refused:
            parse_args(flags)
        out, err = capsys.readouterr()
        assert refused.value.code == 2, script
        assert len(err.splitlines()) == 1 and out == "", (script, err)


def test_plot_without_matplotlib_says_how_to_get_it(tmp_path, runs):
    without_matplotlib = {**os.environ, **runs["broken, one lane"].settings_changed}
    result = run("fixed_rnn.py", "--plot", tmp_path / "curve.png", env=without_matplotlib)
    assert result.returncode == 2 and "pip install -r requirements-plot.txt" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    # ... and without --plot the script does not need matplotlib at all (that run had none either)
    result = runs["broken, one lane"]
    assert result.returncode == 0 and "verdict:" in result.stdout


def changed_lines(ours, theirs):
    """Line numbers (1-based) of `ours` that differ from `theirs`."""
    matcher = difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False)
    return {i + 1 for tag, i1, i2, _, _ in matcher.get_opcodes() if tag != "equal" for i in range(i1, i2)}


def layout_lines(source):
    """Line numbers where the two scripts may differ: the docstring, the shape settings,
    and the bodies of to_lanes and from_lanes."""
    tree = ast.parse(source)
    allowed = set(range(1, tree.body[0].end_lineno + 1))  # the module docstring
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in ("to_lanes", "from_lanes"):
            allowed |= set(range(node.lineno, node.end_lineno + 1))
        if isinstance(node, ast.Assign) and node.targets[0].id in ("BATCH_SIZE", "SEQ_LEN"):
            allowed.add(node.lineno)
    return allowed


def test_the_diff_is_only_the_layout():
    broken = (ROOT / "broken_rnn.py").read_text().splitlines()
    fixed = (ROOT / "fixed_rnn.py").read_text().splitlines()
    diff = [line for line in difflib.unified_diff(broken, fixed, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert 0 < len(diff) <= 20, "\n".join(diff)  # the lesson fits on one screen
    for ours, theirs in ((broken, fixed), (fixed, broken)):
        outside = changed_lines(ours, theirs) - layout_lines("\n".join(ours))
        assert not outside, [ours[i - 1] for i in sorted(outside)]


def test_side_by_side_puts_two_reports_in_columns():
    text = side_by_side.side_by_side("a\nlonger line\n", "x\ny\nz\n", width=80)
    assert text.splitlines() == ["a            |  x", "longer line  |  y", "             |  z"]


def test_side_by_side_puts_them_one_after_the_other_when_columns_do_not_fit():
    # 11 + 5 + 1 = 17 columns are needed: at 16 nothing may wrap, so the blocks are stacked
    text = side_by_side.side_by_side("a\nlonger line\n", "x\ny\n", width=16)
    assert text.splitlines() == ["a", "longer line", "", "x", "y"]
    assert side_by_side.side_by_side("a\nlonger line\n", "x\ny\n", width=17).count("|") == 2


def test_side_by_side_runs_both_scripts_and_fits_80_columns(runs):
    result = runs["side by side"]  # --steps 20 --eval-positions 100 --plot, in 80 columns
    assert result.returncode == 0 and result.stderr == ""
    assert result.plot.read_bytes().startswith(b"\x89PNG")
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80, max(lines, key=len)
    # the two reports one after the other, each under its heading
    assert lines[0] == "== broken_rnn.py" and lines.count("== fixed_rnn.py") == 1
    assert lines.index("== fixed_rnn.py") > next(i for i, line in enumerate(lines) if "verdict:" in line)
    assert result.stdout.count("verdict:") == 2


@pytest.mark.parametrize("flags", [["--jobs", "0"], ["--out", "/no/such/folder"], ["--steps", "5"]], ids=" ".join)
def test_experiments_refuses_bad_input_in_one_line(flags):
    result = run("experiments.py", *flags)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "experiments.py" in result.stderr and result.stdout == ""


def test_experiments_quick_writes_its_table(runs):
    result = runs["experiments, quick"]  # experiments.py --quick --out FOLDER
    assert result.returncode == 0, result.stderr
    table = (result.plot.parent / "experiments.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ")][2:]  # under the heading
    assert len(rows) == 2  # one model, one state policy, one seed: a row for each layout
    assert rows[0].startswith("| broken") and rows[1].startswith("| fixed")
    assert table in result.stdout  # what it wrote is what it printed
    assert result.plot.read_bytes().startswith(b"\x89PNG")
