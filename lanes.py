"""Find the "my RNN only learns the current input" bug in your own code. NumPy only.

An RNN carries its memory along a lane (one sequence of the batch), never across lanes. So
feed your code the positions 0, 1, 2, ... instead of data and look where each one lands:
inside every lane they should count up by one. Three checks do that for you:

    import numpy as np, lanes
    print(lanes.check_layout(lambda stream: stream.reshape(7, 50, 1), 350))  # your reshape
    print(lanes.check_batches(my_pipeline(np.arange(1000)), stateful=True))  # your batches
    print(lanes.check_model(my_model, (3, 4, 1)))                           # your model

Each returns a result with `.ok`, `.verdict` and its figures as attributes, and a str() that
is a short report ending in one verdict line. The verdict comes from a table of patterns,
each with its cause and fix; where no pattern fits, it says what it saw and guesses no cause.
One rule holds over every table: where the best accuracy that the figures allow on a task
that needs the previous element is at chance, the verdict is never ok. Shapes are
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

This file imports nothing but NumPy (a Keras model or a PyTorch module passed to check_model
as it is brings its own framework along): copy it into your project if you like.
"""
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice

import numpy as np

__all__ = ["check_layout", "LayoutCheck", "check_batches", "BatchesCheck", "check_model", "ModelCheck",
           "lane_map", "seen_previous", "best_possible", "AT_CHANCE"]

AT_CHANCE = 0.05  # best accuracy within this of the current element's alone: hopeless (under 1 target in 10 seen)
LANES_SHOWN = 3  # lanes printed from a lane map
BATCHES_SHOWN = 3  # batches printed side by side in check_batches' lane lines
MODEL_PROBE_SHAPE = (3, 4, 1)  # check_model's default input: 3 lanes of 4 steps, 1 feature
SLOTS_ONE_BY_ONE = 256  # check_model nudges each slot alone up to here; above, lanes and steps whole
SAMPLE_STEPS = 4  # above that, where lanes mix: the steps of lanes 0, 1 and the last nudged alone
MAX_SLOTS = 65_536  # check_model's input: lanes x time steps, at most


# =========================================================================== the three checks
@dataclass
class _Judged:
    """A check's result: `ok` and the `verdict` line, from the first row of its verdict table
    (`_table()`) that fits its figures."""

    ok: bool = field(init=False)
    verdict: str = field(init=False)

    def __post_init__(self):
        self.ok, self.verdict = _verdict(self._table(), self)


def check_layout(layout, length, time_major=False, undo=None):
    """Push the stream positions np.arange(length) through `layout`, your function from a 1-D
    stream to the model's input, (batch, time[, features]) or, if time_major, (time, batch[,
    features]). It is ok when every lane counts up by one (zeros at a lane's end, or start,
    are read as padding). `undo`, if given, is your function from the model's per-step
    outputs, laid out as the input, back to stream order: it must give np.arange(length)
    back, or outputs and labels would not line up."""
    _check_flag("time_major", time_major, "bool")
    if isinstance(length, bool) or not isinstance(length, int | np.integer) or not 2 <= length <= 2 ** 24:
        raise ValueError(f"length: expected a whole number of stream positions from 2 to 2**24 "
                         f"(float32 holds positions exactly up to there), got {length!r}")
    for name, function in (("layout", layout), ("undo", undo)):
        if function is not None and not callable(function):
            raise ValueError(f"{name}: expected a function of the stream, got {type(function).__name__}")
    stream = np.arange(length)
    try:
        laid_out = layout(stream)
    except Exception as error:
        raise ValueError(f"the layout: expected it to take a 1-D array of {length} positions, but it raised "
                         f"{_one_line(error)}") from error
    lane_map, window = _lane_map(laid_out, time_major, what="the layout's output")
    pad = _padding([lane_map], position_zero_needed=True)[0]
    real = lane_map[~pad] if window == 1 else _positions_of(laid_out, "the layout's output").ravel()
    present = np.zeros(length + 1, dtype=bool)
    present[np.minimum(real, length)] = True
    if present[length] or not present[:length].all():
        missing = np.flatnonzero(~present[:length])
        without = (f", without {len(missing)} of them ({', '.join(map(str, missing[:4]))}"
                   f"{', ...' if len(missing) > 4 else ''})" if len(missing) else "")
        raise ValueError(f"the layout's output: expected every stream position 0..{length - 1} at least "
                         f"once, got {real.size} slots holding positions {real.min()}..{real.max()}{without}: "
                         "it must rearrange the whole stream")
    undoes = None
    if undo is not None:
        back = _positions_of(undo(laid_out), "undo's output")
        undoes = back.size == length and np.array_equal(back.ravel(), stream)
    lane_ids, times, positions = _slots([lane_map], [pad])
    seen = _seen_in_lane(lane_ids, times, positions)
    seen_map = np.zeros(lane_map.shape, dtype=bool)
    seen_map[~pad] = seen
    return LayoutCheck(lane_map, pad, seen_map, _counts_up(lane_map, pad), _best_from(seen, times, positions),
                       _best_from(np.zeros_like(seen), times, positions), undoes, window, _swapped([lane_map]))


@dataclass
class LayoutCheck(_Judged):
    """What check_layout found. `lane_map` is (lanes, time); `padding` marks the slots read as
    padding; `seen` the slots whose previous position was read earlier in the same lane;
    `in_order` the lanes that count up by one; `best` is best_possible (padding left out) and
    `chance` the same with nothing seen; `undoes` whether `undo` gave the stream back (None:
    no undo given); `window`: how many consecutive positions each slot's features hold (1, or
    more where time sits on the features axis: each slot is then read as its last); `swapped`:
    whether every lane would count up by one with the lanes and time axes swapped. `ok` and
    `verdict` come from the table _LAYOUT_ROWS."""

    lane_map: np.ndarray
    padding: np.ndarray
    seen: np.ndarray
    in_order: np.ndarray
    best: dict
    chance: dict
    undoes: bool | None
    window: int = 1
    swapped: bool = False

    @staticmethod
    def _table():
        return _LAYOUT_ROWS  # (below: the verdict tables)

    @property
    def targets(self):
        """Slots that are targets: all but the padding."""
        return int((~self.padding).sum())

    @cached_property
    def out_of_order(self):
        """The first lane that does not count up by one (a _Lane), or None. Worked out once: the
        verdict table's rows ask for it many times."""
        if self.in_order.all():
            return None
        lane = int(np.argmin(self.in_order))
        real = self.lane_map[~self.padding]
        held = np.unique(real)
        return _Lane(self.lane_map[lane][~self.padding[lane]], len(self.lane_map), held, len(held) < real.size)

    def summary(self):
        """What the scripts' JSON keeps of the lane map."""
        return {"lanes": len(self.lane_map), "first_lanes": self.lane_map[:LANES_SHOWN].tolist(),
                "seen_previous": int(self.seen.sum()), "targets": self.targets}

    def lane_lines(self, element="element"):
        shown = [[(lane, pad)] for lane, pad in zip(self.lane_map[:LANES_SHOWN], self.padding, strict=False)]
        return _lane_lines(shown, len(self.lane_map), int(self.seen.sum()), self.targets, element)

    def __str__(self):
        n_lanes, n_steps = self.lane_map.shape
        return (f"check_layout: {_count(n_lanes, 'lane')} x {_count(n_steps, 'time step')}\n"
                + _window_line(self.window)
                + self.lane_lines()
                + _padding_line(int(self.padding.sum()))
                + f"lanes that count up by one: {int(self.in_order.sum())} of {n_lanes}\n"
                + _closing_lines(self))


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
    Targets may be one a window (batch,) or one a step (batch, time).
    limit: batches read at most, for pipelines that repeat forever (the report says so).
    key: the input's name, where elements (or their inputs) are dicts."""
    _check_flag("stateful", stateful, "bool")
    _check_flag("time_major", time_major, "bool")
    _check_flag("target_offset", target_offset, "int")
    if key is not None and not isinstance(key, str | int):
        raise ValueError(f"key: expected the name of the input (a str), got {key!r}")
    if isinstance(limit, bool) or not isinstance(limit, int | np.integer) or limit < 1:
        raise ValueError(f"limit: expected a whole number of batches, 1 or more, got {limit!r}")
    elements, read_as, more = _read_batches(batches, key, limit)
    if stateful and read_as and len(elements) == 1:  # the state goes from batch to batch: which batches?
        raise ValueError(f"batches: with stateful=True, expected the batches as the model gets them, got "
                         f"{read_as.split(', read as')[0]}: fit(x, batch_size=b, shuffle=False) cuts it into "
                         "batches of b lanes in order, so pass np.split(x, len(x) // b); for a stack of (batch, "
                         "time) batches, list(x)")
    maps, targets, window = [], [], 1
    for number, (inputs, target, _) in enumerate(elements, start=1):
        lane_map, held = _lane_map(inputs, time_major, what=f"batch {number}")
        maps.append(lane_map)
        targets.append(target)
        window = max(window, held)
    if any(t is None for t in targets) and any(t is not None for t in targets):
        raise ValueError("batches: expected targets with every batch or with none, got some of each")
    pads = _padding(maps, position_zero_needed=False)
    sizes = [len(m) for m in maps]
    full = len(maps) if len(set(sizes)) == 1 else len(maps) - 1 if len(set(sizes[:-1])) == 1 else 0
    if stateful and full:  # lane i goes on through every batch of one size (all, or all but a short last one)
        lane_ids, times, positions = _slots([np.concatenate(maps[:full], axis=1), *maps[full:]],
                                            [np.concatenate(pads[:full], axis=1), *pads[full:]])
    else:
        lane_ids, times, positions = _slots(maps, pads)
    seen = _seen_in_lane(lane_ids, times, positions)
    in_order = [_counts_up(m, p) for m, p in zip(maps, pads, strict=True)]
    held = np.unique(positions)
    offsets, per_step = _target_offsets(maps, pads, targets, time_major) if targets[0] is not None else (None, None)
    return BatchesCheck(
        batches=len(maps), stateful=bool(stateful), shapes=[m.shape for m in maps], read_as=read_as, more=more,
        first_lanes=[[(m[i], p[i]) for m, p in zip(maps[:BATCHES_SHOWN], pads, strict=False) if i < len(m)]
                     for i in range(min(LANES_SHOWN, len(maps[0])))],
        out_of_order=next((_Lane(m[i][~p[i]], len(m), held, len(held) < positions.size)
                           for m, p, ok in zip(maps, pads, in_order, strict=True) for i in np.flatnonzero(~ok)), None),
        lanes_in_order=int(sum(ok.sum() for ok in in_order)), lanes_total=sum(len(m) for m in maps),
        padded=int(sum(p.sum() for p in pads)),
        boundaries=_Handovers.of(maps[:full], pads[:full]) if stateful and full > 1 else None,
        seen=int(seen.sum()), targets=int(seen.size), offsets=offsets, per_step=per_step,
        target_offset=int(target_offset), best=_best_from(seen, times, positions),
        chance=_best_from(np.zeros_like(seen), times, positions), limit=limit, window=window,
        unread=elements[0][2], swapped=_swapped(maps))


