"""A file written whole, and the check, before any long work, that it can be. process.py names
the files `written` when a run stops, and a stop waits for the file being written (`writing`)."""
import os
import stat
import sys
import tempfile
import threading

UMASK = os.umask(0o022)  # the only way to read the umask is to set it, then set it back:
os.umask(UMASK)
written = []  # the files written so far, as their paths were given (str)
writing = threading.Lock()  # held while a file is written


def shown(path):
    """A path as one line shows it: as it is, or quoted where it holds a newline or other control."""
    return str(path) if str(path).isprintable() else repr(str(path))


def writable(path):
    """Why `write_file` could not write `path`, or None: the file there must open for writing,
    as a shell's `>` opens it (it is left as it is), and its folder must take a new file."""
    if not path or path.endswith("/") or os.path.exists(path) and not os.path.isfile(path):
        return f"expected a regular file, got {path!r}"
    real = os.path.realpath(path)  # a symbolic link is written through
    try:
        if os.path.exists(real):
            os.close(os.open(real, os.O_WRONLY))
            tempfile.TemporaryFile(dir=os.path.dirname(real)).close()
            folder = os.stat(os.path.dirname(real))
            if folder.st_mode & stat.S_ISVTX and os.geteuid() not in (0, folder.st_uid, os.stat(real).st_uid):
                return f"cannot replace {shown(path)}: its folder is sticky (as /tmp), and neither is yours"
        else:
            os.close(os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
            os.remove(real)
    except OSError as error:
        return f"cannot write {shown(path)}: {error.strerror}"
    return None


def write_file(path, data):
    """Write the bytes `data` to `path` whole: to a temporary file beside it, renamed into place
    with the mode of the file it replaces (a new one gets the umask's), through a symbolic link."""
    real = os.path.realpath(path)
    with writing:
        try:
            mode = stat.S_IMODE(os.stat(real).st_mode) if os.path.exists(real) else 0o666 & ~UMASK
            handle, temporary = tempfile.mkstemp(dir=os.path.dirname(real), prefix=".", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.chmod(temporary, mode)
                os.replace(temporary, real)
            except BaseException:
                os.remove(temporary)
                raise
        except OSError as error:
            sys.exit(f"cannot write {shown(path)}: {error.strerror}")
        written.append(str(path))
