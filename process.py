"""How a program here runs as a process: a good Unix tool, whatever happens around it.

    import process
    process.run(main)               # at the bottom of every program
    process.asked(report, plot)     # the files this run was asked for, as its flags say
    process.write_json(path, summary), process.write_atomically(path, write)
    process.child(command, ...)     # a child process that ends with this one
    process.Script(script, flags, folder).finish()   # a program of this folder as a child: its report
    process.before_exit(fn)         # what to do before any exit

- Ctrl-C, SIGTERM, SIGHUP and SIGQUIT stop a run at once, whatever it is in the middle of,
  end its children, and say which of the files it was asked for were written.
- A stdout that is closed, full or failing ends the output: a closed pipe (`| head`) quietly,
  as a tool killed by SIGPIPE, anything else with one line on stderr and exit status 1; a run
  asked for files still writes them. A closed stderr changes no exit status.
- Every file is written whole: to a temporary file beside it, then renamed into place, with
  the mode of the file it replaces (or the umask's, for a new one).
- Nothing is left in $TMPDIR: a run keeps its temporary files (TensorFlow's too) in a folder of
  its own, removed however the run ends, but by SIGKILL.
- `memory_room` says how much memory the run may take: what is free, or what a container's
  cgroup limit leaves, whichever is less.

cli.py holds the flags, and checks them with this before any long work starts.
"""
import errno
import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

PARENT = "RNN_LESSON_PARENT"  # set for a child process: its parent's pid
SIGNALS = {"SIGINT": "interrupted", "SIGTERM": "terminated", "SIGHUP": "hung up", "SIGQUIT": "quit"}
UMASK = os.umask(0o022)  # read it the only way there is: set it, and
os.umask(UMASK)  # ... set it back at once


class _Run:
    """What this process knows about its run: the files asked for and written, its children,
    what to do before any exit, the thread stopping it, its temporary folder, and how stdout
    failed (None: it did not)."""

    def __init__(self):
        self.asked, self.written = [], []
        self.children, self.before_exit = [], []  # how to end each child process; what to do before any exit
        self.stopping = None
        self.scratch = None
        self.stdout_failed = None
        self.streams = None  # stdout and stderr as they were before a stop put others in their place
        self.smaller_run = None  # how to ask for a run that needs less memory, as the program's flags say
        self.writing = threading.Lock()  # held while a file is written: a stop waits for it, then keeps it


_run = _Run()


def asked(*paths):
    """The files this run was asked to write (None: not asked), as a stop reports them."""
    _run.asked = [path for path in paths if path]


def before_exit(fn):
    """Call fn() before the process exits, however it exits (but SIGKILL)."""
    _run.before_exit.append(fn)


def if_out_of_memory(hint):
    """What to say, after "out of memory", to ask for a smaller run (the flags that make one)."""
    _run.smaller_run = hint


# --------------------------------------------------------------------------- files written whole
def fail(message):
    """Bad input or an unwritable file: one line on stderr, exit status 2."""
    print(message, file=sys.stderr)
    sys.exit(2)


def special(path):
    """Is `path` (through its links) a file that is no regular file or folder: a device, a FIFO,
    /dev/stdout (whose link leads to a pipe, which no other path names)?"""
    return os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)


def writable(path):
    """Why a shell's `>` could not write the file `path`, or None if it could. The folder must
    take a new file (made and removed: asking os.access is not enough, root is told yes even in
    /proc), and a file already there must open for writing (as its owner's permissions and
    attributes allow: read-only for others than root, immutable for everyone)."""
    if special(path):
        return None if os.access(path, os.W_OK) else f"cannot write to {path!r}"
    real = os.path.realpath(path)  # through symbolic links: write_atomically writes there
    folder = os.path.dirname(real)
    try:
        os.stat(folder)
    except OSError as error:
        return f"folder {folder!r}: {'does not exist' if error.errno == errno.ENOENT else error.strerror}"
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        return f"cannot write in folder {folder!r}: {error.strerror}"
    try:
        if os.path.exists(real):
            os.close(os.open(real, os.O_WRONLY))  # opened, not truncated: the file stays as it is
    except OSError as error:
        return f"cannot write {path!r}: {error.strerror}"
    return None