@dataclass
class BatchesCheck(_Judged):
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
    LayoutCheck. `ok` and `verdict` come from the table _BATCH_ROWS."""

    batches: int
    stateful: bool
    shapes: list
    read_as: str | None
    more: bool
    first_lanes: list
    out_of_order: "_Lane | None" = field(repr=False)
    lanes_in_order: int
    lanes_total: int
    padded: int
    boundaries: "_Handovers | None" = field(repr=False)
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
    swapped: bool = False  # as LayoutCheck's, for every batch

    @staticmethod
    def _table():
        return _BATCH_ROWS  # (below: the verdict tables)

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
                        f" ({count} of {len(self.offsets)} at {_target_place(most, n_steps, self.per_step)})"
                        if count > len(self.offsets) / 2 else ""))
        n_steps = self.shapes[0][1]
        text = (f"each {'step' if self.per_step else 'window'}'s target is "
                f"{_target_place(self.offset_found, n_steps, self.per_step)}")
        if self.offset_found != self.target_offset:
            text += f", not {_target_place(self.target_offset, n_steps, self.per_step)}"
        return text

    def __str__(self):
        sizes = Counter(self.shapes)
        shape_text = ", ".join(f"{n} of ({_count(n_lanes, 'lane')}, {_count(n_steps, 'time step')})"
                               for (n_lanes, n_steps), n in sizes.items())
        read = (f" (the first {self.batches}: limit={self.limit}, and the pipeline has more)" if self.more
                else "")
        lines = [f"check_batches: {self.batches} batch{'es' * (self.batches > 1)}{read}: {shape_text}"
                 f"{', stateful' if self.stateful else ''}"]
        if self.read_as:
            lines.append(self.read_as)
        if self.window > 1:
            lines.append(_window_line(self.window).rstrip())
        lines += [_lane_lines(self.first_lanes, max(n_lanes for n_lanes, _ in self.shapes), self.seen, self.targets,
                              heading=", batch | batch | ..." if len(self.first_lanes[0]) > 1 else "").rstrip(),
                  f"lanes that count up by one inside their batch: {self.lanes_in_order} of {self.lanes_total}"]
        if self.padded:
            lines.append(_padding_line(self.padded).rstrip())
        if self.boundaries is not None:
            lines.append(f"lanes that go on where they stopped in the batch before: {self.continuing} "
                         f"of {self.handovers}")
        if self.target_text:
            lines.append(f"targets: {self.target_text}")
        return "\n".join(lines) + "\n" + _closing_lines(self)


def check_model(model, shape=MODEL_PROBE_SHAPE, time_major=False, nudge=1.0, seed=0):
    """Find which input slots each output of `model` depends on, by nudging its input and
    watching which outputs move. `model` is any callable from a NumPy array of `shape` to
    per-step outputs of shape (shape[0], shape[1], ...): a function, a tf.function, or a Keras
    model or PyTorch module as it is (a PyTorch module gets a tensor). Of a list or tuple of
    outputs, every per-step array is judged, and the state left out (nn.LSTM returns (output,
    state)). `shape` is (batch, time, features), or (time,
    batch, features) if time_major. A shape of two, (batch, time), means ids: the model gets
    int64 ids 0 and 1, valid for any Embedding, and a nudge swaps one for the other. A float
    slot is nudged by rolling its features one place and adding `nudge`.

    Up to SLOTS_ONE_BY_ONE slots, each is nudged alone. Above, each lane is nudged whole, and
    then, if no lane moves another, each time step in every lane at once, which tells the same
    in far fewer calls; if lanes do mix, a sample of slots is nudged alone, and the report
    says which. It is ok when no output reads another lane, and the outputs read their own
    lane's previous step."""
    _check_flag("time_major", time_major, "bool")
    _check_flag("nudge", nudge, "positive")
    _check_flag("seed", seed, "int")
    if not (isinstance(shape, tuple | list) and len(shape) in (2, 3)
            and all(isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 1 for n in shape)):
        raise ValueError(f"shape: expected (batch, time, features), or (batch, time) for ids, whole numbers "
                         f"of 1 or more, got {shape!r}")
    shape = tuple(int(n) for n in shape)
    n_lanes, n_steps = (shape[1], shape[0]) if time_major else shape[:2]
    if n_lanes < 2 or n_steps < 2 or n_lanes * n_steps > MAX_SLOTS:
        raise ValueError(f"shape: expected 2 or more lanes and 2 or more time steps, {MAX_SLOTS:,} slots at "
                         f"most, got {n_lanes} lanes and {n_steps} time steps")
    probe = _Probe.of(model, shape, time_major, nudge, seed)
    depends = np.zeros((n_lanes, n_steps, n_lanes, n_steps), dtype=bool)
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
                      probe.inference, probe.repeated)


@dataclass
class ModelCheck(_Judged):
    """What check_model found. `depends[i, s, j, t]`: nudging input lane i at step s moved
    the output of lane j at step t (lanes and steps as the batch-major reading sees them),
    known for the input slots in `probed` (all of them, unless lanes mix at a big shape:
    `how` says what was done). The counts are (input slot, output slot) pairs: across lanes,
    and inside a lane from an earlier step (of `possible`), the same step, or a later one.
    `own` marks the outputs that read their own step, `seen` those that read both it and their
    own lane's previous step, of those `scored` (all, or where lanes mix at a big shape, those
    whose step and the one before were nudged alone); `best` is best_possible for that (an
    output that reads neither knows no element of its target), `chance` the same with only the
    current element seen; `calls` counts the calls of the model. `ok` and `verdict` come from
    the table _MODEL_ROWS."""

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
    own: np.ndarray = field(init=False)
    previous: np.ndarray = field(init=False)
    seen: np.ndarray = field(init=False)
    scored: np.ndarray = field(init=False)
    best: dict = field(init=False)
    chance: dict = field(init=False)

    @staticmethod
    def _table():
        return _MODEL_ROWS  # (below: the verdict tables)

    def __post_init__(self):
        n_lanes, n_steps = self.probed.shape
        steps = np.arange(n_steps)
        self.own = np.array([self.depends[lane, steps, lane, steps] for lane in range(n_lanes)])
        self.previous = np.zeros((n_lanes, n_steps), dtype=bool)
        for lane in range(n_lanes):
            self.previous[lane, 1:] = self.depends[lane, steps[:-1], lane, steps[1:]]
        self.seen = self.own & self.previous
        self.scored = np.ones((n_lanes, n_steps), dtype=bool)  # outputs whose own and previous steps' pulls are known
        if not self.probed.all():  # a sample: only the outputs whose step and the one before were nudged alone
            self.scored[:, 0] = False
            self.scored[:, 1:] = self.probed[:, :-1] & self.probed[:, 1:]
        positions = np.arange(n_lanes * n_steps).reshape(n_lanes, n_steps)  # as if lane j held j * n_steps, ...
        times = np.broadcast_to(np.arange(n_steps), (n_lanes, n_steps))
        self.best = _best_from(self.seen[self.scored], times[self.scored], positions[self.scored])
        self.chance = _best_from(np.zeros(int(self.scored.sum()), dtype=bool), times[self.scored],
                                 positions[self.scored])
        blind = (self.scored & ~self.own & ~self.previous)  # knows neither element: half of a current-element bet
        if blind.any():
            share = blind.sum() / self.scored.sum()
            pool = _best_from(np.zeros(int(blind.sum()), dtype=bool), times[blind], positions[blind])
            self.best = {"accuracy": self.best["accuracy"] - 0.5 * pool["accuracy"] * share,
                         "cross_entropy": self.best["cross_entropy"] + float(np.log(2)) * share}
        super().__post_init__()

    @property
    def across_lanes(self):
        every_lane = np.arange(self.depends.shape[0])
        return int(self.depends.sum() - self.depends[every_lane, :, every_lane, :].sum())

    def in_lane(self, when):
        """Pairs inside a lane whose input step is "earlier", "same" or "later" than the output's."""
        n_lanes, n_steps = self.depends.shape[:2]
        own = self.depends[np.arange(n_lanes), :, np.arange(n_lanes), :]  # (lanes, input step, output step)
        step_in, step_out = np.indices((n_steps, n_steps))
        return int(own[:, {"earlier": step_in < step_out, "same": step_in == step_out,
                           "later": step_in > step_out}[when]].sum())

    @property
    def targets(self):
        return int(self.scored.sum())

    @property
    def possible(self):
        """Pairs (input slot, output slot) inside a lane with the input earlier, over the probed inputs."""
        n_steps = self.depends.shape[1]
        return int(sum(n_steps - 1 - step for _, step in np.argwhere(self.probed)))

    def __str__(self):
        n_lanes, n_steps = self.depends.shape[:2]
        order = "(time, batch" if self.time_major else "(batch, time"
        order += ")" if len(self.shape) == 2 else ", features)"
        lane = min(1, n_lanes - 1)
        rows, columns = np.flatnonzero(self.probed.any(axis=1))[:6], np.flatnonzero(self.probed.any(axis=0))[-16:]
        part = "" if len(rows) == n_lanes and len(columns) == n_steps else (
            f" (lanes {_numbers_text(rows)}; steps {_numbers_text(columns)})")
        lines = [f"check_model: input {order} of shape {self.shape}, {self.reads}: {self.how}",
                 f"inputs that move lane {lane}'s output at its last step (x), lanes down, time across{part}:"]
        marks = np.where(self.depends[:, :, lane, n_steps - 1], "x", np.where(self.probed, ".", "?"))
        lines += [f"  lane {i:<{len(str(rows[-1]))}}  " + " ".join(marks[i, columns]) for i in rows]
        lines += ["(input slot, output slot) pairs where the input moves the output:",
                  f"  across lanes                {self.across_lanes:6d}",
                  f"  in a lane, an earlier step  {self.in_lane('earlier'):6d} of {self.possible}",
                  f"  in a lane, the same step    {self.in_lane('same'):6d}",
                  f"  in a lane, a later step     {self.in_lane('later'):6d}",
                  f"outputs that read their own step: {int(self.own[self.scored].sum())} of {self.targets}",
                  f"outputs that read it and their own lane's previous step: {int(self.seen[self.scored].sum())} of "
                  f"{int(self.scored[:, 1:].sum())}"]
        return "\n".join(lines) + "\n" + _closing_lines(self)


