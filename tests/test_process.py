"""Nothing surprising under faults and bad input: pipes, Ctrl-C and SIGTERM, memory, paths,
divergence (docs/faults.md)."""
import json
import math
import os
import signal
import subprocess
import sys
import threading

import pytest
from conftest import ROOT, run

import cli
import report


# --- a closed stdout -------------------------------------------------------------------------
def test_a_closed_stdout_ends_the_output_quietly_and_the_report_is_still_written(runs):
    result = runs["fixed, short"]  # stdout read for one line, then closed, as `| head -1` does
    assert result.stdout.startswith("The answer's layout")
    assert result.returncode == 0 and "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert result.report["verdict"] and len(result.report["loss_history"]) == 20  # the whole run, written


def closed_pipe():
    """A text stream whose reader has gone, as stdout is under `| head` once head has its lines."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    return os.fdopen(write_end, "w", buffering=1)


def test_a_closed_stdout_with_files_to_write_is_ignored_so_that_they_are_written(monkeypatch):
    monkeypatch.setattr(cli, "ASKED", ["report.json"])
    stdout = cli.QuietWhenClosed(closed_pipe())
    print("a line nobody reads", file=stdout)  # no BrokenPipeError: the run goes on
    print("and another", file=stdout)
    assert stdout.gone


def test_a_closed_stdout_with_nothing_else_to_write_ends_the_run_as_sigpipe_would(monkeypatch):
    monkeypatch.setattr(cli, "ASKED", [])
    stdout = cli.QuietWhenClosed(closed_pipe())

    def main():
        print("a line nobody reads", file=stdout)
        raise AssertionError("the run should have ended at the print above")

    with pytest.raises(SystemExit) as ended:
        run_here(monkeypatch, main)
    assert ended.value.code == 128 + 13  # SIGPIPE's number: what a shell shows for `yes | head -1`


def run_here(monkeypatch, main, exit_now=None):
    """cli.run(main) inside the test process: its exit is a SystemExit, pytest's handlers stay."""
    monkeypatch.setattr(cli, "exit_now", exit_now or (lambda status=0: (_ for _ in ()).throw(SystemExit(status))))
    monkeypatch.setattr(cli, "interactive", lambda: False)
    monkeypatch.setattr(sys, "stdout", sys.stdout)  # cli.run wraps it; put it back afterwards
    monkeypatch.setattr(cli, "catch_signals", lambda: None)  # pytest's own handlers stay
    cli.run(main)


# --- Ctrl-C and SIGTERM ----------------------------------------------------------------------
def test_ctrl_c_stops_a_run_at_once_in_the_middle_of_a_long_compiled_call(runs):
    # --seq-len 100000: one compiled call trains 300 steps of 100,000 time steps, minutes long
    result = runs["interrupted"]
    assert result.returncode == 128 + signal.SIGINT
    assert result.seconds < 2.0, result.seconds
    assert "Traceback" not in result.stderr
    report_path = result.plot / "report.json"  # the folder its report would have gone to
    assert result.stderr == f"interrupted: {report_path} was not written\n"
    assert list(result.plot.iterdir()) == []  # and nothing half-written, no temporary file


def test_sigterm_to_side_by_side_ends_its_children_too(runs):
    result = runs["side by side, terminated"]  # SIGTERM to its own pid, not to its process group
    assert len(result.children) == 2
    assert result.returncode == 128 + signal.SIGTERM and result.seconds < 5.0
    assert result.stderr == "terminated\n"  # nothing from the children: only the run that stops speaks
    assert [pid for pid in result.children if os.path.exists(f"/proc/{pid}")] == []


def test_a_stop_from_the_main_thread_is_not_kept_waiting(monkeypatch, capsys):
    # on Windows Ctrl-C reaches the main thread as KeyboardInterrupt, and it stops the run itself
    monkeypatch.setattr(cli, "STOPPING", [])
    monkeypatch.setattr(cli, "WRITING", threading.Lock())
    monkeypatch.setattr(cli.os, "_exit", lambda status: (_ for _ in ()).throw(SystemExit(status)))
    monkeypatch.setattr(sys, "stdout", sys.stdout)
    monkeypatch.setattr(sys, "stderr", sys.stderr)

    def main():
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as ended:
        run_here(monkeypatch, main, exit_now=cli.exit_now)
    assert ended.value.code == 128 + signal.SIGINT


def test_the_interrupt_message_says_which_files_exist(monkeypatch):
    monkeypatch.setattr(cli, "ASKED", ["int.json", "int.png"])
    monkeypatch.setattr(cli, "WRITTEN", ["int.json"])
    assert cli.stop_message(signal.SIGINT) == "interrupted: int.json was written; int.png was not written"
    monkeypatch.setattr(cli, "WRITTEN", [])
    assert cli.stop_message(signal.SIGTERM) == ("terminated: int.json was not written; "
                                                "int.png was not written")
    monkeypatch.setattr(cli, "ASKED", [])
    assert cli.stop_message(signal.SIGINT) == "interrupted"


