"""Find the "my RNN only learns the current input" bug in your own code. NumPy only.

An RNN carries its memory along a lane (one sequence of the batch), never across lanes. So
feed your code the positions 0, 1, 2, ... instead of data and look where each one lands:
inside every lane they should count up by one. Three checks do that for you:

    import numpy as np, lanes
    print(lanes.check_layout(lambda stream: stream.reshape(7, 50, 1), 350))  # your reshape
    print(lanes.check_batches(my_pipeline(np.arange(1000)), stateful=True))  # your batches
    print(lanes.check_model(my_model, (3, 4, 1)))                           # your model

Each returns a result with `.ok`, its figures as attributes, and a str() that is a short
report ending in one verdict line: the likely cause and the fix. Shapes are
(batch, time[, features]), or (time, batch[, features]) with time_major=True.

The lane map under all three is a (lanes, time) array: the stream position in each slot.
From it, `seen_previous` says which slots hold a position whose predecessor was read
earlier in the same lane, and `best_possible` gives the best accuracy and cross-entropy any
model can reach on a task that needs the previous element (broken_rnn.py and fixed_rnn.py
report both for their own layouts, through check_layout).

    >>> import numpy as np, lanes
    >>> question = np.arange(100).reshape(2, 50).T      # the question's layout: 50 lanes of 2
    >>> int(lanes.seen_previous(question).sum())        # no position follows its predecessor
    0
    >>> lanes.check_layout(lambda stream: stream.reshape(7, 50), 350).ok
    True

This file imports nothing but NumPy: copy it into your project if you like.
"""
from collections import Counter
from dataclasses import dataclass
from itertools import islice

import numpy as np

LANES_SHOWN = 3  # lanes printed from a lane map
BATCHES_SHOWN = 3  # batches printed side by side in check_batches' lane lines
MODEL_PROBE_SHAPE = (3, 4, 1)  # check_model's default input: 3 lanes of 4 steps, 1 feature


# --------------------------------------------------------------------------- the lane map
def positions_of(value, what):
    """`value` (anything np.asarray reads) as an int64 array of stream positions, or a
    ValueError that says what `what` held instead."""
    try:
        array = np.asarray(value)
    except Exception as error:  # a ragged list, a tensor on a GPU, ...
        raise ValueError(f"{what}: expected an array of stream positions, got {type(value).__name__} "
                         f"({error})") from None
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise ValueError(f"{what}: expected stream positions (numbers), got an array of {array.dtype}")
    if np.issubdtype(array.dtype, np.floating) and array.size:
        if not np.isfinite(array).all():
            raise ValueError(f"{what}: expected stream positions, got NaN or infinity")
        exact = 2 ** (np.finfo(array.dtype).nmant + 1)  # float32: 2**24; beyond it, neighbours merge
        if np.abs(array).max() >= exact:
            raise ValueError(f"{what}: holds {array.dtype} positions up to {np.abs(array).max():.0f}, but "
                             f"{array.dtype} is exact only below {exact}: probe with a shorter series")
        if (array != np.round(array)).any():
            raise ValueError(f"{what}: expected whole-number stream positions, got "
                             f"{array[array != np.round(array)].flat[0]}")
    array = array.astype(np.int64)
    if (array < 0).any():
        raise ValueError(f"{what}: expected stream positions 0, 1, 2, ..., got {array.min()}")
    return array


def lane_map(batch, time_major=False, what="the batch"):
    """(batch, time[, features]) positions, or (time, batch[, features]) if time_major ->
    (lanes, time): the stream position in each slot. Every feature of a slot must hold the
    same position: feed a 1-D stream, repeated along the features if your code needs several."""
    array = positions_of(batch, what)
    axes = "(time, batch[, features])" if time_major else "(batch, time[, features])"
    if array.ndim not in (2, 3) or 0 in array.shape:
        raise ValueError(f"{what}: expected a 2-D or 3-D array {axes}, got shape {array.shape}")
    if array.ndim == 3:
        differ = np.argwhere((array != array[..., :1]).any(axis=2))
        if len(differ):
            slot = tuple(int(i) for i in differ[0])
            raise ValueError(f"{what}: the features of slot {slot} hold different positions "
                             f"{array[slot].tolist()}; expected one position a slot (feed a 1-D stream, "
                             "repeated along the features if your code needs several)")
        array = array[..., 0]
    return np.ascontiguousarray(array.T if time_major else array)


