"""cli.py: the flags of the three training programs, and bad input as one line and exit
status 2, before TensorFlow loads."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import run

import side_by_side

BAD_FLAGS = [
    ["--steps", "0"],
    ["--steps", "-3"],
    ["--steps", "ten"],
    ["--steps", "1.5"],
    ["--seed", "-1"],
    ["--eval-positions", "0"],
    ["--report-json", "/no/such/folder/report.json"],
    ["--report-json", "."],  # a folder, not a file
    ["--batch-size", "0"],
    ["--seq-len", "-2"],
    ["--seq-len", "many"],
    ["--batch-size", "1", "--seq-len", "5"],  # too short for the probe's positions 1, 2, 3, 5
    ["--batch-size", "1000", "--seq-len", "1000"],  # a million positions a batch
    ["--eval-positions", "100000000000"],
    ["--plot", "curve.txt"],  # not a .png
    ["--plot", "/no/such/folder/curve.png"],
    ["--no-such-flag"],
    ["--units", "0"],
    ["--units", "5000"],
    ["--layers", "-1"],
    ["--optimizer", "rmsprop"],
    ["--learning-rate", "nan"],
    ["--learning-rate", "inf"],
    ["--learning-rate", "0"],
    ["--learning-rate", "-0.1"],
    ["--state", "keep"],
    ["--seed", "4294967296"],  # 2**32: NumPy's and Keras's seeds take 32 bits
    ["--report-json", ""],
    ["--report-json", "tests/"],  # a folder
    ["--report-json", "/proc/x.json"],  # where even root cannot make a file
    ["--eval-positions", "1000001"],
    ["--batch-size", "1", "--seq-len", "100000", "--units", "1024", "--layers", "16"],  # about 50,000 GiB
]


SCRIPTS = ["broken_rnn.py", "fixed_rnn.py", "side_by_side.py"]  # experiments.py: see test_experiments.py
AS_A_USER = [  # one bad flag of each kind, run as a user runs it, by each script in turn; the rest in-process
    ("broken_rnn.py", ["--steps", "0"]),  # a value its type refuses
    ("side_by_side.py", ["--no-such-flag"]),
    ("side_by_side.py", ["--seed", "4294967296"]),  # out of range
    ("broken_rnn.py", ["--report-json", "/proc/x.json"]),  # a path checked by making a file there
    ("fixed_rnn.py", ["--batch-size", "1", "--seq-len", "5"]),  # checked after parsing, across flags
    ("fixed_rnn.py", ["--batch-size", "1", "--seq-len", "100000", "--units", "1024", "--layers", "16"]),  # memory
]


@pytest.fixture(scope="module")
def refusals():
    """Each of AS_A_USER run, three processes at a time (none loads TensorFlow)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        return list(pool.map(lambda case: run(case[0], *case[1]), AS_A_USER))


@pytest.mark.parametrize("number", range(len(AS_A_USER)), ids=[f"{script} {' '.join(flags)}"
                                                               for script, flags in AS_A_USER])
def test_bad_input_is_one_line_and_exit_2(number, refusals):
    script, result = AS_A_USER[number][0], refusals[number]  # side_by_side.py refuses the flags it lacks, too
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr  # one line, no traceback
    assert script in result.stderr and result.stdout == ""


def test_bad_flags_are_refused_before_tensorflow_loads():
    # a process of its own: each script's parse_args refuses, and TensorFlow was never imported
    code = ("import sys, broken_rnn, fixed_rnn, side_by_side\n"
            "for parse_args in (broken_rnn.parse_args, fixed_rnn.parse_args, side_by_side.parse_args):\n"
            "    try:\n        parse_args(['--steps', '0'])\n    except SystemExit as ended:\n"
            "        assert ended.code == 2\n"
            "print(sorted(name for name in sys.modules if name.split('.')[0] in ('tensorflow', 'keras')))\n")
    result = run("-c", code)
    assert result.returncode == 0 and result.stdout == "[]\n", result.stderr


@pytest.fixture(scope="module")
def parsers():
    """Each script's own parse_args, imported here (no TensorFlow: it loads when first used)."""
    import broken_rnn
    import fixed_rnn

    return {"broken_rnn.py": broken_rnn.parse_args, "fixed_rnn.py": fixed_rnn.parse_args,
            "side_by_side.py": side_by_side.parse_args}


@pytest.mark.parametrize("flags", BAD_FLAGS, ids=" ".join)
def test_every_bad_flag_is_refused_in_one_line(flags, parsers, capsys):
    # the parsers the scripts run (cli.py): every script refuses each in one line, exit status 2
    # (side_by_side.py, which takes no layout or output flags of its own, as flags it does not know)
    for script, parse_args in parsers.items():
        with pytest.raises(SystemExit) as refused:
            parse_args(flags)
        out, err = capsys.readouterr()
        assert refused.value.code == 2, script
        assert len(err.splitlines()) == 1 and out == "", (script, err)


def test_no_flag_is_abbreviated_and_a_mistyped_one_gets_the_nearest(parsers, capsys):
    # argparse would read --step as --steps; a student's typo gets the flag they meant
    for flags, meant in ((["--step", "300"], "--steps"), (["--stesp", "300"], "--steps"),
                         (["--learning_rate=0.1"], "--learning-rate"), (["--unit", "8"], "--units"),
                         (["--lr", "0.1"], "--learning-rate"), (["--epochs", "5"], "--steps")):
        for script, parse_args in parsers.items():
            with pytest.raises(SystemExit) as refused:
                parse_args(flags)
            err = capsys.readouterr().err
            assert refused.value.code == 2 and f"did you mean {meant}?" in err and len(err.splitlines()) == 1, script


def test_side_by_side_says_why_it_takes_no_layout_flag(capsys):
    for flag in ("--batch-size", "--seq-len=7"):
        with pytest.raises(SystemExit):
            side_by_side.parse_args([flag, "7"] if "=" not in flag else [flag])
        err = capsys.readouterr().err
        assert "the layout is what the two scripts compare" in err and len(err.splitlines()) == 1, err
