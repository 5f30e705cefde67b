"""Run the programs the way a user does: a subprocess, then read its --report-json.

Every run that loads TensorFlow for more than a moment is made once and shared: `runs.NAME`
is its `Run`. They start as soon as the tests are collected, two at a time (one a core),
while the tests that need none of them go first. This table is the whole list; PLANS below
makes each one:

  runs.NAME          the command, and what else                                 read by
  side_by_side       side_by_side.py --plot --report-json, through a link in    test_side_by_side
                     another folder, run from there; COLUMNS=80
  broken, fixed      what side_by_side.py printed and wrote for each script,    test_rnn, test_docs
                     as that script's own Run
  broken_one_lane    broken_rnn.py --batch-size 1 --seq-len 50 --optimizer adam  test_rnn, test_docs
                     --steps 300, matplotlib unimportable
  fixed_reset        fixed_rnn.py --state reset; TF_CPP_MIN_LOG_LEVEL=0 (all    test_rnn, test_docs,
                     of TensorFlow's log: stderr alone)                         test_quiet_tf
  lanes_examples     lanes_examples.py --report-json                            test_lanes_examples, test_docs
  interrupted        fixed_rnn.py --batch-size 1 --seq-len 100000               test_process, test_rnn
                     --eval-positions 1 --units 8 --optimizer adam
                     --learning-rate 0.05; Ctrl-C 0.5 s after its lane map
  terminated         side_by_side.py, SIGTERM to its own pid once both          test_side_by_side
                     children run
  lesson             lesson.py run top to bottom in a fresh kernel               test_lesson, test_process
                     (tests/pasted.py's run_lesson): stdout is the notebook

Each gets a $TMPDIR of its own (`Run.tmpdir`), and test_process checks that each shared run
left it empty (`Runs.all`), as some of its own quick runs do. What a TensorFlow process costs
before it trains: [performance](../docs/performance.md#the-test-suite).
"""
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pasted
import pytest

import side_by_side

ROOT = pasted.ROOT
ENVIRONMENT = {name: value for name, value in os.environ.items()  # as the suite started (importing a script
               if name != "PYTHONUNBUFFERED"}  # sets TensorFlow's switches in os.environ); stdout buffered, as usual
RUNS_AT_ONCE = 2  # one a core: with 3, the suite took about 8% longer, and 15% more CPU
SCRATCH = Path(tempfile.mkdtemp(prefix="rnn-lesson-tests-"))  # every run's folders; removed at the end
IGNORED = [signum for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGTERM)
           if signal.getsignal(signum) is signal.SIG_IGN]  # by nohup, or a shell's background job: inherited
FROM_A_TERMINAL = [  # where any is, each run starts through this, which gives them back, then becomes the run
    sys.executable, "-I", "-S", "-c", f"import os, signal, sys\nfor signum in {[int(signum) for signum in IGNORED]}:\n"
    "    signal.signal(signum, signal.SIG_DFL)\nos.execv(sys.executable, [sys.executable, *sys.argv[1:]])"]
SAME_ARCHITECTURE = pytest.mark.skipif(  # training output is compared where it was made: tests/pasted.py
    not pasted.made_here(), reason=f"the pasted training output was made on {pasted.MADE_ON[0]}; on this "
    f"architecture ({platform.machine()}) it has not been seen (docs/compatibility.md)")


@dataclass
class Run:
    """One run of a program: what ran, what it printed, what it wrote."""

    command: list  # the program and its flags, as given to python
    returncode: int
    stdout: str
    stderr: str
    folder: Path  # a folder of its own: --report-json, --plot and --out point into it
    tmpdir: Path  # its $TMPDIR
    env: dict = field(default_factory=dict)  # environment variables set on purpose
    seconds: float = 0.0  # for a run stopped by a signal: how long it took to end after it
    children: list = field(default_factory=list)  # for a run that starts processes: their pids
    started: float = 0.0  # when it started (time.monotonic)
    took: float = 0.0  # seconds from its start to its end

    @property
    def report(self):
        """Its --report-json, read, if it was asked for one and wrote it."""
        path = self.folder / "report.json"
        return json.loads(path.read_text()) if path.exists() else None


def folders(name):
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=SCRATCH))
    (folder / "tmp").mkdir()
    return folder, folder / "tmp"


def start(script, *flags, env=None, report=False, cwd=ROOT, stdout=subprocess.PIPE, closed=()):
    """Start `python script flags...` (in the project folder, unless cwd says), with a folder and a
    $TMPDIR of its own; FOLDER in a flag is that folder; `report`: --report-json into it; `stdout`:
    a pipe, or a path to write it to; `closed`: the file descriptors (1, 2) it starts without,
    as `>&-` leaves them. It gets the signals a terminal gives, even where pytest runs with some
    ignored (`IGNORED`): the tests send them. Finish it with `finish`."""
    folder, tmpdir = folders(Path(script).stem)
    started = time.monotonic()
    command = [str(script), *(str(flag).replace("FOLDER", str(folder)) for flag in flags)]
    command += ["--report-json", str(folder / "report.json")] if report else []
    with open(stdout, "w") if isinstance(stdout, str) else nullcontext(stdout) as out:  # a path: written there
        python = FROM_A_TERMINAL if IGNORED else [sys.executable]
        process = subprocess.Popen([*python, *command], cwd=cwd, text=True, stdout=out, stderr=subprocess.PIPE,
                                   env={**ENVIRONMENT, **(env or {}), "TMPDIR": str(tmpdir)},
                                   preexec_fn=(lambda: [os.close(fd) for fd in closed]) if closed else None)
    _running.append(process)
    return process, Run(command, None, "", "", folder, tmpdir, env or {}, started=started)