def slots(lanes):
    """Flat (lane, time, position) arrays of `lanes`: a (lanes, time) map, or a list of 1-D
    lanes of any lengths, in time order."""
    lanes = [np.asarray(lane, dtype=np.int64) for lane in lanes]
    lane_ids = np.repeat(np.arange(len(lanes)), [len(lane) for lane in lanes])
    times = np.concatenate([np.arange(len(lane)) for lane in lanes])
    return lane_ids, times, np.concatenate(lanes)


def seen_in_lane(lane_ids, times, positions):
    """For each slot (flat arrays, ordered by lane, then time): was the position before this
    one read earlier in the same lane? Positions may repeat (overlapping windows)."""
    key = lane_ids * (positions.max() + 2) + positions  # one key per (lane, position)
    known, first = np.unique(key, return_index=True)  # first: where a key occurs first = earliest
    wanted = key - 1  # (this lane, position - 1); for position 0, a key no slot has
    at = np.minimum(np.searchsorted(known, wanted), len(known) - 1)
    return (positions > 0) & (known[at] == wanted) & (times[first[at]] < times)


def counts_up(lanes):
    """(lanes,) bools: does each lane of a (lanes, time) map count up by one?"""
    return (np.diff(lanes, axis=1) == 1).all(axis=1)


def best_from(seen, times, positions):
    """The best accuracy and cross-entropy (nats) any model can reach on slots `seen` or not.

    A slot whose previous element is in sight can be named exactly. For any other the model
    has only the current element, and can at best bet on its predecessor: a coin flip,
    except for the stream's first element, whose predecessor always counts as 0. A model may
    know the time step it is at (it can count, and a reset state starts every lane from
    zeros), but not which lane it is in: every lane runs the same weights on the same kind of
    input. So the bet is made per time step, over the hidden slots at that step. Whatever
    state a lane brings in from the batch before, carried or reset, holds nothing about
    this stream's elements, so neither policy beats this.
    """
    correct, entropy = float(seen.sum()), 0.0
    for step in np.unique(times[~seen]):
        pool = ~seen & (times == step)  # the hidden slots at this time step
        hidden, forced = int(pool.sum()), int((pool & (positions == 0)).sum())  # forced: the first element
        p_zero = (forced + 0.5 * (hidden - forced)) / hidden  # P(previous element 0), in this pool
        correct += hidden * max(p_zero, 1 - p_zero)
        entropy += hidden * sum(p * np.log(1 / p) for p in (p_zero, 1 - p_zero) if p > 0)
    return {"accuracy": correct / seen.size, "cross_entropy": float(entropy / seen.size)}


def as_map(lanes):
    array = positions_of(lanes, "the lane map")
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(f"the lane map: expected a 2-D array (lanes, time), got shape {array.shape}")
    return array


def seen_previous(lanes):
    """(lanes, time) bools: does the slot hold a position whose predecessor the RNN has
    already read, earlier in the same lane? `lanes` is a lane map (lanes, time)."""
    lanes = as_map(lanes)
    return seen_in_lane(*slots(lanes)).reshape(lanes.shape)


def best_possible(lanes):
    """The best held-out accuracy and cross-entropy (nats) of any model fed lane map `lanes`
    (lanes, time), on a task whose target at each position needs the previous element (see
    best_from)."""
    lanes = as_map(lanes)
    lane_ids, times, positions = slots(lanes)
    return best_from(seen_in_lane(lane_ids, times, positions), times, positions)


# --------------------------------------------------------------------------- the report
def positions_text(lane):
    """Stream positions of one lane, runs of consecutive ones shortened: "0 ... 49", "0, 50"."""
    lane = [int(p) for p in lane]
    runs, start = [], 0
    for i in range(1, len(lane) + 1):
        if i == len(lane) or lane[i] != lane[i - 1] + 1:
            run = lane[start:i]
            runs.append(", ".join(map(str, run)) if len(run) < 4 else f"{run[0]} ... {run[-1]}")
            start = i
    return ", ".join(runs) if len(runs) <= 4 else ", ".join(runs[:3]) + f", ... ({len(lane)} in all)"


