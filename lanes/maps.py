"""The lane map: where each stream position sits, lane by lane, and what an RNN can know there.

A lane is one sequence of the batch. Fed the stream positions 0, 1, 2, ... instead of data,
a batch becomes a (lanes, time) map of positions; an RNN can use an element's predecessor
only where it read that position earlier in the same lane.
"""
from dataclasses import dataclass

import numpy as np

from .frameworks import shape_of, to_numpy
from .text import positions_text


def lane_map(batch, time_major=False, what="the batch"):
    """(batch, time[, features]) positions, or (time, batch[, features]) if time_major ->
    (lanes, time): the stream position in each slot. Every feature of a slot must hold the
    same position: feed a 1-D stream, repeated along the features if your code needs several."""
    found, window = read_map(batch, time_major, what)
    if window > 1:
        raise ValueError(f"{what}: {window_text(batch, window)}; expected one position a slot")
    return found


def seen_previous(lane_map):
    """(lanes, time) bools: does the slot hold a position whose predecessor the RNN has
    already read, earlier in the same lane? `lane_map` is (lanes, time)."""
    lane_map = as_map(lane_map)
    return seen_in_lane(*slots([lane_map])).reshape(lane_map.shape)


def best_possible(lane_map):
    """The best held-out accuracy and cross-entropy (nats) of any model fed lane map `lane_map`
    (lanes, time), on a task whose target at each position needs the previous element (see
    best_from)."""
    lane_map = as_map(lane_map)
    lane_ids, times, positions = slots([lane_map])
    return best_from(seen_in_lane(lane_ids, times, positions), times, positions)


def positions_of(value, what):
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
        array = np.asarray(to_numpy(value))
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


def read_map(batch, time_major, what):
    """(the lane map, and how many consecutive positions each slot's features hold: 1, or more
    where time sits on the features axis, each slot then read as its last position)."""
    axes = "(time, batch[, features])" if time_major else "(batch, time[, features])"
    if isinstance(batch, tuple) and batch and all(shape_of(item) is not None for item in batch):
        raise ValueError(f"{what}: expected one array {axes}, got a tuple of {len(batch)} arrays (inputs and "
                         "targets? pass the inputs alone)")
    array = positions_of(batch, what)
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


def window_text(batch, window):
    first = positions_of(batch, "")[0, 0]
    return (f"the features of each slot hold {window} consecutive positions (slot (0, 0): "
            f"{positions_text(first)}): time steps on the features axis, as a reshape to (samples, 1, "
            "timesteps) puts them")


def as_map(lane_map):
    array = positions_of(lane_map, "the lane map")
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(f"the lane map: expected a 2-D array (lanes, time), got shape {array.shape}")
    return array


def padding(maps, position_zero_needed):
    """Which slots of each (lanes, time) map are padding: zeros at a lane's end, after its last
    other position; zeros at its start, before its first, but for a 0 right before a 1 (that
    is position 0 itself) and a lone 0 before positions that do not count up by one while no
    other 0 is there (that may be position 0 too: a time-major lane 0, 50); and a lane of zeros
    beside lanes that move (a batch filled out with empty rows). Zeros at a lane's start are
    padding only where position 0 is held elsewhere: else one of them is position 0 (0, 2, 3:
    position 1 is missing, not 0 and 1). A layout holds position 0 somewhere
    (position_zero_needed): where only padding would hold it, there is none."""
    groups = {}  # maps of one length, stacked: one pass over their lanes, however many maps
    for number, lane_map in enumerate(maps):
        groups.setdefault(lane_map.shape[1], []).append(number)
    stacks, pads, leads, lone = [], [], [], []
    for numbers in groups.values():
        stacked = np.concatenate([maps[number] for number in numbers])
        owner = np.repeat(np.arange(len(numbers)), [len(maps[number]) for number in numbers])
        varied = np.bincount(owner, (stacked != stacked[:, :1]).any(axis=1), minlength=len(numbers)) > 0
        pad, lead, maybe = _padding_of_lanes(stacked, varied[owner])
        stacks.append((numbers, stacked, owner))
        pads.append(pad)
        leads.append(lead)
        lone.append(maybe)

    def zero_held(extra):
        return any(((stacked == 0) & ~pad & ~more).any()
                   for (_, stacked, _), pad, more in zip(stacks, pads, extra, strict=True))

    if zero_held([lead | maybe for lead, maybe in zip(leads, lone, strict=True)]):
        leads = [lead | maybe for lead, maybe in zip(leads, lone, strict=True)]  # position 0 is elsewhere: lone 0s pad
    if not zero_held(leads):
        if position_zero_needed:
            return [np.zeros(m.shape, dtype=bool) for m in maps]  # only padding would hold position 0: none is
        leads = [np.zeros(pad.shape, dtype=bool) for pad in pads]  # a lane's first 0 is position 0: none before pads
    found = [None] * len(maps)
    for (numbers, _, owner), pad, lead in zip(stacks, pads, leads, strict=True):
        splits = np.flatnonzero(np.diff(owner)) + 1
        for number, part in zip(numbers, np.split(pad | lead, splits), strict=True):
            found[number] = part
    return found


