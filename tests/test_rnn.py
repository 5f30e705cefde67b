"""broken_rnn.py and fixed_rnn.py: what they learn, what they print and write, and the diff between them.
The runs are conftest.py's (`runs.NAME`); each test says which it reads."""
import ast
import difflib
import json
import math
import os
import tempfile

import numpy as np
import pytest
from conftest import ROOT, run

import experiments
import lanes
import report

EVEN, ODD = [0, 2], [1, 3]  # the pairs that share a current bit


def test_fixed_learns_all_four_classes(runs):
    fixed = runs.fixed
    assert fixed.returncode == 0
    assert fixed.report["held_out"]["accuracy"] >= 0.985
    assert fixed.report["held_out"]["positions"] >= 10_000
    for row, probs in enumerate(fixed.report["probe"]["probabilities"]):
        # probe row i is the position whose class is i: the model must be sure of it
        assert max(range(4), key=probs.__getitem__) == row and probs[row] >= 0.9, (row, probs)
    assert fixed.report["verdict"] == "learned all four classes"


def test_broken_only_tells_the_current_bit(runs):
    broken = runs.broken
    assert broken.returncode == 0
    held_out = broken.report["held_out"]
    assert held_out["accuracy"] <= 0.55  # about a coin flip between the two classes of a pair
    assert held_out["current_bit_accuracy"] >= 0.98  # ... but it always picks the right pair
    for row, probs in enumerate(broken.report["probe"]["probabilities"]):
        pair = EVEN if row in EVEN else ODD
        assert sum(probs[c] for c in pair) >= 0.95, (row, probs)  # mass on the right pair
        assert max(probs) <= 0.75, (row, probs)  # but split inside it: no class stands out
    assert broken.report["verdict"].startswith("confuses 0<->2 and 1<->3")


def test_confusion_shows_the_pairs(runs):
    # broken: almost nothing leaves its pair, and within a pair the errors are many
    counts = runs.broken.report["held_out"]["confusion"]
    across_pairs = sum(counts[t][p] for t in range(4) for p in range(4) if t % 2 != p % 2)
    within_pairs = sum(counts[t][p] for t in range(4) for p in range(4) if t != p and t % 2 == p % 2)
    assert across_pairs <= 0.02 * sum(map(sum, counts))
    assert within_pairs >= 0.4 * sum(map(sum, counts))


def training_runs(runs):
    """Every shared run of broken_rnn.py or fixed_rnn.py that trained to its end."""
    return [runs.broken, runs.fixed, runs.broken_one_lane, runs.fixed_reset]


def test_report_json_matches_what_was_printed(runs):
    for result in training_runs(runs):
        held_out = result.report["held_out"]
        accuracy_line = next(line for line in result.stdout.splitlines() if line.startswith("  accuracy "))
        assert accuracy_line.split()[1:] == [f"{held_out['accuracy']:.4f}",
                                             f"{result.report['best_possible']['accuracy']:.4f}"]
        assert f"verdict: {result.report['verdict']}" in result.stdout
        assert len(result.report["loss_history"]) == result.report["settings"]["steps"]
        assert result.report["timing"]["train_seconds"] > 0


def test_a_normal_run_is_quiet(runs):
    # no TensorFlow, absl, CUDA or oneDNN lines: stderr is empty, stdout is the report, at every
    # shape the suite trains (runs.fixed_reset asks for TensorFlow's whole log: test_quiet_tf.py)
    for result in (runs.broken, runs.fixed, runs.broken_one_lane):
        assert result.stderr == "", result.command
        assert result.stdout.splitlines()[0] == result.report["title"]


JSON_REL = 1e-6  # the JSON's floats agree to this, relative: XLA compiles for the CPU it runs on


