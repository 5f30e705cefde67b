"""How a program here runs as a process (`run_as_tool(main)` at the bottom of each), knowing nothing
of the programs. Its promises, each tested (docs/faults.md): Ctrl-C, SIGTERM and SIGHUP stop a run at
once and say which of the files it was `asked` for were written (files.py); a `child` ends with its
parent; a failing stdout ends the output, never the files; nothing is left in $TMPDIR."""
import contextlib
import inspect
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import files

SIGNALS = {getattr(signal, name): said for name, said in (("SIGINT", "interrupted"), ("SIGTERM", "terminated"),
                                                          ("SIGHUP", "hung up")) if hasattr(signal, name)}
PARENT = "PROCESS_PARENT_PID"  # in a child's environment: the pid of the parent it ends with
_asked, _children, _stdout_failed, _scratch = [], [], [], []
_leaving = threading.Lock()  # held by the one way out that goes first: the run's end, or a stop


def asked(*paths):
    """The files this run was asked to write (None: not asked), as a stop names them."""
    _asked[:] = [str(path) for path in paths if path]


def child(command, **popen):
    """subprocess.Popen for a child that ends with this run: a stop sends it SIGTERM, and if this
    process dies any other way (SIGKILL), the child sees that and stops itself (run_as_tool)."""
    started = subprocess.Popen(command, env={**os.environ, PARENT: str(os.getpid())}, **popen)
    _children.append(started)
    return started


def end_children():
    """SIGTERM to every child still running (a child that has ended is left alone)."""
    for started in _children:
        started.terminate()


def _say(line):  # on stderr, without a lock that the main thread may hold
    with contextlib.suppress(OSError):
        os.write(2, (line + "\n").encode(errors="backslashreplace"))


def _files():
    return "".join(f"; {files.shown(path)} was {'' if path in files.written else 'not '}written" for path in _asked)


class _Stdout:
    """sys.stdout, but once it fails, output goes nowhere: the run goes on to write the files it
    was asked for, and ends at once where it was asked for none."""

    def __init__(self, stream):
        self.stream = stream

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def write(self, text):
        return self.failing(self.stream.write, text) or len(text)

    def flush(self):
        self.failing(self.stream.flush)

    def failing(self, call, *args):
        try:
            return call(*args)
        except OSError as error:
            _stdout_failed.append(error)
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())  # what is still buffered goes there
            if not _asked and len(_stdout_failed) == 1:
                _exit(0)


def _exit(status, stopped=False):
    """Say how stdout failed, if it did; end the children; remove the temporary folder; and exit at once,
    skipping the second that tearing TensorFlow down takes. A stop flushes nothing (the main thread may
    hold stdout's lock), and its line is the last on stderr: TensorFlow may warn as its files go."""
    if not stopped and not _leaving.acquire(blocking=False):
        threading.Event().wait()  # a stop is under way: it exits
    with contextlib.suppress(OSError, ValueError):
        if stopped:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        else:
            sys.stdout.flush()
    if _stdout_failed and status == 0:
        if isinstance(_stdout_failed[0], BrokenPipeError):  # `| head`: quietly, as SIGPIPE would
            status = 0 if _asked else 128 + 13
        else:
            _say(f"{Path(sys.argv[0]).name}: stdout failed ({_stdout_failed[0].strerror}), so the output "
                 f"stopped{_files()}")
            status = 1
    try:
        end_children()
        for folder in _scratch:
            shutil.rmtree(folder, ignore_errors=True)
    finally:  # whatever happens on the way, the process leaves
        os._exit(status)


def _stop(signum):
    """Stop the run for `signum`, whatever the main thread is doing: once a file being written is
    whole, the children end, and one line says which files exist."""
    if not _leaving.acquire(blocking=False):
        return  # the run is ending already, as if the signal had come a moment later
    files.writing.acquire()
    end_children()
    _say(SIGNALS[signum] + _files().replace("; ", ": ", 1))
    _exit(128 + signum, stopped=True)


def _wait_for_signals(read_end):
    while (signum := os.read(read_end, 1)[0]) not in SIGNALS:
        pass
    _stop(signum)


def _watch_parent(parent):
    while os.getppid() == parent:
        time.sleep(0.1)
    os.kill(os.getpid(), signal.SIGTERM)  # as a parent that stopped would have asked


def run_as_tool(main):
    """Run main(flags of the command line) as a Unix tool, keeping this module's promises, and exit.
    In IPython or Jupyter it only calls main, with %run's flags (not a kernel's own), and returns."""
    if "IPython" in sys.modules or sys.flags.interactive:
        return main(sys.argv[1:] if Path(sys.argv[0]).name == Path(inspect.getfile(main)).name else [])
    sys.stdout = sys.stdout and _Stdout(sys.stdout)  # None: started with stdout closed
    _scratch.append(tempfile.mkdtemp(prefix=f"{Path(sys.argv[0]).stem}-"))  # first: a stop removes it
    os.environ["TMPDIR"] = tempfile.tempdir = _scratch[0]  # TensorFlow's files too, and the children's
    if os.name == "posix":  # a signal's number goes down a pipe, whichever thread it reaches, to a thread
        read_end, write_end = os.pipe()  # that stops the run: Python calls a handler only between
        os.set_blocking(write_end, False)  # calls, and one compiled call can take minutes
        signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        for signum in SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:  # nohup's SIGHUP stays ignored
                signal.signal(signum, lambda *_: None)  # the thread acts
        threading.Thread(target=_wait_for_signals, args=(read_end,), daemon=True).start()
    if parent := os.environ.pop(PARENT, None):  # a child of `child`: ends with it, also one already gone
        threading.Thread(target=_watch_parent, args=(int(parent),), daemon=True).start()
    status = 0
    try:
        main(sys.argv[1:])
    except SystemExit as ended:  # sys.exit("why"): that line, and which files were written
        if isinstance(ended.code, str):
            _say(ended.code + _files())
        status = ended.code if isinstance(ended.code, int) else 1 if ended.code else 0
    except KeyboardInterrupt:  # where signals do not reach a thread (Windows)
        _stop(signal.SIGINT)
    except BaseException:
        traceback.print_exc()
        status = 1
    _exit(status)
