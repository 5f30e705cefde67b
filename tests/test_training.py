"""Both scripts trained at their defaults (the seed's settings), read through --report-json."""
import json

from conftest import run

EVEN, ODD = [0, 2], [1, 3]  # the pairs that share a current bit


def test_fixed_learns_all_four_classes(default_runs):
    fixed = default_runs["fixed"]
    assert fixed.returncode == 0
    assert fixed.report["held_out"]["accuracy"] >= 0.985
    assert fixed.report["held_out"]["positions"] >= 10_000
    for row, probs in enumerate(fixed.report["probe"]["probabilities"]):
        # probe row i is the position whose class is i: the model must be sure of it
        assert max(range(4), key=probs.__getitem__) == row and probs[row] >= 0.9, (row, probs)
    assert fixed.report["verdict"] == "learned all four classes"


def test_broken_only_tells_the_current_bit(default_runs):
    broken = default_runs["broken"]
    assert broken.returncode == 0
    held_out = broken.report["held_out"]
    assert held_out["accuracy"] <= 0.55  # about a coin flip between the two classes of a pair
    assert held_out["current_bit_accuracy"] >= 0.98  # ... but it always picks the right pair
    for row, probs in enumerate(broken.report["probe"]["probabilities"]):
        pair = EVEN if row in EVEN else ODD
        assert sum(probs[c] for c in pair) >= 0.95, (row, probs)  # mass on the right pair
        assert max(probs) <= 0.75, (row, probs)  # but split inside it: no class stands out
    assert broken.report["verdict"].startswith("confuses 0<->2 and 1<->3")


def test_confusion_shows_the_pairs(default_runs):
    # broken: almost nothing leaves its pair, and within a pair the errors are many
    counts = default_runs["broken"].report["held_out"]["confusion"]
    across_pairs = sum(counts[t][p] for t in range(4) for p in range(4) if t % 2 != p % 2)
    within_pairs = sum(counts[t][p] for t in range(4) for p in range(4) if t != p and t % 2 == p % 2)
    assert across_pairs <= 0.02 * sum(map(sum, counts))
    assert within_pairs >= 0.4 * sum(map(sum, counts))


def test_report_json_matches_what_was_printed(default_runs):
    for result in default_runs.values():
        held_out = result.report["held_out"]
        assert f"accuracy              {held_out['accuracy']:.4f}" in result.stdout
        assert f"verdict: {result.report['verdict']}" in result.stdout
        assert len(result.report["loss_history"]) == result.report["settings"]["steps"]
        assert result.report["timing"]["train_seconds"] > 0


def test_a_normal_run_is_quiet(default_runs):
    # no TensorFlow, absl, CUDA or oneDNN lines: stderr is empty, stdout is the report
    for result in default_runs.values():
        assert result.stderr == ""
        assert result.stdout.splitlines()[0].startswith("The ")


def test_same_seed_same_report(default_runs, tmp_path):
    # a second run with the same (default) seed must give the very same bytes
    again = run("fixed_rnn.py", report_path=tmp_path / "again.json")
    first = default_runs["fixed"]
    assert again.stdout == first.stdout
    strip = lambda report: {k: v for k, v in report.items() if k != "timing"}  # wall-clock time differs
    assert json.dumps(strip(again.report)) == json.dumps(strip(first.report))