# =========================================================================== the lane map
def lane_map(batch, time_major=False, what="the batch"):
    """(batch, time[, features]) positions, or (time, batch[, features]) if time_major ->
    (lanes, time): the stream position in each slot. Every feature of a slot must hold the
    same position: feed a 1-D stream, repeated along the features if your code needs several."""
    found, window = _lane_map(batch, time_major, what)
    if window > 1:
        raise ValueError(f"{what}: {_window_text(batch, window)}; expected one position a slot")
    return found


def seen_previous(lane_map):
    """(lanes, time) bools: does the slot hold a position whose predecessor the RNN has
    already read, earlier in the same lane? `lane_map` is (lanes, time)."""
    lane_map = _as_map(lane_map)
    return _seen_in_lane(*_slots([lane_map])).reshape(lane_map.shape)


def best_possible(lane_map):
    """The best held-out accuracy and cross-entropy (nats) of any model fed lane map `lane_map`
    (lanes, time), on a task whose target at each position needs the previous element (see
    _best_from)."""
    lane_map = _as_map(lane_map)
    lane_ids, times, positions = _slots([lane_map])
    return _best_from(_seen_in_lane(lane_ids, times, positions), times, positions)


# =========================================================================== the verdict tables
@dataclass(frozen=True)
class _Lane:
    """A lane that does not count up by one: its positions (padding left out), how many lanes
    its batch has, every position that any lane holds, and whether some position is held twice
    (overlapping windows)."""

    positions: np.ndarray
    lanes: int
    held: np.ndarray
    repeats: bool


@dataclass(frozen=True)
class _Row:
    """One row of a verdict table: a pattern (`fits`, on a check's figures), whether it is ok,
    and what the verdict says (`says`: the cause and the fix, or what was seen)."""

    fits: Callable
    ok: bool
    says: Callable


def _verdict(rows, check):
    """(ok, text) of the first row of `rows` that fits `check`. The rule over every table:
    a check whose figures put the best accuracy at chance is never ok, whatever row would
    call it so. Each table's ok rows come before the rows that say why it is at chance."""
    for row in rows:
        if row.fits(check) and not (row.ok and _at_chance(check)):
            return row.ok, row.says(check)
    raise AssertionError("a verdict table must end in a row that always fits")


def _at_chance(check):
    """Is the best accuracy of `check`'s figures within AT_CHANCE of the current element's alone?"""
    return check.best["accuracy"] - check.chance["accuracy"] < AT_CHANCE


def _seen_text(check):
    """The last row of every table: what the figures show, no cause guessed."""
    seen = int(np.sum(check.seen))
    if _at_chance(check):
        return (f"only {seen} of {check.targets} targets have their previous element in sight, so no model can do "
                f"much better than the current element alone (best accuracy {check.best['accuracy']:.4f}, against "
                f"{check.chance['accuracy']:.4f}); this check knows no cause for that pattern")
    return (f"{seen} of {check.targets} targets have their previous element in sight; this check knows no cause "
            "for the rest")


_FIX_LAYOUT = "Reshape the stream to (batch, time); for a model that reads time first, transpose that"


def _steps(check):
    """The steps between neighbouring positions of the first lane that does not count up by one."""
    return np.diff(check.out_of_order.positions)


def _all_steps(check, fits):
    steps = _steps(check)
    return len(steps) > 0 and bool(fits(steps[0])) and (steps == steps[0]).all()


def _commonest_step(check):
    """The step that most of the lane's steps take, if more than half do, else None."""
    steps = _steps(check)
    step, count = Counter(steps.tolist()).most_common(1)[0] if len(steps) else (None, 0)
    return step if count > len(steps) / 2 else None


def _shown(check):
    lane = check.out_of_order.positions
    return ", ".join(map(str, lane[:4])) + (", ..." if len(lane) > 4 else "")


def _out_of_order(fits):
    """A pattern for the first lane that does not count up by one, if there is one."""
    return lambda check: check.out_of_order is not None and fits(check)


def _skipped_held(check):
    """Are the positions that the lane's commonest step steps over held by some lane?"""
    first, step = check.out_of_order.positions[0], _commonest_step(check)
    held = check.out_of_order.held
    if step - 1 > len(held):  # more positions between than any lane holds: not all held (no array that big)
        return False
    return bool(np.isin(np.arange(first + 1, first + step), held).all())


def _steps_over(check):
    return (_commonest_step(check) or 0) > 1


def _swapped(maps):
    """Would every lane of every (lanes, time) map count up by one, its padding left out, if
    the map's two axes were swapped? Only for maps whose positions are all different (not
    overlapping windows, not a broadcast), both axes 2 or longer: else swapping proves nothing."""
    if any(min(m.shape) < 2 for m in maps):
        return False
    turned = [np.ascontiguousarray(m.T) for m in maps]
    pads = _padding(turned, False)
    return all(len(np.unique(m[~pad])) == (~pad).sum() and _counts_up(m, pad).all()
               for m, pad in zip(turned, pads, strict=True))


def _across_lanes(check):
    """Consecutive positions sit side by side across lanes: each lane steps by the number of lanes."""
    return _all_steps(check, lambda step: step == check.out_of_order.lanes > 1)


def _one_step(check):
    shapes = [check.lane_map.shape] if hasattr(check, "lane_map") else check.shapes
    return all(n_steps == 1 for _, n_steps in shapes)


def _subsampled(check):
    """The lane holds one position in k, and those between are in no lane, or in windows that
    overlap this one (sampling_rate=k with a stride under the window's span): not a reshape."""
    return _steps_over(check) and (not _skipped_held(check) or (
        _all_steps(check, lambda step: step > 1) and check.out_of_order.repeats))


_IN_LANE_ROWS = (  # a lane that does not count up by one: rows of both check_layout's and check_batches' tables
    _Row(lambda c: c.window > 1 and (_one_step(c) or c.out_of_order is not None), False,
         lambda c: f"each slot's features hold {c.window} consecutive positions: time steps sit on the features "
                   "axis, as a reshape to (samples, 1, timesteps) puts them, so the RNN reads "
                   f"{c.window} elements as one step" + (" and has no time to remember along" if _one_step(c) else "")
                   + ". Give each element a step of its own: (samples, timesteps, 1)"),
    _Row(_out_of_order(lambda c: c.swapped and not _across_lanes(c)), False,
         lambda c: f"a lane holds {_shown(c)}, but every lane would count up by one with lanes and time swapped: "
                   "the batch is (time, batch), fed as (batch, time) (PyTorch's pad_sequence without "
                   "batch_first=True, a view or reshape where a transpose belongs). Transpose it, or use "
                   "pad_sequence(..., batch_first=True)"),
    _Row(_out_of_order(_subsampled), False,
         lambda c: f"a lane holds one position in {_commonest_step(c)} ({_shown(c)}), and those between are "
                   + ("only in other windows, which overlap it" if _skipped_held(c) else "in no lane")
                   + ": the series is subsampled (sampling_rate, a stride), so no element's predecessor is ever "
                   "read in its lane. Keep every position (sampling_rate=1)"),
    _Row(_out_of_order(_across_lanes), False,
         lambda c: f"consecutive positions sit side by side across lanes (lane i: i, i + {_steps(c)[0]}, ...): a "
                   f"time-major reshape, or a reshape where a transpose belongs. {_FIX_LAYOUT}"),
    _Row(_out_of_order(_steps_over), False,
         lambda c: f"a lane steps by {_commonest_step(c)} ({_shown(c)}): consecutive positions went to other lanes. "
                   f"{_FIX_LAYOUT}"),
    _Row(_out_of_order(lambda c: _all_steps(c, lambda step: step == 0)), False,
         lambda c: f"a lane holds one position at every step ({_shown(c)}): the time axis repeats one element "
                   "(a broadcast, or features and time swapped?)"),
    _Row(_out_of_order(lambda c: _all_steps(c, lambda step: step < 0)), False,
         lambda c: f"a lane runs backwards ({_shown(c)}): the time axis is reversed; flip it back"),
    _Row(_out_of_order(lambda c: (np.sort(c.out_of_order.positions) == np.arange(
        c.out_of_order.positions.min(), c.out_of_order.positions.min() + len(c.out_of_order.positions))).all()), False,
         lambda c: f"a lane holds a run of consecutive positions out of order ({_shown(c)}): they are shuffled inside "
                   "the lane; shuffle whole windows (or batches), never the steps of one"),
    _Row(_out_of_order(lambda c: np.median(_steps(c)) == 1), False,
         lambda c: f"a lane jumps ({_shown(c)}): it counts up by one, but for a few jumps: positions dropped or "
                   "moved; keep each lane a run of consecutive positions"),
    _Row(_out_of_order(lambda c: True), False,
         lambda c: f"a lane holds {_shown(c)}: not a run of consecutive positions, in no pattern this check knows"),
)