def lane_lines(first_lanes, lanes, seen, targets, element="element", heading=""):
    """The lane map as the scripts print it: the first lanes (each a list of 1-D segments,
    shown | apart: one per batch), how many more, and how many targets see their previous
    element."""
    lines = [f"lane map: stream positions in each lane, in time order{heading}"]
    lines += [f"  lane {i} -> " + " | ".join(map(positions_text, segments))
              for i, segments in enumerate(first_lanes)]
    if lanes > len(first_lanes):
        more = lanes - len(first_lanes)
        lines.append(f"  ... and {more} more lane{'s' * (more > 1)}")
    lines.append(f"  previous {element} read earlier in the same lane: {seen} of {targets}")
    return "\n".join(lines) + "\n"


def verdict_line(ok, text):
    return f"verdict: {'ok' if ok else 'NOT OK'}: {text}"


def steps_text(lane, lanes):
    """Why `lane`, one of `lanes` in its batch, does not count up by one, and the fix."""
    step = Counter(np.diff(lane).tolist()).most_common(1)[0][0]
    shown = ", ".join(map(str, lane[:4])) + (", ..." if len(lane) > 4 else "")
    fix = "Reshape the stream to (batch, time); for a model that reads time first, transpose that"
    if step == lanes:
        return (f"consecutive positions sit side by side across lanes (lane i: i, i + {step}, ...): a "
                f"time-major reshape, or a reshape where a transpose belongs. {fix}")
    if step > 1:
        return f"a lane steps by {step} ({shown}): consecutive positions went to other lanes. {fix}"
    if step == 1:  # mostly in order: a few jumps
        return (f"a lane jumps ({shown}): positions are shuffled or dropped inside lanes; keep each lane a "
                "run of consecutive positions")
    if step == 0:
        return (f"a lane holds one position at every step ({shown}): the time axis repeats one element "
                "(a broadcast, or features and time swapped?)")
    return f"a lane runs backwards ({shown}): the time axis is reversed; flip it back"


# --------------------------------------------------------------------------- check_layout
@dataclass
class LayoutCheck:
    """What check_layout found. `lane_map` is (lanes, time); `seen` marks the slots whose
    previous position was read earlier in the same lane; `in_order` the lanes that count up
    by one; `best` is best_possible; `undoes` whether `undo` gave the stream back (None:
    no undo given)."""

    lane_map: np.ndarray
    seen: np.ndarray
    in_order: np.ndarray
    best: dict
    undoes: bool | None
    verdict: str

    @property
    def ok(self):
        return bool(self.in_order.all()) and self.undoes is not False

    def summary(self):
        """What the scripts' JSON keeps of the lane map."""
        return {"lanes": len(self.lane_map), "first_lanes": self.lane_map[:LANES_SHOWN].tolist(),
                "seen_previous": int(self.seen.sum()), "targets": int(self.seen.size)}

    def lane_lines(self, element="element"):
        return lane_lines([[lane] for lane in self.lane_map[:LANES_SHOWN]], len(self.lane_map),
                          int(self.seen.sum()), self.seen.size, element)

    def __str__(self):
        lanes, time = self.lane_map.shape
        return (f"check_layout: {lanes} lanes x {time} time steps\n" + self.lane_lines()
                + f"lanes that count up by one: {int(self.in_order.sum())} of {lanes}\n"
                + f"best accuracy on a task that needs the previous element: {self.best['accuracy']:.4f}\n"
                + verdict_line(self.ok, self.verdict))


