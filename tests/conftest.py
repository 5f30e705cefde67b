"""Run the scripts the way a user does: a subprocess, then read --report-json."""
import json
import os
import subprocess
import sys
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


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """The training runs that several tests read, all started at once so that they share
    both cores: both scripts at their defaults (the seed's settings, seed 0), the fixed one
    again for the determinism test, a few other shapes, and two short runs with TensorFlow's
    own settings changed from outside."""
    folder = tmp_path_factory.mktemp("runs")
    short = ("--steps", 2, "--eval-positions", 1)
    (folder / "matplotlib").mkdir()  # a stand-in that fails to import, as if it were not installed
    (folder / "matplotlib" / "__init__.py").write_text("raise ImportError('no matplotlib')\n")
    plans = {  # name: (script and flags, environment variables to set)
        "broken": (("broken_rnn.py",), {}),
        "fixed": (("fixed_rnn.py", "--plot", folder / "fixed.png"), {}),
        "fixed, again": (("fixed_rnn.py",), {}),
        "broken, one lane": (("broken_rnn.py", "--batch-size", 1, "--seq-len", 50), {}),
        # short runs in other shapes, each with a setting changed: without matplotlib ...
        "broken, 3 x 4": (("broken_rnn.py", "--batch-size", 3, "--seq-len", 4, *short),
                          {"PYTHONPATH": str(folder)}),
        # ... with TensorFlow's whole log asked for ...
        "fixed, 3 x 4": (("fixed_rnn.py", "--batch-size", 3, "--seq-len", 4, *short),
                         {"TF_CPP_MIN_LOG_LEVEL": "0"}),
        # ... and with a flag that TensorFlow refuses
        "fixed, bad TF_XLA_FLAGS": (("fixed_rnn.py", *short), {"TF_XLA_FLAGS": "--no_such_flag"}),
    }
    started = {name: start(*plan, report_path=folder / f"{number}.json", env={**os.environ, **env})
               for number, (name, (plan, env)) in enumerate(plans.items())}
    done = {name: finish(s) for name, s in started.items()}
    for name, (_, env) in plans.items():
        done[name].settings_changed = env
    done["fixed"].plot = folder / "fixed.png"
    return done
