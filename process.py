"""How a program here runs as a process: a good Unix tool, whatever happens around it.

    import process
    process.run(main)               # at the bottom of every program
    process.asked(report, plot)     # the files this run was asked for, as its flags say
    process.write_json(path, summary), process.write_atomically(path, write)
    process.child(command, ...)     # a child process that ends with this one
    process.Script(script, flags, folder).finish()   # a program of this folder as a child: its report
    process.finish_all(scripts)     # several at once: the first to fail ends the others
    process.before_exit(fn)         # what to do before any exit

- Ctrl-C, SIGTERM, SIGHUP, SIGQUIT and SIGXCPU stop a run at once, whatever it is in the
  middle of, end its children, and say in one line, the last on stderr, which of the files it
  was asked for were written.
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
import io
import json
import math
import os
import queue
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

try:
    import fcntl  # how a file descriptor is open
    import resource  # limits: ulimit -v
except ImportError:  # Windows
    fcntl = resource = None

PARENT = "RNN_LESSON_PARENT"  # set for a child process: its parent's pid
SIGNALS = {"SIGINT": "interrupted", "SIGTERM": "terminated", "SIGHUP": "hung up", "SIGQUIT": "quit",
           "SIGXCPU": "out of CPU time (ulimit -t)"}
TEMPORARY_ROOM = 2 ** 20  # what a run needs in $TMPDIR: TensorFlow's generated files, a few KB each
MAPPED_UNUSED = 2 * 2 ** 30  # address space TensorFlow maps beyond the memory it uses (2.2 GiB mapped at 0.7 used)
UMASK = os.umask(0o022)  # read it the only way there is: set it, and
os.umask(UMASK)  # ... set it back at once


class _Run:
    """What this process knows about its run: the files asked for and written, its children,
    what to do before any exit, the thread stopping it, its temporary folder, and how stdout
    failed (None: it did not)."""

    def __init__(self):
        self.asked, self.written = [], []
        self.children, self.before_exit = [], []  # its child processes; what to do before any exit
        self.stopping = None
        self.scratch = None
        self.stdout_failed = None
        self.pipe_closed = False  # stdout was a pipe whose reader went (`| head`)
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
    """Bad input or an unwritable file: one line on stderr, exit status 2 (even where stderr
    fails: nobody reads the line, but the status still says it)."""
    _say(message)
    sys.exit(2)


def shown(path):
    """A path as a message shows it: as it is, or quoted where a space, a newline or a byte that
    is not text would make the line unclear."""
    text = str(path)
    return text if text.isprintable() and " " not in text else repr(text)


def special(path):
    """Is `path` (through its links) a file that is no regular file or folder: a device, a FIFO,
    /dev/stdout (whose link leads to a pipe, which no other path names)?"""
    return os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)


def _descriptor(path):
    """The file descriptor that `path` names, if it names one (/dev/stdout, /dev/fd/1,
    /proc/self/fd/1, //dev/./stdout, ...), or the file that stdout or stderr already is (`>
    out.txt` with the report asked in out.txt too), else None: such a file is written on that
    descriptor, where it is, as a shell's `>` writes, after what was printed there, and never
    replaced (stdout redirected to a file stays that file)."""
    text = str(path)
    name = os.path.normpath("/" + text.lstrip("/")) if text.startswith("/") else text
    names = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
    if name in names:
        return names[name]
    folder, base = os.path.split(name)
    if folder in ("/dev/fd", "/proc/self/fd") and base.isdigit():
        return int(base)
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    for fd in (1, 2):
        try:
            standard = os.fstat(fd)
        except OSError:
            continue
        if (found.st_dev, found.st_ino) == (standard.st_dev, standard.st_ino):
            return fd
    return None


def _refused_descriptor(path, fd):
    """Why the open file descriptor `fd` cannot take a report, or None."""
    try:
        mode = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
    except OSError as error:
        return f"cannot write {shown(path)}: {error.strerror}"
    return None if mode in (os.O_WRONLY, os.O_RDWR) else f"cannot write {shown(path)}: it is open for reading only"


def writable(path):
    """Why a shell's `>` could not write the file `path`, or None if it could: the file already
    there must open for writing (as its owner's permissions and attributes allow: read-only for
    others than root, immutable for everyone), and a new one must be made and removed. Where the
    folder takes no new file (a temporary one, for writing whole), a file already there is
    written in place, as `>` would; asking os.access is not enough, root is told yes even in
    /proc."""
    if (fd := _descriptor(path)) is not None and fcntl:
        return _refused_descriptor(path, fd)
    if special(path):
        if not os.access(path, os.W_OK):
            return f"cannot write to {shown(path)}"
        if not stat.S_ISFIFO(os.stat(path).st_mode):  # a FIFO's reader may come later; a device opens now
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)))
            except OSError as error:
                return f"cannot write {shown(path)}: {error.strerror}"
        return None
    try:
        real = os.path.realpath(path)  # through symbolic links: write_atomically writes there
    except OSError as error:  # a relative path, from a folder that was removed
        return f"cannot write {shown(path)}: {error.strerror} (is the current folder gone?)"
    if os.path.islink(real):  # realpath stops, on a link, where the links go round in a loop
        return f"cannot write {shown(path)}: {os.strerror(errno.ELOOP)}"
    folder = os.path.dirname(real)
    try:
        os.stat(folder)
    except OSError as error:
        return f"folder {shown(folder)}: {'does not exist' if error.errno == errno.ENOENT else error.strerror}"
    try:
        if os.path.exists(real):
            os.close(os.open(real, os.O_WRONLY))  # opened, not truncated: the file stays as it is
        else:
            os.close(os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # its name will do
            os.unlink(real)
    except OSError as error:
        return f"cannot write {shown(path)}: {error.strerror}"
    return None


def write_atomically(path, write):
    """Call write(binary_file) to make the file `path`: what it writes is kept, then written
    whole. A regular file is written to a temporary file beside it and renamed into place: a
    crash never leaves it half-written, an old file stays whole until the new one is ready, and
    the new one keeps the old one's mode, extended attributes (ACLs) and, where this process may
    set it, owner. Where that cannot be (a folder that takes no new file, a file that is a mount
    point, as Docker's -v mounts one), the file is written in place, as a shell's `>` writes it.
    A symbolic link is written through, to the file it points to; a device or a FIFO is written
    in place, never replaced; a path that names a file descriptor (/dev/stdout) is written on
    it. A file that cannot be written is a one-line error, exit status 2."""
    content = io.BytesIO()
    write(content)
    data = content.getvalue()
    try:
        if (fd := _descriptor(path)) is not None:
            sys.stdout.flush()
            if fd == 1 and (_run.stdout_failed or _run.pipe_closed):
                return  # stdout failed: the report would go where the output went, nowhere; not written
            with _run.writing:
                try:
                    os.write(fd, data)
                except OSError as error:
                    if fd != 1 or not isinstance(sys.stdout, _Stdout):
                        raise
                    sys.stdout.failed(error)  # as any other output on stdout: said at the exit
                    return
        elif special(path):
            with open(path, "wb") as out, _run.writing:  # opened first: a FIFO waits for its reader
                out.write(data)
        else:
            with _run.writing:
                _write_whole(os.path.realpath(path), data)
    except OSError as error:
        fail(f"{Path(sys.argv[0]).name}: cannot write {shown(path)}: {error.strerror}{_unwritten(path)}")
    _run.written.append(path)


def _unwritten(*but):
    """"; X was not written" for each file asked for and not written (but those named), or ""."""
    return "".join(f"; {shown(path)} was not written" for path in _run.asked
                   if path not in _run.written and path not in but)


def _write_whole(real, data):
    """Write `data` to the regular file `real` through a temporary file renamed into place (or in
    place, where that cannot be: see write_atomically)."""
    old = os.stat(real) if os.path.exists(real) else None
    try:
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(real), prefix=f".{os.path.basename(real)[:64]}-",
                                             suffix=".tmp")
    except OSError as error:
        if old is None or error.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        return _write_in_place(real, data)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, stat.S_IMODE(old.st_mode) if old else 0o666 & ~UMASK)  # not mkstemp's 0o600
        if old:
            _keep_attributes(real, temporary, old)
        os.replace(temporary, real)
    except OSError as error:
        os.unlink(temporary)
        if old is None or error.errno not in (errno.EBUSY, errno.EXDEV):
            raise
        _write_in_place(real, data)  # a mount point: renamed over, it would not be replaced
    except BaseException:
        os.unlink(temporary)
        raise


def _write_in_place(real, data):
    with open(real, "wb") as out:
        out.write(data)


def _keep_attributes(real, temporary, old):
    """Give the new file the old one's owner (where this process may) and extended attributes."""
    if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.chown(temporary, old.st_uid, old.st_gid)
        except PermissionError:  # not root: the file becomes this user's, as a copy would
            pass
    try:
        for name in os.listxattr(real):
            os.setxattr(temporary, name, os.getxattr(real, name))
    except (OSError, AttributeError):  # no extended attributes here (or no such calls: not Linux)
        pass


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
    memory.usage_in_bytes), or the address-space limit (ulimit -v) less what TensorFlow maps
    without using, whichever leaves least. (None, None) where none can be read (not Linux).
    `root` is where /proc and /sys are, for tests."""
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
    address_space = resource.getrlimit(resource.RLIMIT_AS)[0] if resource else -1
    if address_space not in (-1, getattr(resource, "RLIM_INFINITY", -1)) and (
            room is None or address_space - MAPPED_UNUSED < room):
        room = max(address_space - MAPPED_UNUSED, 0)
        where = (f"the address-space limit (ulimit -v: {address_space / 2 ** 30:.1f} GiB, of which TensorFlow "
                 f"maps {MAPPED_UNUSED / 2 ** 30:.0f} GiB it does not use)")
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
            _nowhere(self.stream.fileno())  # what is still buffered goes nowhere, quietly
        except (OSError, ValueError):
            pass
        if isinstance(error, BrokenPipeError):
            _run.pipe_closed = True
        else:
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
            _nowhere(fd)
    if sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)


def _nowhere(fd):
    """Make file descriptor `fd` /dev/null: what is written to it goes nowhere."""
    devnull = os.open(os.devnull, os.O_RDWR)
    if devnull != fd:
        os.dup2(devnull, fd)
        os.close(devnull)


def _keep_temporary_files():
    """Give this run a temporary folder of its own inside $TMPDIR, and make it everyone's
    $TMPDIR in this process and its children: what TensorFlow leaves there for its own exit
    to remove (AutoGraph's generated files) goes with the folder, however the run ends."""
    where = f"$TMPDIR is {shown(os.environ['TMPDIR']) if 'TMPDIR' in os.environ else 'not set'}"
    try:
        _run.scratch = tempfile.mkdtemp(prefix=f"{Path(sys.argv[0]).stem}-")
        room = os.statvfs(_run.scratch)
    except OSError as error:  # no folder for temporary files: $TMPDIR, /tmp, /var/tmp, /usr/tmp, here
        fail(f"{Path(sys.argv[0]).name}: no folder takes temporary files ({where}): {error.strerror or error}")
    except AttributeError:  # no statvfs: not POSIX
        room = None
    if room is not None and room.f_bavail * room.f_frsize < TEMPORARY_ROOM:
        os.rmdir(_run.scratch)
        fail(f"{Path(sys.argv[0]).name}: the folder for temporary files, {shown(os.path.dirname(_run.scratch))}, "
             f"has {room.f_bavail * room.f_frsize // 1024} KiB free; a run needs {TEMPORARY_ROOM // 1024} KiB there "
             "for TensorFlow's generated files")
    os.environ["TMPDIR"] = tempfile.tempdir = _run.scratch


def _clean_up():
    end_children()  # any still running: children end with their parent
    for finish in _run.before_exit:
        finish()
    if _run.stopping:  # its line is out, and nothing else: TensorFlow, still tracing in the main
        try:  # thread, warns as its generated files go, on fd 2 (its logger holds stderr as it was)
            _nowhere(2)
        except OSError:
            pass
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
            stream.flush()  # what is left in stdout's buffer may find it closed or full only now
        except (OSError, AttributeError, ValueError, _StdoutGone):
            pass
    if _run.pipe_closed and not _run.asked and status == 0:
        status = 128 + 13  # as a tool killed by SIGPIPE
    if _run.stdout_failed and status == 0:
        written = "".join(f"; {shown(path)} was written" for path in _run.written)
        _say(f"{Path(sys.argv[0]).name}: stdout failed ({_run.stdout_failed}), so the output stopped"
             + written + _unwritten())
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
    said = [f"{shown(path)} was written" for path in _run.written] + [
        f"{shown(path)} was not written" for path in _run.asked if path not in _run.written]
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

    _run.children.append(process)
    return process


class Script:
    """A program of this folder run as a child process that ends with this one (`child`), its
    report going to a JSON file in `folder`: Script(...) starts it; finish() waits for it and
    returns what it printed on stdout and stderr and its report. If it failed, the run ends:
    where it refused its flags (status 2), with its one line and status 2; else with what it
    said on stderr and one line that says which script failed, with which flags, and how."""

    def __init__(self, script, flags, folder):
        self.script, self.flags = script, list(flags)
        self.path = Path(tempfile.mkstemp(dir=folder, prefix=f"{Path(script).stem}-", suffix=".json")[1])
        self.process = child([sys.executable, str(Path(__file__).resolve().parent / script), *self.flags,
                              "--report-json", str(self.path)], text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.output = None

    def wait(self):
        """Wait for it to end; what it printed, (stdout, stderr)."""
        if self.output is None:
            self.output = self.process.communicate()
        return self.output

    def finish(self):
        stdout, stderr = self.wait()
        code = self.process.returncode
        if code == 2 and stderr.strip():  # its flags refused: its own line says why
            fail(stderr.strip().splitlines()[-1])
        stopped = {128 + getattr(signal, name) for name in SIGNALS if hasattr(signal, name)}
        if code in stopped:  # stopped by a signal sent to it alone: its own line names its report, ours does not
            sys.exit(f"{self.script} was stopped by {signal.Signals(code - 128).name}{_unwritten()}")
        if code:
            sys.stderr.write(stderr)  # all it said, then the line that ends this run
            how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"failed with exit status {code}"
            sys.exit(f"{self.script} {' '.join(self.flags)} {how}{_unwritten()}")
        return stdout, stderr, json.loads(self.path.read_text())


def finish_all(scripts):
    """finish() each of `scripts`, which run at once, in turn; but whichever fails first ends
    the others, and the run, at once, without waiting for the rest."""
    ended = queue.Queue()

    def wait_for(script):
        script.wait()
        ended.put(script)

    for script in scripts:
        threading.Thread(target=wait_for, args=(script,), daemon=True).start()
    for _ in scripts:
        script = ended.get()
        if script.process.returncode:
            end_children()
            script.finish()  # ends the run
    return [script.finish() for script in scripts]


def end_children():
    """End every child started so far that is still running: SIGTERM to all of them, then SIGKILL
    to any still running 2 s later."""
    running = [child for child in _run.children if child.poll() is None]
    for child in running:
        child.terminate()
    deadline = time.monotonic() + 2
    for child in running:
        try:
            child.wait(max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            child.kill()


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
        if signal.getsignal(getattr(signal, name)) is not signal.SIG_IGN:  # nohup, a background job: left as it is
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
    try:  # a name that is no text (a file name's bytes) is printed escaped, never a UnicodeEncodeError
        sys.stdout.reconfigure(errors="backslashreplace")
    except (AttributeError, ValueError):
        pass
    sys.stdout = _Stdout(sys.stdout)
    catch_signals()  # first: a stop from now on removes what the run makes
    try:
        _keep_temporary_files()
        watch_parent()
        main()
    except KeyboardInterrupt:  # Windows: Ctrl-C arrives here, between TensorFlow's calls
        stop(signal.SIGINT)
    except SystemExit as error:
        if isinstance(error.code, str):
            _say(error.code)
        exit_now(error.code if isinstance(error.code, int) else 1 if error.code else 0)
    except _StdoutGone:  # a closed pipe: 141, as SIGPIPE; anything else: exit_now says how stdout failed, status 1
        exit_now(0 if _run.stdout_failed else 128 + 13)
    except Exception as error:
        if not out_of_memory(error):
            _clean_up()
            raise
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        _say(f"{os.path.basename(sys.argv[0])}: out of memory ({message[:200]})"
             + (f"; {_run.smaller_run}" if _run.smaller_run else "") + _unwritten())
        exit_now(1)
    exit_now(0)