def check_layout(layout, length, time_major=False, undo=None):
    """Push the stream positions np.arange(length) through `layout`, your function from a 1-D
    stream to the model's input, (batch, time[, features]) or, if time_major, (time, batch[,
    features]). It is ok when every lane counts up by one. `undo`, if given, is your function
    from the model's per-step outputs, laid out as the input, back to stream order: it must
    give np.arange(length) back, or outputs and labels would not line up."""
    if isinstance(length, bool) or not isinstance(length, int | np.integer) or not 2 <= length <= 2 ** 24:
        raise ValueError(f"length: expected a whole number of stream positions from 2 to 2**24 "
                         f"(float32 holds positions exactly up to there), got {length!r}")
    stream = np.arange(length)
    laid_out = layout(stream)
    lanes = lane_map(laid_out, time_major, what="the layout's output")
    present = np.zeros(length + 1, dtype=bool)
    present[np.minimum(lanes.ravel(), length)] = True
    if present[length] or not present[:length].all():
        missing = np.flatnonzero(~present[:length])
        raise ValueError(f"the layout's output: expected every stream position 0..{length - 1} at least "
                         f"once, got {lanes.size} slots holding positions {lanes.min()}..{lanes.max()}"
                         + (f", without {positions_text(missing[:8])}" if len(missing) else "")
                         + ": it must rearrange the whole stream")
    undoes = None
    if undo is not None:
        back = positions_of(undo(laid_out), "undo's output")
        undoes = back.size == length and np.array_equal(back.ravel(), stream)
    lane_ids, times, positions = slots(lanes)
    seen = seen_in_lane(lane_ids, times, positions)
    in_order = counts_up(lanes)
    if not in_order.all():
        verdict = steps_text(lanes[np.argmin(in_order)], len(lanes))
    elif undoes is False:
        verdict = ("every lane counts up by one, but undo does not give the stream back: outputs and "
                   "labels would not line up; make undo the exact inverse of the layout")
    else:
        verdict = "every lane counts up by one: the model reads the stream in order"
    return LayoutCheck(lanes, seen.reshape(lanes.shape), in_order, best_from(seen, times, positions),
                       undoes, verdict)


# --------------------------------------------------------------------------- check_batches
def split_element(element, number):
    """One element of a pipeline -> (inputs, targets or None)."""
    if isinstance(element, dict):
        raise ValueError(f"batch {number}: expected an array or an (inputs, targets) pair, got a dict "
                         f"with keys {sorted(element)}; pass the inputs, e.g. (e['x'] for e in batches)")
    if isinstance(element, tuple):
        if not 1 <= len(element) <= 3:
            raise ValueError(f"batch {number}: expected (inputs, targets[, weights]), got a tuple of "
                             f"{len(element)}")
        return element[0], (element[1] if len(element) > 1 else None)
    return element, None


def offset_text(offset, time, per_step):
    """Where a target sits, `offset` positions after the last input it may use, in words."""
    if per_step:
        return {0: "each step's target is its own element", 1: "each step's target is the next element"}.get(
            offset, f"each step's target is the element {abs(offset)} {'after' if offset > 0 else 'before'} it")
    if offset == 1:
        return "each window's target is the element after its last"
    if offset == 0:
        return "each window's target is its own last element"
    if offset == 1 - time:
        return "each window's target is its own first element"
    if 1 - time < offset < 0:
        return f"each window's target is its own element {time - 1 + offset} (counting from 0)"
    if offset > 1:
        return f"each window's target is the element {offset} after its last"
    return f"each window's target is {1 - time - offset} elements before its first"


def target_offsets(lanes, targets, time_major, number):
    """Target minus the last input it may use, for every target of one batch, and whether the
    targets are one a step (else one a window)."""
    targets = positions_of(targets, f"batch {number}'s targets")
    count, time = lanes.shape
    if targets.ndim == 3 and targets.shape[2] == 1 or targets.ndim == 2 and targets.shape[1] == 1:
        targets = targets[..., 0]
    if targets.shape == (count,):
        return targets - lanes[:, -1], False
    expected = (time, count) if time_major else (count, time)
    if targets.shape == expected:
        return (targets.T if time_major else targets) - lanes, True
    raise ValueError(f"batch {number}'s targets: expected one a window, shape ({count},), or one a "
                     f"step, shape {expected}, got shape {targets.shape}")


