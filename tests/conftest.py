"""Run the scripts the way a user does: a subprocess, then read --report-json."""
import json
import subprocess
import sys
from dataclasses import dataclass
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
    again for the determinism test, and a few other shapes."""
    folder = tmp_path_factory.mktemp("runs")
    plans = {
        "broken": ("broken_rnn.py",),
        "fixed": ("fixed_rnn.py", "--plot", folder / "fixed.png"),
        "fixed, again": ("fixed_rnn.py",),
        "broken, one lane": ("broken_rnn.py", "--batch-size", 1, "--seq-len", 50),
        "broken, 3 x 4": ("broken_rnn.py", "--batch-size", 3, "--seq-len", 4, "--steps", 2, "--eval-positions", 1),
        "fixed, 3 x 4": ("fixed_rnn.py", "--batch-size", 3, "--seq-len", 4, "--steps", 2, "--eval-positions", 1),
    }
    started = {name: start(*plan, report_path=folder / f"{number}.json")
               for number, (name, plan) in enumerate(plans.items())}
    done = {name: finish(s) for name, s in started.items()}
    done["fixed"].plot = folder / "fixed.png"
    return done
