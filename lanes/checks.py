"""The three checks, check_layout, check_batches and check_model, and their results."""
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .advice import kind_of
from .maps import (
    Lane,
    best_from,
    counts_up,
    distinct,
    padding,
    positions_of,
    read_map,
    rereading_lanes,
    seen_in_lane,
    slots,
    swapped,
)
from .pipelines import Handovers, read_batches, target_offsets
from .probe import MAX_NUMBERS, MAX_SLOTS, MODEL_PROBE_SHAPE, SAMPLE_STEPS, SLOTS_ONE_BY_ONE, Probe
from .text import closing_lines, count, lane_lines, numbers_text, one_line, padding_line, target_place, window_line
from .verdicts import BATCHES, LAYOUT, MODEL, Judged, every_problem

MAX_LENGTH = 2 ** 22  # check_layout's stream, at most: seconds and under 1 GiB (docs/performance.md)
MAX_BATCHES = 100_000  # check_batches' limit, at most: seconds (docs/performance.md)
LANES_SHOWN = 3  # lanes printed from a lane map
BATCHES_SHOWN = 3  # batches printed side by side in check_batches' lane lines


def check_layout(layout, length, time_major=False, undo=None):
    """Push the stream positions np.arange(length) through `layout`, your function from a 1-D
    stream to the model's input, (batch, time[, features]) or, if time_major, (time, batch[,
    features]). It is ok when every lane counts up by one (zeros at a lane's end, or start,
    are read as padding). `undo`, if given, is your function from the model's per-step
    outputs, laid out as the input, back to stream order: it must give np.arange(length)
    back, or outputs and labels would not line up.

    For a table of several series, (time, series) as a DataFrame's values are, pass its
    shape as `length`, (time, series): the layout then gets a table whose column s holds
    series s's own positions, s * (time + 1) + t, one position left out between series, so
    that a lane that runs from one series into the next is seen to."""
    time_major = check_flag("time_major", time_major, "bool")
    stream, table = _stream_of(length)
    for name, function in (("layout", layout), ("undo", undo)):
        if function is not None and not callable(function):
            raise ValueError(f"{name}: expected a function of the stream, got {type(function).__name__}")
    given = f"a 1-D array of {length} positions" if table is None else f"a table of shape {table}"
    laid_out = _called("the layout", layout, stream, given)
    lane_map, window = read_map(laid_out, time_major, what="the layout's output")
    pad = padding([lane_map], position_zero_needed=True)[0]
    real = lane_map[~pad] if window == 1 else positions_of(laid_out, "the layout's output").ravel()
    wanted = np.sort(stream.ravel())
    if not np.array_equal(distinct(real), wanted):
        missing = np.setdiff1d(wanted, real)
        without = (f", without {len(missing)} of them ({', '.join(map(str, missing[:4]))}"
                   f"{', ...' if len(missing) > 4 else ''})" if len(missing) else "")
        whole = (f"every stream position 0..{len(wanted) - 1} at least once" if table is None else
                 f"every position of the table at least once (series s: s * {table[0] + 1} + t)")
        raise ValueError(f"the layout's output: expected {whole}, got {real.size} slots holding positions "
                         f"{real.min()}..{real.max()}{without}: it must rearrange the whole "
                         + ("stream" if table is None else "table"))
    undoes = None
    if undo is not None:
        back = positions_of(_called("undo", undo, laid_out, "the layout's output"), "undo's output")
        undoes = back.shape == stream.shape and np.array_equal(back, stream) if table else (
            back.size == len(stream) and np.array_equal(back.ravel(), stream))
    lane_ids, times, positions = slots([lane_map], [pad])
    seen = seen_in_lane(lane_ids, times, positions)
    seen_map = np.zeros(lane_map.shape, dtype=bool)
    seen_map[~pad] = seen
    return LayoutCheck(lane_map, pad, seen_map, counts_up(lane_map, pad), best_from(seen, times, positions),
                       best_from(np.zeros_like(seen), times, positions), undoes, window, swapped([lane_map]), table,
                       kind_of(laid_out))