def _padding_note(padded):
    return (f"; {padded} padded slot{'s' * (padded > 1)} (0) are left out: mask them in the loss "
            "(mask_zero=True, a Masking layer, or a sample weight of 0)" if padded else "")


_LAYOUT_ROWS = (  # check_layout's verdict: the first row that fits
    *_IN_LANE_ROWS,
    _Row(lambda c: c.undoes is False, False,
         lambda c: "every lane counts up by one, but undo does not give the stream back: outputs and labels "
                   "would not line up; make undo the exact inverse of the layout"),
    _Row(lambda c: True, True,
         lambda c: "every lane counts up by one: the model reads the stream in order"
                   + _padding_note(int(c.padding.sum()))),
    # below here: in order, but at chance (see _verdict)
    _Row(lambda c: c.lane_map.shape[1] == 1, False,
         lambda c: "every lane is one time step long: no position ever follows its predecessor in a lane. "
                   "Give each lane several time steps (time=1 is often a reshape to (batch, 1, features))"),
    _Row(lambda c: True, False, _seen_text),
)


def _handover_told(check, handovers=None):
    h = handovers or _epoch(check)
    batch, lane = h.first_break
    return (f"lane {lane} goes from {_positions_text(h.real(batch, lane))} in batch {batch + 1} to "
            f"{_positions_text(h.real(batch + 1, lane))} in batch {batch + 2}")


def _breaks(check):
    return check.boundaries is not None and not check.boundaries.goes_on.all()


def _epoch(check):
    """The handovers the rows below read: those of the pipeline's first epoch, where it repeats."""
    return check.boundaries.first_epoch()


def _restart_note(check):
    restart = check.boundaries.restart()
    return ("" if _epoch(check) is check.boundaries or restart is None else
            f" (and at batch {restart + 2} the pipeline starts over: reset the state there too)")


_STATEFUL_FIX = "Split the series into one stretch a lane first, or use stateful=False"

_BATCH_ROWS = (  # check_batches' verdict: the first row that fits
    *_IN_LANE_ROWS,
    _Row(lambda c: _breaks(c) and c.boundaries.starts_over(), False,
         lambda c: f"at batch {c.boundaries.first_break[0] + 2} every lane starts again where batch 1 began: the "
                   "pipeline repeats (an epoch's end, or .repeat()), and the state carried across it belongs to the "
                   "series' end. Reset the state when an epoch starts (Keras: each stateful layer's reset_state(); "
                   "PyTorch: a fresh hidden state), and check one epoch"),
    _Row(lambda c: _breaks(c) and _epoch(c).overlaps(), False,
         lambda c: f"{_handover_told(c)}: the windows overlap, so each lane re-feeds steps its state has already "
                   "seen" + (f", and consecutive windows went to neighbouring lanes (each lane starts "
                             f"{_epoch(c).stride()} after the one before)" if _epoch(c).stride()
                             else "")
                   + ". For a stateful model, cut windows that do not overlap (shift = size), one stretch a lane, "
                     "or use stateful=False" + _restart_note(c)),
    _Row(lambda c: _breaks(c) and _epoch(c).stride() is not None and len(_epoch(c).jumps()) == 1, False,
         lambda c: f"{_handover_told(c)}: consecutive windows went to neighbouring lanes (each lane starts "
                   f"{_epoch(c).stride()} after the one before"
                   + (", so they overlap" if _epoch(c).stride() < c.shapes[0][1] else "")
                   + f"), so each lane carries another stretch's state. {_STATEFUL_FIX}" + _restart_note(c)),
    _Row(lambda c: _breaks(c) and len(_epoch(c).jumps()) == 1 and _epoch(c).next_window() is not None, False,
         lambda c: f"{_handover_told(c)}: the window that goes on from lane {_epoch(c).first_break[1]} is lane "
                   f"{_epoch(c).next_window()[1]} of batch {_epoch(c).next_window()[0] + 1}: consecutive windows "
                   f"went to other lanes, so each lane carries another stretch's state. {_STATEFUL_FIX}"
                   + _restart_note(c)),
    _Row(lambda c: _breaks(c) and len(_epoch(c).jumps()) == 1 and _epoch(c).jumps()[0] > 0, False,
         lambda c: f"{_handover_told(c)}: every lane skips {_count(_epoch(c).jumps()[0], 'position')} between "
                   "batches (windows shifted by more than their length), so its state misses them. Make each window "
                   "start where the last one stopped" + _restart_note(c)),
    _Row(lambda c: _breaks(c), False,
         lambda c: f"{_handover_told(c, c.boundaries)}"
                   + (f", and lanes jump by {len(c.boundaries.jumps())} different amounts: the batches come in "
                      "another order than the series' (shuffled, interleaved, or rebatched)"
                      if len(c.boundaries.jumps()) > 1 else
                      ": every lane goes back: the batches come in another order than the series' (reversed, or "
                      "shuffled)")
                   + ", which hands each lane another stretch's state. Do not shuffle or reorder a stateful "
                   "pipeline, or use stateful=False"),
    _Row(lambda c: c.stateful and len({n_lanes for n_lanes, _ in c.shapes}) > 1, False,
         lambda c: f"batches hold {' or '.join(map(str, sorted({n_lanes for n_lanes, _ in c.shapes})))} lanes; a "
                   "stateful model needs every batch the same size" + (
                       ": drop the last, short batch (tf.data: drop_remainder=True; PyTorch's DataLoader: "
                       "drop_last=True)" if len({n_lanes for n_lanes, _ in c.shapes[:-1]}) == 1 else
                       ", since its state holds one row a lane: keep the lanes the same all through")),
    _Row(lambda c: c.offsets is not None and c.offset_found != c.target_offset, False,
         lambda c: f"{c.target_text}: targets and inputs do not line up" + _shift_text(c)),
    _Row(lambda c: True, True,
         lambda c: "every lane counts up by one" + (", and goes on in the next batch" if c.stateful else "")
                   + (f"; {c.target_text}" if c.offsets is not None else "") + _padding_note(c.padded)
                   + (f"; that is in the {c.batches} batches read: the pipeline has more (.repeat()?), so pass "
                      "one epoch (.take(n)) to check it whole" if c.more else "")
                   + (f"; the inputs only: {', '.join(map(repr, c.unread))} not read (to check targets, pass "
                      "(inputs, targets) tuples)" if c.unread else "")),
    # below here: in order, but at chance (see _verdict)
    _Row(lambda c: all(n_steps == 1 for _, n_steps in c.shapes) and not c.stateful, False,
         lambda c: "every batch is one time step long, and no state is carried (stateful=False): no element ever "
                   "follows its predecessor in a lane. Feed windows of several steps, or carry the state with "
                   "stateful=True, lane i going on in the next batch"),
    _Row(lambda c: True, False, _seen_text),
)


def _shift_text(check):
    if check.offset_found is None:
        return ""
    shift = check.target_offset - check.offset_found
    text = f"; move each target {abs(shift)} position{'s' * (abs(shift) > 1)} {'later' if shift > 0 else 'earlier'}"
    n_steps = check.shapes[0][1]
    ahead = n_steps - 1 + check.target_offset  # window i is series[i:i + time]; its target, series[i + ahead]
    return text + (f" (timeseries_dataset_from_array, sequence_length={n_steps}: data=series[:-{ahead}], "
                   f"targets=series[{ahead}:])" if check.per_step is False and ahead > 0 else "")


def _across(check):
    """(input lane, input step, output lane, output step) of every dependence across lanes."""
    found = np.argwhere(check.depends)
    return found[found[:, 0] != found[:, 2]]


def _time_in_memory_order(check):
    """Does every dependence run from an input slot to an output slot a multiple of `n_lanes`
    later (or the same) in the input's memory order, (batch, time) flattened: a model that
    reshapes (batch, time) to (time, batch), and runs along that time axis?"""
    if check.time_major or not check.probed.all():
        return False
    n_lanes, n_steps = check.depends.shape[:2]
    found = np.argwhere(check.depends)
    gap = (found[:, 2] * n_steps + found[:, 3]) - (found[:, 0] * n_steps + found[:, 1])
    return len(found) > 0 and bool(((gap >= 0) & (gap % n_lanes == 0)).all())


def _one_way_same_step(check):
    """Every dependence across lanes is at the same step, and all run the same way along the
    batch (to later lanes, or all to earlier ones): what an RNN reading time first does."""
    across = _across(check)
    return (len(across) > 0 and (across[:, 1] == across[:, 3]).all()
            and ((across[:, 2] > across[:, 0]).all() or (across[:, 2] < across[:, 0]).all()))


def _every_lane(check, same_step_only):
    """Every probed input slot moves the outputs of every other lane: at its own step at
    least, and (unless same_step_only) at every step."""
    for lane, step in np.argwhere(check.probed):
        others = np.delete(check.depends[lane, step], lane, axis=0)  # (other lanes, output step)
        if not (others[:, step].all() if same_step_only else others.all()):
            return False
    return bool(check.probed.any())


_BATCH_MODE = ("Check it in inference mode (model(x, training=False), net.eval()), where it uses its running "
               "statistics")

