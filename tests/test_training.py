"""Both scripts trained at their defaults (the seed's settings), read through --report-json."""
import json
import math

import numpy as np
import pytest

import data

EVEN, ODD = [0, 2], [1, 3]  # the pairs that share a current bit


def test_fixed_learns_all_four_classes(runs):
    fixed = runs["fixed"]
    assert fixed.returncode == 0
    assert fixed.report["held_out"]["accuracy"] >= 0.985
    assert fixed.report["held_out"]["positions"] >= 10_000
    for row, probs in enumerate(fixed.report["probe"]["probabilities"]):
        # probe row i is the position whose class is i: the model must be sure of it
        assert max(range(4), key=probs.__getitem__) == row and probs[row] >= 0.9, (row, probs)
    assert fixed.report["verdict"] == "learned all four classes"


def test_broken_only_tells_the_current_bit(runs):
    broken = runs["broken"]
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
    counts = runs["broken"].report["held_out"]["confusion"]
    across_pairs = sum(counts[t][p] for t in range(4) for p in range(4) if t % 2 != p % 2)
    within_pairs = sum(counts[t][p] for t in range(4) for p in range(4) if t != p and t % 2 == p % 2)
    assert across_pairs <= 0.02 * sum(map(sum, counts))
    assert within_pairs >= 0.4 * sum(map(sum, counts))


def test_report_json_matches_what_was_printed(runs):
    for result in (result for result in runs.values() if result.report):
        held_out = result.report["held_out"]
        accuracy_line = next(line for line in result.stdout.splitlines() if line.startswith("  accuracy "))
        assert accuracy_line.split()[1:] == [f"{held_out['accuracy']:.4f}",
                                             f"{result.report['best_possible']['accuracy']:.4f}"]
        assert f"verdict: {result.report['verdict']}" in result.stdout
        assert len(result.report["loss_history"]) == result.report["settings"]["steps"]
        assert result.report["timing"]["train_seconds"] > 0


def test_a_normal_run_is_quiet(runs):
    # no TensorFlow, absl, CUDA or oneDNN lines: stderr is empty, stdout is the report
    untouched = [result for result in runs.values()  # every run whose TensorFlow settings we left alone
                 if not any(name.startswith("TF_") for name in result.settings_changed)]
    assert len(untouched) >= 5
    for result in untouched:  # every shape
        assert result.stderr == ""
        assert result.stdout.splitlines()[0].startswith("The ")


def test_same_seed_same_report(runs):
    # a second run with the same (default) seed must give the very same bytes
    first, again = runs["fixed"], runs["fixed, again"]
    assert again.stdout == first.stdout

    def strip(report):  # wall-clock time differs from run to run
        return {k: v for k, v in report.items() if k != "timing"}

    assert json.dumps(strip(again.report)) == json.dumps(strip(first.report))


def test_lane_maps_of_the_seed_layouts(runs):
    broken, fixed = runs["broken"].report["lanes"], runs["fixed"].report["lanes"]
    # the question's layout: lane i holds positions i and 50 + i, never two neighbours
    assert broken["first_lanes"] == [[0, 50], [1, 51], [2, 52]] and broken["lanes"] == 50
    assert (broken["seen_previous"], broken["targets"]) == (0, 100)
    # the answer's layout: lane i holds the run 50 i ... 50 i + 49
    assert fixed["first_lanes"][1] == list(range(50, 100)) and fixed["lanes"] == 7
    assert (fixed["seen_previous"], fixed["targets"]) == (343, 350)
    assert "previous bit read earlier in the same lane: 0 of 100" in runs["broken"].stdout


def test_the_best_each_layout_allows(runs):
    broken, fixed = runs["broken"].report, runs["fixed"].report
    assert broken["best_possible"]["accuracy"] == pytest.approx(0.505, abs=1e-9)
    assert broken["best_possible"]["cross_entropy"] == pytest.approx(math.log(2), abs=1e-4)
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
    one_lane = runs["broken, one lane"].report
    assert one_lane["lanes"]["first_lanes"] == [list(range(50))]
    assert one_lane["held_out"]["accuracy"] >= 0.97
    assert one_lane["verdict"] == "learned all four classes"


def test_the_learning_curve_is_drawn(runs):
    assert runs["fixed"].plot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("script", ["broken", "fixed"])
def test_lane_map_follows_the_shape_flags(script, runs):
    result = runs[f"{script}, 3 x 4"]  # --batch-size 3 --seq-len 4
    assert result.returncode == 0, result.stderr
    positions = np.arange(12)
    # the scripts' own reshapes, written out again: question (time, batch), answer (batch, time)
    expected = positions.reshape(4, 3).T if script == "broken" else positions.reshape(3, 4)
    lanes = result.report["lanes"]
    assert lanes["first_lanes"] == expected.tolist()
    assert lanes["seen_previous"] == data.seen_previous(expected).sum()
    assert result.report["best_possible"] == data.best_possible(expected)
    assert "lane 2 -> " in result.stdout