# --- memory --------------------------------------------------------------------------------
MEASURED = [  # (batch, time, units, layers): peak resident memory in bytes of fixed_rnn.py --steps 1
    ((7, 50, 5, 2), 757_236 * 1024),  # --eval-positions 1, on the development machine (docs/faults.md)
    ((100, 100, 256, 4), 1_902_748 * 1024),
    ((100, 100, 512, 4), 4_416_288 * 1024),
    ((1000, 100, 128, 2), 1_702_940 * 1024),
    ((10, 1000, 256, 8), 16_921_488 * 1024),
]


@pytest.mark.parametrize("shape, peak", MEASURED, ids=lambda value: str(value))
def test_the_memory_estimate_covers_what_was_measured_without_waste(shape, peak):
    needed = cli.memory_needed(*shape)
    assert peak <= needed <= 1.25 * peak  # never under; not so far over that it refuses what fits


def test_a_run_that_cannot_fit_in_memory_is_refused_with_its_estimate():
    result = run("fixed_rnn.py", "--batch-size", 1, "--seq-len", 100_000, "--units", 1024, "--layers", 16)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert "this run needs about 50" in result.stderr and "GiB of memory" in result.stderr  # about 50,000 GiB


def test_running_out_of_memory_anyway_is_one_line(monkeypatch, capsys):
    class ResourceExhaustedError(Exception):  # what TensorFlow raises, by name: cli.py does not import it
        pass

    def main():
        raise ResourceExhaustedError("OOM when allocating tensor with shape[1000,100,4096]\nmore detail")

    with pytest.raises(SystemExit) as ended:
        run_here(monkeypatch, main)
    assert ended.value.code == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "out of memory (OOM when allocating tensor with shape[1000,100,4096])" in lines[0]


# --- the report's file ---------------------------------------------------------------------
def test_a_symbolic_link_is_written_through(tmp_path):
    target, link = tmp_path / "target.json", tmp_path / "link.json"
    target.write_text("old")
    link.symlink_to(target)
    cli.write_atomically(str(link), lambda out: out.write(b"new"))
    assert link.is_symlink() and target.read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["link.json", "target.json"]


def test_a_fifo_is_written_in_place_never_replaced(tmp_path):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    cli.write_atomically(str(fifo), lambda out: out.write(b"through the pipe"))
    reader.join(10)
    assert got == [b"through the pipe"] and fifo.is_fifo()


def test_write_atomically_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old")

    def write_half_then_crash(out):
        out.write(b"half")
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        cli.write_atomically(path, write_half_then_crash)
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["report.json"]  # no leftovers
    cli.write_atomically(path, lambda out: out.write(b"new"))
    assert path.read_text() == "new" and os.listdir(tmp_path) == ["report.json"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~cli.UMASK  # readable as any new file is


# --- divergence ------------------------------------------------------------------------------
def test_a_diverged_run_says_so_and_its_json_stays_strict(runs):
    result = runs["diverged"]  # Adam at a learning rate of 1e300, 32 units
    assert result.returncode == 0 and result.stderr == ""
    assert "2 LSTM layers x 32" in result.stdout and "Adam 1e+300" in result.stdout  # the flags reached it
    assert result.report["verdict"] == "diverged: the loss became nan at step 1, so nothing was learned"
    assert "training stopped: the loss became nan at step 1. Try a lower --learning-rate" in result.stdout
    assert result.stdout.rstrip().endswith(f"verdict: {result.report['verdict']}")
    assert result.report["loss_history"][1] is None  # NaN is written as null: strict JSON

    def refuse(constant):
        raise ValueError(constant)

    json.loads(json.dumps(result.report), parse_constant=refuse)  # what JSON.parse and jq accept


def test_the_verdict_never_calls_a_diverged_run_learned():
    learned = {"accuracy": 0.99, "current_bit_accuracy": 1.0}
    assert report.verdict(learned, [1.3, 0.1]) == "learned all four classes"
    assert report.verdict(learned, [1.3, math.inf, math.nan]).startswith("diverged: the loss became inf at step 1")


def test_strict_json_writes_what_is_not_finite_as_null(tmp_path):
    path = tmp_path / "report.json"
    cli.write_json(str(path), {"loss": [1.0, math.nan], "nested": {"x": -math.inf}})
    assert path.read_text() == '{\n "loss": [\n  1.0,\n  null\n ],\n "nested": {\n  "x": null\n }\n}\n'


def test_one_step_is_one_step():
    settings = dict(seed=0, steps=1, batch_size=7, seq_len=50, units=5, layers=2, optimizer="sgd",
                    learning_rate=0.1, state="carry", clip_norm=10.0)
    assert "| 1 step |" in report.header("title", settings)
    assert "| 2 steps |" in report.header("title", {**settings, "steps": 2})


def test_dev_stdout_is_written_in_place():
    # /dev/stdout leads to a pipe here, which no other path names: it is written, never replaced
    code = "import cli; cli.write_atomically('/dev/stdout', lambda out: out.write(b'through stdout'))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stdout == b"through stdout", done.stderr
    assert os.path.islink("/dev/stdout")
