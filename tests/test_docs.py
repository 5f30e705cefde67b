"""The output pasted into README.md and docs/ is what the code prints today (tests/pasted.py)."""
import platform
import re

import pasted
import pytest
from conftest import ROOT, SAME_ARCHITECTURE

import side_by_side


def trained_in_the_suite(runs):
    """Commands that train: their output comes from the runs the suite makes anyway (conftest.py),
    not from new processes. The side-by-side columns are each script's report, as
    side_by_side.py itself puts them (test_side_by_side.py runs it)."""
    return {
        "COLUMNS=140 python side_by_side.py": side_by_side.side_by_side(
            side_by_side.heading("broken_rnn.py") + runs.broken.stdout,
            side_by_side.heading("fixed_rnn.py") + runs.fixed.stdout, 140),
        "python fixed_rnn.py --state reset": runs.fixed_reset.stdout,
        "python broken_rnn.py --batch-size 1 --seq-len 50 --optimizer adam --steps 300": runs.broken_one_lane.stdout,
    }


def checked_in_the_suite(runs):
    """`lanes_examples.py FORM` prints FORM's part of what `lanes_examples.py` prints, which the
    suite runs anyway: no training, so no rounding that depends on the processor."""
    forms = re.split(r"^(?=== \w+$)", runs.lanes_examples.stdout, flags=re.MULTILINE)[1:]
    return {f"python lanes_examples.py {form.split()[1]}": form for form in forms}


def drifted(pages, printed, only=None):
    """Where the `$` blocks of `pages` ({path: text}) print other output than `printed[command]` (of
    the commands in `only`, if given): each block's place, and its first differing lines."""
    return [f"{block.where()}: {pasted.first_difference(block.output, printed[block.command])}"
            for path, text in pages.items() for block in pasted.command_blocks(path, text)
            if (only is None or block.command in only) and printed[block.command] != block.output]


@pytest.fixture(scope="module")
def printed(runs):
    """What every `$` command of the pages prints: from the suite's runs, or run now (cheap ones)."""
    made = {**trained_in_the_suite(runs), **checked_in_the_suite(runs)}
    commands = {block.command for path in pasted.pages() for block in pasted.command_blocks(path)}
    return {command: made[command] if command in made else pasted.run_command(command) for command in commands}


def pasted_blocks():
    return {path: path.read_text() for path in pasted.pages()}


def test_every_pasted_command_output_is_what_it_prints_today(printed, runs):
    # the cheap commands, run now (the diff, --help), and lanes_examples.py's forms: on any machine
    # (after a change that alters them: python tests/pasted.py --write, and read the diff)
    trained = trained_in_the_suite(runs)
    pages = pasted_blocks()
    commands = {block.command for path, text in pages.items() for block in pasted.command_blocks(path, text)}
    assert {"diff broken_rnn.py fixed_rnn.py", "python fixed_rnn.py --help", *trained,
            *checked_in_the_suite(runs)} <= commands
    assert drifted(pages, printed, only=set(printed) - set(trained)) == []


@SAME_ARCHITECTURE
def test_every_pasted_training_output_is_what_it_prints_today(runs):
    # the training runs, byte for byte, on every processor of the architecture that made them
    trained = trained_in_the_suite(runs)
    assert drifted(pasted_blocks(), trained, only=trained) == [], f"on {platform.machine()}"


def test_the_training_comparison_depends_on_the_architecture_alone():
    # an Intel Xeon with AVX-512 and AMX compares as this machine does: only the architecture counts
    assert pasted.made_here("x86_64") and pasted.made_here("AMD64")  # Linux and macOS; Windows
    assert not pasted.made_here("aarch64") and not pasted.made_here("arm64")  # Graviton; Apple silicon
    assert pasted.made_here() == (platform.machine() in ("x86_64", "AMD64"))


def one_character_changed(path, command_is, old):
    """The page at `path`, with one character changed: the last of `old` in the first `$` block
    whose command `command_is`; and that block."""
    text = path.read_text()
    block = next(block for block in pasted.command_blocks(path, text) if command_is(block.command))
    at = block.start + block.text.index(old) + len(old) - 1
    return text[:at] + "5" + text[at + 1:], block


@pytest.mark.parametrize("command_is, old", [
    (lambda command: command.startswith("diff"), "BATCH_SIZE = 7"),  # a cheap block, run today
    pytest.param(lambda command: command.endswith("side_by_side.py"), "0.9908", marks=SAME_ARCHITECTURE),  # training
], ids=["the diff", "training output"])
def test_a_one_character_change_in_a_pasted_block_is_caught(printed, command_is, old):
    readme = ROOT / "README.md"
    changed, block = one_character_changed(readme, command_is, old)
    assert drifted({readme: readme.read_text()}, printed, only={block.command}) == []
    assert [where.split(": ")[0] for where in drifted({readme: changed}, printed, only={block.command})] == [
        block.where()]


def test_the_pasted_examples_print_what_they_show():
    # every >>> example of the pages, run here (they need NumPy alone): python tests/pasted.py --doctest
    assert [(block.where(), example.source, got) for path in pasted.pages()
            for block, example, got in pasted.run_doctests(path)] == []
    readme = ROOT / "README.md"
    assert len([example for block in pasted.doctest_blocks(readme)
                for example in pasted.doctest.DocTestParser().get_examples(block.text)
                if example.source.startswith("print(lanes.check_")]) == 3  # the three checks


def test_a_one_character_change_in_a_pasted_example_is_caught():
    readme = ROOT / "README.md"
    text = readme.read_text()
    said = "previous element read earlier in the same lane: "  # what check_layout prints, 0 of 100
    at = text.index(said + "0 of 100") + len(said)
    changed = text[:at] + "1" + text[at + 1:]
    assert [example.source for _, example, _ in pasted.run_doctests(readme, changed)] == [
        "print(lanes.check_layout(lambda stream: stream.reshape(2, 50, 1), 100, time_major=True))\n"]