def _reads_own_and_previous(check):
    """Every output reads its own step, and every one after the first its own lane's previous
    step too: all that a task on the previous and the current element needs, at each step."""
    return bool(check.probed.all() and check.own.all() and check.previous[:, 1:].all())


def _steps_text(where):
    """The steps at which `where` ((lanes, time) bools) holds, in some lane."""
    steps = np.flatnonzero(where.any(axis=0))
    return _numbers_text(steps[:6]) + (", ..." if len(steps) > 6 else "")


def _missing(check, which):
    """(outputs that do not read `which`, of how many) among the scored ones: "own" step, or "previous"."""
    if which == "own":
        return int((check.scored & ~check.own).sum()), int(check.scored.sum())
    return int(_unread_previous(check).sum()), int(check.scored[:, 1:].sum())


def _own_missed(check):
    missed, of = _missing(check, "own")
    return f"{missed} of {of} outputs do not read their own step (at steps {_steps_text(check.scored & ~check.own)})"


def _unread_previous(check):
    """(lanes, time) bools: the scored outputs after the first step that do not read the step before."""
    unread = check.scored & ~check.previous
    unread[:, 0] = False
    return unread


_STATISTICS_ANYWAY = ("Keras' BatchNormalization called with training=True, PyTorch's BatchNorm with "
                      "track_running_stats=False, or a normalisation over the batch axis")

_MODEL_ROWS = (  # check_model's verdict: the first row that fits
    _Row(lambda c: not c.depends.any(), False,
         lambda c: "no nudge moved any output, so this check learned nothing about the model: its outputs do not "
                   "follow these inputs (a constant output, or inputs it rounds, argmaxes or ignores). Check it "
                   "with inputs it reads: ids as a (batch, time) shape, one-hot vectors as (batch, time, "
                   "vocabulary)"),
    _Row(lambda c: _one_way_same_step(c) and c.time_major, False,
         lambda c: "outputs read other lanes: this model reads the batch first; give it (batch, time, "
                   "features) and check it with time_major=False"),
    _Row(lambda c: _one_way_same_step(c), False,
         lambda c: "outputs read other lanes: the model walks time along your batch axis (a time-major "
                   "model, such as PyTorch's default batch_first=False, fed (batch, time, features)). "
                   "Transpose its input, or use batch_first=True"),
    _Row(lambda c: _every_lane(c, same_step_only=False), False,
         lambda c: "every input moves every output of every lane, at every step: statistics over the whole batch "
                   + ("(BatchNorm, or a normalisation over the batch, in training mode) mix the lanes. "
                      f"{_BATCH_MODE}" if not c.inference else
                      f"mix the lanes, even in inference mode ({_STATISTICS_ANYWAY}): normalise each lane alone, or "
                      "use the running statistics")),
    _Row(lambda c: _every_lane(c, same_step_only=True), False,
         lambda c: "every input moves every other lane's output at its own step: something runs both ways along "
                   "your batch axis, such as a layer that reads time first (attention, a bidirectional RNN: "
                   "PyTorch's default batch_first=False) fed (batch, time, features). Transpose its input, or use "
                   "batch_first=True; or statistics over the batch at each step " + {
                       True: f"({_STATISTICS_ANYWAY})",
                       False: f"(BatchNorm in training mode): {_BATCH_MODE[0].lower()}{_BATCH_MODE[1:]}",
                       None: "(BatchNorm in training mode, or a normalisation over the batch axis)"}[c.inference]),
    _Row(lambda c: c.across_lanes > 0 and _time_in_memory_order(c), False,
         lambda c: f"outputs read other lanes, always slots a multiple of {c.depends.shape[0]} before them in the "
                   "input's memory order (batch, time): the model reshapes its input to (time, batch) (a view or "
                   "reshape where a transpose belongs: x.view(time, batch, ...)) and runs time along that. "
                   "Transpose instead (x.transpose(0, 1), x.permute(1, 0, 2))"),
    _Row(lambda c: c.across_lanes > 0, False,
         lambda c: f"outputs read other lanes ({c.across_lanes} pairs across lanes, "
                   f"{int((_across(c)[:, 1] == _across(c)[:, 3]).sum())} of them at the same step), in no pattern "
                   "this check knows: look for what mixes the batch"),
    _Row(lambda c: c.repeated, False,
         lambda c: "every step of a lane gives the same output: one output a lane repeated along time (pooled "
                   "over time or taken at the last step, then RepeatVector or a broadcast), so no output knows "
                   "which element is its own. Give one output a step (return_sequences=True, no pooling)"),
    _Row(lambda c: not c.probed.all(), False,
         lambda c: "lanes move each other when each is nudged whole, but no slot nudged alone moved another lane: "
                   "what mixes them is where this sample did not look. Check a shape of "
                   f"{SLOTS_ONE_BY_ONE} slots or fewer, where every slot is nudged alone"),
    _Row(lambda c: _reads_own_and_previous(c) and c.in_lane("later") == c.possible, True,
         lambda c: "each output reads every step of its own lane, later ones too: a bidirectional model does (a "
                   "forecast must not), and so do outputs that are not one a step (a last-step output whose size "
                   "happens to equal the time steps)"),
    _Row(lambda c: _reads_own_and_previous(c) and c.in_lane("later") > 0, True,
         lambda c: f"each output reads its own lane only: its own step and the one before; {c.in_lane('later')} "
                   "read later steps too (a bidirectional model does; a forecast must not)"),
    _Row(lambda c: _reads_own_and_previous(c), True,
         lambda c: "each output reads its own lane only: its own step, the one before, and no later one"),
    # below here: each lane alone, but some output misses its own step or the one before (or at chance: _verdict)
    _Row(lambda c: not c.in_lane("earlier") and not c.in_lane("later"), False,
         lambda c: "no output reads an earlier step: the model has no memory along time (a layer "
                   "applied step by step, or an RNN whose time axis is not this one)"),
    _Row(lambda c: not c.in_lane("earlier"), False,
         lambda c: f"outputs read later steps of their lane ({c.in_lane('later')} pairs) and no earlier one: the "
                   "model reads time backwards (go_backwards=True, or a flip of the time axis), so no output knows "
                   "the element before it. Run it forwards"),
    _Row(lambda c: not c.own[c.scored].any(), False,
         lambda c: "no output reads its own step, only earlier ones: the outputs are late against the inputs (a "
                   "shift by a step or more, in the model or in what it returns), so none knows its own element. "
                   "Line each output up with its step"),
    _Row(lambda c: _missing(c, "own")[0] > 0 and c.in_lane("later") > 0, False,
         lambda c: f"{_own_missed(c)}: outputs and inputs are out of step along time, as when a model runs time "
                   "backwards (go_backwards=True, or a flip) and its outputs are not flipped back"),
    _Row(lambda c: _missing(c, "own")[0] > 0, False,
         lambda c: f"{_own_missed(c)}, and none reads a later one; this check knows no cause for that pattern (units "
                   "that do not answer every input, such as ReLU or max, can do it)"),
    _Row(lambda c: True, False,
         lambda c: f"{_missing(c, 'previous')[0]} of {_missing(c, 'previous')[1]} outputs do not read their own "
                   f"lane's previous step (at steps {_steps_text(_unread_previous(c))}; "
                   f"{c.in_lane('earlier')} pairs read earlier steps)"
                   + (f", so no model can do much better than the current element alone (best accuracy "
                      f"{c.best['accuracy']:.4f}, against {c.chance['accuracy']:.4f})" if _at_chance(c) else "")
                   + "; this check knows no cause for that pattern"),
)


# =========================================================================== the machinery
def _check_flag(name, value, kind):
    """A ValueError unless `value` is of `kind`: "bool", "int" (a whole number, not a bool), or
    "positive" (a finite number above 0)."""
    number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)
    finite = number and bool(np.isfinite(value))
    good = {"bool": isinstance(value, bool | np.bool_), "int": finite and float(value) == int(value),
            "positive": finite and value > 0}[kind]
    if not good:
        expected = {"bool": "True or False", "int": "a whole number", "positive": "a finite number above 0"}[kind]
        raise ValueError(f"{name}: expected {expected}, got {value!r}")


def _positions_of(value, what):
    """`value` (anything np.asarray reads) as an int64 array of stream positions, or a
    ValueError that says what `what` held instead."""
    if value is None:
        raise ValueError(f"{what}: expected an array of stream positions, got None")
    if hasattr(value, "element_spec"):  # a tf.data.Dataset where an array belongs: what .window() yields
        raise ValueError(f"{what}: expected an array of stream positions, got a tf.data Dataset (each window of "
                         ".window() is one): turn the windows into arrays first, .flat_map(lambda w: w.batch(size))")
    if hasattr(value, "batch_sizes") and hasattr(value, "data"):  # torch.nn.utils.rnn.PackedSequence
        raise ValueError(f"{what}: expected an array of stream positions, got a PackedSequence: pass "
                         "torch.nn.utils.rnn.pad_packed_sequence(packed, batch_first=True)[0]")
    low_precision = "bfloat16" in str(getattr(value, "dtype", ""))  # exact below 2**8, and no NumPy type of its own
    if hasattr(value, "to_tensor") and hasattr(value, "flat_values"):  # a tf.RaggedTensor: zero-padded, as padded_batch
        value = value.to_tensor()
    try:
        array = np.asarray(_to_numpy(value))
    except Exception as error:  # a ragged list, a tensor on a GPU, ...
        raise ValueError(f"{what}: expected an array of stream positions, got {type(value).__name__} "
                         f"({str(error)[:200]})") from None
    if low_precision or "bfloat16" in str(array.dtype):
        low_precision, array = True, array.astype(np.float32)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise ValueError(f"{what}: expected stream positions (numbers), got an array of {array.dtype}")
    if np.issubdtype(array.dtype, np.floating) and array.size:
        if not np.isfinite(array).all():
            raise ValueError(f"{what}: expected stream positions, got NaN or infinity")
        exact = 2 ** 8 if low_precision else 2 ** (np.finfo(array.dtype).nmant + 1)  # float32: 2**24; beyond it,
        kind = "bfloat16" if low_precision else array.dtype  # neighbours merge
        if np.abs(array).max() >= exact:
            raise ValueError(f"{what}: holds {kind} positions up to {np.abs(array).max():.0f}, but "
                             f"{kind} is exact only below {exact}: probe with a shorter series")
        if (array != np.round(array)).any():
            raise ValueError(f"{what}: expected whole-number stream positions, got "
                             f"{array[array != np.round(array)].flat[0]}")
    array = array.astype(np.int64)
    if (array < 0).any():
        raise ValueError(f"{what}: expected stream positions 0, 1, 2, ..., got {array.min()} (padding? pad with 0 "
                         "here, which is read as padding, whatever value your Masking layer takes)")
    return array


