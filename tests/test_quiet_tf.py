"""quiet_tf.py: quiet by design, and what must still get through: the install, the log settings,
the filter."""
import logging
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT
from packaging.requirements import Requirement

import quiet_tf

PLATFORMS = {  # what PEP 508 markers see on each platform people run this on
    "Linux x86-64": {"sys_platform": "linux", "platform_machine": "x86_64"},
    "Linux aarch64": {"sys_platform": "linux", "platform_machine": "aarch64"},
    "macOS arm64": {"sys_platform": "darwin", "platform_machine": "arm64"},
    "macOS x86-64": {"sys_platform": "darwin", "platform_machine": "x86_64"},
    "Windows": {"sys_platform": "win32", "platform_machine": "AMD64"},
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_platform_gets_exactly_one_tensorflow(platform):
    lines = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    wanted = [Requirement(line) for line in lines]
    chosen = [r.name for r in wanted if r.name.startswith("tensorflow")
              and (r.marker is None or r.marker.evaluate(PLATFORMS[platform]))]
    expected = "tensorflow-cpu" if platform in ("Linux x86-64", "Windows") else "tensorflow"
    assert chosen == [expected]  # the CPU-only wheel where it is built, the full one elsewhere


def test_tensorflow_errors_still_reach_the_user():
    # TensorFlow refuses an unknown XLA flag with a fatal log line: the filter built for the installs
    # that need one (the full wheel, or a release before 2.21) must pass it on
    fatal = b"F0000 00:00:1795787478.312104    5149 parse_flags_from_env.cc:234] Unknown flag in TF_XLA_FLAGS\n"
    for wheel, release in (("tensorflow", (2, 21)), ("tensorflow-cpu", (2, 16)), ("tensorflow", (2, 20))):
        noise = quiet_tf.noise(wheel, release)
        assert noise.search(b"I0000 00:00:1795787478.312104    5149 cuda_dnn.cc:8] some INFO\n")  # it filters,
        assert not noise.search(fatal), (wheel, release)  # but not this
    assert quiet_tf.noise("tensorflow-cpu", (2, 21)) is None  # the pinned install: no filter at all


def test_running_a_script_again_in_one_process_is_not_called_retracing():
    # each run builds its tf.functions anew (a notebook that runs a script five times): TensorFlow's
    # warning about that is dropped from its logger, and its other records stay. (By hand: six
    # tf.functions made in a loop print two such warnings without the filter, none with it)
    logger = logging.getLogger("tensorflow")  # what tf.get_logger() returns
    record = logger.makeRecord("tensorflow", logging.WARNING, __file__, 1, "5 out of the last 5 calls to "
                               "<function main.<locals>.train at 0x7f> triggered tf.function retracing. ...", (), None)
    assert not logger.filter(record)
    assert logger.filter(logger.makeRecord("tensorflow", logging.WARNING, __file__, 1, "other", (), None))


def test_an_empty_log_level_counts_as_none():
    for value, expected in (("", "1"), ("abc", "1"), ("0", "0"), ("3", "3")):
        done = subprocess.run([sys.executable, "-c", "import os, quiet_tf; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])"],
                              cwd=ROOT, capture_output=True, text=True, timeout=60,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": value})
        assert done.stdout == f"{expected}\n", (value, done.stderr)


def test_the_users_log_level_wins(runs):
    # TF_CPP_MIN_LOG_LEVEL=0 asks for every line; XLA's INFO line at the first compile is one
    result = runs.fixed_reset
    assert result.env["TF_CPP_MIN_LOG_LEVEL"] == "0"
    assert result.returncode == 0 and "Compiled cluster using XLA" in result.stderr


def test_the_filter_passes_other_lines_on_even_when_the_process_crashes():
    code = ("import os, re, sys, quiet_tf\n"
            "quiet_tf.filter_stderr(re.compile(rb'^noise'))\n"
            "os.write(2, b'noise from C++\\nkept from C++\\n')\n"
            "print('kept from Python', file=sys.stderr, flush=True)\n"
            "os.abort()\n")  # no atexit, no flush: the filter process must still pass both lines on
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr == "kept from C++\nkept from Python\n"


def test_the_filter_drops_only_what_no_setting_hides():
    noise = re.compile(quiet_tf.NO_GPU_NEWS + b"|" + quiet_tf.INFO_LINE + b"|" + quiet_tf.END_OF_SEQUENCE)
    dropped = [
        b"2026-12-01 18:23:33.022703: W tensorflow/core/framework/local_rendezvous.cc:404] Local rendezvous is "
        b"aborting with status: OUT_OF_RANGE: End of sequence\n",  # TensorFlow 2.16, as each tf.data loop ends
        b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
        b"I0000 00:00:1795787374.282268    5006 cudart_stub.cc:31] Could not find cuda drivers on your machine\n",
        b"I0000 00:00:1795787708.855951    6211 device_compiler.h:188] Compiled cluster using XLA!\n",
        b"E0000 00:00:1795787377.637541    5006 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error\n",
    ]
    kept = [  # warnings, errors and anything else: real news for the user
        b"W0000 00:00:1795787377.637541    5006 some_op.cc:52] something worth knowing\n",
        b"2026-12-01 18:23:33.022703: W tensorflow/core/framework/local_rendezvous.cc:404] Local rendezvous is "
        b"aborting with status: CANCELLED: the user's own pipeline failed\n",
        b"E0000 00:00:1795784548.606947    2503 util.cc:131] oneDNN supports DT_INT64 only on AVX-512\n",
        b"F0000 00:00:1795787478.312104    5149 parse_flags_from_env.cc:234] Unknown flag in TF_XLA_FLAGS\n",
        b"Traceback (most recent call last):\n",
        b"fixed_rnn.py: argument --steps: must be at least 1, got 0 (see --help)\n",
    ]
    assert [line for line in dropped if not noise.search(line)] == []
    assert [line for line in kept if noise.search(line)] == []
