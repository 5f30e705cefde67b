"""process.py and files.py: the promises a run keeps as a process (docs/faults.md lists each with
its test). The quick programs run here as a user runs them; the long ones are conftest.py's
shared runs (`runs.NAME`)."""
import fcntl
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import ROOT, finish, run, start

import files
import memory

WAITS = ("import pathlib, sys, time; sys.path.insert(0, '.'); import files, process\n"  # a program as the scripts
         "def main(flags):\n    process.asked('a.json', 'b.json')\n"  # are: one file written (named as a Path,
         "    files.write_file(pathlib.Path('a.json'), b'{}')\n"  # as experiments.py names its), one not yet
         "    print('ready', flush=True)\n    time.sleep(60)\n"  # written, one not yet, and a long wait
         "process.run_as_tool(main)\n")


# --- Ctrl-C, SIGTERM, SIGHUP ----------------------------------------------------------------------
def test_ctrl_c_stops_a_run_in_the_middle_of_a_long_compiled_call(runs):
    # --seq-len 100000: one compiled call trains 300 steps of 100,000 time steps, minutes long; the run
    # was stopped 0.5 s after its lane map, inside that call (tracing it, or running it), and ended well within
    # the shared run's time limit, not minutes later
    result = runs.interrupted
    assert result.returncode == 128 + signal.SIGINT
    assert result.stderr == f"interrupted: {result.folder / 'report.json'} was not written\n"  # and no traceback
    assert sorted(os.listdir(result.folder)) == ["tmp"]  # nothing half-written, no temporary file


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stop_says_which_files_were_written_and_leaves_no_temporary_files(signum, tmp_path):
    started, result = start("-c", WAITS.replace("'a.json'", repr(str(tmp_path / "a.json"))))
    assert started.stdout.readline() == "ready\n"
    started.send_signal(signum)
    result = finish((started, result))
    said = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated", signal.SIGHUP: "hung up"}[signum]
    assert result.returncode == 128 + signum
    assert result.stderr == f"{said}: {tmp_path / 'a.json'} was written; b.json was not written\n"
    assert os.listdir(result.tmpdir) == []


def test_a_stop_as_the_run_ends_is_either_a_stop_or_an_end():
    # a signal that comes as the run leaves: never the stop's line with the exit status of an end
    # (1,000 files in its temporary folder make its way out long enough for the stop to meet it there)
    code = ("import os, signal, sys, tempfile; sys.path.insert(0, '.'); import process\n"
            "def main(flags):\n    for name in range(1000):\n"
            "        open(os.path.join(tempfile.gettempdir(), str(name)), 'w').close()\n"
            "    os.kill(os.getpid(), signal.SIGTERM)\n"
            "process.run_as_tool(main)\n")
    outcomes = set()
    for _ in range(5):  # before the fix, half the tries said "terminated" and exited 0
        result = run("-c", code)
        outcomes.add((result.returncode, result.stderr))
    assert outcomes <= {(0, ""), (128 + signal.SIGTERM, "terminated\n")}, outcomes


def test_a_signal_ignored_before_the_start_stays_ignored():
    # nohup ignores SIGHUP: the run goes on through it
    code = ("import signal, sys, time; sys.path.insert(0, '.'); import process\n"
            "signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
            "def main(flags):\n    print('ready', flush=True)\n    time.sleep(1)\n    print('done')\n"
            "process.run_as_tool(main)\n")
    started, result = start("-c", code)
    assert started.stdout.readline() == "ready\n"
    started.send_signal(signal.SIGHUP)
    result = finish((started, result))
    assert result.returncode == 0 and result.stdout == "done\n" and result.stderr == ""


def test_in_a_notebook_a_kernels_own_flags_never_reach_the_program(tmp_path):
    # a script pasted into a notebook, or converted by jupytext, calls run_as_tool in a kernel whose
    # command line is the kernel's own: main gets no flags. Under IPython's %run, the flags given to it
    (tmp_path / "program.py").write_text("def main(flags):\n    return flags\n")
    code = ("import runpy, sys, IPython, process\n"
            "sys.argv = ['/x/ipykernel_launcher.py', '-f', '/x/kernel-1.json']\n"
            "print(process.run_as_tool(lambda flags: flags))\n"
            f"sys.argv = ['{tmp_path / 'program.py'}', '--steps', '5']\n"
            f"print(process.run_as_tool(runpy.run_path('{tmp_path / 'program.py'}')['main']))\n")
    result = run("-c", code)
    assert result.returncode == 0 and result.stdout == "[]\n['--steps', '5']\n", result.stderr


