"""side_by_side.py: both scripts at once, their reports side by side, and its children."""
import json
import os
import signal
import threading

import pytest
from conftest import ROOT, FakeChild, run, without_progress

import files
import memory
import process
import report
import side_by_side


def test_side_by_side_puts_two_reports_in_columns():
    text = side_by_side.side_by_side("a\nlonger line\n", "x\ny\nz\n", width=80)
    assert text.splitlines() == ["a            |  x", "longer line  |  y", "             |  z"]


def test_side_by_side_puts_them_one_after_the_other_when_columns_do_not_fit():
    # 11 + 5 + 1 = 17 columns are needed: at 16 nothing may wrap, so the blocks are stacked
    text = side_by_side.side_by_side("a\nlonger line\n", "x\ny\n", width=16)
    assert text.splitlines() == ["a", "longer line", "", "x", "y"]
    assert side_by_side.side_by_side("a\nlonger line\n", "x\ny\n", width=17).count("|") == 2


def test_side_by_side_runs_both_scripts_and_fits_80_columns(runs):
    result = runs.side_by_side  # --plot --report-json, COLUMNS=80, through a link from another folder
    assert result.returncode == 0 and without_progress(result.stderr) == ""  # nothing but how far each is

    assert (result.folder / "both.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(result.report) == ["broken_rnn.py", "fixed_rnn.py"]  # both reports, by script
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80, max(lines, key=len)
    # the two reports one after the other, each under its heading
    assert lines[0] == "== broken_rnn.py" and lines.count("== fixed_rnn.py") == 1
    assert lines.index("== fixed_rnn.py") > next(i for i, line in enumerate(lines) if "verdict:" in line)
    assert result.stdout.count("verdict:") == 2


def test_it_shows_both_runs_advancing_as_they_train(runs):
    # a person sees something at once, then each script's step lines as they come, not a blank screen
    lines = runs.side_by_side.stderr.splitlines()
    assert lines[0].startswith("training broken_rnn.py and fixed_rnn.py at once")
    for script, alone in (("broken_rnn.py", runs.broken), ("fixed_rnn.py", runs.fixed)):
        shown = [line.removeprefix(f"{script}: ") for line in lines if line.startswith(f"{script}: step")]
        assert len(shown) == 10 and shown == [line for line in alone.stdout.splitlines() if line.startswith("step")]


def test_every_program_runs_through_a_link_from_another_folder(tmp_path):
    # side_by_side.py finds the scripts beside itself, not beside the link (runs.side_by_side trains
    # through one); every program answers --help through one
    for program in ("side_by_side.py", "fixed_rnn.py", "broken_rnn.py", "experiments.py", "lanes_examples.py"):
        link = tmp_path / program
        link.symlink_to(ROOT / program)
        result = run(link, "--help", cwd=tmp_path)
        assert result.returncode == 0 and result.stdout.startswith("usage: ") and result.stderr == "", program


def test_sigterm_to_side_by_side_ends_its_children_too(runs):
    result = runs.terminated  # SIGTERM to its own pid, not to its process group
    assert len(result.children) == 2
    assert result.returncode == 128 + signal.SIGTERM
    assert without_progress(result.stderr) == "terminated\n"  # nothing from the children: only the run that stops
    assert result.stderr.endswith("terminated\n")  # speaks, and last
    assert [pid for pid in result.children if os.path.exists(f"/proc/{pid}")] == []
    assert os.listdir(result.tmpdir) == []  # its folder for the reports, gone with it


def test_its_files_are_written_before_it_prints(monkeypatch, tmp_path):
    # a stdout that fails after training must not lose the reports: the files come first. The two
    # scripts are stood in for by children that write a report and print a line (FakeChild)
    report_path, said = tmp_path / "both.json", []

    def write_json(path, summary):
        said.append("written")
        files.write_file(path, json.dumps(summary).encode())

    monkeypatch.setattr(process, "child", FakeChild)
    monkeypatch.setattr(report, "write_json", write_json)
    monkeypatch.setattr("builtins.print", lambda *args, file=None, **kwargs: file or said.append("printed"))
    side_by_side.main(["--steps", "1", "--report-json", str(report_path)])  # (the progress goes to stderr)
    assert said == ["written", "printed"]
    assert json.loads(report_path.read_text()) == {"broken_rnn.py": {"script": "broken_rnn.py"},
                                                   "fixed_rnn.py": {"script": "fixed_rnn.py"}}


def test_a_script_that_refuses_its_flags_ends_it_without_waiting_for_the_other(monkeypatch, capsys):
    # fixed_rnn.py refuses at once (its shape needs more memory than is free, say); broken_rnn.py
    # would train for minutes: side_by_side.py passes the refusal on, ends the other, exit status 2
    refusal = "fixed_rnn.py: this run needs about 27.8 GiB of memory, and 22.9 GiB is free: ... (see --help)\n"
    monkeypatch.setattr(process, "child", type("Child", (FakeChild,), {
        "only": "fixed_rnn.py", "returncode": 2, "said": refusal, "seconds": 0.0}))
    monkeypatch.setattr(FakeChild, "seconds", 600.0)  # broken_rnn.py: still training, until it is ended
    monkeypatch.setattr(FakeChild, "ended", threading.Event())
    ended_children = []
    monkeypatch.setattr(process, "end_children", lambda: [ended_children.append(True), FakeChild.end()])
    with pytest.raises(SystemExit) as ended:
        side_by_side.main(["--steps", "5"])
    assert ended.value.code == 2 and ended_children  # the other was ended, not waited for
    assert capsys.readouterr().err.endswith("\n" + refusal)  # after the line that says both start


def test_both_scripts_must_fit_in_memory_at_once(monkeypatch, capsys):
    # each alone fits in 0.6 GiB (about 0.4 GiB at the defaults), both at once do not, at any model size
    monkeypatch.setattr(memory, "room", lambda: (0.6 * 2 ** 30, "free"))
    assert max(side_by_side.memory_needed(script) for script in side_by_side.SCRIPTS) < 0.6 * 2 ** 30
    with pytest.raises(SystemExit) as ended:
        side_by_side.parse_args([])
    assert ended.value.code == 2
    assert ": both scripts at once need about 0.8 GiB of memory, and 0.6 GiB is free: run broken_rnn.py and " \
           "fixed_rnn.py one after the other (see --help)\n" in capsys.readouterr().err
    # a smaller model is the way out only where the smallest fits
    monkeypatch.setattr(memory, "room", lambda: (1.0 * 2 ** 30, "free"))
    with pytest.raises(SystemExit):
        side_by_side.parse_args(["--units", "512", "--layers", "8"])
    assert "and 1.0 GiB is free: use a smaller --units or --layers (see --help)\n" in capsys.readouterr().err