def test_same_seed_same_report(runs):
    # experiments.py saved the figures of its runs (docs/experiments.json): three of them have the
    # settings of runs the suite makes today, and today's give the same figures. The counts (the
    # confusion matrix, the positions) are equal; the floats agree to JSON_REL, which a CPU with
    # AVX-512 meets (it differed in the 8th digit) and a change of the model or the data does not
    _, figures_path, _ = experiments.outputs(ROOT / "docs")
    saved = {(f["script"], f["model"], f["state"], f["seed"]): f for f in json.loads(figures_path.read_text())}
    seed_model = list(experiments.MODELS)[0]  # the seed's: 5 units x 2 layers, SGD 0.1
    for key, result in [(("broken_rnn.py", seed_model, "carry", 0), runs.broken),
                        (("fixed_rnn.py", seed_model, "carry", 0), runs.fixed),
                        (("fixed_rnn.py", seed_model, "reset", 0), runs.fixed_reset)]:
        assert saved[key]["settings"] == result.report["settings"], key
        today, then = result.report["held_out"], saved[key]["held_out"]
        assert sorted(today) == sorted(then), key
        for name, value in today.items():
            if isinstance(value, float):
                assert value == pytest.approx(then[name], rel=JSON_REL, abs=0), (key, name)
            else:
                assert value == then[name], (key, name)


def test_the_json_tolerance_catches_a_real_change(runs):
    # the tolerance above is not so wide that a different run passes: another state policy, or one
    # position more or less right in 10,000, is far outside it
    reset, carry = runs.fixed_reset.report["held_out"], runs.fixed.report["held_out"]
    assert carry["cross_entropy"] != pytest.approx(reset["cross_entropy"], rel=JSON_REL)
    assert carry["accuracy"] != pytest.approx(carry["accuracy"] + 1 / carry["positions"], rel=JSON_REL)


def test_lane_maps_of_the_seed_layouts(runs):
    broken, fixed = runs.broken.report["lanes"], runs.fixed.report["lanes"]
    # the question's layout: lane i holds positions i and 50 + i, never two neighbours
    assert broken["first_lanes"] == [[0, 50], [1, 51], [2, 52]] and broken["lanes"] == 50
    assert (broken["seen_previous"], broken["targets"]) == (0, 100)
    # the answer's layout: lane i holds the run 50 i ... 50 i + 49
    assert fixed["first_lanes"][1] == list(range(50, 100)) and fixed["lanes"] == 7
    assert (fixed["seen_previous"], fixed["targets"]) == (343, 350)
    assert "previous bit read earlier in the same lane: 0 of 100" in runs.broken.stdout


def test_the_best_each_layout_allows(runs):
    broken, fixed = runs.broken.report, runs.fixed.report
    assert broken["best_possible"]["accuracy"] == pytest.approx(0.505, abs=1e-9)
    assert broken["best_possible"]["cross_entropy"] == pytest.approx(0.69305, abs=1e-5)  # just under ln 2
    assert fixed["best_possible"]["accuracy"] == pytest.approx(0.9914, abs=1e-4)
    assert fixed["best_possible"]["cross_entropy"] == pytest.approx(0.0137, abs=1e-4)
    for summary in (broken, fixed):
        # the trained models get to their layout's ceiling, not merely near a threshold
        assert abs(summary["held_out"]["accuracy"] - summary["best_possible"]["accuracy"]) <= 0.01
        floors = summary["loss_floors"]
        assert floors["guessing (ln 4)"] == pytest.approx(math.log(4))
        assert floors["best this layout allows"] == summary["best_possible"]["cross_entropy"]


def test_the_broken_layout_learns_with_one_lane(runs):
    # batch size 1: the question's reshape then keeps the whole stream in one lane
    one_lane = runs.broken_one_lane.report
    assert one_lane["lanes"]["first_lanes"] == [list(range(50))]
    assert one_lane["held_out"]["accuracy"] >= 0.97
    assert one_lane["verdict"] == "learned all four classes"


def test_lane_map_follows_the_shape_flags(runs):
    result = runs.broken_one_lane  # --batch-size 1 --seq-len 50
    assert result.returncode == 0, result.stderr
    settings = result.report["settings"]
    batch, time = settings["batch_size"], settings["seq_len"]
    # the script's own reshape, written out again: the question's (time, batch), read as lanes
    expected = np.arange(batch * time).reshape(time, batch).T
    summary = result.report["lanes"]
    assert summary["first_lanes"] == expected[:3].tolist()
    assert summary["seen_previous"] == lanes.seen_previous(expected).sum() == 49
    assert result.report["best_possible"] == lanes.best_possible(expected)
    assert "lane 0 -> 0 ... 49" in result.stdout