def finish(started, timeout=300):
    process, result = started
    stdout, stderr = process.communicate(timeout=timeout)
    result.stdout, result.stderr = stdout or "", stderr or ""
    result.returncode, result.took = process.returncode, time.monotonic() - result.started
    return result


def run(script, *flags, **how):
    """Run `python script flags...` to its end: see `start`."""
    return finish(start(script, *flags, **how))


def interrupted(script, *flags, when, after, **how):
    """Run a script, and send it Ctrl-C (SIGINT) `after` seconds after it prints a line starting
    with `when`; `seconds` is how long it took to end after that."""
    process, result = start(script, *flags, **how)
    before = []  # what it printed until then
    for line in process.stdout:
        before.append(line)
        if line.startswith(when):
            break
    time.sleep(after)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    result = finish((process, result))
    result.stdout, result.seconds = "".join(before) + result.stdout, time.monotonic() - sent
    return result


def signalled(script, *flags, signum, after, **how):
    """Run a script that starts two child processes, and send `signum` to its own pid alone (as a
    supervisor or `kill` does, not to its process group) once it has started them and `after`
    seconds have passed. `children`: their pids; `seconds`: how long it took to end."""
    process, result = start(script, *flags, **how)
    deadline, children = time.monotonic() + 30, []
    while len(children) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        children = [pid for task in Path(f"/proc/{process.pid}/task").iterdir()
                    for pid in (task / "children").read_text().split()]
    time.sleep(after)
    sent = time.monotonic()
    process.send_signal(signum)
    result = finish((process, result))
    result.seconds, result.children = time.monotonic() - sent, children
    return result


def lesson():
    """The lesson notebook, run as `make test` runs it (pasted.run_lesson), with a $TMPDIR of its own:
    a Run whose stdout is the notebook it made, as JSON."""
    folder, tmpdir = folders("lesson")
    started = time.monotonic()
    notebook = pasted.run_lesson(env={**ENVIRONMENT, "TMPDIR": str(tmpdir)})
    return Run(["lesson.py", "(in a kernel)"], 0, nbformat.writes(notebook), "", folder, tmpdir,
               started=started, took=time.monotonic() - started)


def linked(script):
    """A symbolic link to `script` in a folder of its own, as a user's ~/bin would hold one."""
    link = Path(tempfile.mkdtemp(prefix="link-", dir=SCRATCH)) / script
    link.symlink_to(ROOT / script)
    return link


def no_matplotlib():
    """A folder whose `matplotlib` fails to import, as if it were not installed: for PYTHONPATH."""
    folder = Path(tempfile.mkdtemp(prefix="no-matplotlib-", dir=SCRATCH))
    (folder / "matplotlib").mkdir()
    (folder / "matplotlib" / "__init__.py").write_text("raise ImportError('no matplotlib')\n")
    return str(folder)


PLANS = {  # runs.NAME: how it is made (the table above); the longest first
    "side_by_side": lambda: run(linked("side_by_side.py"), "--plot", "FOLDER/both.png", report=True,
                                cwd=SCRATCH, env={"COLUMNS": "80"}),  # a common width, too narrow for columns
    "broken_one_lane": lambda: run("broken_rnn.py", "--batch-size", 1, "--seq-len", 50, "--optimizer", "adam",
                                   "--steps", 300, report=True,
                                   env={"PYTHONPATH": no_matplotlib()}),
    "fixed_reset": lambda: run("fixed_rnn.py", "--state", "reset", report=True,
                               env={"TF_CPP_MIN_LOG_LEVEL": "0"}),  # and TensorFlow's whole log asked for
    "lanes_examples": lambda: run("lanes_examples.py", report=True),
    # a run whose every compiled call takes minutes, stopped in the middle of one
    "interrupted": lambda: interrupted("fixed_rnn.py", "--batch-size", 1, "--seq-len", 100_000, "--eval-positions", 1,
                                       "--units", 8, "--optimizer", "adam", "--learning-rate", 0.05,  # printed first
                                       when="lane map", after=0.5, report=True),
    "terminated": lambda: signalled("side_by_side.py", signum=signal.SIGTERM, after=0.5),
    "lesson": lambda: lesson(),
}


