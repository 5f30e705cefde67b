"""TensorFlow and Keras 3, quiet by design, loaded on first use.

    from quiet_tf import keras, tf

TensorFlow's own settings switch off what makes the noise, before TensorFlow loads:

- TF_CPP_MIN_LOG_LEVEL=1 hides TensorFlow's INFO lines; its warnings and errors still show.
- TF_ENABLE_ONEDNN_OPTS=0 turns off the oneDNN kernels. They print a banner, and on CPUs
  with AVX-512 an error line about DT_INT64 in the middle of training. On matrices of 7 x 5
  they buy nothing, and the report is the same with or without them.

Both are defaults only: set either variable yourself and yours wins (TF_CPP_MIN_LOG_LEVEL=0
shows everything TensorFlow logs); one set empty, or a log level that is none of 0 to 3,
counts as not set.

Some TensorFlow installs log lines that no setting switches off, because they come before
the log level takes hold. The full `tensorflow` wheel (requirements.txt installs the CPU-only
`tensorflow-cpu` where it exists) looks for CUDA while it loads, and on a machine without a
GPU says so in INFO lines and one error line. Releases before 2.21 print XLA's INFO lines at
the first compile, and some of them (2.16) a warning each time a tf.data iterator ends
(tensorflow#62963). Only for those installs, file descriptor 2 goes through a filter for the
whole run (`filter_stderr`). It drops INFO lines (unless TF_CPP_MIN_LOG_LEVEL is 0), absl's
notice before them, the "no GPU" error line and that warning, and passes every other line on as it
comes, up to a crash of the process itself.

TensorFlow takes seconds to load, so it loads when `tf` or `keras` is first used: a script
checks its flags, and answers --help, before it waits for TensorFlow. And it takes a second
to unload, which process.run_as_tool skips.
"""
import atexit
import functools
import importlib.metadata
import logging
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

QUIET = {"TF_CPP_MIN_LOG_LEVEL": "1", "TF_ENABLE_ONEDNN_OPTS": "0"}
INFO_LINE = rb"^I\d{4} [\d:.]+ +\d+ \S+\] "  # absl's format: I, date, time, thread, file:line]
NO_GPU_NEWS = (
    rb"^WARNING: All log messages before absl::InitializeLog\(\) is called"  # absl, before the lines
    rb"|failed call to cuInit"  # no CUDA device: expected on a machine without a GPU
)
END_OF_SEQUENCE = (  # 2.16, and others before 2.21: a warning as each tf.data iterator ends (tensorflow#62963)
    rb"local_rendezvous\.cc:\d+\] Local rendezvous is aborting with status: OUT_OF_RANGE: End of sequence$")


def noise(wheel, release, hide_info=True):
    """A regex of the lines that TensorFlow's `wheel` ("tensorflow" or "tensorflow-cpu") at `release`
    ((2, 21)) prints past its own settings, or None if it prints none (tensorflow-cpu 2.21)."""
    if wheel == "tensorflow" or release < (2, 21):
        return re.compile(NO_GPU_NEWS + (b"|" + INFO_LINE if hide_info else b"")
                          + (b"|" + END_OF_SEQUENCE if release < (2, 21) else b""))
    return None


def unhidden_noise():
    """`noise` of the TensorFlow installed here, at the log level set."""
    for wheel in ("tensorflow", "tensorflow-cpu"):
        try:
            release = tuple(int(part) for part in importlib.metadata.version(wheel).split(".")[:2])
        except (importlib.metadata.PackageNotFoundError, ValueError):
            continue
        return noise(wheel, release, hide_info=os.environ["TF_CPP_MIN_LOG_LEVEL"] != "0")
    return None


PASS_ON = """
import re, sys
noise = re.compile(sys.argv[1].encode())
for line in sys.stdin.buffer:
    if not noise.search(line):
        sys.stderr.buffer.write(line)
        sys.stderr.buffer.flush()
"""


def filter_stderr(noise):
    """From now to the end of the process, drop the lines written to file descriptor 2 that
    match `noise` (a bytes regex), and pass every other line on as it comes.

    A small Python process of its own does the filtering, so that what TensorFlow writes just
    before it crashes still gets out. At exit this process closes its end of the pipe and
    waits for the filter to pass on the last lines."""
    sys.stderr.flush()
    child = subprocess.Popen([sys.executable, "-I", "-S", "-c", PASS_ON, noise.pattern.decode()],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             start_new_session=True)  # Ctrl-C is for this process, not the filter
    real_stderr = os.dup(2)
    os.dup2(child.stdin.fileno(), 2)
    child.stdin.close()

    def drain():
        sys.stderr.flush()
        os.dup2(real_stderr, 2)  # the pipe's last writer closes: the filter reads to the end
        child.wait()

    atexit.register(drain)  # process.run_as_tool leaves without it: the filter then reads to the end alone


for name, value in QUIET.items():
    yours = os.environ.get(name, "").strip()
    if not yours or name == "TF_CPP_MIN_LOG_LEVEL" and yours not in ("0", "1", "2", "3"):  # empty, or not a level
        os.environ[name] = value


@functools.cache
def load():
    if sys.platform != "win32" and (noise := unhidden_noise()):  # Windows: tensorflow-cpu 2.21
        filter_stderr(noise)  # only TensorFlow makes the noise: no filter for --help or a bad flag
    if "KERAS_HOME" not in os.environ and not os.access(os.path.expanduser("~"), os.W_OK):
        os.environ["KERAS_HOME"] = os.path.join(tempfile.gettempdir(), ".keras")  # Keras' own choice: /tmp
    try:
        import keras
        import tensorflow
    except ImportError as error:
        sys.exit(f"{error}: {missing_hint()}")
    return {"keras": keras, "tf": tensorflow}


def not_retracing(record):
    """A logging filter: each run of a script builds its model, and so its tf.functions, anew, and a
    notebook that runs one five times would be told that it retraces too often (TensorFlow counts by
    the function's code). That warning goes; every other record of TensorFlow's logger stays."""
    return "triggered tf.function retracing" not in record.getMessage()


def missing_hint():
    """What to do when TensorFlow or Keras is missing: use the project's .venv, where make demo made
    one; else install the pinned requirements."""
    venv = Path(__file__).resolve().parent / ".venv"
    if (venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != venv.resolve():
        return (f"this Python ({sys.executable}) is not the one make demo set up; run the command with "
                f"{venv / 'bin' / 'python'}, or first: source {venv / 'bin' / 'activate'}")
    return "install the pinned requirements first (make demo, or pip install -r requirements.txt)"


class _OnFirstUse:
    def __init__(self, name):
        self._name = name

    def __getattr__(self, attribute):
        return getattr(load()[self._name], attribute)


keras, tf = _OnFirstUse("keras"), _OnFirstUse("tf")
logging.getLogger("tensorflow").addFilter(not_retracing)  # tf.get_logger() is this logger, once TensorFlow loads
