"""How the reports say things: positions, counts and the lines every report shares."""
import re

import numpy as np


def one_line(error):
    """An exception from the user's own code (a framework's, deep inside), in one line: its type
    and the start of its message, without terminal colours."""
    said = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(error)).split())
    return f"{type(error).__name__}: {said[:300]}"


def positions_text(lane, pad=None):
    """Stream positions of one lane, runs of consecutive ones shortened: "0 ... 49", "0, 50";
    padding (a mask) as "(+3 padding)" after them, or "(2 padding +)" before."""
    lane = np.asarray(lane)
    pad = np.zeros(len(lane), dtype=bool) if pad is None else np.asarray(pad)
    real = [int(p) for p in lane[~pad]]
    runs, start = [], 0
    for i in range(1, len(real) + 1):
        if i == len(real) or real[i] != real[i - 1] + 1:
            run = real[start:i]
            runs.append(", ".join(map(str, run)) if len(run) < 4 else f"{run[0]} ... {run[-1]}")
            start = i
    text = ", ".join(runs) if len(runs) <= 4 else ", ".join(runs[:3]) + f", ... ({len(real)} in all)"
    before = int(np.argmax(~pad)) if (~pad).any() else 0
    after = int(pad.sum()) - before
    return (f"({before} padding +) " if before else "") + text + (f" (+{after} padding)" if after else "")


def count(n, thing):
    return f"{n} {thing}{'s' * (n != 1)}"


def numbers_text(numbers):
    """0, 1, 2, 3 as "0 to 3"; others as "0, 1, 15"."""
    numbers = [int(n) for n in numbers]
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]} to {numbers[-1]}"
    return ", ".join(map(str, numbers))


def target_place(offset, n_steps, per_step):
    """Where a target sits, `offset` positions after the last input it may use, in words:
    for a step's target, or (not per_step) for a window's of `n_steps` steps."""
    if per_step:
        return {0: "its own element", 1: "the next element"}.get(
            offset, f"the element {abs(offset)} {'after' if offset > 0 else 'before'} it")
    if offset == 1:
        return "the element after its last"
    if offset == 0:
        return "its own last element"
    if offset == 1 - n_steps:
        return "its own first element"
    if 1 - n_steps < offset < 0:
        return f"its own element {n_steps - 1 + offset} (counting from 0)"
    if offset > 1:
        return f"the element {offset} after its last"
    return f"{1 - n_steps - offset} elements before its first"


def lane_lines(first_lanes, n_lanes, seen, targets, element="element", heading=""):
    """The lane map as the scripts print it: the first lanes (each a list of (positions,
    padding) segments, shown | apart: one per batch), how many more, and how many targets
    see their previous element."""
    lines = [f"lane map: stream positions in each lane, in time order{heading}"]
    lines += [f"  lane {i} -> " + " | ".join(positions_text(*segment) for segment in segments)
              for i, segments in enumerate(first_lanes)]
    if n_lanes > len(first_lanes):
        more = n_lanes - len(first_lanes)
        lines.append(f"  ... and {more} more lane{'s' * (more > 1)}")
    lines.append(f"  previous {element} read earlier in the same lane: {seen} of {targets}")
    return "\n".join(lines) + "\n"


def window_line(window):
    return (f"each slot's features hold {window} consecutive positions: each slot is read as its last\n"
            if window > 1 else "")


def padding_line(padded):
    return f"padding: {count(padded, 'slot')} of 0 at a lane's end or start, not targets\n" if padded else ""


def closing_lines(check):
    """The two lines every report ends in: the best accuracy, and the verdict."""
    return (f"best accuracy on a task that needs the previous element: {check.best['accuracy']:.4f}\n"
            f"verdict: {'ok' if check.ok else 'NOT OK'}: {check.verdict}")