@dataclass
class Runs:
    """Every shared run, by name (the table above)."""

    side_by_side: Run
    broken: Run
    fixed: Run
    broken_one_lane: Run
    fixed_reset: Run
    lanes_examples: Run
    interrupted: Run
    terminated: Run
    lesson: Run

    def all(self):
        """Every run made (broken and fixed are side_by_side's)."""
        return [getattr(self, name) for name in self.__dataclass_fields__ if name not in ("broken", "fixed")]


PROGRESS = re.compile(r"^(training broken_rnn\.py and fixed_rnn\.py at once; .*|(broken|fixed)_rnn\.py: step +\d+ "
                      r"\| loss \S+)\n", re.MULTILINE)  # what side_by_side.py says on stderr while they train


def without_progress(stderr):
    """side_by_side.py's stderr without its progress lines (PROGRESS): what else was said."""
    return PROGRESS.sub("", stderr)


def from_side_by_side(both, script):
    """What side_by_side.py printed and wrote for one script (at 80 columns the two reports come
    one after the other, each under its heading), as that script's own Run."""
    broken_text, fixed_text = both.stdout.split("\n\n" + side_by_side.heading("fixed_rnn.py"))
    assert broken_text.startswith(side_by_side.heading("broken_rnn.py"))
    printed = {"broken_rnn.py": broken_text.removeprefix(side_by_side.heading("broken_rnn.py")) + "\n",
               "fixed_rnn.py": fixed_text}
    folder, tmpdir = folders(Path(script).stem)
    (folder / "report.json").write_text(json.dumps(both.report[script]))
    return Run([script, "(through side_by_side.py)"], both.returncode, printed[script], without_progress(both.stderr),
               folder, tmpdir, both.env)


class FakeChild:
    """Stands in for a script that process.child starts (side_by_side.run_script does): it writes the
    report `report(flags)` gives, prints a line, and exits with `returncode` (with `said` on stderr)
    after `seconds`, or once `end()` is called; no TensorFlow. For tests of what side_by_side.py and
    experiments.py do with their children: a subclass sets what differs, and only for the script
    named `only`, if set."""

    report, returncode, said, seconds, only = staticmethod(lambda flags: {}), 0, "", 0.0, None
    ended = threading.Event()

    @classmethod
    def end(cls):
        """End every FakeChild still running, as process.end_children ends real ones."""
        FakeChild.ended.set()

    def __init__(self, command, **popen):
        path = command[command.index("--report-json") + 1]
        self.script, self.flags = Path(command[1]).name, command[2:command.index("--report-json")]
        self.said_to = popen["stderr"]  # a file, as run_script gives it
        if self.only and self.script != self.only:  # the other script: as FakeChild itself is set
            self.returncode, self.said, self.seconds = FakeChild.returncode, FakeChild.said, FakeChild.seconds
        if not self.returncode:
            Path(path).write_text(json.dumps({"script": self.script, **self.report(self.flags)}))

    @property
    def stdout(self):
        """What it prints, once it has run (its step line and its report); what it says goes to its stderr."""
        if FakeChild.ended.wait(self.seconds):  # ended (end()) before it finished: it says nothing
            return iter([])
        self.said_to.write(self.said)
        self.said_to.flush()
        return iter([] if self.returncode else [f"step     0 | loss 1.0000 ({self.script})\n",
                                                f"the report of {self.script}\n"])

    def wait(self):
        return self.returncode


_started = {}  # runs.NAME: its future, from the moment the tests are collected
_running = []  # every process `start` started: any still running when the suite ends is killed


def pytest_configure(config):
    """SIGTERM (a CI job's timeout, `kill`) ends the suite as Ctrl-C does: its processes and
    folders are cleaned up (pytest_sessionfinish), none left waiting."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def pytest_collection_modifyitems(session, config, items):
    """The tests that need no shared run go first, while the runs are made."""
    items.sort(key=lambda item: "runs" in getattr(item, "fixturenames", ()))


def pytest_collection_finish(session):
    if any("runs" in getattr(item, "fixturenames", ()) for item in session.items):
        pool = ThreadPoolExecutor(max_workers=RUNS_AT_ONCE)
        _started.update({name: pool.submit(plan) for name, plan in PLANS.items()})
        pool.shutdown(wait=False)


def pytest_terminal_summary(terminalreporter):
    """One line: how long each shared run took, for whoever keeps the suite fast."""
    done = {name: future.result() for name, future in _started.items()
            if future.done() and not future.cancelled() and not future.exception()}
    if done:
        took = ", ".join(f"{name} {run.took:.0f} s" for name, run in done.items())
        terminalreporter.write_line(f"shared runs: {took}")


def pytest_sessionfinish(session):
    for future in _started.values():
        future.cancel()
    for process in _running:
        if process.poll() is None:
            process.kill()
    shutil.rmtree(SCRATCH, ignore_errors=True)


@pytest.fixture(scope="session")
def runs():
    """Every shared run (the table above), once all are done."""
    done = {name: future.result() for name, future in _started.items()}
    both = done["side_by_side"]
    return Runs(broken=from_side_by_side(both, "broken_rnn.py"), fixed=from_side_by_side(both, "fixed_rnn.py"),
                **done)
