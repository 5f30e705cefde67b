"""How much memory a training run needs, and how much it may take here, so that a run too big is
refused before TensorFlow loads (docs/faults.md). Both sides count the memory a run cannot give
back: its own, not the page cache (TensorFlow's library files among it), which the system
reclaims when it must.
"""
import contextlib
from pathlib import Path


def needed(batch_size, seq_len, units, layers):
    """Bytes a training run of these shapes takes at its peak, of its own: 420 MiB for TensorFlow,
    40 bytes a stream position, unit and layer (what a step keeps for its gradients), and 32 bytes
    a time step, layer and unit squared (the recurrent weights' gradient at each step). Fitted to
    the peaks measured at five shapes, with room (docs/faults.md)."""
    return 420 * 2 ** 20 + 40 * batch_size * seq_len * layers * units + 32 * seq_len * layers * units ** 2


def room(root="/"):
    """(bytes, what limits them): the most this run may take now, the less of what is free
    (MemAvailable) and what the memory limit of a cgroup this process is in leaves, its cache that
    can be reclaimed aside (a container's: v2 memory.max, v1 memory.limit_in_bytes, at this
    process's cgroup and those above it); (None, None) where neither can be read. `root` holds
    proc/ and sys/, for tests."""
    root, found, cgroups = Path(root), [], []
    with contextlib.suppress(OSError, ValueError):
        meminfo = (root / "proc/meminfo").read_text().splitlines()
        found += [(int(line.split()[1]) * 1024, "free") for line in meminfo if line.startswith("MemAvailable:")]
    with contextlib.suppress(OSError):
        cgroups = (root / "proc/self/cgroup").read_text().splitlines()  # v2: "0::/path"; v1: "4:memory:/path"
    for _, controllers, path in (line.split(":", 2) for line in cgroups):
        v1 = "memory" in controllers.split(",")
        if not (v1 or controllers == ""):
            continue
        base = root / "sys/fs/cgroup" / ("memory" if v1 else "")
        limit_file, used_file, cache = (("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")
                                        if v1 else ("memory.max", "memory.current", "inactive_file"))
        folder = base / path.lstrip("/")
        for level in [folder, *folder.parents[:len(folder.relative_to(base).parts)]]:  # up to base
            with contextlib.suppress(OSError, ValueError):  # no such file, or "max": no limit
                limit, used = int((level / limit_file).read_text()), int((level / used_file).read_text())
                if limit < 2 ** 60:  # v1's "no limit" is a number near 2**63
                    left = limit - used + _stat(level, cache)
                    found.append((max(left, 0), f"the cgroup's limit ({level / limit_file})"))
    return min(found, default=(None, None))


def _stat(folder, name):
    """The number `name` of a cgroup folder's memory.stat, or 0."""
    with contextlib.suppress(OSError, ValueError):
        for line in (folder / "memory.stat").read_text().splitlines():
            key, value = line.split()
            if key == name:
                return int(value)
    return 0


def refusal(bytes_needed, what, hint=None):
    """Why a run that needs `bytes_needed` is refused (`what` needs ...), or None if it fits `room`."""
    left, limit = room()
    if left is None or bytes_needed <= left:
        return None
    leaves = f"{left / 2 ** 30:.1f} GiB is free" if limit == "free" else f"{limit} leaves {left / 2 ** 30:.1f} GiB"
    return f"{what} about {bytes_needed / 2 ** 30:.1f} GiB of memory, and {leaves}" + (f": {hint}" if hint else "")