def _lane_map(batch, time_major, what):
    """(the lane map, and how many consecutive positions each slot's features hold: 1, or more
    where time sits on the features axis, each slot then read as its last position)."""
    axes = "(time, batch[, features])" if time_major else "(batch, time[, features])"
    if isinstance(batch, tuple) and batch and all(hasattr(item, "shape") for item in batch):
        raise ValueError(f"{what}: expected one array {axes}, got a tuple of {len(batch)} arrays (inputs and "
                         "targets? pass the inputs alone)")
    array = _positions_of(batch, what)
    if array.ndim not in (2, 3) or 0 in array.shape:
        raise ValueError(f"{what}: expected a 2-D or 3-D array {axes}, got shape {array.shape}")
    window = 1
    if array.ndim == 3:
        differ = np.argwhere((array != array[..., :1]).any(axis=2))
        if len(differ) and (np.diff(array, axis=2) == 1).all():
            window = array.shape[2]  # each slot holds a run of positions: time on the features axis
            array = array[..., -1:]
        elif len(differ):
            slot = tuple(int(i) for i in differ[0])
            features = array[slot].tolist()
            shown = features if len(features) <= 8 else f"{features[:8]} ... ({len(features)} in all)"
            one_hot = ((array == 0) | (array == 1)).all() and (array.sum(axis=2) == 1).all()
            raise ValueError(f"{what}: the features of slot {slot} hold different positions {shown}; expected one "
                             "position a slot (feed a 1-D stream, repeated along the features if your code needs "
                             "several" + ("; here, one-hot vectors: feed the positions before they are encoded, or "
                                          "their argmax" if one_hot else "") + ")")
        array = array[..., 0]
    return np.ascontiguousarray(array.T if time_major else array), window


def _window_text(batch, window):
    first = _positions_of(batch, "")[0, 0]
    return (f"the features of each slot hold {window} consecutive positions (slot (0, 0): "
            f"{_positions_text(first)}): time steps on the features axis, as a reshape to (samples, 1, "
            "timesteps) puts them")


def _as_map(lane_map):
    array = _positions_of(lane_map, "the lane map")
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(f"the lane map: expected a 2-D array (lanes, time), got shape {array.shape}")
    return array


def _padding(maps, position_zero_needed):
    """Which slots of each (lanes, time) map are padding: zeros at a lane's end, after its last
    other position; zeros at its start, before its first, but for a 0 right before a 1 (that
    is position 0 itself) and a lone 0 before positions that do not count up by one while no
    other 0 is there (that may be position 0 too: a time-major lane 0, 50). A layout holds
    position 0 somewhere (position_zero_needed): where only padding would hold it, there is none."""
    pads, lone = [], []
    for lane_map in maps:
        pad, maybe = np.zeros(lane_map.shape, dtype=bool), np.zeros(lane_map.shape, dtype=bool)
        varied = any(len(np.unique(positions)) > 1 for positions in lane_map)
        for lane, positions in enumerate(lane_map):
            others = np.flatnonzero(positions)
            if len(others) == 0:  # all zeros: a lane of padding (a batch filled out with empty rows) beside
                pad[lane] = varied and lane_map.shape[1] > 1  # lanes that move; else one position at every step
                continue
            pad[lane, others[-1] + 1:] = True
            first = others[0]
            rest = positions[1:others[-1] + 1]
            if first == 1 and positions[first] != 1 and not (len(rest) > 1 and (np.diff(rest) == 1).all()):
                maybe[lane, 0] = True  # 0, 50: position 0, or padding before a lane out of order?
            else:
                pad[lane, :max(first - (positions[first] == 1), 0)] = True
        pads.append(pad)
        lone.append(maybe)
    if any(((m == 0) & ~p & ~q).any() for m, p, q in zip(maps, pads, lone, strict=True)):
        pads = [p | q for p, q in zip(pads, lone, strict=True)]  # position 0 is elsewhere: the lone 0s pad
    if position_zero_needed and not any(((m == 0) & ~p).any() for m, p in zip(maps, pads, strict=True)):
        pads = [np.zeros(m.shape, dtype=bool) for m in maps]  # only padding would hold position 0: none is padding
    return pads


def _slots(maps, pads=None):
    """Flat (lane, time, position) arrays of the unpadded slots of `maps` ((lanes, time)
    arrays), lanes numbered across the maps, in lane order, then time order."""
    if pads is None:
        pads = [np.zeros(m.shape, dtype=bool) for m in maps]
    lane_ids, times, positions, first_lane = [], [], [], 0
    for lane_map, pad in zip(maps, pads, strict=True):
        lane, step = np.nonzero(~pad)
        lane_ids.append(lane + first_lane)
        times.append(step)
        positions.append(lane_map[lane, step])
        first_lane += len(lane_map)
    return np.concatenate(lane_ids), np.concatenate(times), np.concatenate(positions)


def _seen_in_lane(lane_ids, times, positions):
    """For each slot (flat arrays, ordered by lane, then time): was the position before this
    one read earlier in the same lane? Positions may repeat (overlapping windows)."""
    if not len(positions):
        return np.zeros(0, dtype=bool)
    key = lane_ids * (positions.max() + 2) + positions  # one key per (lane, position)
    known, first = np.unique(key, return_index=True)  # first: where a key occurs first = earliest
    wanted = key - 1  # (this lane, position - 1); for position 0, a key no slot has
    at = np.minimum(np.searchsorted(known, wanted), len(known) - 1)
    return (positions > 0) & (known[at] == wanted) & (times[first[at]] < times)


def _counts_up(lane_map, pad=None):
    """(lanes,) bools: does each lane of a (lanes, time) map count up by one (its padding left out)?"""
    if pad is None or not pad.any():
        return (np.diff(lane_map, axis=1) == 1).all(axis=1)
    return np.array([(np.diff(lane[~p]) == 1).all() for lane, p in zip(lane_map, pad, strict=True)], dtype=bool)


def _best_from(seen, times, positions):
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
    if not len(seen):
        return {"accuracy": 0.5, "cross_entropy": float(np.log(2))}  # nothing to score: a coin
    correct, entropy = float(seen.sum()), 0.0
    hidden_at = np.bincount(times[~seen])  # the hidden slots at each time step: a pool
    forced_at = np.bincount(times[~seen & (positions == 0)], minlength=len(hidden_at))  # the first element
    for hidden, forced in zip(hidden_at[hidden_at > 0].tolist(), forced_at[hidden_at > 0].tolist(), strict=True):
        p_zero = (forced + 0.5 * (hidden - forced)) / hidden  # P(previous element 0), in this pool
        correct += hidden * max(p_zero, 1 - p_zero)
        entropy += hidden * sum(p * np.log(1 / p) for p in (p_zero, 1 - p_zero) if p > 0)
    return {"accuracy": correct / seen.size, "cross_entropy": float(entropy / seen.size)}


# --------------------------------------------------------------------------- reading batches
def _is_one_array(value):
    """An array or a tensor, as opposed to an iterable of batches (a list, a Dataset, a loader)."""
    return isinstance(value, np.ndarray) or (hasattr(value, "__array__") and hasattr(value, "shape")
                                              and not isinstance(value, list | tuple | dict))


def _read_batches(batches, key, limit):
    """[(inputs, targets or None, unread)] of what `batches` yields (up to `limit`; see
    _inputs_and_targets), how one array was read (None if not one array), and whether more
    batches were left after `limit`."""
    if isinstance(batches, str | bytes | dict):
        raise ValueError(f"batches: expected what you feed the model (a Dataset, a DataLoader, a list of batches), "
                         f"got a {type(batches).__name__}" + (f" with keys {sorted(map(str, batches))}: for one "
                                                               "batch, pass [batch] and name its input with key="
                                                               if isinstance(batches, dict) else ""))
    if _is_one_array(batches):
        ndim = len(batches.shape)
        if ndim in (2, 3):
            return [(batches, None, [])], (
                f"one array of shape {tuple(batches.shape)}, read as one batch"
                + ("; to check it as a stack of (batch, time) batches, pass list(array)" if ndim == 3 else "")), False
        if ndim == 4:
            batches = list(batches)
            read_as = f"one 4-D array, read as a stack of {len(batches)} batches"
        else:
            raise ValueError(f"batches: expected batches, or one batch (batch, time[, features]), got one array of "
                             f"shape {tuple(batches.shape)}; for one lane, pass array.reshape(1, -1)")
    else:
        read_as = None
    try:
        elements = iter(batches)
    except TypeError:
        raise ValueError(f"batches: expected an iterable of batches, got {type(batches).__name__}") from None
    read = []
    try:
        read.extend(islice(elements, limit + 1))  # what a failing pipeline yielded so far stays in `read`
    except Exception as error:
        raise ValueError(f"batches: expected your pipeline to yield batches, but reading batch {len(read) + 1} raised "
                         f"{_one_line(error)} (iterate it yourself to see where)") from None
    more = len(read) > limit
    if not read:
        raise ValueError("batches: expected at least one batch, got none")
    return [_inputs_and_targets(element, number, key) for number, element in enumerate(read[:limit], 1)], read_as, more