def _padding_of_lanes(lane_map, varied):
    """(padding after each lane's last position, padding before its first, a lone 0 at its
    start that may be position 0), for a (lanes, time) map; `varied`: whether each lane's map
    has a lane that moves."""
    n_steps = lane_map.shape[1]
    step = np.arange(n_steps)
    moves = lane_map != 0
    real = moves.any(axis=1)  # lanes with a position other than 0
    first = np.argmax(moves, axis=1)
    last = n_steps - 1 - np.argmax(moves[:, ::-1], axis=1)
    at_first = lane_map[np.arange(len(lane_map)), first]
    breaks = np.diff(lane_map, axis=1) != 1  # between step j and j + 1
    breaks[:, :1] = False
    rest_counts_up = (last > 1) & ~(breaks & (step[:-1] < last[:, None])).any(axis=1)  # steps 1 to last
    maybe = real & (first == 1) & (at_first != 1) & ~rest_counts_up  # 0, 50: position 0, or padding?
    after = (real[:, None] & (step > last[:, None])) | (~real & varied & (n_steps > 1))[:, None]
    before = real[:, None] & ~maybe[:, None] & (step < (first - (at_first == 1))[:, None])
    return after, before, maybe[:, None] & (step == 0)


def distinct(values):
    """The distinct values, sorted: np.unique by a sort, which is several times faster on
    millions of positions than np.unique's own way in NumPy 2.3 and later."""
    values = np.sort(np.ravel(values))
    return values[np.concatenate([[True], values[1:] != values[:-1]])] if values.size else values


def slots(maps, pads=None):
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


def seen_in_lane(lane_ids, times, positions):
    """For each slot (flat arrays, ordered by lane, then time): was the position before this
    one read earlier in the same lane? Positions may repeat (overlapping windows)."""
    if not len(positions):
        return np.zeros(0, dtype=bool)
    key = lane_ids * (positions.max() + 2) + positions  # one key per (lane, position)
    known, first = np.unique(key, return_index=True)  # first: where a key occurs first = earliest
    wanted = key - 1  # (this lane, position - 1); for position 0, a key no slot has
    at = np.minimum(np.searchsorted(known, wanted), len(known) - 1)
    return (positions > 0) & (known[at] == wanted) & (times[first[at]] < times)


def rereading_lanes(lane_ids, positions):
    """How many lanes hold some position twice (flat slot arrays, as seen_in_lane takes)."""
    if not len(positions):
        return 0
    span = int(positions.max()) + 2
    key = np.sort(lane_ids * span + positions)  # one key per (lane, position)
    return len(distinct(key[1:][key[1:] == key[:-1]] // span))


def counts_up(lane_map, pad=None):
    """(lanes,) bools: does each lane of a (lanes, time) map count up by one (its padding left out)?"""
    steps_up = np.diff(lane_map, axis=1) == 1
    if pad is None or not pad.any():
        return steps_up.all(axis=1)
    return (steps_up | pad[:, :-1] | pad[:, 1:]).all(axis=1)  # padding sits at a lane's ends: the rest is one run


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
    if not len(seen):
        return {"accuracy": 0.5, "cross_entropy": float(np.log(2))}  # nothing to score: a coin
    hidden_at = np.bincount(times[~seen])  # the hidden slots at each time step: a pool
    forced_at = np.bincount(times[~seen & (positions == 0)], minlength=len(hidden_at))  # the first element
    hidden, forced = hidden_at[hidden_at > 0], forced_at[hidden_at > 0]
    p_zero = (forced + 0.5 * (hidden - forced)) / hidden  # P(previous element 0), in each pool
    correct = float(seen.sum() + (hidden * np.maximum(p_zero, 1 - p_zero)).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        bits = [np.where(p > 0, p * np.log(1 / p), 0.0) for p in (p_zero, 1 - p_zero)]
    entropy = float((hidden * (bits[0] + bits[1])).sum())
    return {"accuracy": correct / seen.size, "cross_entropy": entropy / seen.size}


def swapped(maps):
    """Would every lane of every (lanes, time) map count up by one, its padding left out, if
    the map's two axes were swapped? Only for maps whose positions are all different (not
    overlapping windows, not a broadcast), both axes 2 or longer: else swapping proves nothing."""
    if any(min(m.shape) < 2 for m in maps):
        return False
    turned = [np.ascontiguousarray(m.T) for m in maps]
    pads = padding(turned, False)
    return all(len(distinct(m[~pad])) == (~pad).sum() and counts_up(m, pad).all()
               for m, pad in zip(turned, pads, strict=True))


@dataclass(frozen=True)
class Lane:
    """A lane that does not count up by one: its positions (padding left out), how many lanes
    its batch has, every position that any lane holds, and whether some position is held twice
    (overlapping windows)."""

    positions: np.ndarray
    lanes: int
    held: np.ndarray
    repeats: bool