def _stream_of(length):
    """(the positions fed to the layout, and the table's (time, series) shape or None) for
    check_layout's `length`: a whole number, or a table's shape."""
    if isinstance(length, tuple | list) and len(length) == 2 and all(
            isinstance(n, int | np.integer) and not isinstance(n, bool) for n in length):
        n_steps, n_series = (int(n) for n in length)
        if n_steps >= 2 and n_series >= 1 and n_steps * n_series <= MAX_LENGTH:
            return np.arange(n_series)[None, :] * (n_steps + 1) + np.arange(n_steps)[:, None], (n_steps, n_series)
    elif not isinstance(length, bool) and isinstance(length, int | np.integer) and 2 <= length <= MAX_LENGTH:
        return np.arange(length), None
    raise ValueError(f"length: expected a whole number of stream positions from 2 to 2**22, or a table's shape "
                     f"(time, series) of 2 or more steps and 2**22 positions at most, got {length!r} (a layout "
                     "checked on 4 million positions tells what it tells on more)")


@dataclass
class LayoutCheck(Judged):
    """What check_layout found. `lane_map` is (lanes, time); `padding` marks the slots read as
    padding; `seen` the slots whose previous position was read earlier in the same lane;
    `in_order` the lanes that count up by one; `best` is best_possible (padding left out) and
    `chance` the same with nothing seen; `undoes` whether `undo` gave the stream back (None:
    no undo given); `window`: how many consecutive positions each slot's features hold (1, or
    more where time sits on the features axis: each slot is then read as its last); `swapped`:
    whether every lane would count up by one with the lanes and time axes swapped. `ok` and
    `verdict` come from verdicts.LAYOUT."""

    lane_map: np.ndarray
    padding: np.ndarray
    seen: np.ndarray
    in_order: np.ndarray
    best: dict
    chance: dict
    undoes: bool | None
    window: int = 1
    swapped: bool = False
    table: tuple | None = None  # (time, series), where the layout took a table
    framework: str | None = None  # whose words the fixes are in (lanes.advice.kind_of)

    conditions = LAYOUT  # the verdict: the first of verdicts.LAYOUT that fits

    @property
    def targets(self):
        """Slots that are targets: all but the padding."""
        return int((~self.padding).sum())

    @cached_property
    def out_of_order(self):
        """The first lane that does not count up by one (a Lane), or None. Worked out once: the
        verdict table's rows ask for it many times."""
        if self.in_order.all():
            return None
        lane = int(np.argmin(self.in_order))
        real = self.lane_map[~self.padding]
        held = distinct(real)
        return Lane(self.lane_map[lane][~self.padding[lane]], len(self.lane_map), held, len(held) < real.size)

    def summary(self):
        """What the scripts' JSON keeps of the lane map."""
        return {"lanes": len(self.lane_map), "first_lanes": self.lane_map[:LANES_SHOWN].tolist(),
                "seen_previous": int(self.seen.sum()), "targets": self.targets}

    def lane_lines(self, element="element"):
        shown = [[(lane, pad)] for lane, pad in zip(self.lane_map[:LANES_SHOWN], self.padding, strict=False)]
        return lane_lines(shown, len(self.lane_map), int(self.seen.sum()), self.targets, element)

    def __str__(self):
        n_lanes, n_steps = self.lane_map.shape
        return (f"check_layout: {count(n_lanes, 'lane')} x {count(n_steps, 'time step')}\n"
                + (f"from a table of {self.table[1]} series of {count(self.table[0], 'step')}: series s "
                   f"holds positions s * {self.table[0] + 1} + 0, 1, 2, ...\n" if self.table else "")
                + window_line(self.window)
                + self.lane_lines()
                + padding_line(int(self.padding.sum()))
                + f"lanes that count up by one: {int(self.in_order.sum())} of {n_lanes}\n"
                + closing_lines(self))


