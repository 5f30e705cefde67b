"""lesson.ipynb, the lesson notebook: it runs top to bottom, quietly, and shows what it shows today.
`runs.lesson` is lesson.py run in a fresh kernel (tests/pasted.py's run_lesson)."""
import jupytext
import nbformat
import pasted
from conftest import ROOT, SAME_ARCHITECTURE

STORED = ROOT / "lesson.ipynb"


def ran(runs):
    return nbformat.reads(runs.lesson.stdout, as_version=4)


def test_the_lesson_runs_top_to_bottom_with_nothing_on_stderr(runs):
    outputs = [output for cell in ran(runs).cells for output in cell.get("outputs", [])]
    assert [output for output in outputs if output.output_type == "error"] == []
    assert [output.text for output in outputs if output.output_type == "stream" and output.name == "stderr"] == []
    pictures = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(pictures) == 1  # the learning curves, inline
    shown = "".join(output.text for output in outputs if output.output_type == "stream")
    assert "verdict: confuses 0<->2 and 1<->3" in shown and "verdict: learned all four classes" in shown


def test_its_text_twin_is_the_same_lesson():
    # lesson.py (jupytext's percent format) is what a diff shows: cell for cell the notebook's source
    twin, stored = jupytext.read(ROOT / "lesson.py"), jupytext.read(STORED)
    assert [(cell.cell_type, cell.source) for cell in twin.cells] == [(c.cell_type, c.source) for c in stored.cells]


@SAME_ARCHITECTURE
def test_the_stored_outputs_are_what_it_shows_today(runs):
    # what a student reads without running it: python tests/pasted.py --lesson --write regenerates it
    assert pasted.notebook_text(ran(runs)) == pasted.notebook_text(jupytext.read(STORED))


def test_a_changed_output_is_caught():
    notebook = jupytext.read(STORED)
    cell = next(cell for cell in notebook.cells if "verdict: learned" in "".join(
        output.get("text", "") for output in cell.get("outputs", [])))
    output = next(output for output in cell.outputs if "verdict: learned" in output.get("text", ""))
    output.text = output.text.replace("0.9908", "0.9909")
    assert pasted.notebook_text(notebook) != pasted.notebook_text(jupytext.read(STORED))