def write_atomically(path, write):
    """Call write(binary_file) to make the file `path`. A regular file is written to a
    temporary file beside it and renamed into place: a crash never leaves it half-written, an
    old file stays whole until the new one is ready, and the new one keeps the old one's mode
    (and owner, where this process may set it). A symbolic link is written through, to the
    file it points to; a device or a FIFO (/dev/stdout) is written in place, never replaced.
    A file that cannot be written is a one-line error, exit status 2."""
    with _run.writing:
        try:
            if special(path):
                with open(path, "wb") as out:
                    write(out)
            else:
                real = os.path.realpath(path)
                old = os.stat(real) if os.path.exists(real) else None
                handle, temporary = tempfile.mkstemp(dir=os.path.dirname(real), prefix=".tmp-",
                                                     suffix=os.path.basename(real))
                try:
                    with os.fdopen(handle, "wb") as out:
                        write(out)
                    os.chmod(temporary, stat.S_IMODE(old.st_mode) if old else 0o666 & ~UMASK)  # not mkstemp's 0o600
                    if old and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                        try:
                            os.chown(temporary, old.st_uid, old.st_gid)
                        except PermissionError:  # not root: the file becomes this user's, as a copy would
                            pass
                    os.replace(temporary, real)
                except BaseException:
                    os.unlink(temporary)
                    raise
        except OSError as error:
            fail(f"cannot write {path!r}: {error.strerror}")
        _run.written.append(path)


def strict(value):
    """`value` with every float that is not finite (a diverged loss) as None: strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: strict(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strict(item) for item in value]
    return value


def write_json(path, summary):
    text = json.dumps(strict(summary), indent=1, allow_nan=False) + "\n"
    write_atomically(path, lambda out: out.write(text.encode()))


# --------------------------------------------------------------------------- memory
def memory_room(root="/"):
    """(bytes, where): the most memory this run may take now, and what limits it: "free" (Linux's
    MemAvailable), or the memory limit of a cgroup this process is in, less what the cgroup
    uses already (v2 memory.max and memory.current, v1 memory.limit_in_bytes and
    memory.usage_in_bytes), whichever leaves least. (None, None) where none can be read (not
    Linux). `root` is where /proc and /sys are, for tests."""
    room, where = None, None
    try:
        with open(Path(root, "proc/meminfo")) as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    room, where = int(line.split()[1]) * 1024, "free"
    except OSError:
        pass
    for limit, used, file in _cgroup_limits(Path(root)):
        if room is None or limit - used < room:
            room, where = max(limit - used, 0), f"the cgroup's limit ({file})"
    return room, where


def _cgroup_limits(root):
    """(limit, used, file) of each cgroup level above this process that sets a memory limit."""
    try:
        lines = (root / "proc/self/cgroup").read_text().splitlines()
    except OSError:
        return
    for line in lines:
        _, controllers, path = line.split(":", 2)
        v2 = controllers == ""
        if not v2 and "memory" not in controllers.split(","):
            continue
        base = root / "sys/fs/cgroup" / ("" if v2 else "memory")
        if v2 and (root / "sys/fs/cgroup/unified/cgroup.controllers").exists():
            base = root / "sys/fs/cgroup/unified"  # hybrid: v2 mounted beside v1
        names = ("memory.max", "memory.current") if v2 else ("memory.limit_in_bytes", "memory.usage_in_bytes")
        folder = base / path.lstrip("/")
        while True:
            try:
                limit, used = ((folder / name).read_text().strip() for name in names)
                if limit != "max" and int(limit) < 2 ** 60:  # v1 says "no limit" with a number near 2**63
                    yield int(limit), int(used), str(folder / names[0])
            except (OSError, ValueError):
                pass
            if folder == base:
                break
            folder = folder.parent


# --------------------------------------------------------------------------- stdout and the exit
class _Stdout:
    """sys.stdout, except that once it fails, output stops. A closed pipe (`| head`) ends the
    run quietly if no file was asked for; anything else (a full disk, a closed or broken
    stream) is remembered, said in one line at the exit, and makes the exit status 1. Either
    way a run asked for files goes on to write them."""

    def __init__(self, stream):
        self.stream, self.gone = stream, stream is None
        if stream is None:  # fd 1 was closed when the process started
            _run.stdout_failed = "it is closed"

    def write(self, text):
        if not self.gone:
            try:
                return self.stream.write(text)
            except OSError as error:
                self.failed(error)
        return len(text)

    def flush(self):
        if not self.gone:
            try:
                self.stream.flush()
            except OSError as error:
                self.failed(error)

    def failed(self, error):
        self.gone = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)  # what is still buffered goes nowhere, quietly
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass
        if not isinstance(error, BrokenPipeError):
            _run.stdout_failed = error.strerror or str(error)
        if not _run.asked:
            raise _StdoutGone

    def __getattr__(self, name):
        return getattr(self.stream, name)


class _StdoutGone(Exception):
    """Stdout failed, and no file was asked for: nothing is left to do."""


def _open_standard_streams():
    """Open /dev/null on any of file descriptors 0, 1 and 2 that is closed, so that no file
    this run opens takes its place (print would write into it); a closed stderr gets a
    stream that writes nowhere."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.dup2(devnull := os.open(os.devnull, os.O_RDWR), fd)
            if devnull != fd:
                os.close(devnull)
    if sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)


