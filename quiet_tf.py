"""TensorFlow and Keras 3, without their start-up log noise, loaded on first use.

    from quiet_tf import keras, tf

On a machine without a GPU, TensorFlow 2.21 writes a few lines about CUDA straight to
file descriptor 2 while it loads, before any log level applies (TF_CPP_MIN_LOG_LEVEL only
takes hold later). This module catches file descriptor 2 while TensorFlow starts, drops
just those known lines and passes every other line on, so real warnings and errors still
show. Set TF_CPP_MIN_LOG_LEVEL yourself to see more (0) or less (2, 3).

TensorFlow takes seconds to load, so it loads when `tf` or `keras` is first used: a script
checks its flags, and answers --help, before it waits for TensorFlow.
"""
import functools
import os
import re
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # hide INFO lines; keep warnings and errors

START_UP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"  # absl, once per library
    r"|Could not find cuda drivers on your machine"  # no GPU: expected on a CPU-only machine
    r"|failed call to cuInit"  # the same news, from the CUDA platform
    r"|oneDNN custom operations are on"  # the oneDNN banner
    r"|cpu_feature_guard|rebuild TensorFlow with the appropriate compiler flags"
)


def passed_on(caught):
    """The lines of `caught` (what TensorFlow wrote while it started) that are not noise."""
    return "".join(line for line in caught.splitlines(keepends=True) if not START_UP_NOISE.search(line))


@functools.cache
def load():
    """Import TensorFlow and Keras with file descriptor 2 caught and filtered."""
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            import keras
            import tensorflow

            tensorflow.config.list_physical_devices()  # CUDA is probed here, not at import
        except ImportError as error:
            sys.exit(f"{error}: install the pinned requirements first (make demo, or "
                     "pip install -r requirements.txt)")
        finally:
            sys.stderr.flush()
            os.dup2(saved_stderr, 2)
            os.close(saved_stderr)
            caught.seek(0)
            sys.stderr.write(passed_on(caught.read().decode(errors="replace")))
            sys.stderr.flush()
    return {"keras": keras, "tf": tensorflow}


class _OnFirstUse:
    def __init__(self, name):
        self._name = name

    def __getattr__(self, attribute):
        return getattr(load()[self._name], attribute)


keras, tf = _OnFirstUse("keras"), _OnFirstUse("tf")
