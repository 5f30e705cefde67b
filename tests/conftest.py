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


def start(script, *flags, report_path=None):
    """Start `python script flags...` in the project folder; finish it with `finish`."""
    extra = ["--report-json", str(report_path)] if report_path else []
    process = subprocess.Popen([sys.executable, script, *map(str, flags), *extra], cwd=ROOT,
                               text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return process, report_path


def finish(started, timeout=120):
    process, report_path = started
    stdout, stderr = process.communicate(timeout=timeout)
    report = None
    if report_path and Path(report_path).exists():
        report = json.loads(Path(report_path).read_text())
    return Run(process.returncode, stdout, stderr, report)


def run(script, *flags, report_path=None):
    return finish(start(script, *flags, report_path=report_path))


@pytest.fixture(scope="session")
def default_runs(tmp_path_factory):
    """Both scripts at their defaults (the seed's settings, seed 0), trained at the same
    time, one per core. Several tests read these two runs."""
    folder = tmp_path_factory.mktemp("defaults")
    started = {name: start(f"{name}_rnn.py", report_path=folder / f"{name}.json")
               for name in ("broken", "fixed")}
    return {name: finish(s) for name, s in started.items()}
