"""lanes at its documented limits: each case in a fresh process, its seconds (median of 3 runs)
and its peak memory (the largest of the 3). Run by hand, NumPy alone (docs/performance.md):

    python tests/limits.py
"""
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETUP = "import numpy as np, lanes\n"
CASES = {  # what is checked: the code, run after SETUP
    "check_layout, 2**22 positions, 2**22 lanes of 1 step":
        "lanes.check_layout(lambda s: s.reshape(-1, 1), 2 ** 22)",
    "check_layout, 2**22 positions, (2**11, 2**11), in order":
        "lanes.check_layout(lambda s: s.reshape(2 ** 11, 2 ** 11), 2 ** 22)",
    "check_layout, 2**22 positions, time-major (2**21 lanes of 2)":
        "lanes.check_layout(lambda s: s.reshape(2, 2 ** 21).T, 2 ** 22)",
    "check_layout, 2**22 positions, shuffled":
        "lanes.check_layout(lambda s: np.random.default_rng(0).permutation(s).reshape(2 ** 11, 2 ** 11), 2 ** 22)",
    "check_batches, 1,024 stateful batches of (64, 64): 2**22 slots":
        "lanes.check_batches(list(np.arange(2 ** 22).reshape(64, 1024, 64).transpose(1, 0, 2)), stateful=True)",
    "check_batches, limit=100,000 stateful batches of (2, 2), shuffled":
        "lanes.check_batches(list(np.random.default_rng(0).permutation(np.arange(4 * 10 ** 5).reshape(-1, 2, 2))),"
        " stateful=True, limit=10 ** 5)",
    "check_model, (2, 2048, 1): 4,096 slots, a running sum":
        "lanes.check_model(lambda x: np.cumsum(x, axis=1), (2, 2048, 1))",
    "check_model, (64, 64, 1): 4,096 slots, a running sum":
        "lanes.check_model(lambda x: np.cumsum(x, axis=1), (64, 64, 1))",
    "check_model, (64, 64, 1): batch statistics":
        "lanes.check_model(lambda x: (x - x.mean()) / x.std(), (64, 64, 1))",
    "check_model, (2, 4, 2**21): 2**24 numbers":
        "lanes.check_model(lambda x: np.cumsum(x, axis=1), (2, 4, 2 ** 21))",
}
MEASURE = ("import resource, time\n" + SETUP + "started = time.perf_counter()\n{code}\n"
           "print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")


def measure(code, runs=3):
    seconds, peaks = [], []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", MEASURE.format(code=code)], cwd=ROOT, capture_output=True,
                              text=True, check=True)
        took, peak_kib = done.stdout.split()
        seconds.append(float(took))
        peaks.append(int(peak_kib) / 1024)
    return statistics.median(seconds), min(seconds), max(seconds), max(peaks)


if __name__ == "__main__":
    assert resource  # the children measure themselves with it
    print("| case | seconds, median | min to max | peak memory |")
    print("| --- | --- | --- | --- |")
    for name, code in CASES.items():
        median, low, high, peak = measure(code)
        print(f"| {name} | {median:.2f} s | {low:.2f} to {high:.2f} s | {peak:.0f} MiB |", flush=True)