def test_resetting_the_state_takes_away_what_carrying_it_costs(runs):
    reset, carry = runs.fixed_reset.report, runs.fixed.report
    assert reset["settings"]["state"] == "reset" and carry["settings"]["state"] == "carry"
    assert "| state reset" in runs.fixed_reset.stdout
    assert reset["held_out"]["accuracy"] >= 0.985
    assert reset["held_out"]["cross_entropy"] <= 0.03  # carried: about 0.056; the floor is 0.0137
    assert reset["held_out"]["cross_entropy"] < carry["held_out"]["cross_entropy"]
    # what it still gets wrong is a lane's first step, whose previous bit is in no lane it has
    # read: from zeros it bets on "previous bit 0" (lane 0 starts the stream, whose predecessor
    # is 0), so its errors read 2 as 0 and 3 as 1, hardly ever 0 as 2 or 1 as 3
    counts = reset["held_out"]["confusion"]
    assert counts[2][0] + counts[3][1] >= 0.9 * (counts[2][0] + counts[3][1] + counts[0][2] + counts[1][3])


# --- a run that diverges --------------------------------------------------------------------
def test_a_run_whose_loss_is_nan_says_so_and_its_json_stays_strict(runs, tmp_path):
    # what a run prints and writes once its loss is NaN (--learning-rate 1e300 does that at once): a
    # real report, as the broken layout wrote it, with the loss from step 1 on made NaN
    summary = json.loads(json.dumps(runs.broken.report))
    summary["loss_history"][1:] = [math.nan] * (len(summary["loss_history"]) - 1)
    summary["verdict"] = report.verdict(summary["held_out"], summary["loss_history"])
    assert summary["verdict"] == "diverged: the loss became nan at step 1, so nothing was learned"
    printed = report.outcome(summary)
    assert ("training stopped: the loss became nan at step 1. Try a lower --learning-rate (this run's was 0.1)"
            in printed)
    assert printed.rstrip().endswith(f"verdict: {summary['verdict']}")
    report.write_json(str(tmp_path / "report.json"), summary)
    written = json.loads((tmp_path / "report.json").read_text(), parse_constant=refuse)  # what JSON.parse accepts
    assert written["loss_history"][1] is None  # NaN is written as null: strict JSON


def refuse(constant):
    raise ValueError(constant)


def test_the_model_flags_reach_the_report(runs):
    # runs.interrupted: --units 8 --optimizer adam --learning-rate 0.05, in the header it prints first
    header = runs.interrupted.stdout.splitlines()[:3]
    assert "| 2 LSTM layers x 8 |" in header[1] and "| Adam 0.05, clip 10" in header[2], header


def test_the_verdict_never_calls_a_diverged_run_learned():
    learned = {"accuracy": 0.99, "current_bit_accuracy": 1.0}
    assert report.verdict(learned, [1.3, 0.1]) == "learned all four classes"
    assert report.verdict(learned, [1.3, math.inf, math.nan]).startswith("diverged: the loss became inf at step 1")
    assert report.verdict(learned, [1.3, 2.9e28, 8.6e29]).startswith("diverged: the loss became 2.9e+28 at step 1")


def test_one_step_is_one_step():
    settings = dict(seed=0, steps=1, batch_size=7, seq_len=50, units=5, layers=2, optimizer="sgd",
                    learning_rate=0.1, state="carry", clip_norm=10.0)
    assert "| 1 step |" in report.header("title", settings)
    assert "| 2 steps |" in report.header("title", {**settings, "steps": 2})


def test_plot_without_matplotlib_says_how_to_get_it(runs, tmp_path):
    without_matplotlib = runs.broken_one_lane.env  # PYTHONPATH: a matplotlib that fails to import
    result = run("fixed_rnn.py", "--plot", tmp_path / "curve.png", env=without_matplotlib)
    assert result.returncode == 2 and "pip install -r requirements-plot.txt" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    # ... and without --plot the script does not need matplotlib at all (that run had none either)
    assert runs.broken_one_lane.returncode == 0 and "verdict:" in runs.broken_one_lane.stdout


# --- the diff is the lesson -------------------------------------------------------------------
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


def test_a_home_that_takes_no_files_gets_matplotlibs_folder_from_the_run(monkeypatch, tmp_path):
    # a read-only $HOME (a container's): matplotlib would warn on stderr; its folder goes into the
    # run's own temporary folder instead, which the run removes
    monkeypatch.delenv("MPLCONFIGDIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "no-home"))  # a home that takes no files, even from root
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the run's own temporary folder
    assert report.can_draw()
    assert os.environ["MPLCONFIGDIR"].startswith(str(tmp_path / "matplotlib-"))
