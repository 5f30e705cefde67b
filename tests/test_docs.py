"""The output pasted into README.md and docs/ is what the code prints today (tests/pasted.py)."""
import json
import re

import pasted
import pytest
from conftest import ROOT

import experiments
import side_by_side


def trained_in_the_suite(runs):
    """Commands that train: their output comes from the runs the suite makes anyway (conftest.py),
    not from new processes. The side-by-side columns are each script's report, as the
    determinism test (test_same_seed_same_report) shows for side_by_side.py itself."""
    return {
        "COLUMNS=140 python side_by_side.py": side_by_side.side_by_side(
            f"== broken_rnn.py\n{runs['broken'].stdout}", f"== fixed_rnn.py\n{runs['fixed'].stdout}", 140),
        "python fixed_rnn.py --state reset": runs["fixed, state reset"].stdout,
        "python broken_rnn.py --batch-size 1 --seq-len 50": runs["broken, one lane"].stdout,
    }


def checked_in_the_suite(runs):
    """`lanes_examples.py FORM` prints FORM's part of what `lanes_examples.py` prints, which the
    suite runs anyway: no training, so no rounding that depends on the processor."""
    forms = re.split(r"^(?=== \w+$)", runs["lanes examples"].stdout, flags=re.MULTILINE)[1:]
    return {f"python lanes_examples.py {form.split()[1]}": form for form in forms}


def drifted(pages, printed, only=None):
    """The `$` blocks of `pages` ({path: text}) whose output is not `printed[command]` (of the
    commands in `only`, if given)."""
    return [block.where() for path, text in pages.items() for block in pasted.command_blocks(path, text)
            if (only is None or block.command in only) and printed[block.command] != block.output]


SAME_PROCESSOR = pytest.mark.skipif(
    pasted.cpu() != pasted.MADE_ON, reason=f"the pasted training output was made on a {pasted.MADE_ON!r} "
    f"processor; this one, {pasted.cpu()!r}, may round the training differently")


@pytest.fixture(scope="module")
def printed(runs):
    """What every `$` command of the pages prints: from the suite's runs, or run now (cheap ones)."""
    made = {**trained_in_the_suite(runs), **checked_in_the_suite(runs)}
    commands = {block.command for path in pasted.pages() for block in pasted.command_blocks(path)}
    return {command: made[command] if command in made else pasted.run_command(command) for command in commands}


def pasted_blocks():
    return {path: path.read_text() for path in pasted.pages()}


def test_every_pasted_command_output_is_what_it_prints_today(printed, runs):
    # the cheap commands, run now (the diff, --help), and lanes_examples.py's forms; machine-independent
    # (after a change that alters them: python tests/pasted.py --write, and read the diff)
    trained = trained_in_the_suite(runs)
    pages = pasted_blocks()
    commands = {block.command for path, text in pages.items() for block in pasted.command_blocks(path, text)}
    assert {"COLUMNS=140 python side_by_side.py", "diff broken_rnn.py fixed_rnn.py", "python fixed_rnn.py --help",
            "python fixed_rnn.py --state reset", "python broken_rnn.py --batch-size 1 --seq-len 50",
            *checked_in_the_suite(runs)} <= commands
    untrained = {command: text for command, text in printed.items() if command not in trained}
    assert drifted(pages, printed, only=untrained) == []


@SAME_PROCESSOR
def test_every_pasted_training_output_is_what_it_prints_today(runs):
    # the training runs: byte for byte, on a processor that rounds as the one that made them
    trained = trained_in_the_suite(runs)
    assert drifted(pasted_blocks(), trained, only=trained) == []


def test_a_one_character_change_in_a_pasted_block_is_caught(printed):
    readme = ROOT / "README.md"
    text = readme.read_text()
    diff_block = next(block for block in pasted.command_blocks(readme, text) if block.command.startswith("diff"))
    at = diff_block.start + diff_block.text.index("BATCH_SIZE = 7") + len("BATCH_SIZE = ")
    changed = text[:at] + "8" + text[at + 1:]  # one character of the pasted diff
    assert drifted({readme: text}, printed) == []
    assert drifted({readme: changed}, printed) == [diff_block.where()]


def test_the_pasted_examples_print_what_they_show(runs):
    # python tests/pasted.py --doctest: every >>> example of the pages, in a process of its own
    result = runs["pasted examples"]
    assert result.returncode == 0 and result.stdout == "", result.stdout
    readme = ROOT / "README.md"
    assert len(pasted.doctest_blocks(readme)) >= 1
    assert [example.source for block in pasted.doctest_blocks(readme)
            for example in pasted.doctest.DocTestParser().get_examples(block.text)
            if example.source.startswith("print(lanes.check_")] != []


def test_a_one_character_change_in_a_pasted_example_is_caught():
    readme = ROOT / "README.md"
    text = readme.read_text()
    first = pasted.doctest_blocks(readme, text)[0]
    only_first = "```python\n" + first.text[:first.text.index(">>> import tensorflow")] + "```\n"  # NumPy alone
    assert pasted.run_doctests(readme, only_first) == []
    at = only_first.index("0 of 100")
    changed = only_first[:at] + "1" + only_first[at + 1:]
    assert [example.source for _, example, _ in pasted.run_doctests(readme, changed)] == [
        "print(lanes.check_layout(lambda stream: stream.reshape(2, 50, 1), 100, time_major=True))\n"]


def test_the_experiments_table_is_the_one_its_figures_make():
    # the grid takes minutes, so it is not run again here: its table must be the one its saved
    # figures make, and (next test) the three of its runs that the suite also makes must have
    # those figures
    page = (ROOT / "docs" / "experiments.md").read_text()
    figures = json.loads((ROOT / "docs" / "experiments.json").read_text())
    assert len(figures) == 36
    assert experiments.table_in(page) == experiments.table(experiments.grouped(figures))


@SAME_PROCESSOR
def test_the_experiments_figures_are_what_the_scripts_print_today(runs):
    figures = json.loads((ROOT / "docs" / "experiments.json").read_text())
    saved = {(f["script"], f["model"], f["state"], f["seed"]): f for f in figures}
    seed = list(experiments.MODELS)[0]
    for script, model, state, run in [("broken_rnn.py", seed, "carry", "broken"),
                                      ("fixed_rnn.py", seed, "carry", "fixed"),
                                      ("fixed_rnn.py", seed, "reset", "fixed, state reset")]:
        figure = saved[script, model, state, 0]
        assert figure["held_out"] == runs[run].report["held_out"], run
        assert figure["settings"] == runs[run].report["settings"], run