def check_batches(batches, stateful, time_major=False, target_offset=1, limit=1000, key=None):
    """Check what your pipeline yields when its series is np.arange(N). `batches` is what you
    feed the model: a tf.data.Dataset, a PyTorch DataLoader, a Keras PyDataset, a generator or
    a list, whose elements are arrays (batch, time[, features]), (inputs, targets[, weights])
    tuples, [inputs, targets] lists (as DataLoader gives), or dicts (name the input with
    `key`). One array alone is read as one batch. Each batch's lanes must count up by one;
    zeros at a lane's end, or start, are read as padding (padded_batch, pad_sequences).

    stateful: whether the model carries each lane's state into the same lane of the next
    batch (Keras stateful=True, or feeding the final state back in). Then lane i of each
    batch must go on where lane i of the batch before stopped.
    target_offset: where each target should sit, counted from the last input it may use:
    1 (the default) to forecast the next element, 0 for a label of the element itself.
    Targets may be one a window (batch,), one a step (batch, time), or the next H elements of
    each window (batch, H), for any H (its first is where target_offset says); of (targets,
    weights), the targets are read.
    limit: batches read at most, for pipelines that repeat forever (the report says so).
    key: the input's name, where elements (or their inputs) are dicts, or its index, where
    the inputs are a list or tuple of arrays (an encoder's and a decoder's)."""
    stateful = check_flag("stateful", stateful, "bool")
    time_major = check_flag("time_major", time_major, "bool")
    target_offset = check_flag("target_offset", target_offset, "int", -2 ** 31, 2 ** 31, " from -2**31 to 2**31")
    if key is not None and not isinstance(key, str | int):
        raise ValueError(f"key: expected the name of the input (a str) or its index (an int), got {key!r}")
    limit = check_flag("limit", limit, "int", 1, MAX_BATCHES, f" of batches from 1 to {MAX_BATCHES:,}")
    kind = kind_of(batches)
    elements, read_as, more = read_batches(batches, key, limit)
    kind = kind or kind_of(elements[0][0])
    if stateful and read_as and len(elements) == 1:  # the state goes from batch to batch: which batches?
        raise ValueError(f"batches: with stateful=True, expected the batches as the model gets them, got "
                         f"{read_as.split(', read as')[0]}: fit(x, batch_size=b, shuffle=False) cuts it into "
                         "batches of b lanes in order, so pass np.split(x, len(x) // b); for a stack of (batch, "
                         "time) batches, list(x)")
    maps, targets, window, total = [], [], 1, 0
    for number, (inputs, target, _) in enumerate(elements, start=1):
        lane_map, held = read_map(inputs, time_major, what=f"batch {number}")
        maps.append(lane_map)
        targets.append(target)
        window = max(window, held)
        total += lane_map.size
        if total > MAX_LENGTH:
            raise ValueError(f"batches: expected {MAX_LENGTH:,} slots at most in all, got {total:,} in the first "
                             f"{number} batches: check fewer (limit=, or .take(n) of a Dataset)")
    if any(t is None for t in targets) and any(t is not None for t in targets):
        raise ValueError("batches: expected targets with every batch or with none, got some of each")
    pads = padding(maps, position_zero_needed=False)
    empty = [(number, int(lane)) for number, pad in enumerate(pads) for lane in np.flatnonzero(pad.all(axis=1))]
    sizes = [len(m) for m in maps]
    full = len(maps) if len(set(sizes)) == 1 else len(maps) - 1 if len(set(sizes[:-1])) == 1 else 0
    if stateful and full:  # lane i goes on through every batch of one size (all, or all but a short last one)
        lane_ids, times, positions = slots([np.concatenate(maps[:full], axis=1), *maps[full:]],
                                            [np.concatenate(pads[:full], axis=1), *pads[full:]])
    else:
        lane_ids, times, positions = slots(maps, pads)
    seen = seen_in_lane(lane_ids, times, positions)
    in_order = [counts_up(m, p) for m, p in zip(maps, pads, strict=True)]
    held = distinct(positions)
    offsets, per_step, horizon = (target_offsets(maps, pads, targets, time_major, target_offset)
                                  if targets[0] is not None else (None, None, None))
    return BatchesCheck(
        batches=len(maps), stateful=stateful, shapes=[m.shape for m in maps], read_as=read_as, more=more,
        first_lanes=[[(m[i], p[i]) for m, p in zip(maps[:BATCHES_SHOWN], pads, strict=False) if i < len(m)]
                     for i in range(min(LANES_SHOWN, len(maps[0])))],
        out_of_order=next((Lane(m[i][~p[i]], len(m), held, len(held) < positions.size)
                           for m, p, ok in zip(maps, pads, in_order, strict=True) for i in np.flatnonzero(~ok)), None),
        lanes_in_order=int(sum(ok.sum() for ok in in_order)), lanes_total=sum(len(m) for m in maps),
        padded=int(sum(p.sum() for p in pads)),
        boundaries=Handovers.of(maps[:full], pads[:full]) if stateful and full > 1 and not empty else None,
        empty_lanes=empty,
        seen=int(seen.sum()), targets=int(seen.size), offsets=offsets, per_step=per_step, horizon=horizon,
        target_offset=target_offset, best=best_from(seen, times, positions),
        chance=best_from(np.zeros_like(seen), times, positions), limit=limit, window=window,
        unread=elements[0][2], swapped=swapped(maps), framework=kind,
        rereads=rereading_lanes(lane_ids, positions) if stateful and full else 0)  # across batches: overlap