# --- children -----------------------------------------------------------------------------------
def running(pid):
    """Is process `pid` there, and not a zombie waiting for its parent to read its status?"""
    try:
        return open(f"/proc/{pid}/stat").read().split()[2] != "Z"
    except OSError:
        return False


def children_of(pid):
    return [int(child) for task in os.listdir(f"/proc/{pid}/task")
            for child in open(f"/proc/{pid}/task/{task}/children").read().split()]


def test_children_end_with_their_parent_even_when_it_is_killed():
    # SIGKILL to side_by_side.py: it can do nothing, so its two scripts must see it and stop themselves
    started, result = start("side_by_side.py", "--steps", 1)
    deadline = time.monotonic() + 60
    while len(children := children_of(started.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(children) == 2
    started.kill()
    finish((started, result))
    deadline = time.monotonic() + 60  # a bound for a hung test, not a speed to meet
    while any(map(running, children)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if running(pid)]


# --- stdout: a closed pipe, a full disk ----------------------------------------------------------
# lanes_examples.py's layout forms run as the scripts do (process.run_as_tool) and need no TensorFlow
def test_a_closed_pipe_ends_the_output_quietly_and_an_asked_report_is_still_written():
    for report in (True, False):
        # a pipe of one page (Linux's least): the 5 kB of output cannot all be in it before the reader
        # goes, however fast the checks run, so the writer always meets the closed pipe
        reader, writer = os.pipe()
        fcntl.fcntl(writer, fcntl.F_SETPIPE_SZ, 4096)
        started, result = start("lanes_examples.py", "seed", "transpose", "padding", "timesteps_as_features",
                                report=report, stdout=writer)
        os.close(writer)
        with open(reader) as stdout:
            first = stdout.readline()  # one line, then the reader goes, as `| head -1` does
        result.stderr, result.returncode = started.stderr.read(), started.wait(timeout=60)
        assert first == "== seed\n" and result.stderr == "", result.stderr  # no traceback, no word
        assert result.returncode == (0 if report else 128 + 13)  # as a tool that SIGPIPE ends
        assert (result.report is not None) == report
        if report:
            assert result.report["seed, broken"]["ok"] is False  # the whole run, written


def test_a_failing_stdout_still_writes_the_report_says_so_and_exits_1():
    result = run("lanes_examples.py", "seed", report=True, stdout="/dev/full")
    assert result.returncode == 1 and result.stderr == (
        "lanes_examples.py: stdout failed (No space left on device), so the output stopped; "
        f"{result.folder / 'report.json'} was written\n")  # one line, no traceback
    assert result.report["seed, fixed"]["ok"] is True
    assert os.listdir(result.tmpdir) == []


# --- files written whole --------------------------------------------------------------------------
def test_a_file_is_written_whole_and_keeps_the_mode_of_the_file_it_replaces(tmp_path, monkeypatch):
    new, private = tmp_path / "new.json", tmp_path / "private.json"
    files.write_file(new, b"new")
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~files.UMASK  # as `>` makes a new file
    private.write_text("old")
    private.chmod(0o600)
    files.write_file(private, b"replaced")
    assert private.read_text() == "replaced" and stat.S_IMODE(private.stat().st_mode) == 0o600

    def crash(*args):  # a crash just before the new file takes the old one's place
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(SystemExit, match=r"cannot write .*private.json: No space left on device"):
        files.write_file(private, b"half")
    assert private.read_text() == "replaced" and sorted(os.listdir(tmp_path)) == ["new.json", "private.json"]


def test_a_symbolic_link_is_written_through(tmp_path):
    (tmp_path / "real.json").write_text("old")
    (tmp_path / "link.json").symlink_to("real.json")
    assert files.writable(str(tmp_path / "link.json")) is None
    files.write_file(tmp_path / "link.json", b"new")
    assert (tmp_path / "link.json").is_symlink() and (tmp_path / "real.json").read_text() == "new"


def as_nobody(call):
    """`call`, an expression of `files`, evaluated as user nobody (this process is root) in a process
    of its own: its value's repr. files.py (the standard library alone) comes on stdin, for the first
    Python nobody may run: nobody may not be able to read this folder, nor this virtual environment."""
    code = ("import sys, types; files = types.ModuleType('files'); exec(sys.stdin.read(), files.__dict__)\n"
            f"print(repr({call}))")
    for python in (sys.executable, shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")):
        try:
            answer = subprocess.run([python, "-I", "-c", code], input=(ROOT / "files.py").read_text(), text=True,
                                    capture_output=True, user=65534, group=65534, extra_groups=[])
        except (PermissionError, TypeError):  # TypeError: no python3 found
            continue
        if answer.returncode == 0:
            return answer.stdout.strip()
    pytest.skip("no Python here that user nobody may run and that runs files.py")


def test_a_file_the_user_could_not_write_with_a_shell_is_refused_up_front(tmp_path):
    # `>` would fail for that user: a read-only file, and a file in a folder that does not exist; and
    # the temporary file beside it could not be made: a folder that takes no new file. Each is
    # refused by the flag, before TensorFlow loads (root may write the first and last, as with `>`)
    result = run("fixed_rnn.py", "--report-json", tmp_path / "no-such-folder" / "r.json")
    assert result.returncode == 2 and result.stderr.endswith("No such file or directory (see --help)\n")
    result = run("fixed_rnn.py", "--report-json", tmp_path / "no\nsuch" / "r.json")  # a name with a newline:
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr  # still one line
    folder = Path(tempfile.mkdtemp(dir="/tmp"))  # one that user nobody reaches too
    try:
        read_only, shared = folder / "read-only.json", folder / "shared.json"
        for path, mode in ((read_only, 0o444), (shared, 0o666)):
            path.write_text("old")
            path.chmod(mode)
        folder.chmod(0o777)
        checks = {read_only: f"cannot write {read_only}: Permission denied"}
        folder.chmod(0o1777)  # sticky, as /tmp: a file of another user's can be written, not replaced
        checks[shared] = f"cannot replace {shared}: its folder is sticky (as /tmp), and neither is yours"
        if os.geteuid() == 0:  # (root may replace it: nobody is the user here)
            assert as_nobody(f"files.writable({str(shared)!r})") == repr(checks.pop(shared))
        folder.chmod(0o555)  # and now no new file
        checks[shared] = f"cannot write {shared}: Permission denied"
        for path, why in checks.items():
            if os.geteuid() == 0:
                assert as_nobody(f"files.writable({str(path)!r})") == repr(why)
            else:
                assert files.writable(str(path)) == why
            assert path.read_text() == "old"  # looked at, not touched
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


# --- $TMPDIR -------------------------------------------------------------------------------------
def test_no_run_leaves_anything_in_its_tmpdir(runs):
    # every shared run had a $TMPDIR of its own: those that ended normally, by Ctrl-C in the middle
    # of TensorFlow's work, and by SIGTERM with two children; AutoGraph's files went with each
    for result in runs.all():
        assert os.listdir(result.tmpdir) == [], result.command


# --- memory --------------------------------------------------------------------------------
MEASURED = [  # (batch, time, units, layers): the peak of fixed_rnn.py --steps 1 --eval-positions 1's own memory
    ((7, 50, 5, 2), 373 * 2 ** 20),  # (RssAnon), on the development machine (docs/faults.md)
    ((100, 100, 256, 4), 1_466 * 2 ** 20),
    ((1000, 100, 128, 2), 1_335 * 2 ** 20),
    ((100, 100, 512, 4), 4_416_288 * 1024 - 380 * 2 ** 20),  # these two: their peak resident memory, less
    ((10, 1000, 256, 8), 16_921_488 * 1024 - 380 * 2 ** 20),  # the 380 MiB of TensorFlow's files the others show
]


@pytest.mark.parametrize("shape, peak", MEASURED, ids=lambda value: str(value))
def test_the_memory_estimate_covers_what_was_measured_without_waste(shape, peak):
    needed = memory.needed(*shape)
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
    # cgroup v2 whose usage is mostly cache it can reclaim (inactive_file): that cache counts as room
    (["0::/docker/abc"], {"sys/fs/cgroup/docker/abc/memory.max": "629145600", "sys/fs/cgroup/docker/abc/memory.current":
                          "629145600", "sys/fs/cgroup/docker/abc/memory.stat": "anon 104857600\ninactive_file "
                          "419430400\n"}, (419430400, "sys/fs/cgroup/docker/abc/memory.max")),
    # cgroup v1 without a limit (a number near 2**63): what is free
    (["4:memory:/"], {"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712",
                      "sys/fs/cgroup/memory/memory.usage_in_bytes": "5"}, (2 ** 33, "free")),
    # no cgroup readable: what is free
    ([], {}, (2 ** 33, "free")),
], ids=["v2", "v2, above", "v1", "v2, cache", "v1, no limit", "none"])
def test_memory_room_is_what_the_container_allows(tmp_path, cgroup_lines, files, expected):
    root = fake_system(tmp_path, 2 ** 33 // 1024, cgroup_lines, files)  # 8 GiB free
    room, limit = memory.room(root)
    assert room == expected[0]
    assert limit == "free" if expected[1] == "free" else limit == f"the cgroup's limit ({root / expected[1]})"


def test_a_run_too_big_for_its_containers_limit_is_refused_naming_the_limit(tmp_path):
    # a real cgroup (v1, where this machine has it), limited to 600 MB: the shape that needs 1.8 GiB is
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