@dataclass
class BatchesCheck:
    """What check_batches found. `batches`: how many were read; `lanes_in_order` of
    `lanes_total`: the lanes that count up by one inside their batch; `continuing` of
    `handovers`: with stateful, the lanes that go on from where the same lane of the batch
    before stopped (None without stateful); `seen` of `targets`: slots whose previous
    position the model has read in its lane (across batches, with stateful);
    `offset_found`: targets minus the last input they may use, if the pipeline yields
    (inputs, targets) and that is the same everywhere (`target_offset` is the one asked for);
    `best`: best_possible for it all."""

    batches: int
    stateful: bool
    shapes: list
    first_lanes: list
    lanes_in_order: int
    lanes_total: int
    continuing: int | None
    handovers: int | None
    seen: int
    targets: int
    target_text: str | None
    offset_found: int | None
    target_offset: int
    best: dict
    verdict: str
    ok: bool

    def __str__(self):
        sizes = Counter(self.shapes)
        shape_text = ", ".join(f"{n} of ({lanes} lanes, {time} time steps)" for (lanes, time), n in sizes.items())
        lines = [f"check_batches: {self.batches} batch{'es' * (self.batches > 1)}: {shape_text}"
                 f"{', stateful' if self.stateful else ''}",
                 lane_lines(self.first_lanes, max(lanes for lanes, _ in self.shapes), self.seen, self.targets,
                            heading=", batch | batch | ..." if len(self.first_lanes[0]) > 1 else "").rstrip(),
                 f"lanes that count up by one inside their batch: {self.lanes_in_order} of {self.lanes_total}"]
        if self.stateful:
            lines.append(f"lanes that go on where they stopped in the batch before: {self.continuing} "
                         f"of {self.handovers}")
        if self.target_text:
            lines.append(f"targets: {self.target_text}")
        lines += [f"best accuracy on a task that needs the previous element: {self.best['accuracy']:.4f}",
                  verdict_line(self.ok, self.verdict)]
        return "\n".join(lines)


def check_batches(batches, stateful, time_major=False, target_offset=1, limit=1000):
    """Check what your pipeline yields when its series is np.arange(N): `batches` is any
    iterable of arrays (batch, time[, features]) or (inputs, targets) pairs, such as a
    tf.data.Dataset, a Keras PyDataset or a list. Each batch's lanes must count up by one.

    stateful: whether the model carries each lane's state into the same lane of the next
    batch (Keras stateful=True, or feeding the final state back in). Then lane i of each
    batch must go on where lane i of the batch before stopped.
    target_offset: where each target should sit, counted from the last input it may use:
    1 (the default) to forecast the next element, 0 for a label of the element itself.
    Targets may be one a window (batch,) or one a step (batch, time).
    limit: batches read at most, for pipelines that repeat forever."""
    if isinstance(stateful, str) or not isinstance(stateful, bool | np.bool_):
        raise ValueError(f"stateful: expected True or False, got {stateful!r}")
    try:
        elements = iter(batches)
    except TypeError:
        raise ValueError(f"batches: expected an iterable of batches, got {type(batches).__name__}") from None
    maps, offsets, per_step = [], [], None
    for number, element in enumerate(islice(elements, limit), start=1):
        inputs, targets = split_element(element, number)
        maps.append(lane_map(inputs, time_major, what=f"batch {number}"))
        if targets is not None:
            offset, per_step = target_offsets(maps[-1], targets, time_major, number)
            offsets.append(offset.ravel())
    if not maps:
        raise ValueError("batches: expected at least one batch, got none")
    if offsets and len(offsets) != len(maps):
        raise ValueError("batches: expected targets with every batch or with none, got some of each")

    shapes = [m.shape for m in maps]
    in_order = np.concatenate([counts_up(m) for m in maps])
    same_lanes = len({lanes for lanes, _ in shapes}) == 1
    if stateful and same_lanes:  # a lane goes on through every batch: one long lane each
        long_lanes = np.concatenate(maps, axis=1)
        lane_ids, times, positions = slots(long_lanes)
        ends, starts = np.stack([m[:, -1] for m in maps[:-1]]), np.stack([m[:, 0] for m in maps[1:]])
        goes_on = starts == ends + 1  # (handovers, lanes)
        continuing, handovers = int(goes_on.sum()), goes_on.size
    else:
        lane_ids, times, positions = slots([lane for m in maps for lane in m])
        continuing = handovers = None
    seen = seen_in_lane(lane_ids, times, positions)
    first_lanes = [[m[i] for m in maps[:BATCHES_SHOWN] if i < len(m)] for i in range(min(LANES_SHOWN, len(maps[0])))]

    target_text = offset = None
    if offsets:
        found = np.unique(np.concatenate(offsets))
        time = shapes[0][1]
        if len(found) == 1:
            offset = int(found[0])
            target_text = offset_text(offset, time, per_step)
            if offset != target_offset:
                target_text += f", not {offset_text(target_offset, time, per_step).split(' is ', 1)[1]}"
        else:
            target_text = (f"targets sit at no fixed place: from {found.min()} to {found.max()} positions "
                           "after the last input they may use")

    ok = True
    if not in_order.all():
        ok = False
        m = next(m for m in maps if not counts_up(m).all())  # the first batch with a lane out of order
        verdict = steps_text(m[np.argmin(counts_up(m))], len(m))
    elif stateful and not same_lanes:
        ok = False
        counts = Counter(lanes for lanes, _ in shapes)
        verdict = (f"batches hold {' or '.join(map(str, sorted(counts)))} lanes; a stateful model needs "
                   "every batch the same size: drop the last, short batch (drop_remainder=True)")
    elif stateful and continuing < handovers:
        ok = False
        where = np.argwhere(~goes_on)[0]  # (handover, lane) of the first break
        batch, lane = int(where[0]), int(where[1])
        jumps = np.unique(starts - ends)
        told = (f"lane {lane} goes from {positions_text(maps[batch][lane])} in batch {batch + 1} to "
                f"{positions_text(maps[batch + 1][lane])} in batch {batch + 2}")
        if len(jumps) == 1:
            verdict = (f"{told}: consecutive windows went to neighbouring lanes, so each lane carries "
                       "another stretch's state. Split the series into one stretch a lane first, or use "
                       "stateful=False")
        else:
            verdict = (f"{told}: shuffled batches hand each lane another stretch's state. Do not shuffle "
                       "a stateful pipeline, or use stateful=False")
    elif offsets and offset != target_offset:
        ok, shift = False, None if offset is None else target_offset - offset
        verdict = f"{target_text}: targets and inputs do not line up"
        if shift:
            verdict += (f"; move each target {abs(shift)} position{'s' * (abs(shift) > 1)} "
                        f"{'later' if shift > 0 else 'earlier'}")
        if shift and shift > 0:
            verdict += f" (timeseries_dataset_from_array: data=series[:-{shift}], targets=series[{shift}:])"
    else:
        verdict = "every lane counts up by one" + (", and goes on in the next batch" if stateful else "")
        if offsets:
            verdict += f"; {target_text}"
    return BatchesCheck(len(maps), stateful, shapes, first_lanes, int(in_order.sum()), len(in_order),
                        continuing, handovers, int(seen.sum()), int(seen.size), target_text, offset,
                        target_offset, best_from(seen, times, positions), verdict, ok)


