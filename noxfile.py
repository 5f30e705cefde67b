"""The same report on every TensorFlow release with Keras 3: 2.16 to 2.21.

    pip install nox==2026.10.20
    nox                                          # all sessions, about 3 GB of downloads
    nox -s "tensorflow(wheel='tensorflow-cpu==2.16.2')"    # one release

`pinned` installs requirements.txt and runs both scripts with FLAGS. Each `tensorflow`
session installs one TensorFlow wheel instead (the CPU-only wheel of each release, and the
full 2.21 wheel), runs the same, and fails unless stderr is empty and stdout is byte for byte
what `pinned` printed. Reports land in .nox/reports/. CI does not run this: it downloads too
much. The README says what it found.
"""
from pathlib import Path

import nox

SCRIPTS = ("broken_rnn.py", "fixed_rnn.py")
FLAGS = ("--steps", "300", "--eval-positions", "1000")  # enough to train, short enough to repeat
RELEASES = ("2.16.2", "2.17.1", "2.18.1", "2.19.1", "2.20.0", "2.21.0")  # the newest patch of each
WHEELS = [f"tensorflow-cpu=={release}" for release in RELEASES] + ["tensorflow==2.21.0"]
REPORTS = Path(".nox/reports")

nox.options.sessions = ["pinned", "tensorflow"]


def run_scripts(session, name):
    """Run both scripts in the session's environment; their output goes to REPORTS/name/."""
    folder = REPORTS / name
    folder.mkdir(parents=True, exist_ok=True)
    for script in SCRIPTS:
        with open(folder / f"{script}.out", "w") as out, open(folder / f"{script}.err", "w") as err:
            session.run("python", script, *FLAGS, stdout=out, stderr=err)
        if (folder / f"{script}.err").read_text():
            session.error(f"{script} wrote to stderr: see {folder / script}.err")
    return folder


@nox.session(python="3.11")
def pinned(session):
    session.install("-r", "requirements.txt")
    run_scripts(session, "pinned")


@nox.session(python="3.11", requires=["pinned"])
@nox.parametrize("wheel", WHEELS)
def tensorflow(session, wheel):
    session.install(wheel, "keras==3.15.1")  # numpy: whichever the release accepts
    folder = run_scripts(session, wheel)
    for script in SCRIPTS:
        ours, pinned = (folder / f"{script}.out").read_text(), (REPORTS / "pinned" / f"{script}.out").read_text()
        if ours != pinned:
            session.error(f"{script} prints another report than the pinned install: "
                          f"diff {REPORTS / 'pinned' / script}.out {folder / script}.out")