def _inputs_and_targets(element, number, key):
    """One element of a pipeline -> (inputs, targets or None, the names of a dict element's items
    that are not read: its targets, perhaps)."""
    if hasattr(element, "batch_sizes") and hasattr(element, "data"):  # a PackedSequence is a tuple too
        _positions_of(element, f"batch {number}")  # says how to pad it
    if isinstance(element, list) and 1 <= len(element) <= 3 and all(
            hasattr(item, "shape") and len(item.shape) >= 1 for item in element) and len(element[0].shape) >= 2:
        element = tuple(element)  # [inputs, targets], as PyTorch's DataLoader yields: not a batch of lanes
    if isinstance(element, tuple):
        if not 1 <= len(element) <= 3:
            raise ValueError(f"batch {number}: expected (inputs, targets[, weights]), got a tuple of "
                             f"{len(element)}")
        inputs, targets = element[0], (element[1] if len(element) > 1 else None)
    else:
        inputs, targets = element, None
    unread = sorted(map(str, set(element) - {key})) if isinstance(element, dict) and len(element) > 1 else []
    return _named(inputs, key, f"batch {number}"), _named(targets, None, f"batch {number}'s targets"), unread


def _named(value, key, what):
    """`value`, or the item `key` of it if it is a dict (a dict of one item needs no key)."""
    if not isinstance(value, dict):
        return value
    if key is None and len(value) == 1:
        return next(iter(value.values()))
    if key not in value:
        raise ValueError(f"{what}: expected an array, got a dict with keys {sorted(value)}"
                         + (f", and no {key!r}" if key is not None else "") + "; name the input to check with key=")
    return value[key]


@dataclass
class _Handovers:
    """Where each lane stops in one batch and starts in the next, for a stateful pipeline:
    `ends` and `starts` are (handovers, lanes) positions (padding left out)."""

    maps: list
    pads: list
    begins: np.ndarray  # where each lane started in the batch it stops in
    ends: np.ndarray
    starts: np.ndarray

    @classmethod
    def of(cls, maps, pads):
        first = [[lane[~p][0] for lane, p in zip(m, pad, strict=True)] for m, pad in zip(maps, pads, strict=True)]
        last = [[lane[~p][-1] for lane, p in zip(m, pad, strict=True)] for m, pad in zip(maps, pads, strict=True)]
        return cls(maps, pads, np.array(first[:-1]).reshape(-1, len(maps[0])),
                   np.array(last[:-1]).reshape(-1, len(maps[0])), np.array(first[1:]).reshape(-1, len(maps[0])))

    def restart(self):
        """The first handover (counted from 0) at which every lane starts where it started in
        batch 1, after one or more that do not: where a repeating pipeline starts over. Or None."""
        again = np.flatnonzero((self.starts == self.begins[0]).all(axis=1))
        return int(again[0]) if len(again) and again[0] > 0 else None

    def first_epoch(self):
        """These handovers up to the pipeline's first restart, if it has one and there is a
        break before it; else all of them."""
        restart = self.restart()
        if restart is None or self.goes_on[:restart].all():
            return self
        return _Handovers.of(self.maps[:restart + 1], self.pads[:restart + 1])

    def next_window(self):
        """(batch, lane), counted from 0, of the window that goes on from the first lane that
        does not go on, if it starts a lane of the same batch or the next one; else None."""
        batch, lane = self.first_break
        wanted = self.ends[batch, lane] + 1
        for number in (batch, batch + 1):
            for other, (positions, pad) in enumerate(zip(self.maps[number], self.pads[number], strict=True)):
                if (~pad).any() and positions[~pad][0] == wanted and (number, other) != (batch + 1, lane):
                    return number, other
        return None

    @property
    def goes_on(self):
        return self.starts == self.ends + 1

    @property
    def first_break(self):
        """(handover, lane) of the first lane that does not go on."""
        where = np.argwhere(~self.goes_on)[0]
        return int(where[0]), int(where[1])

    def real(self, batch, lane):
        return self.maps[batch][lane][~self.pads[batch][lane]]

    def jumps(self):
        """The distinct jumps (start - (end + 1)) where lanes do not go on."""
        return np.unique((self.starts - self.ends - 1)[~self.goes_on]).tolist()

    def starts_over(self):
        """At every break, every lane starts again where it started in batch 1."""
        broken = ~self.goes_on.all(axis=1)
        firsts = np.array([lane[~p][0] for lane, p in zip(self.maps[0], self.pads[0], strict=True)])
        return bool(broken.any()) and (self.starts[broken] == firsts).all() and self.goes_on[~broken].all()

    def overlaps(self):
        """At every break, each lane starts after where it started and at or before where it
        stopped: it reads again part of what it read (a batch that goes back is not an overlap)."""
        broken = ~self.goes_on
        return bool(((self.begins[broken] < self.starts[broken]) & (self.starts[broken] <= self.ends[broken])).all())

    def stride(self):
        """How far each lane starts after the one before, if consecutive windows sit side by
        side: in the batch of the first break each lane starts the same stride s (1 or more)
        after the one before, and in the next batch each starts lanes x s after it did. Else None."""
        batch, _ = self.first_break
        starts = [np.array([lane[~p][0] for lane, p in zip(self.maps[b], self.pads[b], strict=True)])
                  for b in (batch, batch + 1)]
        strides = np.unique(np.diff(starts[0]))
        if len(starts[0]) < 2 or len(strides) != 1 or strides[0] < 1:
            return None
        return int(strides[0]) if (starts[1] == starts[0] + len(starts[0]) * strides[0]).all() else None


def _target_offsets(maps, pads, targets, time_major):
    """Target minus the last input it may use, for every target (padding left out), and
    whether the targets are one a step (else one a window)."""
    offsets, per_step, lengths = [], None, True
    for number, (lane_map, pad, target) in enumerate(zip(maps, pads, targets, strict=True), start=1):
        target = _positions_of(target, f"batch {number}'s targets")
        count, n_steps = lane_map.shape
        expected = (n_steps, count) if time_major else (count, n_steps)
        if target.ndim == 3 and (target == target[..., :1]).all() or target.ndim == 2 and target.shape != expected \
                and target.shape[0] == count and (target == target[:, :1]).all():
            target = target[..., 0]  # one target, repeated along its features
        if target.shape == (count,):
            last = np.array([lane[~p][-1] if (~p).any() else 0 for lane, p in zip(lane_map, pad, strict=True)])
            offsets.append(target - last)
            per_step = False
            lengths &= bool((target == (~pad).sum(axis=1)).all())
        elif target.shape == expected:
            offsets.append(((target.T if time_major else target) - lane_map)[~pad])
            per_step = True
        else:
            raise ValueError(f"batch {number}'s targets: expected one a window, shape ({count},), or one a "
                             f"step, shape {expected}, got shape {target.shape}")
        lengths &= per_step is False
    offsets = np.concatenate(offsets)
    if lengths and len(np.unique(offsets)) > 1:
        raise ValueError("the batches' second element: expected targets, got each lane's length (its steps "
                         "but padding) in every batch: (inputs, lengths), as a collate_fn for pack_padded_sequence "
                         "returns? Pass (inputs, targets): ((x, y) for x, lengths, y in loader), or the inputs alone: "
                         "(x for x, lengths in loader)")
    return offsets, per_step


def _target_place(offset, n_steps, per_step):
    """Where a target sits, `offset` positions after the last input it may use, in words:
    for a step's target, or (not per_step) for a window's of `time` steps."""
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