def _keep_temporary_files():
    """Give this run a temporary folder of its own inside $TMPDIR, and make it everyone's
    $TMPDIR in this process and its children: what TensorFlow leaves there for its own exit
    to remove (AutoGraph's generated files) goes with the folder, however the run ends."""
    _run.scratch = tempfile.mkdtemp(prefix=f"{Path(sys.argv[0]).stem}-")
    os.environ["TMPDIR"] = tempfile.tempdir = _run.scratch


def _clean_up():
    end_children()  # any still running: children end with their parent
    for finish in _run.before_exit:
        finish()
    if _run.scratch:  # renamed first: a thread still at work (TensorFlow tracing) can no longer add to it
        gone = _run.scratch + ".gone"
        try:
            os.rename(_run.scratch, gone)
        except OSError:
            gone = _run.scratch
        shutil.rmtree(gone, ignore_errors=True)


def interactive():
    """Under IPython or Jupyter (%run) or `python -i`, the session goes on after the script."""
    return bool(sys.flags.interactive) or "IPython" in sys.modules


def exit_now(status=0):
    """Exit with `status` at once, once output is flushed and the temporary folder removed.
    Python and TensorFlow take about a second to tear down their modules at exit, which a run
    whose files are all written and closed can skip. If stdout failed, one line says so and
    the status is 1 (unless the run failed already). Once a signal is stopping the run, only
    `stop` may end it: any other thread that gets here waits for that."""
    if _run.stopping and threading.current_thread() is not _run.stopping:
        threading.Event().wait()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, AttributeError):
            pass
    if _run.stdout_failed and status == 0:
        written = "; ".join(f"{path} was written" for path in _run.written)
        _say(f"{Path(sys.argv[0]).name}: stdout failed ({_run.stdout_failed}), so the output stopped"
             + (f"; {written}" if written else ""))
        status = 1
    _clean_up()
    os._exit(status)


