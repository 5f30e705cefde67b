"""The same report on every TensorFlow release with Keras 3, 2.16 to 2.21, and on Colab's stack.

    pip install nox==2026.10.20
    nox                                          # all sessions, about 3 GB of downloads
    nox -s "tensorflow(wheel='tensorflow-cpu==2.16.2')"    # one release
    nox -s colab                                 # Google Colab's: needs python3.13 on PATH

`pinned` installs requirements.txt and runs both scripts with FLAGS, and lanes_examples.py
(every form of the bug through lanes' checks). Each `tensorflow` session installs one
TensorFlow wheel instead (the CPU-only wheel of each release, and the full 2.21 wheel), runs
the same, and fails unless stderr is empty and stdout is byte for byte what `pinned` printed.
`colab` does the same on Google Colab's stack, then runs side_by_side.py through IPython's
%run, as a notebook does, and the lesson notebook in a kernel (tests/pasted.py --lesson: it
must show what lesson.ipynb stores). Reports land in .nox/reports/. CI does not run this: it downloads
too much. docs/compatibility.md says what it found.
"""
from pathlib import Path

import nox

SCRIPTS = ("broken_rnn.py", "fixed_rnn.py")
FLAGS = ("--steps", "300", "--eval-positions", "1000")  # enough to train, short enough to repeat
PROGRAMS = {**{script: FLAGS for script in SCRIPTS}, "lanes_examples.py": ()}  # each, with its flags
RELEASES = ("2.16.2", "2.17.1", "2.18.1", "2.19.1", "2.20.0", "2.21.0")  # the newest patch of each
WHEELS = [f"tensorflow-cpu=={release}" for release in RELEASES] + ["tensorflow==2.21.0"]
REPORTS = Path(".nox/reports")

COLAB = ("tensorflow==2.20.0", "keras==3.13.2")  # googlecolab/backend-info, 2026-08: on Python 3.13

nox.options.sessions = ["pinned", "tensorflow", "colab"]


def run_scripts(session, name):
    """Run PROGRAMS in the session's environment; their output goes to REPORTS/name/."""
    folder = REPORTS / name
    folder.mkdir(parents=True, exist_ok=True)
    for script, flags in PROGRAMS.items():
        with open(folder / f"{script}.out", "w") as out, open(folder / f"{script}.err", "w") as err:
            session.run("python", script, *flags, stdout=out, stderr=err)
        if (folder / f"{script}.err").read_text():
            session.error(f"{script} wrote to stderr: see {folder / script}.err")
    return folder


@nox.session(python="3.11")
def pinned(session):
    session.install("-r", "requirements.txt")
    run_scripts(session, "pinned")


def same_as_pinned(session, folder):
    for script in PROGRAMS:
        ours, pinned = (folder / f"{script}.out").read_text(), (REPORTS / "pinned" / f"{script}.out").read_text()
        if ours != pinned:
            session.error(f"{script} prints another report than the pinned install: "
                          f"diff {REPORTS / 'pinned' / script}.out {folder / script}.out")


@nox.session(python="3.11", requires=["pinned"])
@nox.parametrize("wheel", WHEELS)
def tensorflow(session, wheel):
    session.install(wheel, "keras==3.15.1")  # numpy: whichever the release accepts
    same_as_pinned(session, run_scripts(session, wheel))


@nox.session(python="3.13", requires=["pinned"])
def colab(session):
    session.install(*COLAB, "ipython", "-r", "requirements-plot.txt",  # numpy: whichever pip pairs with them
                    *[line for line in Path("requirements-test.txt").read_text().splitlines()
                      if line.startswith(("jupytext", "nbclient", "nbformat", "ipykernel"))])
    folder = run_scripts(session, "colab")
    same_as_pinned(session, folder)
    with open(folder / "ipython.out", "w") as out, open(folder / "ipython.err", "w") as err:
        session.run("ipython", "--no-banner", "-c", f"%run side_by_side.py {' '.join(FLAGS)}", stdout=out, stderr=err)
    printed = (folder / "ipython.out").read_text()
    for script in SCRIPTS:
        if f"== {script}\n" + (REPORTS / "pinned" / f"{script}.out").read_text() not in printed:
            session.error(f"%run side_by_side.py did not print the pinned {script} report: see {folder}/ipython.out")
    said = [line for line in (folder / "ipython.err").read_text().splitlines()  # but how far each script is
            if not line.startswith(("training broken_rnn.py and fixed_rnn.py", *(f"{s}: step" for s in SCRIPTS)))]
    if said:
        session.error(f"%run side_by_side.py wrote to stderr: see {folder}/ipython.err")
    session.run("python", "tests/pasted.py", "--lesson")  # the lesson, top to bottom, as stored
