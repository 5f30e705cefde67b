"""process.py: how a program behaves as a process when things go wrong (docs/faults.md lists
each case): stdout that fails, Ctrl-C and signals, $TMPDIR, memory and containers, paths,
permissions and links. The quick programs run here as a user runs them; the long ones are
conftest.py's shared runs (`runs.NAME`)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, finish, run, start

import cli
import process


def closed_pipe():
    """A text stream whose reader has gone, as stdout is under `| head` once head has its lines."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    return os.fdopen(write_end, "w", buffering=1)


def run_here(monkeypatch, main, exit_now=None):
    """process.run(main) inside the test process: its exit is a SystemExit, pytest's handlers,
    streams and $TMPDIR stay."""
    monkeypatch.setattr(process, "exit_now", exit_now or (lambda status=0: (_ for _ in ()).throw(SystemExit(status))))
    monkeypatch.setattr(process, "interactive", lambda: False)
    monkeypatch.setattr(sys, "stdout", sys.stdout)  # process.run wraps it; put it back afterwards
    monkeypatch.setattr(process, "catch_signals", lambda: None)  # pytest's own handlers stay
    monkeypatch.setattr(process, "_keep_temporary_files", lambda: None)
    monkeypatch.setattr(process, "_run", process._Run())
    process.run(main)


# --- stdout: closed, full, failing ------------------------------------------------------------
# lanes_examples.py seed is a program like the others (process.run), and needs no TensorFlow
def test_a_closed_pipe_ends_the_output_quietly_and_the_report_is_still_written():
    started, result = start("lanes_examples.py", "seed", report=True)
    first = started.stdout.readline()  # one line, then the reader goes, as `| head -1` does
    started.stdout.close()
    result.stderr, result.returncode = started.stderr.read(), started.wait(timeout=60)
    assert first == "== seed\n" and result.returncode == 0 and result.stderr == ""  # no traceback, no word
    assert result.report["seed, broken"]["ok"] is False  # the whole run, written


def test_a_pipe_that_closes_before_the_last_output_is_flushed_ends_quietly_too():
    # the last line waits in stdout's buffer until the exit; by then the reader has gone
    code = ("import sys, time; sys.path.insert(0, '.'); import process\n"
            "def main():\n    print('first', flush=True)\n    time.sleep(0.5)\n    print('last')\n"
            "process.run(main)\n")
    started, result = start("-c", code)
    first = started.stdout.readline()
    started.stdout.close()
    result.stderr, result.returncode = started.stderr.read(), started.wait(timeout=60)
    assert first == "first\n" and result.returncode == 128 + 13 and result.stderr == ""  # no traceback
    assert os.listdir(result.tmpdir) == []


def test_a_closed_pipe_with_nothing_else_to_write_ends_the_run_as_sigpipe_would(monkeypatch):
    stdout = process._Stdout(closed_pipe())  # (run_here gives the run a fresh state: no files asked)

    def main():
        print("a line nobody reads", file=stdout)
        raise AssertionError("the run should have ended at the print above")

    with pytest.raises(SystemExit) as ended:
        run_here(monkeypatch, main)
    assert ended.value.code == 128 + 13  # SIGPIPE's number: what a shell shows for `yes | head -1`


@pytest.mark.parametrize("how, why", [({"stdout": "/dev/full"}, "No space left on device"),
                                      ({"closed": (1,)}, "it is closed")], ids=["full", "closed"])
@pytest.mark.parametrize("asked", [True, False], ids=["with a report", "without"])
def test_a_failing_stdout_still_writes_the_report_says_so_and_exits_1(how, why, asked):
    result = run("lanes_examples.py", "seed", report=asked, **how)
    lines = result.stderr.splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr  # one line, no traceback
    assert lines[0].startswith(f"lanes_examples.py: stdout failed ({why}), so the output stopped")
    assert (result.report is not None) == asked
    assert (f"{result.folder / 'report.json'} was written" in lines[0]) == asked
    assert os.listdir(result.tmpdir) == []