@dataclass
class BatchesCheck(Judged):
    """What check_batches found. `batches`: how many were read (`more`: the pipeline had more
    than `limit`); `read_as`: how one array was read, if one was passed; `lanes_in_order` of
    `lanes_total`: the lanes that count up by one inside their batch; with stateful,
    `continuing` of `handovers`: the lanes that go on where the same lane of the batch before
    stopped (None without stateful; `boundaries` holds where each stopped and started);
    `seen` of `targets`: slots whose previous position the model has read in its lane (across
    batches, with stateful), padding left out;
    `offset_found`: targets minus the last input they may use, if the pipeline yields
    (inputs, targets) and that is the same everywhere (`target_offset` is the one asked for);
    `best`: best_possible for it all, `chance` the same with nothing seen; `window`: as in
    LayoutCheck. `ok` and `verdict` come from verdicts.BATCHES."""

    batches: int
    stateful: bool
    shapes: list
    read_as: str | None
    more: bool
    first_lanes: list
    out_of_order: "Lane | None" = field(repr=False)
    lanes_in_order: int
    lanes_total: int
    padded: int
    boundaries: "Handovers | None" = field(repr=False)
    seen: int
    targets: int
    offsets: np.ndarray | None
    per_step: bool | None
    target_offset: int
    best: dict
    chance: dict
    limit: int
    window: int = 1
    unread: list = field(default_factory=list)  # items of a dict element that are not read (key= names the input)
    empty_lanes: list = field(default_factory=list)  # (batch, lane), from 0, of the lanes that are all padding
    horizon: int | None = None  # H, where each window's targets are the next H elements (offsets: the first's)
    swapped: bool = False  # as LayoutCheck's, for every batch
    framework: str | None = None  # as LayoutCheck's
    rereads: int = 0  # stateful: lanes that read some position twice, across batches (overlapping windows)
    problems: list = field(init=False)  # the name of each problem found, of each kind (verdicts.PROBLEMS)

    conditions = BATCHES  # the verdict: the first of verdicts.BATCHES that fits
    table = None  # batches come from no table that this check knows (check_layout's)

    def __post_init__(self):
        super().__post_init__()
        self.problems, self.verdict = every_problem(self)

    @property
    def continuing(self):
        return None if self.boundaries is None else int(self.boundaries.goes_on.sum())

    @property
    def handovers(self):
        return None if self.boundaries is None else int(self.boundaries.goes_on.size)

    @property
    def offset_found(self):
        found = None if self.offsets is None else np.unique(self.offsets)
        return int(found[0]) if found is not None and len(found) == 1 else None

    @property
    def target_text(self):
        """Where the targets sit, in words (None without targets)."""
        if self.offsets is None:
            return None
        if self.offset_found is None:
            most, count = Counter(self.offsets.tolist()).most_common(1)[0]
            n_steps = self.shapes[0][1]
            return (f"targets sit at no fixed place: from {self.offsets.min()} to {self.offsets.max()} positions "
                    "after the last input they may use" + (
                        f" ({count} of {len(self.offsets)} at {target_place(most, n_steps, self.per_step)})"
                        if count > len(self.offsets) / 2 else ""))
        n_steps = self.shapes[0][1]
        if self.horizon:
            text = f"each window's targets are the {self.horizon} elements " + (
                "after its last" if self.offset_found == 1 else
                f"from {target_place(self.offset_found, n_steps, False)} on")
        else:
            text = (f"each {'step' if self.per_step else 'window'}'s target is "
                    f"{target_place(self.offset_found, n_steps, self.per_step)}")
        if self.offset_found != self.target_offset:
            text += f", not {target_place(self.target_offset, n_steps, self.per_step)}"
        return text

    def __str__(self):
        sizes = Counter(self.shapes)
        shape_text = ", ".join(f"{n} of ({count(n_lanes, 'lane')}, {count(n_steps, 'time step')})"
                               for (n_lanes, n_steps), n in sizes.items())
        read = (f" (the first {self.batches}: limit={self.limit}, and the pipeline has more)" if self.more
                else "")
        lines = [f"check_batches: {self.batches} batch{'es' * (self.batches > 1)}{read}: {shape_text}"
                 f"{', stateful' if self.stateful else ''}"]
        if self.read_as:
            lines.append(self.read_as)
        if self.window > 1:
            lines.append(window_line(self.window).rstrip())
        lines += [lane_lines(self.first_lanes, max(n_lanes for n_lanes, _ in self.shapes), self.seen, self.targets,
                              heading=", batch | batch | ..." if len(self.first_lanes[0]) > 1 else "").rstrip(),
                  f"lanes that count up by one inside their batch: {self.lanes_in_order} of {self.lanes_total}"]
        if self.padded:
            lines.append(padding_line(self.padded).rstrip())
        if self.boundaries is not None:
            lines.append(f"lanes that go on where they stopped in the batch before: {self.continuing} "
                         f"of {self.handovers}")
        if self.target_text:
            lines.append(f"targets: {self.target_text}")
        return "\n".join(lines) + "\n" + closing_lines(self)