# --------------------------------------------------------------------------- check_model
@dataclass
class ModelCheck:
    """What check_model found. `depends[i, s, j, t]`: nudging input lane i at step s moved
    the output of lane j at step t (lanes and steps as the batch-major reading sees them).
    The counts are (input slot, output slot) pairs: across lanes, and inside a lane from an
    earlier step (of `possible`), the same step, or a later one."""

    shape: tuple
    time_major: bool
    depends: np.ndarray

    @property
    def across_lanes(self):
        lanes = np.arange(self.depends.shape[0])
        return int(self.depends.sum() - self.depends[lanes, :, lanes, :].sum())

    def in_lane(self, when):
        """Pairs inside a lane whose input step is "earlier", "same" or "later" than the output's."""
        lanes, time = self.depends.shape[:2]
        own = self.depends[np.arange(lanes), :, np.arange(lanes), :]  # (lanes, input step, output step)
        step_in, step_out = np.indices((time, time))
        return int(own[:, {"earlier": step_in < step_out, "same": step_in == step_out,
                           "later": step_in > step_out}[when]].sum())

    @property
    def possible(self):
        lanes, time = self.depends.shape[:2]
        return lanes * time * (time - 1) // 2

    @property
    def ok(self):
        return self.across_lanes == 0 and self.in_lane("earlier") > 0

    @property
    def verdict(self):
        if self.across_lanes:
            if self.time_major:
                return ("outputs read other lanes: this model reads the batch first; give it (batch, time, "
                        "features) and check it with time_major=False")
            return ("outputs read other lanes: the model walks time along your batch axis (a time-major "
                    "model, such as PyTorch's default batch_first=False, fed (batch, time, features)). "
                    "Transpose its input, or use batch_first=True")
        if not self.in_lane("earlier"):
            return ("no output reads an earlier step: the model has no memory along time (a layer "
                    "applied step by step, or an RNN whose time axis is not this one)")
        later = self.in_lane("later")
        return ("each output reads its own lane only, and earlier steps of it"
                + (f"; {later} read later steps too (a bidirectional model does; a forecast must not)"
                   if later else ""))

    def __str__(self):
        lanes, time = self.depends.shape[:2]
        order = "(time, batch, features)" if self.time_major else "(batch, time, features)"
        lane = min(1, lanes - 1)
        grid = self.depends[:, :, lane, time - 1]  # (input lane, input step)
        lines = [f"check_model: input {order} of shape {self.shape}, each of its {lanes * time} "
                 "slots nudged in turn",
                 f"inputs that move lane {lane}'s output at its last step (x), lanes down, time across:"]
        lines += [f"  lane {i}  " + " ".join("x" if moved else "." for moved in row) for i, row in enumerate(grid)]
        lines += ["(input slot, output slot) pairs where the input moves the output:",
                  f"  across lanes                {self.across_lanes:6d}",
                  f"  in a lane, an earlier step  {self.in_lane('earlier'):6d} of {self.possible}",
                  f"  in a lane, the same step    {self.in_lane('same'):6d}",
                  f"  in a lane, a later step     {self.in_lane('later'):6d}",
                  verdict_line(self.ok, self.verdict)]
        return "\n".join(lines)


