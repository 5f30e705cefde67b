"""Flags, bad input, files written, and the side-by-side view."""
import ast
import difflib
import os
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import ROOT, run, start

import report
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
]


SCRIPTS = ["broken_rnn.py", "fixed_rnn.py", "side_by_side.py"]


@pytest.fixture(scope="module")
def refusals():
    """Every script run with every bad flag, four processes at a time (none loads TensorFlow)."""
    cases = [(script, tuple(flags)) for script in SCRIPTS for flags in BAD_FLAGS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(cases, pool.map(lambda case: run(case[0], *case[1]), cases), strict=True))


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("flags", BAD_FLAGS, ids=" ".join)
def test_bad_input_is_one_line_and_exit_2(script, flags, refusals):
    result = refusals[script, tuple(flags)]  # side_by_side.py refuses the flags it does not have, too
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr  # one line, no traceback
    assert script in result.stderr and result.stdout == ""


def test_a_killed_run_leaves_no_report_file(tmp_path):
    # the report is written at the very end, whole or not at all
    process, _ = start("fixed_rnn.py", report_path=tmp_path / "report.json")
    for line in process.stdout:  # wait until it is training
        if line.startswith("step"):
            break
    process.send_signal(signal.SIGINT)  # Ctrl-C
    _, errors = process.communicate(timeout=60)
    assert process.returncode != 0 and list(tmp_path.iterdir()) == []
    assert "Traceback" not in errors, errors  # a line saying so, not a traceback


def test_write_atomically_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old")

    def write_half_then_crash(out):
        out.write(b"half")
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        report.write_atomically(path, write_half_then_crash)
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["report.json"]  # no leftovers
    report.write_atomically(path, lambda out: out.write(b"new"))
    assert path.read_text() == "new" and os.listdir(tmp_path) == ["report.json"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~report.UMASK  # readable as any new file is


def test_plot_without_matplotlib_says_how_to_get_it(tmp_path, runs):
    without_matplotlib = {**os.environ, **runs["broken, 3 x 4"].settings_changed}
    result = run("fixed_rnn.py", "--plot", tmp_path / "curve.png", env=without_matplotlib)
    assert result.returncode == 2 and "pip install -r requirements-plot.txt" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    # ... and without --plot the script does not need matplotlib at all (that run had none either)
    result = runs["broken, 3 x 4"]
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


def test_side_by_side_runs_both_scripts_and_fits_80_columns(tmp_path):
    picture = tmp_path / "both.png"
    result = run("side_by_side.py", "--steps", "20", "--eval-positions", "100", "--plot", picture,
                 env={**os.environ, "COLUMNS": "80"})  # a common terminal width, and too narrow for columns
    assert result.returncode == 0 and result.stderr == ""
    assert picture.read_bytes().startswith(b"\x89PNG")
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80, max(lines, key=len)
    # the two reports one after the other, each under its heading
    assert lines[0] == "== broken_rnn.py" and lines.count("== fixed_rnn.py") == 1
    assert lines.index("== fixed_rnn.py") > next(i for i, line in enumerate(lines) if "verdict:" in line)
    assert result.stdout.count("verdict:") == 2