def check_model(model, shape=MODEL_PROBE_SHAPE, time_major=False, nudge=1.0, seed=0):
    """Find which input slots each output of `model` depends on, by nudging its input and
    watching which outputs move. `model` is any callable from a NumPy array of `shape` to its
    outputs: a function, a tf.function, a jitted JAX function, or a Keras model, a PyTorch or a
    Flax nnx module as it is (a PyTorch module gets a tensor; a Keras model with stateful
    layers is checked through a stateless copy). Outputs are per step, (shape[0], shape[1],
    ...), or one a lane (the last step's output, a pooled head, h_n), judged as the lane's
    output at its last step (see lanes.probe). Of a list or tuple of outputs, nested too, every
    per-step array is judged, found by its shape, and the rest left out (nn.LSTM returns
    (output, (h_n, c_n))). `shape` is (batch, time, features), or (time, batch, features) if
    time_major. A shape of two, (batch, time), means ids: the model gets int64 ids 0 and 1,
    valid for any Embedding, and a nudge swaps one for the other. A float slot is nudged by
    rolling its features one place and adding `nudge`.

    Up to SLOTS_ONE_BY_ONE slots, each is nudged alone. Above, each lane is nudged whole, and
    then, if no lane moves another, each time step in every lane at once, which tells the same
    in far fewer calls; if lanes do mix, a sample of slots is nudged alone, and the report
    says which. It is ok when no output reads another lane, and every output reads its own
    step and its own lane's step before."""
    time_major = check_flag("time_major", time_major, "bool")
    nudge = check_flag("nudge", nudge, "number", 1e-3, 1e3, " from 0.001 to 1000 (a smaller nudge moves no "
                       "float32 input; a larger one, every saturated unit)")
    seed = check_flag("seed", seed, "int", 0, 2 ** 63 - 1, " from 0 to 2**63 - 1")
    if not (isinstance(shape, tuple | list) and len(shape) in (2, 3)
            and all(isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 1 for n in shape)):
        raise ValueError(f"shape: expected (batch, time, features), or (batch, time) for ids, whole numbers "
                         f"of 1 or more, got {shape!r}")
    shape = tuple(int(n) for n in shape)
    n_lanes, n_steps = (shape[1], shape[0]) if time_major else shape[:2]
    if n_lanes < 2 or n_steps < 2 or n_lanes * n_steps > MAX_SLOTS:
        raise ValueError(f"shape: expected 2 or more lanes and 2 or more time steps, {MAX_SLOTS:,} slots at "
                         f"most, got {n_lanes} lanes and {n_steps} time steps")
    if math.prod(shape) > MAX_NUMBERS:
        raise ValueError(f"shape: expected {MAX_NUMBERS:,} numbers at most in the input, got {math.prod(shape):,} "
                         "(for a vocabulary, pass ids: a shape of two)")
    probe = Probe.of(model, shape, time_major, nudge, seed)
    depends = np.zeros((n_lanes, n_steps, n_lanes, n_steps if probe.per_step else 1), dtype=bool)
    probed = np.zeros((n_lanes, n_steps), dtype=bool)  # the input slots whose row of `depends` is known
    if n_lanes * n_steps <= SLOTS_ONE_BY_ONE:
        how = f"each of its {n_lanes * n_steps} slots nudged in turn"
        for lane, step in np.ndindex(n_lanes, n_steps):
            depends[lane, step] = probe.moved([(lane, step)])
        probed[:] = True
    else:
        mixing = np.array([probe.moved([(lane, step) for step in range(n_steps)]) for lane in range(n_lanes)])
        mixing[np.arange(n_lanes), np.arange(n_lanes)] = False
        if not mixing.any():  # lanes are apart: nudge a step in every lane at once, each lane answers alone
            how = (f"each of its {n_lanes} lanes nudged whole, none moving another, then each of its {n_steps} "
                   "time steps in every lane at once")
            for step in range(n_steps):
                moved = probe.moved([(lane, step) for lane in range(n_lanes)])
                depends[np.arange(n_lanes), step, np.arange(n_lanes)] = moved[np.arange(n_lanes)]
            probed[:] = True
        else:
            sample_lanes = sorted({0, 1, n_lanes - 1})
            sample_steps = sorted({0, 1, n_steps // 2, n_steps - 1})[:SAMPLE_STEPS]
            how = (f"each of its {n_lanes} lanes nudged whole: they move each other; then lanes "
                   f"{', '.join(map(str, sample_lanes))} at steps {', '.join(map(str, sample_steps))} "
                   f"nudged slot by slot ({len(sample_lanes) * len(sample_steps)} of {n_lanes * n_steps} slots)")
            for lane in sample_lanes:
                for step in sample_steps:
                    depends[lane, step] = probe.moved([(lane, step)])
                    probed[lane, step] = True
    return ModelCheck(shape, time_major, probe.reads, how, depends, probed, probe.calls, probe.traced,
                      probe.inference, probe.repeated, probe.per_step, kind_of(model))


@dataclass
class ModelCheck(Judged):
    """What check_model found. `depends[i, s, j, t]`: nudging input lane i at step s moved
    the output of lane j at step t (lanes and steps as the batch-major reading sees them; with
    outputs one a lane, `per_step` False, t is 0 alone, and that output stands at the lane's
    last step: `at` gives the input step each output column stands at),
    known for the input slots in `probed` (all of them, unless lanes mix at a big shape:
    `how` says what was done). The counts are (input slot, output slot) pairs: across lanes,
    and inside a lane from an earlier step (of `possible`), the same step, or a later one.
    `own` marks the outputs that read their own step, `seen` those that read both it and their
    own lane's previous step, of those `scored` (all, or where lanes mix at a big shape, those
    whose step and the one before were nudged alone); `best` is best_possible for that (an
    output that reads neither knows no element of its target), `chance` the same with only the
    current element seen; `calls` counts the calls of the model. `ok` and `verdict` come from
    verdicts.MODEL."""

    shape: tuple
    time_major: bool
    reads: str
    how: str
    depends: np.ndarray
    probed: np.ndarray
    calls: int
    traced: bool
    inference: bool | None
    repeated: bool = False  # every lane's output is the same at every step
    per_step: bool = True  # outputs one a step; else one a lane (at its last step)
    framework: str | None = None  # as LayoutCheck's
    own: np.ndarray = field(init=False)
    previous: np.ndarray = field(init=False)
    seen: np.ndarray = field(init=False)
    scored: np.ndarray = field(init=False)
    best: dict = field(init=False)
    chance: dict = field(init=False)

    conditions = MODEL  # the verdict: the first of verdicts.MODEL that fits

    def __post_init__(self):
        n_lanes, n_steps = self.probed.shape
        at, columns = self.at, np.arange(len(self.at))
        self.own = np.array([self.depends[lane, at, lane, columns] for lane in range(n_lanes)])
        self.previous = np.zeros(self.own.shape, dtype=bool)
        later = at >= 1  # the output columns whose step has one before it
        for lane in range(n_lanes):
            self.previous[lane, later] = self.depends[lane, at[later] - 1, lane, columns[later]]
        self.seen = self.own & self.previous
        self.scored = np.ones(self.own.shape, dtype=bool)  # outputs whose own and previous steps' pulls are known
        if not self.probed.all():  # a sample: only the outputs whose step and the one before were nudged alone
            self.scored[:, ~later] = False
            self.scored[:, later] = self.probed[:, at[later] - 1] & self.probed[:, at[later]]
        positions = np.arange(n_lanes)[:, None] * n_steps + at  # as if lane j held j * n_steps, ...
        times = np.broadcast_to(at, self.own.shape)
        self.best = best_from(self.seen[self.scored], times[self.scored], positions[self.scored])
        self.chance = best_from(np.zeros(int(self.scored.sum()), dtype=bool), times[self.scored],
                                 positions[self.scored])
        blind = (self.scored & ~self.own & ~self.previous)  # knows neither element: half of a current-element bet
        if blind.any():
            share = blind.sum() / self.scored.sum()
            pool = best_from(np.zeros(int(blind.sum()), dtype=bool), times[blind], positions[blind])
            self.best = {"accuracy": self.best["accuracy"] - 0.5 * pool["accuracy"] * share,
                         "cross_entropy": self.best["cross_entropy"] + float(np.log(2)) * share}
        super().__post_init__()

    @property
    def at(self):
        """The input step each output column stands at: its own, or for outputs one a lane, the last."""
        n_steps = self.depends.shape[1]
        return np.arange(n_steps) if self.per_step else np.array([n_steps - 1])

    @property
    def after_first(self):
        """The output columns whose step has a step before it."""
        return self.at >= 1

    @property
    def across_lanes(self):
        every_lane = np.arange(self.depends.shape[0])
        return int(self.depends.sum() - self.depends[every_lane, :, every_lane, :].sum())

    def in_lane(self, when):
        """Pairs inside a lane whose input step is "earlier", "same" or "later" than the output's."""
        n_lanes, n_steps = self.depends.shape[:2]
        own = self.depends[np.arange(n_lanes), :, np.arange(n_lanes), :]  # (lanes, input step, output column)
        step_in, column = np.indices((n_steps, len(self.at)))
        step_out = self.at[column]
        return int(own[:, {"earlier": step_in < step_out, "same": step_in == step_out,
                           "later": step_in > step_out}[when]].sum())

    @property
    def targets(self):
        return int(self.scored.sum())

    @property
    def possible(self):
        """Pairs (input slot, output slot) inside a lane with the input earlier, over the probed inputs."""
        return int(sum((self.at > step).sum() for _, step in np.argwhere(self.probed)))

    def __str__(self):
        n_lanes, n_steps = self.depends.shape[:2]
        order = "(time, batch" if self.time_major else "(batch, time"
        order += ")" if len(self.shape) == 2 else ", features)"
        lane = min(1, n_lanes - 1)
        rows, columns = np.flatnonzero(self.probed.any(axis=1))[:6], np.flatnonzero(self.probed.any(axis=0))[-16:]
        part = "" if len(rows) == n_lanes and len(columns) == n_steps else (
            f" (lanes {numbers_text(rows)}; steps {numbers_text(columns)})")
        whose = f"lane {lane}'s output at its last step" if self.per_step else f"lane {lane}'s one output"
        lines = [f"check_model: input {order} of shape {self.shape}, {self.reads}: {self.how}",
                 f"inputs that move {whose} (x), lanes down, time across{part}:"]
        marks = np.where(self.depends[:, :, lane, -1], "x", np.where(self.probed, ".", "?"))
        lines += [f"  lane {i:<{len(str(rows[-1]))}}  " + " ".join(marks[i, columns]) for i in rows]
        lines += ["(input slot, output slot) pairs where the input moves the output:",
                  f"  across lanes                {self.across_lanes:6d}",
                  f"  in a lane, an earlier step  {self.in_lane('earlier'):6d} of {self.possible}",
                  f"  in a lane, the same step    {self.in_lane('same'):6d}",
                  f"  in a lane, a later step     {self.in_lane('later'):6d}",
                  f"outputs that read their own step{'' if self.per_step else ' (the last)'}: "
                  f"{int(self.own[self.scored].sum())} of {self.targets}",
                  f"outputs that read it and their own lane's previous step: {int(self.seen[self.scored].sum())} of "
                  f"{int(self.scored[:, self.after_first].sum())}"]
        return "\n".join(lines) + "\n" + closing_lines(self)


def check_flag(name, value, kind, low=None, high=None, bounds=""):
    """`value` as a Python bool, int or float, or a ValueError naming `name` that says what was
    expected: "bool" (True or False), "int" (a whole number) or "number" (a finite number), from
    `low` to `high` where they are given (`bounds`: those in words)."""
    if kind == "bool":
        if isinstance(value, bool | np.bool_):
            return bool(value)
        raise ValueError(f"{name}: expected True or False, got {value!r}")
    number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)
    if number and (isinstance(value, int | np.integer) or np.isfinite(value)) and (
            kind == "number" or float(value) == int(value)):
        value = int(value) if kind == "int" else float(value)
        if (low is None or value >= low) and (high is None or value <= high):
            return value
    expected = {"int": "a whole number", "number": "a finite number"}[kind]
    raise ValueError(f"{name}: expected {expected}{bounds}, got {value!r}")


def _called(name, function, value, expected):
    """function(value), where an error inside it is a ValueError that names `name`."""
    try:
        return function(value)
    except Exception as error:
        raise ValueError(f"{name}: expected it to take {expected}, but it raised {one_line(error)}") from None
