"""experiments.py: the grid behind docs/experiments.md, its table, its files and its failures."""
import json
import os

import pytest
from conftest import ROOT, FakeChild, run

import experiments
import files
import memory
import process


@pytest.mark.parametrize("flags", [["--jobs", "0"], ["--out", "/no/such/folder"], ["--steps", "5"]], ids=" ".join)
def test_experiments_refuses_bad_input_in_one_line(flags):
    result = run("experiments.py", *flags)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "experiments.py" in result.stderr and result.stdout == ""


def test_its_help_gives_each_default_once():
    result = run("experiments.py", "--help")
    assert result.returncode == 0 and all(line.count("(default") <= 1 for line in result.stdout.splitlines())
    jobs = result.stdout[result.stdout.index("--jobs JOBS  "):]
    assert jobs.count("(default: 2)") == 1  # --jobs's, once


def figures(flags):
    """A report for a run of the grid with these flags, as a script writes it (what experiments.KEPT keeps)."""
    seed = int(flags[flags.index("--seed") + 1])
    return {"settings": {"seed": seed, "flags": flags}, "held_out": {"accuracy": 0.5 + seed / 10, "positions": 100,
                                                                      "cross_entropy": 0.7},
            "best_possible": {"accuracy": 0.505, "cross_entropy": 0.693}}


def test_quick_writes_its_table_and_picture_before_it_prints(monkeypatch, tmp_path):
    # experiments.py --quick --out FOLDER: the files come first, so that a stdout that fails cannot
    # lose them. Its two runs are stood in for by children that write a report (FakeChild)
    monkeypatch.setattr(process, "child", type("Child", (FakeChild,), {"report": staticmethod(figures)}))
    said, write_file = [], files.write_file
    monkeypatch.setattr(files, "write_file", lambda path, data: [said.append(os.path.basename(path)),
                                                                 write_file(path, data)])
    monkeypatch.setattr("builtins.print", lambda *args, **kwargs: said.append("printed"))
    experiments.main(["--quick", "--out", str(tmp_path)])
    assert said[:3] == ["experiments.md", "experiments.json", "experiments.png"] and set(said[3:]) == {"printed"}
    page = (tmp_path / "experiments.md").read_text()
    saved = json.loads((tmp_path / "experiments.json").read_text())
    assert page == experiments.table(experiments.grouped(saved))  # the table its figures make
    rows = [line for line in page.splitlines() if line.startswith("| ")][2:]  # under the heading
    assert len(rows) == 2  # one model, one state policy, one seed: a row for each layout
    assert rows[0].startswith("| broken") and rows[1].startswith("| fixed")
    assert (tmp_path / "experiments.png").read_bytes().startswith(b"\x89PNG")


def test_a_run_that_fails_stops_the_grid_in_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(process, "child", type("Child", (FakeChild,), {"returncode": 1,
                                                                        "said": "Traceback ...\nValueError: boom\n"}))
    with pytest.raises(SystemExit) as ended:
        experiments.main(["--quick", "--out", str(tmp_path)])
    assert str(ended.value.code).endswith("failed with exit status 1")
    assert "ValueError: boom" in capsys.readouterr().err  # what the failing script said, passed on
    assert os.listdir(tmp_path) == []  # nothing written


def test_what_it_would_write_is_checked_before_any_run(tmp_path):
    (tmp_path / "experiments.json").mkdir()  # a folder where the figures would go
    result = run("experiments.py", "--quick", "--out", tmp_path)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert f"expected a regular file, got '{tmp_path / 'experiments.json'}'" in result.stderr


def test_too_many_runs_at_once_for_the_memory_are_refused(monkeypatch, capsys):
    monkeypatch.setattr(memory, "room", lambda: (3 * 2 ** 30, "free"))  # 3 GiB free
    with pytest.raises(SystemExit) as refused:
        experiments.parse_args(["--jobs", "36", "--out", "/tmp"])
    assert refused.value.code == 2
    assert "36 runs at once need about 14.9 GiB" in capsys.readouterr().err  # 36 x 0.4 GiB; fewer --jobs
    assert experiments.parse_args(["--jobs", "2", "--out", "/tmp"]).jobs == 2
    monkeypatch.setattr(memory, "room", lambda: (0.3 * 2 ** 30, "free"))
    with pytest.raises(SystemExit):
        experiments.parse_args(["--jobs", "1", "--quick"])
    assert ": a run needs about 0.4 GiB of memory, and 0.3 GiB is free (see --help)" in capsys.readouterr().err


def test_without_out_it_writes_into_a_new_folder(monkeypatch, tmp_path):
    # never over the project's own docs/: a folder of its own, a new one each time
    monkeypatch.chdir(tmp_path)
    (tmp_path / "experiments-1").mkdir()  # an earlier grid's
    assert experiments.parse_args([]).out == "experiments-2" and (tmp_path / "experiments-2").is_dir()
    assert experiments.parse_args(["--quick"]).out is None  # --quick writes nothing, unless told


def test_an_empty_out_is_refused_not_read_as_the_default(capsys):
    # --out "$DIR" with $DIR unset: not docs/, which the grid would overwrite
    with pytest.raises(SystemExit) as refused:
        experiments.parse_args(["--out", ""])
    assert refused.value.code == 2 and "--out: expected a folder, got an empty name" in capsys.readouterr().err


def test_every_run_of_the_grid_is_one_the_scripts_take():
    # the grid's flags, quick or not, as fixed_rnn.py parses them (a renamed flag would fail here)
    import fixed_rnn

    for script, model, state, seed, flags in experiments.grid(False) + experiments.grid(True):
        args = fixed_rnn.parse_args(list(flags))
        assert (args.state, args.seed) == (state, seed), (script, model)


def test_the_grids_table_is_the_one_its_figures_make():
    # the grid takes minutes, so it is not run again here: its table must be the one its saved
    # figures make (and three of its runs are made again: test_rnn.py's test_same_seed_same_report)
    page_path, figures_path, _ = experiments.outputs(ROOT / "docs")
    saved = json.loads(figures_path.read_text())
    assert len(saved) == len(experiments.grid(quick=False))  # every run of the grid
    assert experiments.table_in(page_path.read_text()) == experiments.table(experiments.grouped(saved))


def test_a_bigger_model_with_adam_stays_at_the_broken_ceiling():
    # 32 units a layer (33 times the weights) and Adam: no model can see what the layout hides.
    # The grid's saved runs (3 seeds, both state policies), not a new one here
    _, figures_path, _ = experiments.outputs(ROOT / "docs")
    big = [f for f in json.loads(figures_path.read_text()) if f["script"] == "broken_rnn.py"
           and f["settings"]["units"] == 32]
    assert len(big) == 6
    assert {(f["settings"]["optimizer"], f["settings"]["learning_rate"]) for f in big} == {("adam", 0.01)}
    for figure in big:
        assert figure["held_out"]["accuracy"] <= 0.515, figure  # the ceiling is 0.505
        assert figure["held_out"]["current_bit_accuracy"] >= 0.98, figure  # ... and it does reach it