def outputs_of(model, inputs, shape, time_major):
    """The model's outputs for `inputs`, as (lanes, time, k) floats in batch-major order."""
    out = model(inputs.copy())
    if isinstance(out, list | tuple | dict):
        raise ValueError(f"the model's output: expected one array of per-step outputs, got a "
                         f"{type(out).__name__} (return_state? pass a function that returns the outputs alone)")
    try:
        out = np.asarray(out, dtype=np.float64)
    except Exception as error:
        raise ValueError(f"the model's output: expected an array, got {type(out).__name__} ({error}); "
                         "for PyTorch, return net(torch.from_numpy(x))[0].detach().cpu().numpy()") from None
    if out.ndim < 2 or out.shape[:2] != shape[:2]:
        raise ValueError(f"the model's output: expected per-step outputs of shape {shape[:2]} + (units,), "
                         f"like its input, got shape {out.shape} (return_sequences=True?)")
    if not np.isfinite(out).all():
        raise ValueError("the model's output: expected finite numbers, got NaN or infinity")
    out = out.reshape(*shape[:2], -1)
    return out.transpose(1, 0, 2) if time_major else out


def check_model(model, shape=MODEL_PROBE_SHAPE, time_major=False, nudge=1.0, seed=0):
    """Find which input slots each output of `model` depends on, by nudging one input slot
    (a lane at a time step, all its features) at a time. `model` is any callable from a
    float32 NumPy array of `shape` to per-step outputs of shape (shape[0], shape[1], ...): a
    Keras model, a tf.function, or a PyTorch module in a lambda. `shape` is (batch, time[,
    features]), or (time, batch[, features]) if time_major. It is ok when no output reads
    another lane and some output reads an earlier step of its own."""
    if not (isinstance(shape, tuple | list) and len(shape) in (2, 3)
            and all(isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 1 for n in shape)):
        raise ValueError(f"shape: expected (batch, time[, features]) whole numbers, got {shape!r}")
    shape = tuple(int(n) for n in shape)
    lanes, time = (shape[1], shape[0]) if time_major else shape[:2]
    if lanes < 2 or time < 2 or lanes * time > 4096:
        raise ValueError(f"shape: expected 2 or more lanes and 2 or more time steps, 4096 slots at most, "
                         f"got {lanes} lanes and {time} time steps")
    inputs = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    base = outputs_of(model, inputs, shape, time_major)
    if not np.allclose(outputs_of(model, inputs, shape, time_major), base, rtol=1e-5, atol=1e-6):
        raise ValueError("the model: expected the same outputs for the same input twice, got others (a "
                         "stateful layer, or dropout in training mode? pass a stateless copy)")
    depends = np.zeros((lanes, time, lanes, time), dtype=bool)
    for lane in range(lanes):
        for step in range(time):
            nudged = inputs.copy()
            nudged[(step, lane) if time_major else (lane, step)] += nudge
            moved = np.abs(outputs_of(model, nudged, shape, time_major) - base) > 1e-6 * (1 + np.abs(base))
            depends[lane, step] = moved.any(axis=2)
    return ModelCheck(shape, time_major, depends)