def test_a_report_on_a_stdout_that_fails_is_not_called_written():
    for how in ({"stdout": "/dev/full"}, {"closed": (1,)}):
        result = run("lanes_examples.py", "seed", "--report-json", "-", **how)
        assert result.returncode == 1 and result.stderr.endswith("; /dev/stdout was not written\n"), result.stderr


def test_a_bad_flag_is_status_2_even_when_stderr_fails():
    with open("/dev/full", "w") as full:  # a full disk under stderr: its one line cannot be written
        done = subprocess.run([sys.executable, "fixed_rnn.py", "--steps", "x"], cwd=ROOT, stderr=full,
                              stdout=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 2


def test_a_name_that_is_no_text_is_printed_escaped_where_stdout_is_strict():
    code = ("import sys; sys.path.insert(0, '.'); import process\n"
            "process.run(lambda: print('written: d' + '\\udcff'))\n")  # a name with the byte 0xff, as Python reads it
    result = run("-c", code, env={"PYTHONIOENCODING": "utf-8"})
    assert result.returncode == 0 and result.stdout == "written: d\\udcff\n", result.stderr


def test_under_python_oo_every_program_still_runs():
    # -OO drops docstrings, which the programs' --help and the scripts' report headings read: each
    # program imported, its --help, and one form of lanes_examples.py, in one -OO process
    code = ("import contextlib, importlib, io\n"
            "for name in ('broken_rnn', 'fixed_rnn', 'side_by_side', 'experiments', 'lanes_examples'):\n"
            "    out = io.StringIO()\n"
            "    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
            "        importlib.import_module(name).parse_args(['--help'])\n"
            "    assert out.getvalue().startswith('usage:'), name\n"
            "import lanes_examples; lanes_examples.main(['seed'])\n")
    done = subprocess.run([sys.executable, "-OO", "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "verdict: ok" in done.stdout, done.stderr


def test_a_closed_stderr_changes_no_exit_status():
    assert run("fixed_rnn.py", "--help", closed=(2,)).returncode == 0
    refused = run("fixed_rnn.py", "--steps", "0", closed=(2,))
    assert refused.returncode == 2 and refused.stdout == ""  # the message went nowhere, not to stdout
    succeeded = run("lanes_examples.py", "seed", report=True, closed=(2,))
    assert succeeded.returncode == 0 and succeeded.report["seed, fixed"]["ok"]


# --- Ctrl-C, SIGTERM, SIGQUIT -----------------------------------------------------------------
def test_ctrl_c_stops_a_run_at_once_in_the_middle_of_a_long_compiled_call(runs):
    # --seq-len 100000: one compiled call trains 300 steps of 100,000 time steps, minutes long
    result = runs.interrupted
    assert result.returncode == 128 + signal.SIGINT
    assert result.seconds < 2.0, result.seconds
    assert result.stderr == f"interrupted: {result.folder / 'report.json'} was not written\n"  # and no traceback
    assert sorted(os.listdir(result.folder)) == ["tmp"]  # nothing half-written, no temporary file


@pytest.mark.parametrize("signum", [signal.SIGQUIT, signal.SIGHUP, signal.SIGXCPU],
                         ids=["SIGQUIT", "SIGHUP", "SIGXCPU"])
def test_sigquit_and_sighup_stop_a_run_as_sigterm_does_and_leave_no_temporary_files(signum):
    # a program of one line, run by process.run as every program here is: it makes a temporary
    # folder (as side_by_side.py does for its children's reports) and waits
    code = ("import sys, tempfile, time; sys.path.insert(0, '.'); import process\n"
            "def main():\n    tempfile.mkdtemp()\n    print('ready', flush=True)\n    time.sleep(60)\n"
            "process.run(main)\n")
    started, result = start("-c", code)
    assert started.stdout.readline() == "ready\n"
    started.send_signal(signum)
    result = finish((started, result))
    assert result.returncode == 128 + signum and result.stderr == process.SIGNALS[signum.name] + "\n"
    assert os.listdir(result.tmpdir) == []


def test_after_a_stop_line_nothing_else_reaches_stderr():
    # TensorFlow, still tracing in the main thread while a stop removed the temporary folder, once
    # warned that its generated file was gone: its logger holds stderr as it was at the start.
    # Here something writes there, both ways, as the run's temporary files go
    code = ("import os, shutil, sys, time; sys.path.insert(0, '.'); import process\n"
            "late, remove = sys.stderr, shutil.rmtree\n"
            "def removing(folder, **how):\n"
            "    late.write('late\\n'), late.flush(), os.write(2, b'later\\n'), remove(folder, **how)\n"
            "shutil.rmtree = removing\n"
            "def main():\n    print('ready', flush=True)\n    time.sleep(60)\n"
            "process.run(main)\n")
    started, result = start("-c", code)
    assert started.stdout.readline() == "ready\n"
    started.send_signal(signal.SIGINT)
    result = finish((started, result))
    assert result.returncode == 128 + signal.SIGINT and result.stderr == "interrupted\n"


def test_a_signal_ignored_before_the_start_stays_ignored():
    # nohup ignores SIGHUP, a shell's background job SIGINT: the run goes on through them
    code = ("import sys, time; sys.path.insert(0, '.'); import process\n"
            "def main():\n    print('ready', flush=True)\n    time.sleep(1)\n    print('done')\n"
            "process.run(main)\n")
    started, result = start("-c", "import signal; signal.signal(signal.SIGHUP, signal.SIG_IGN)\n" + code)
    assert started.stdout.readline() == "ready\n"
    started.send_signal(signal.SIGHUP)
    result = finish((started, result))
    assert result.returncode == 0 and result.stdout == "done\n" and result.stderr == ""


def test_a_stop_from_the_main_thread_is_not_kept_waiting(monkeypatch, capsys):
    # on Windows Ctrl-C reaches the main thread as KeyboardInterrupt, and it stops the run itself
    monkeypatch.setattr(process.os, "_exit", lambda status: (_ for _ in ()).throw(SystemExit(status)))
    monkeypatch.setattr(sys, "stderr", sys.stderr)  # a stop puts others in place of both: put them back

    def main():
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as ended:
        run_here(monkeypatch, main, exit_now=process.exit_now)
    assert ended.value.code == 128 + signal.SIGINT


def test_the_stop_message_says_which_files_exist(monkeypatch):
    monkeypatch.setattr(process._run, "asked", ["int.json", "int.png"])
    monkeypatch.setattr(process._run, "written", ["int.json"])
    assert process.stop_message(signal.SIGINT) == "interrupted: int.json was written; int.png was not written"
    monkeypatch.setattr(process._run, "written", [])
    assert process.stop_message(signal.SIGTERM) == "terminated: int.json was not written; int.png was not written"
    monkeypatch.setattr(process._run, "asked", [])
    assert process.stop_message(signal.SIGINT) == "interrupted"
    assert process.stop_message(signal.SIGQUIT) == "quit"


# --- $TMPDIR -------------------------------------------------------------------------------------
def test_no_run_leaves_anything_in_its_tmpdir(runs):
    # every shared run had a $TMPDIR of its own: those that ended normally, by Ctrl-C in the middle
    # of TensorFlow's work, and by SIGTERM with two children; AutoGraph's files went with each.
    # (A failing stdout and SIGQUIT and SIGHUP: the tests of their own above)
    for result in runs.all():
        assert os.listdir(result.tmpdir) == [], result.command


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


def fake_system(root, meminfo_kb, cgroup_lines, files):
    """A /proc and /sys under `root`, as a container shows them."""
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/meminfo").write_text(f"MemTotal: 99999999 kB\nMemAvailable: {meminfo_kb} kB\n")
    (root / "proc/self/cgroup").write_text("".join(line + "\n" for line in cgroup_lines))
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


@pytest.mark.parametrize("cgroup_lines, files, expected", [
    # cgroup v2: 600 MB, 100 MB of it used
    (["0::/docker/abc"], {"sys/fs/cgroup/docker/abc/memory.max": "629145600", "sys/fs/cgroup/docker/abc/memory.current":
                          "104857600"}, (524288000, "sys/fs/cgroup/docker/abc/memory.max")),
    # cgroup v2, the limit on the level above
    (["0::/a/b"], {"sys/fs/cgroup/a/b/memory.max": "max", "sys/fs/cgroup/a/b/memory.current": "0",
                   "sys/fs/cgroup/a/memory.max": "1073741824", "sys/fs/cgroup/a/memory.current": "73741824"},
     (1000000000, "sys/fs/cgroup/a/memory.max")),
    # cgroup v1
    (["4:memory:/kube/pod", "3:cpu:/kube/pod"], {"sys/fs/cgroup/memory/kube/pod/memory.limit_in_bytes": "629145600",
                                                 "sys/fs/cgroup/memory/kube/pod/memory.usage_in_bytes": "0"},
     (629145600, "sys/fs/cgroup/memory/kube/pod/memory.limit_in_bytes")),
    # cgroup v1 without a limit (a number near 2**63): what is free
    (["4:memory:/"], {"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712",
                      "sys/fs/cgroup/memory/memory.usage_in_bytes": "5"}, (2 ** 33, "free")),
    # no cgroup readable: what is free, as before
    ([], {}, (2 ** 33, "free")),
], ids=["v2", "v2, above", "v1", "v1, no limit", "none"])
def test_memory_room_is_what_the_container_allows(tmp_path, cgroup_lines, files, expected):
    root = fake_system(tmp_path, 2 ** 33 // 1024, cgroup_lines, files)  # 8 GiB free
    room, limit = process.memory_room(root)
    assert room == expected[0]
    assert limit == "free" if expected[1] == "free" else limit == f"the cgroup's limit ({root / expected[1]})"


def test_a_tmpdir_too_full_for_tensorflows_files_is_one_line_at_start_up():
    # before: room for the run's folder but not for AutoGraph's files gave warnings, then a traceback
    code = ("import runpy, sys; sys.path.insert(0, '.'); import process; process.TEMPORARY_ROOM = 2 ** 60\n"
            "sys.argv = ['fixed_rnn.py']; runpy.run_path('fixed_rnn.py', run_name='__main__')")
    result = run("-c", code)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert f"the folder for temporary files, {result.tmpdir}, has " in result.stderr
    assert " KiB free; a run needs 1125899906842624 KiB there for TensorFlow's generated files" in result.stderr
    assert os.listdir(result.tmpdir) == []


def test_a_relative_report_from_a_folder_that_is_gone_is_one_line(tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    result = subprocess.run(["sh", "-c", 'cd "$1" && rmdir "$1" && exec "$2" "$3" --report-json r.json', "sh", gone,
                             sys.executable, ROOT / "fixed_rnn.py"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "cannot write r.json: No such file or directory (is the current folder gone?)" in result.stderr


def test_no_folder_for_temporary_files_is_one_line_at_start_up():
    # an unusable $TMPDIR makes Python fall back to /tmp and the rest; where none of them takes a file:
    code = ("import runpy, sys, tempfile; tempfile.tempdir = '/nonexistent/tmp'; "
            "sys.argv = ['fixed_rnn.py']; runpy.run_path('fixed_rnn.py', run_name='__main__')")
    result = run("-c", code)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("fixed_rnn.py: no folder takes temporary files ($TMPDIR is ")
    assert result.stderr.endswith("): No such file or directory\n")


def test_a_run_too_big_for_its_containers_limit_is_refused_naming_the_limit(tmp_path):
    # a real cgroup (v1, as this machine has), limited to 600 MB: the shape that needs 1.8 GiB is
    # refused before TensorFlow loads, not killed by the kernel with nothing said
    memory = "/sys/fs/cgroup/memory"
    group = os.path.join(memory, f"rnn-lesson-test-{os.getpid()}")
    try:
        os.mkdir(group)
    except OSError as error:
        pytest.skip(f"cannot make a cgroup here ({error.strerror}: it needs root and cgroup v1's memory controller)")
    try:
        with open(os.path.join(group, "memory.limit_in_bytes"), "w") as limit:
            limit.write(str(600 * 2 ** 20))
        result = subprocess.run(
            ["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$0" fixed_rnn.py --batch-size 1000 '
                         "--seq-len 100 --units 128 --layers 2", sys.executable],
            cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, "TMPDIR": str(tmp_path)})
    finally:
        os.rmdir(group)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert f"the cgroup's limit ({group}/memory.limit_in_bytes) leaves 0.6 GiB" in result.stderr


def test_running_out_of_memory_anyway_is_one_line(monkeypatch, capsys):
    class ResourceExhaustedError(Exception):  # what TensorFlow raises, by name: process.py does not import it
        pass

    def main():  # a training script's: its flags say how to ask for a smaller run
        process.if_out_of_memory(cli.SMALLER_RUN)
        raise ResourceExhaustedError("OOM when allocating tensor with shape[1000,100,4096]\nmore detail")

    with pytest.raises(SystemExit) as ended:
        run_here(monkeypatch, main)
    assert ended.value.code == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"{os.path.basename(sys.argv[0])}: out of memory (OOM when allocating tensor with "
                     f"shape[1000,100,4096]); {cli.SMALLER_RUN}"]


# --- the report's file: links, devices, permissions ---------------------------------------------
def test_a_report_on_stdout_goes_where_stdout_goes(tmp_path):
    # --report-json /dev/stdout (or -) with stdout sent to a file: the report, then the JSON, in that file
    for name in ("/dev/stdout", "-"):
        out = tmp_path / f"out{len(name)}.txt"
        result = run("lanes_examples.py", "seed", "--report-json", name, stdout=str(out))
        text = out.read_text()
        assert result.returncode == 0 and text.startswith("== seed\n"), text[:200]
        assert json.loads(text[text.index("{\n"):])["seed, fixed"]["ok"] is True
        assert not (ROOT / "-").exists()


def test_every_spelling_of_stdout_goes_where_stdout_goes(tmp_path):
    # //dev/stdout, /dev/./stdout, and the very file stdout is sent to: after the report, not over it
    out = tmp_path / "out.txt"
    for name in ("//dev/stdout", "/dev/./stdout", str(out)):
        result = run("lanes_examples.py", "seed", "--report-json", name, stdout=str(out))
        text = out.read_text()
        assert result.returncode == 0 and text.startswith("== seed\n"), (name, text[:200])
        assert json.loads(text[text.index("{\n"):])["seed, fixed"]["ok"] is True


def test_a_descriptor_that_cannot_take_the_report_is_refused_at_start_up():
    # a shell's `>` would fail at once; before, these failed after the whole run
    with open(os.devnull) as read_only:  # as `< /dev/null` opens it
        stdin = subprocess.run([sys.executable, "fixed_rnn.py", "--report-json", "/dev/stdin"], cwd=ROOT,
                               stdin=read_only, capture_output=True, text=True, timeout=60)
    assert stdin.returncode == 2 and "cannot write /dev/stdin: it is open for reading only" in stdin.stderr
    no_terminal = subprocess.run([sys.executable, "fixed_rnn.py", "--report-json", "/dev/tty"], cwd=ROOT,
                                 capture_output=True, text=True, timeout=60, start_new_session=True)
    assert no_terminal.returncode == 2 and "cannot write /dev/tty: No such device or address" in no_terminal.stderr


def test_report_names_are_checked_as_a_shell_would_make_them(tmp_path):
    longest = tmp_path / ("a" * 250 + ".json")  # 255 bytes: the most a name may have
    assert process.writable(str(longest)) is None and not longest.exists()  # tried, and left as it was
    process.write_atomically(str(longest), lambda out: out.write(b"{}"))
    assert longest.read_text() == "{}" and os.listdir(tmp_path) == [longest.name]  # no temporary name too long
    assert "File name too long" in process.writable(str(tmp_path / ("a" * 251 + ".json")))
    (tmp_path / "loop").symlink_to("loop")
    assert process.writable(str(tmp_path / "loop")).endswith("Too many levels of symbolic links")


def test_two_flags_for_one_file_are_refused(tmp_path):
    result = run("fixed_rnn.py", "--report-json", tmp_path / "x.png", "--plot", tmp_path / "x.png")
    assert result.returncode == 2 and "two of the files asked for are one file" in result.stderr


def test_a_report_keeps_its_extended_attributes(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old")
    try:
        os.setxattr(path, "user.origin", b"kept")
    except OSError:
        pytest.skip("this file system keeps no extended attributes")
    process.write_atomically(path, lambda out: out.write(b"new"))
    assert path.read_text() == "new" and os.getxattr(path, "user.origin") == b"kept"  # ACLs are such attributes


def test_a_writable_report_in_a_folder_that_takes_no_new_file_is_written_in_place():
    # as `>` would: a shared report in a folder the user may not add to
    folder = Path(tempfile.mkdtemp(dir="/tmp"))
    folder.chmod(0o777)
    path = folder / "shared.json"
    path.write_text("old")
    path.chmod(0o666)
    folder.chmod(0o555)
    try:
        if os.getuid() == 0:
            assert as_nobody(f"process.writable({str(path)!r})") == "None"
            assert as_nobody(f"process.write_atomically({str(path)!r}, lambda out: out.write(b'new'))") == "None"
        else:
            assert process.writable(str(path)) is None
            process.write_atomically(str(path), lambda out: out.write(b"new"))
        assert path.read_text() == "new" and os.listdir(folder) == ["shared.json"]
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def test_a_fifo_nobody_reads_does_not_keep_a_stop_waiting(tmp_path):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    started, result = start("lanes_examples.py", "seed", "--report-json", fifo)
    assert started.stdout.readline() == "== seed\n"
    time.sleep(0.5)  # its report is being opened: it waits for a reader
    started.send_signal(signal.SIGTERM)
    result = finish((started, result), timeout=10)
    assert result.returncode == 128 + signal.SIGTERM and result.stderr == f"terminated: {fifo} was not written\n"


def test_an_address_space_limit_too_small_for_tensorflow_is_refused():
    # ulimit -v 2 GB: TensorFlow maps more than that; before, such a run crashed (SIGSEGV, or absl's abort)
    code = ("import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, (2 * 10 ** 9, 2 * 10 ** 9)); "
            "sys.argv = ['fixed_rnn.py']; runpy.run_path('fixed_rnn.py', run_name='__main__')")
    result = run("-c", code)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "the address-space limit (ulimit -v: 1.9 GiB" in result.stderr


def test_a_symbolic_link_is_written_through(tmp_path):
    target, link = tmp_path / "target.json", tmp_path / "link.json"
    target.write_text("old")
    link.symlink_to(target)
    process.write_atomically(str(link), lambda out: out.write(b"new"))
    assert link.is_symlink() and target.read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["link.json", "target.json"]


def test_a_hard_link_is_left_with_the_old_file(tmp_path):
    # the report is a new file renamed into place, as mv does: another name for the old one keeps it
    path, other = tmp_path / "report.json", tmp_path / "other-name.json"
    path.write_text("old")
    os.link(path, other)
    process.write_atomically(str(path), lambda out: out.write(b"new"))
    assert path.read_text() == "new" and other.read_text() == "old"


def test_a_fifo_is_written_in_place_never_replaced(tmp_path):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    process.write_atomically(str(fifo), lambda out: out.write(b"through the pipe"))
    reader.join(10)
    assert got == [b"through the pipe"] and fifo.is_fifo()


def test_dev_stdout_is_written_in_place():
    # /dev/stdout leads to a pipe here, which no other path names: it is written, never replaced
    code = "import process; process.write_atomically('/dev/stdout', lambda out: out.write(b'through stdout'))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stdout == b"through stdout", done.stderr
    assert os.path.islink("/dev/stdout")


def test_write_atomically_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old")

    def write_half_then_crash(out):
        out.write(b"half")
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        process.write_atomically(path, write_half_then_crash)
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["report.json"]  # no leftovers


def test_a_new_report_gets_the_umask_and_a_replaced_one_keeps_its_mode(tmp_path):
    new = tmp_path / "new.json"
    process.write_atomically(new, lambda out: out.write(b"new"))
    assert new.stat().st_mode & 0o777 == 0o666 & ~process.UMASK  # as `>` makes a file
    private = tmp_path / "private.json"
    private.write_text("old")
    private.chmod(0o600)
    process.write_atomically(private, lambda out: out.write(b"new"))
    assert private.read_text() == "new" and private.stat().st_mode & 0o777 == 0o600  # still private


def test_root_replacing_another_users_report_keeps_its_owner(tmp_path):
    if os.getuid() != 0:
        pytest.skip("only root can write another user's file in place of it")
    path = tmp_path / "theirs.json"
    path.write_text("old")
    os.chown(path, 65534, 65534)  # nobody's
    process.write_atomically(path, lambda out: out.write(b"new"))
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)


def as_nobody(call):
    """`call`, an expression of `process`, evaluated as user nobody (this process is root) in a
    process of its own: its value's repr, or the error it raised. process.py (the standard library
    alone) comes on stdin, and the first Python that nobody may run runs it: nobody may not be
    able to read this folder, nor this interpreter (a virtual environment in /root)."""
    code = ("import sys, types; process = types.ModuleType('process'); exec(sys.stdin.read(), process.__dict__)\n"
            f"try:\n    print(repr({call}))\nexcept Exception as error:\n    print(f'raised {{error!r}}')")
    for python in (sys.executable, shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")):
        try:
            answer = subprocess.run([python, "-I", "-c", code], input=(ROOT / "process.py").read_text(), text=True,
                                    capture_output=True, user=65534, group=65534, extra_groups=[])
        except (PermissionError, TypeError):  # TypeError: no python3 found
            continue
        if answer.returncode == 0:
            return answer.stdout.strip()
    pytest.skip("no Python here that user nobody may run and that runs process.py")


def test_a_report_the_user_could_not_write_with_a_shell_is_refused_at_start_up():
    # read-only: refused for anyone but root, as `>` would be; the folder is writable all the same
    folder = Path(tempfile.mkdtemp(dir="/tmp" if os.path.isdir("/tmp") else None))  # one that nobody reaches too
    folder.chmod(0o777)
    read_only = folder / "read-only.json"
    read_only.write_text("old")
    read_only.chmod(0o444)
    if os.getuid() == 0:
        assert as_nobody(f"process.writable({str(read_only)!r})") == repr(
            f"cannot write {read_only}: Permission denied")
        assert process.writable(str(read_only)) is None  # root may, as with `>`
    else:
        assert process.writable(str(read_only)) == f"cannot write {read_only}: Permission denied"
    assert read_only.read_text() == "old"  # looked at, not touched
    shutil.rmtree(folder)


def test_an_immutable_report_is_refused_at_start_up(tmp_path):
    path = tmp_path / "immutable.json"
    path.write_text("old")
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not possible here (it needs root, and a file system that keeps the flag)")
    try:
        result = run("lanes_examples.py", "seed", "--report-json", path)
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    assert result.returncode == 2 and result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert f"cannot write {path}: Operation not permitted" in result.stderr
    assert path.read_text() == "old"