def _say(line):
    """One line on stderr, if anybody reads it."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def stop_message(signum):
    """What a stopped run says: which of the files it was asked for exist."""
    said = [f"{path} was written" for path in _run.written] + [f"{path} was not written"
                                                               for path in _run.asked if path not in _run.written]
    return SIGNALS[signal.Signals(signum).name] + (": " + "; ".join(said) if said else "")


def watch_parent():
    """A child of side_by_side.py or experiments.py ends when its parent does, however the
    parent ends (SIGKILL too): it looks twice a second, and stops itself as SIGTERM would."""
    parent = os.environ.get(PARENT)
    if parent != str(os.getppid()):
        return

    def watch():
        while os.getppid() == int(parent):
            threading.Event().wait(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="watch parent", daemon=True).start()


def child(command, **popen):
    """Start a child process that ends with this one: a stopped run sends it SIGTERM (and
    SIGKILL 2 s later), and if this process dies any other way, the child sees it."""
    process = subprocess.Popen(command, env={**os.environ, PARENT: str(os.getpid())}, **popen)

    def end():
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(2)
            except subprocess.TimeoutExpired:
                process.kill()

    _run.children.append(end)
    return process


class Script:
    """A program of this folder run as a child process that ends with this one (`child`), its
    report going to a JSON file in `folder`: Script(...) starts it; finish() waits for it and
    returns what it printed on stdout and stderr and its report. If it failed, what it said on
    stderr is passed on, and the run ends with one line that says which script failed, with
    which flags."""

    def __init__(self, script, flags, folder):
        self.script, self.flags = script, list(flags)
        self.path = Path(tempfile.mkstemp(dir=folder, prefix=f"{Path(script).stem}-", suffix=".json")[1])
        self.process = child([sys.executable, str(Path(__file__).resolve().parent / script), *self.flags,
                              "--report-json", str(self.path)], text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)

    def finish(self):
        stdout, stderr = self.process.communicate()
        if self.process.returncode:
            sys.stderr.write(stderr)  # all it said, then the line that ends this run
            sys.exit(f"{self.script} {' '.join(self.flags)} failed with exit status {self.process.returncode}")
        return stdout, stderr, json.loads(self.path.read_text())


def end_children():
    """End every child started so far that is still running: SIGTERM, then SIGKILL 2 s later."""
    for end in _run.children:
        end()


def out_of_memory(error):
    return isinstance(error, MemoryError) or type(error).__name__ == "ResourceExhaustedError"


def stop(signum):
    """End the run for signal `signum`: its child processes first, then, once a file being
    written is finished (no other is begun), one line that says which files exist."""
    _run.stopping = threading.current_thread()
    said = sys.stderr
    _run.streams = sys.stdout, sys.stderr  # kept alive: a thread in the middle of a print still uses them
    sys.stdout = sys.stderr = open(os.devnull, "w")  # from now on, whatever other threads say, only this line
    end_children()
    _run.writing.acquire()
    _run.stdout_failed = None  # the stop's own line says what was written
    try:
        print(stop_message(signum), file=said, flush=True)
    except (OSError, ValueError):  # nobody reads stderr any more (a parent that died): exit all the same
        pass
    exit_now(128 + signum)


def catch_signals():
    """On POSIX, whichever thread a signal reaches (TensorFlow's and OpenBLAS's threads too),
    its number goes down a pipe to a thread that waits for it and stops the run. Elsewhere
    (Windows), Ctrl-C arrives as KeyboardInterrupt in the main thread, between calls."""
    if os.name != "posix":
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    for name in SIGNALS:
        signal.signal(getattr(signal, name), lambda signum, frame: None)  # not the default: the thread acts
    threading.Thread(target=lambda: stop(os.read(read_end, 1)[0]), name="signals", daemon=True).start()


def run(main):
    """Run main() as a Unix tool: see this module's docstring. On POSIX each signal's number is
    written to a pipe (set_wakeup_fd), whichever thread it reaches, and a thread of its own reads
    it and stops the run (`stop`) while TensorFlow keeps the main thread: a compiled training call
    can take minutes, and Python sees a signal only between calls. A run so stopped exits with
    128 + the signal's number; running out of memory is one line, status 1."""
    if interactive():  # %run: the session goes on, and Ctrl-C is IPython's
        try:
            main()
        except KeyboardInterrupt:
            print(stop_message(signal.SIGINT), file=sys.stderr)
        return
    _open_standard_streams()
    sys.stdout = _Stdout(sys.stdout)
    _keep_temporary_files()
    catch_signals()
    watch_parent()
    try:
        main()
    except KeyboardInterrupt:  # Windows: Ctrl-C arrives here, between TensorFlow's calls
        stop(signal.SIGINT)
    except SystemExit as error:
        if isinstance(error.code, str):
            _say(error.code)
        exit_now(error.code if isinstance(error.code, int) else 1 if error.code else 0)
    except _StdoutGone:  # a closed pipe: SIGPIPE's number; else exit_now says how stdout failed, and exits 1
        exit_now(128 + 13 if _run.stdout_failed is None else 0)
    except Exception as error:
        if not out_of_memory(error):
            _clean_up()
            raise
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        _say(f"{os.path.basename(sys.argv[0])}: out of memory ({message[:200]})"
             + (f"; {_run.smaller_run}" if _run.smaller_run else ""))
        exit_now(1)
    exit_now(0)