# --------------------------------------------------------------------------- probing a model
@dataclass
class _Probe:
    """Calls a model on a fixed input and on nudged copies of it, and says which outputs moved."""

    call: Callable
    inputs: np.ndarray
    base: np.ndarray
    time_major: bool
    nudge: float
    reads: str
    rng: np.random.Generator
    inference: bool | None  # the model runs in inference mode: True, False, or None (not known)
    calls: int = 0
    traced: bool = False
    heads: int = 1  # per-step outputs returned together, all judged
    repeated: bool = True  # every lane's output the same at every step, for every input so far

    @classmethod
    def of(cls, model, shape, time_major, nudge, seed):
        rng = np.random.default_rng(seed)
        ids = len(shape) == 2
        inputs = rng.integers(0, 2, shape) if ids else rng.standard_normal(shape).astype(np.float32)
        call, reads, inference = _as_callable(model)
        probe = cls(call, inputs, None, time_major, nudge,
                    ("int64 ids 0 and 1" if ids else "float32") + reads, rng, inference)
        raw = probe.raw(inputs)
        probe.base = probe.outputs(inputs, raw)
        probe.repeated = _same_along_time(probe.base)
        if probe.heads > 1:
            probe.reads += f", its {probe.heads} per-step outputs read together"
        if raw.ndim == 2:  # (batch, time) per step, or (batch, units) a lane?
            follows = probe.follows_time()
            if follows is False:
                raise ValueError(f"the model's output: expected per-step outputs, got one vector a lane, of shape "
                                 f"{raw.shape}: it keeps its length when the input has a step more "
                                 "(return_sequences=True?)")
            if follows is None:
                probe.reads += ", its 2-D output read as one number a step"
        started = time.perf_counter()  # the second call: a model built by the first, warm
        again = probe.outputs(inputs)
        took = time.perf_counter() - started
        if not np.allclose(again, probe.base, rtol=1e-5, atol=1e-6):
            raise ValueError("the model: expected the same outputs for the same input twice, got others (a "
                             "stateful layer, or dropout in training mode? pass a stateless copy)")
        n_lanes, n_steps = probe.base.shape[:2]
        calls_left = n_lanes * n_steps if n_lanes * n_steps <= SLOTS_ONE_BY_ONE else n_lanes + n_steps
        if took * calls_left > 1.0:  # worth a trace: a Keras model runs op by op, but as a graph in milliseconds
            graph = _traced(probe)
            probe.call, probe.traced = graph or probe.call, graph is not None
        return probe

    def outputs(self, inputs, out=None):
        """The model's outputs for `inputs` (`out`, if it was called already), as (lanes, time, k)
        floats in batch-major order."""
        out = self.raw(inputs) if out is None else out
        if out.ndim < 2 or out.shape[:2] != inputs.shape[:2]:
            time_axis = 0 if self.time_major else 1
            steps = (out.ndim >= 3 and out.shape[1 - time_axis] == inputs.shape[1 - time_axis]  # its time axis alone
                     and not (inputs.ndim == 3 and out.shape[time_axis] == inputs.shape[2]  # differs, not swapped with
                              and inputs.shape[time_axis] in out.shape[2:]))  # the features
            raise ValueError(f"the model's output: expected per-step outputs of shape {inputs.shape[:2]} + "
                             f"(units,), like its input, got shape {out.shape} " + (
                                 "(return_sequences=True?)" if out.ndim < 3 else
                                 f"({out.shape[time_axis]} steps for {inputs.shape[time_axis]}: a layer that changes "
                                 "the length of time, such as a Conv1D with padding='valid', pooling or a stride? "
                                 "padding='causal' keeps one output a step)" if steps else
                                 "(does the model move its time axis: a Permute, a Reshape, a transpose?)"))
        if not np.isfinite(out).all():
            raise ValueError("the model's output: expected finite numbers, got NaN or infinity")
        out = out.reshape(*inputs.shape[:2], -1)
        return out.transpose(1, 0, 2) if self.time_major else out

    def raw(self, inputs):
        """What the model returns for `inputs`, as one float array (see `array`)."""
        self.calls += 1
        try:
            out = self.call(inputs.copy())
        except Exception as error:
            raise ValueError(f"the model: expected it to take a {inputs.dtype} array of shape {inputs.shape}, but "
                             f"it raised {_one_line(error)} (call it on such an array yourself to see where)") from None
        if out is None:
            raise ValueError("the model: expected per-step outputs, got None (a function that returns nothing?)")
        return self.array(out, inputs.shape[:2])

    def array(self, out, leading):
        """What the model returned, as one float array. Of a list or a tuple, every per-step array
        (shape `leading` + ..., as the first's): a model's several outputs, a Bidirectional layer's
        two halves, side by side along their last axis, and all judged; what is not per step (the
        state of (outputs, state), as nn.LSTM and return_state=True give) left out."""
        if isinstance(out, list | tuple) and out and _per_step(out[0], leading):
            heads = [item for item in out if _per_step(item, leading) and len(item.shape) == len(out[0].shape)]
            self.heads = len(heads)
            out = (np.concatenate([self.array(head, leading).reshape(*leading, -1) for head in heads], axis=2)
                   if len(heads) > 1 else heads[0])
        if isinstance(out, list | tuple | dict):
            raise ValueError(f"the model's output: expected per-step outputs, one array or a list of them, got a "
                             f"{type(out).__name__}" + (f" with the keys {', '.join(map(repr, out))} (pass a function "
                                                        "that returns the outputs you train on, as one array)"
                                                        if isinstance(out, dict) else
                                                        " (pass a function that returns the outputs alone)"))
        try:
            return np.asarray(_to_numpy(out), dtype=np.float64)
        except Exception as error:
            raise ValueError(f"the model's output: expected an array, got {type(out).__name__} ({error}); "
                             "for PyTorch, return net(torch.from_numpy(x))[0].detach().cpu().numpy()") from None

    def follows_time(self):
        """For a 2-D output, (batch, time) or (batch, units) with units that happen to equal the
        time steps: does its second axis follow a longer input? True, False, or None (the model
        takes no other length)."""
        axis = 0 if self.time_major else 1
        longer = np.concatenate([self.inputs, self.inputs.take([-1], axis=axis)], axis=axis)
        self.calls += 1
        try:
            out = self.call(longer)
        except Exception:
            return None
        out = _first(out)
        return len(getattr(out, "shape", ())) >= 2 and out.shape[axis] == longer.shape[axis]

    def nudged(self, slots):
        """The outputs with the (lane, step) `slots` (batch-major) nudged at once."""
        nudged = self.inputs.copy()
        for lane, step in slots:
            at = (step, lane) if self.time_major else (lane, step)
            if nudged.ndim == 2:  # ids: the other one
                nudged[at] = 1 - nudged[at]
            else:  # roll the features one place (a one-hot vector's hot index moves too), and add
                nudged[at] = np.roll(nudged[at], 1) + self.nudge * self.rng.uniform(0.5, 1.5)
        out = self.outputs(nudged)
        self.repeated = self.repeated and _same_along_time(out)
        return out

    def moved(self, slots):
        """Nudge the (lane, step) `slots` at once: (lanes, time) bools, the outputs that moved."""
        moved = np.abs(self.nudged(slots) - self.base) > 1e-6 * (1 + np.abs(self.base))
        return moved.any(axis=2)


def _same_along_time(out):
    """Is every lane's output (lanes, time, k) the same at every step?"""
    return bool(np.allclose(out, out[:, :1], rtol=1e-6, atol=1e-9))


def _one_line(error):
    """An exception from the user's own code (a framework's, deep inside), in one line: its type
    and the start of its message, without terminal colours."""
    said = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(error)).split())
    return f"{type(error).__name__}: {said[:300]}"


def _per_step(value, leading):
    return hasattr(value, "shape") and tuple(value.shape[:2]) == tuple(leading)


def _framework(model):
    """"keras" or "torch" if `model` is a Keras layer or model or a PyTorch module, else None."""
    roots = {cls.__module__.split(".")[0] for cls in type(model).__mro__}
    return "keras" if "keras" in roots else "torch" if "torch" in roots and hasattr(model, "parameters") else None


def _as_callable(model):
    """(a function from a NumPy array to the model's output, words for the report, whether the
    model runs in inference mode: True, False or None, not known). A PyTorch module gets a tensor
    on its own device, without gradients, in the mode it is in; a Keras model is called as it
    is, which runs it in inference mode."""
    if not callable(model):
        raise ValueError(f"the model: expected a callable (a function, a Keras model, a PyTorch module), "
                         f"got {type(model).__name__}")
    if getattr(model, "__name__", None) == "predict" and _framework(getattr(model, "__self__", None)) == "keras":
        model = model.__self__  # model.predict: the model itself, which can run as a graph (predict cannot)
    if _framework(model) == "torch":
        import torch

        weight = next(model.parameters(), torch.zeros(0))

        def call(inputs):
            tensor = torch.as_tensor(inputs, device=weight.device)
            if tensor.is_floating_point() and weight.is_floating_point():
                tensor = tensor.to(weight.dtype)  # a .double() or .bfloat16() module gets its own kind of float
            with torch.no_grad():
                return model(tensor)

        return call, ", as a torch tensor" + (" (in .train() mode)" if model.training else ""), not model.training
    return model, "", True if _framework(model) == "keras" else None


def _to_numpy(value):
    """A PyTorch tensor (on any device, with gradients or not, bfloat16 too) as a NumPy array;
    anything else as it is."""
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):
        value = value.detach().cpu()
        return (value.float() if "bfloat16" in str(getattr(value, "dtype", "")) else value).numpy()
    return value


def _traced(probe):
    """The probe's model as a TensorFlow graph, if it returns TensorFlow tensors (a Keras model
    on the TensorFlow backend does) and the graph gives the same outputs; else None."""
    inputs = probe.inputs
    if not type(_first(probe.call(inputs.copy()))).__module__.startswith("tensorflow"):
        return None
    import tensorflow as tf

    graph = tf.function(probe.call)
    try:
        same = np.allclose(probe.outputs(inputs, probe.array(graph(inputs.copy()), inputs.shape[:2])), probe.base,
                           rtol=1e-4, atol=1e-5)
    except Exception:  # a function that cannot run as a graph (it calls .numpy(), say): call it as it is
        return None
    return graph if same else None


def _first(out):
    """The per-step outputs of what a model returned: the first of (outputs, state)."""
    return out[0] if isinstance(out, list | tuple) and out else out


# --------------------------------------------------------------------------- the report
def _positions_text(lane, pad=None):
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


def _count(n, thing):
    return f"{n} {thing}{'s' * (n != 1)}"


def _numbers_text(numbers):
    """0, 1, 2, 3 as "0 to 3"; others as "0, 1, 15"."""
    numbers = [int(n) for n in numbers]
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]} to {numbers[-1]}"
    return ", ".join(map(str, numbers))


def _lane_lines(first_lanes, n_lanes, seen, targets, element="element", heading=""):
    """The lane map as the scripts print it: the first lanes (each a list of (positions,
    padding) segments, shown | apart: one per batch), how many more, and how many targets
    see their previous element."""
    lines = [f"lane map: stream positions in each lane, in time order{heading}"]
    lines += [f"  lane {i} -> " + " | ".join(_positions_text(*segment) for segment in segments)
              for i, segments in enumerate(first_lanes)]
    if n_lanes > len(first_lanes):
        more = n_lanes - len(first_lanes)
        lines.append(f"  ... and {more} more lane{'s' * (more > 1)}")
    lines.append(f"  previous {element} read earlier in the same lane: {seen} of {targets}")
    return "\n".join(lines) + "\n"


def _window_line(window):
    return (f"each slot's features hold {window} consecutive positions: each slot is read as its last\n"
            if window > 1 else "")


def _padding_line(padded):
    return f"padding: {_count(padded, 'slot')} of 0 at a lane's end or start, not targets\n" if padded else ""


def _closing_lines(check):
    """The two lines every report ends in: the best accuracy, and the verdict."""
    return (f"best accuracy on a task that needs the previous element: {check.best['accuracy']:.4f}\n"
            f"verdict: {'ok' if check.ok else 'NOT OK'}: {check.verdict}")
