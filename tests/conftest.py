"""Run the scripts the way a user does: a subprocess, then read --report-json."""
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    report: dict | None  # the --report-json file, if the run wrote one
    plot: Path | None = None  # the --plot file, if asked for
    settings_changed: dict = field(default_factory=dict)  # environment variables set on purpose
    script: str = ""  # the program it ran
    seconds: float = 0.0  # for a run stopped by a signal: how long it took to end
    children: list = field(default_factory=list)  # for a run that started processes: their pids


def start(script, *flags, report_path=None, env=None):
    """Start `python script flags...` in the project folder; finish it with `finish`."""
    extra = ["--report-json", str(report_path)] if report_path else []
    process = subprocess.Popen([sys.executable, script, *map(str, flags), *extra], cwd=ROOT, env=env,
                               text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return process, report_path


def finish(started, timeout=120):
    process, report_path = started
    stdout, stderr = process.communicate(timeout=timeout)
    report = None
    if report_path and Path(report_path).exists():
        report = json.loads(Path(report_path).read_text())
    return Run(process.returncode, stdout, stderr, report)


def run(script, *flags, report_path=None, env=None):
    return finish(start(script, *flags, report_path=report_path, env=env))


def interrupted(script, *flags, report_path, when, after):
    """Run a script, and send it Ctrl-C (SIGINT) `after` seconds after it prints a line starting
    with `when`; `seconds` is how long it took to end after that."""
    process, _ = start(script, *flags, report_path=report_path)
    for line in process.stdout:
        if line.startswith(when):
            break
    time.sleep(after)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    return Run(process.returncode, stdout, stderr, None, seconds=time.monotonic() - sent)


def closed_early(script, *flags, report_path, env):
    """Run a script with its stdout read for one line and then closed, as `| head -1` does."""
    process, _ = start(script, *flags, report_path=report_path, env=env)
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    process.wait(timeout=120)
    report = json.loads(Path(report_path).read_text()) if Path(report_path).exists() else None
    return Run(process.returncode, first, stderr, report)


def terminated(script, *flags, after):
    """Run a script that starts child processes, and send SIGTERM to its own pid alone (as a
    supervisor or `kill` does, not to its process group) once it has started them and `after`
    seconds have passed. `children`: their pids; `seconds`: how long it took to end."""
    process, _ = start(script, *flags)
    deadline, children = time.monotonic() + 30, []
    while len(children) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        children = [pid for task in Path(f"/proc/{process.pid}/task").iterdir()
                    for pid in (task / "children").read_text().split()]
    time.sleep(after)
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    return Run(process.returncode, stdout, stderr, None, seconds=time.monotonic() - sent, children=children)


RUNS_AT_ONCE = 2  # one a core: with 3, the suite took about 8% longer here, and 15% more CPU


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """Every run that takes TensorFlow more than a moment, RUNS_AT_ONCE at a time: both
    scripts at their defaults (the seed's settings, seed 0), through side_by_side.py, which is
    what `make demo` runs; another shape, other models and state policies; experiments.py
    --quick, and one of its runs made again (the determinism test compares them); short runs
    with a setting changed from outside, or diverging; the >>> examples of the pages and
    lanes_examples.py; a run stopped with Ctrl-C in the middle of a long compiled call,
    side_by_side.py stopped with SIGTERM, and a run whose stdout is closed early. Each
    TensorFlow process costs seconds of CPU before it trains, so a run is made once, and
    shared."""
    folder = tmp_path_factory.mktemp("runs")
    short = ("--steps", 2, "--eval-positions", 1)
    (folder / "matplotlib").mkdir()  # a stand-in that fails to import, as if it were not installed
    (folder / "matplotlib" / "__init__.py").write_text("raise ImportError('no matplotlib')\n")
    (folder / "interrupted").mkdir()
    plans = {  # name: (script and flags, environment variables to set); the longest first
        "side by side": (("side_by_side.py", "--plot", folder / "both.png"),  # two runs at once
                         {"COLUMNS": "80"}),  # a common terminal width, and too narrow for columns
        "broken, one lane": (("broken_rnn.py", "--batch-size", 1, "--seq-len", 50),  # and no matplotlib
                             {"PYTHONPATH": str(folder)}),
        "fixed, state reset": (("fixed_rnn.py", "--state", "reset"), {}),
        "experiments, quick": (("experiments.py", "--quick", "--out", folder), {}),  # two short runs
        "lanes examples": (("lanes_examples.py",), {}),  # tf.data and Keras, no training
        "pasted examples": (("tests/pasted.py", "--doctest"), {}),  # the >>> examples of README.md, docs/
        # the big model of experiments.py, at a learning rate that makes it diverge at once
        "diverged": (("fixed_rnn.py", "--units", 32, "--optimizer", "adam", "--learning-rate", "1e300",
                      "--batch-size", 3, "--seq-len", 2, *short), {}),
        # a flag that TensorFlow refuses
        "fixed, bad TF_XLA_FLAGS": (("fixed_rnn.py", *short), {"TF_XLA_FLAGS": "--no_such_flag"}),
    }

    def one(number, name):
        plan, env = plans[name]
        report_path = folder / f"{number}.json" if plan[0].endswith(("_rnn.py", "_examples.py", "side_by_side.py")) \
            else None
        result = run(*plan, report_path=report_path, env={**os.environ, **env})
        result.settings_changed, result.script = env, plan[0]
        return result

    with ThreadPoolExecutor(max_workers=RUNS_AT_ONCE) as pool:
        futures = {name: pool.submit(one, number, name) for number, name in enumerate(plans)}
        # a run whose every compiled call takes minutes, stopped in the middle of one
        futures["interrupted"] = pool.submit(interrupted, "fixed_rnn.py", "--batch-size", 1, "--seq-len", 100_000,
                                             "--eval-positions", 1, when="lane map", after=1.5,
                                             report_path=folder / "interrupted" / "report.json")
        # the fixed run of experiments.py --quick made again (the determinism test compares them),
        # its stdout closed after one line, and TensorFlow's whole log asked for
        futures["fixed, short"] = pool.submit(closed_early, "fixed_rnn.py", "--steps", 20, "--eval-positions", 100,
                                              report_path=folder / "short.json",
                                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"})
        futures["side by side, terminated"] = pool.submit(terminated, "side_by_side.py", after=0.5)
        done = {name: future.result() for name, future in futures.items()}
    done["fixed, short"].settings_changed = {"TF_CPP_MIN_LOG_LEVEL": "0"}
    done["interrupted"].plot = folder / "interrupted"  # the folder its report would have gone to
    done["side by side"].plot = folder / "both.png"
    done["experiments, quick"].plot = folder / "experiments.png"
    done.update(split_side_by_side(done["side by side"]))
    return done


def split_side_by_side(both):
    """side_by_side.py's run as one Run a script: its report (from --report-json) and what it
    printed (at 80 columns the reports come one after the other, each under its heading)."""
    broken_text, fixed_text = both.stdout.split("\n\n== fixed_rnn.py\n")
    assert broken_text.startswith("== broken_rnn.py\n")
    printed = {"broken": broken_text.removeprefix("== broken_rnn.py\n") + "\n", "fixed": fixed_text}
    return {name: Run(both.returncode, printed[name], both.stderr, both.report[f"{name}_rnn.py"],  # stderr: both's
                      plot=both.plot, script=f"{name}_rnn.py") for name in ("broken", "fixed")}
