"""Reading a pipeline: its elements as (inputs, targets), and where a stateful pipeline hands
each lane on from one batch to the next."""
from dataclasses import dataclass
from itertools import islice

import numpy as np

from .frameworks import shape_of
from .maps import positions_of
from .text import one_line


def _is_one_array(value):
    """An array or a tensor, as opposed to an iterable of batches (a list, a Dataset, a loader)."""
    return isinstance(value, np.ndarray) or (hasattr(value, "__array__") and shape_of(value) is not None
                                              and not isinstance(value, list | tuple | dict))


def _kept(element):
    """A copy of what a pipeline yielded, its arrays and tensors copied: a pipeline may refill
    one buffer for every batch, and each batch must stay as it was read."""
    if isinstance(element, np.ndarray):
        return element.copy()
    if type(element) in (tuple, list):
        return type(element)(_kept(item) for item in element)
    if type(element) is dict:
        return {name: _kept(item) for name, item in element.items()}
    if hasattr(element, "detach") and hasattr(element, "clone"):  # a PyTorch tensor
        return element.detach().clone()
    return element


def read_batches(batches, key, limit):
    """[(inputs, targets or None, unread)] of what `batches` yields (up to `limit`; see
    _inputs_and_targets), how one array was read (None if not one array), and whether more
    batches were left after `limit`."""
    if isinstance(batches, str | bytes | dict):
        raise ValueError(f"batches: expected what you feed the model (a Dataset, a DataLoader, a list of batches), "
                         f"got a {type(batches).__name__}" + (f" with keys {sorted(map(str, batches))}: for one "
                                                               "batch, pass [batch] and name its input with key="
                                                               if isinstance(batches, dict) else ""))
    if _is_one_array(batches):
        shape = shape_of(batches)
        ndim = len(shape)
        if ndim in (2, 3):
            return [(batches, None, [])], (
                f"one array of shape {shape}, read as one batch"
                + ("; to check it as a stack of (batch, time) batches, pass list(array)" if ndim == 3 else "")), False
        if ndim == 4:
            batches = list(batches)
            read_as = f"one 4-D array, read as a stack of {len(batches)} batches"
        else:
            raise ValueError(f"batches: expected batches, or one batch (batch, time[, features]), got one array of "
                             f"shape {shape}; for one lane, pass array.reshape(1, -1)")
    else:
        read_as = None
    try:
        elements = iter(batches)
    except TypeError:
        raise ValueError(f"batches: expected an iterable of batches, got {type(batches).__name__}") from None
    except Exception as error:
        raise ValueError(f"batches: expected your pipeline to start, but iter() of it raised {one_line(error)}") \
            from None
    read = []
    try:
        for element in islice(elements, limit + 1):
            read.append(_kept(element))
    except Exception as error:
        raise ValueError(f"batches: expected your pipeline to yield batches, but reading batch {len(read) + 1} raised "
                         f"{one_line(error)} (iterate it yourself to see where)") from None
    more = len(read) > limit
    if not read:
        raise ValueError("batches: expected at least one batch, got none")
    return [_inputs_and_targets(element, number, key) for number, element in enumerate(read[:limit], 1)], read_as, more


def _inputs_and_targets(element, number, key):
    """One element of a pipeline -> (inputs, targets or None, the names of a dict element's items
    that are not read: its targets, perhaps)."""
    if hasattr(element, "batch_sizes") and hasattr(element, "data"):  # a PackedSequence is a tuple too
        positions_of(element, f"batch {number}")  # says how to pad it
    if isinstance(element, list) and 1 <= len(element) <= 3 and len(shape_of(element[0]) or ()) >= 2 and all(
            _arrays(item) for item in element):
        element = tuple(element)  # [inputs, targets], as PyTorch's DataLoader yields: not a batch of lanes
    if isinstance(element, tuple):
        if not 1 <= len(element) <= 3:
            raise ValueError(f"batch {number}: expected (inputs, targets[, weights]), got a tuple of "
                             f"{len(element)}")
        inputs, targets = element[0], (element[1] if len(element) > 1 else None)
    else:
        inputs, targets = element, None
    if isinstance(targets, list | tuple) and _arrays(targets):
        targets = targets[0]  # (targets, weights), as pytorch-forecasting's (x, (y, weight)) holds them
    unread = sorted(map(str, set(element) - {key})) if isinstance(element, dict) and len(element) > 1 else []
    return _named(inputs, key, f"batch {number}"), _named(targets, None, f"batch {number}'s targets"), unread


def _arrays(item):
    """Is `item` an array, or a list or tuple of arrays ([targets, weights], as a DataLoader collates
    (targets, weights))?"""
    if isinstance(item, list | tuple):
        return bool(item) and all(len(shape_of(inner) or ()) >= 1 for inner in item)
    return len(shape_of(item) or ()) >= 1


def _named(value, key, what):
    """`value`, or the item `key` of it if it is a dict (a dict of one item needs no key), or
    the item at index `key` of a list or tuple of arrays (an encoder-decoder's inputs)."""
    if isinstance(value, list | tuple) and len(value) > 1 and all(len(shape_of(item) or ()) >= 2 for item in value):
        if isinstance(key, int) and not isinstance(key, bool) and -len(value) <= key < len(value):
            return value[key]
        raise ValueError(f"{what}: expected one array of inputs, got a {type(value).__name__} of {len(value)} arrays "
                         f"(an encoder's and a decoder's?): name the one to check with key=0 to key={len(value) - 1}")
    if not isinstance(value, dict):
        return value
    if key is None and len(value) == 1:
        return next(iter(value.values()))
    if key not in value:
        raise ValueError(f"{what}: expected an array, got a dict with keys {sorted(value, key=str)}"
                         + (f", and no {key!r}" if key is not None else "") + "; name the input to check with key=")
    return value[key]


@dataclass
class Handovers:
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
        return Handovers.of(self.maps[:restart + 1], self.pads[:restart + 1])

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


def _nearer(horizon, per_step, wanted):
    """Do targets read as the next elements of each window (offsets `horizon`, of their first)
    sit nearer where they are wanted than read as one a step (offsets `per_step`)?"""
    return bool(np.abs(horizon - wanted).max() < np.abs(per_step - wanted).max())


def target_offsets(maps, pads, targets, time_major, target_offset):
    """Target minus the last input it may use, for every target (padding left out; for the next
    H elements of a window, its first), whether the targets are one a step (else one a window),
    and H where each window's targets are the next H elements (else None)."""
    offsets, per_step, horizon, lengths = [], None, None, True
    for number, (lane_map, pad, target) in enumerate(zip(maps, pads, targets, strict=True), start=1):
        target = positions_of(target, f"batch {number}'s targets")
        count, n_steps = lane_map.shape
        expected = (n_steps, count) if time_major else (count, n_steps)
        if target.ndim == 3 and (target == target[..., :1]).all() or target.ndim == 2 and target.shape != expected \
                and target.shape[0] == count and (target == target[:, :1]).all():
            target = target[..., 0]  # one target, repeated along its features
        last = np.array([lane[~p][-1] if (~p).any() else 0 for lane, p in zip(lane_map, pad, strict=True)])
        runs = target.ndim == 2 and target.shape[0] == count and target.shape[1] > 1 and (
            np.diff(target, axis=1) == 1).all()  # each row the next elements of a stretch: a horizon?
        if target.shape == (count,):
            offsets.append(target - last)
            per_step, horizon = False, None
            lengths &= bool((target == (~pad).sum(axis=1)).all())
        elif target.shape == expected and not (runs and _nearer(target[:, 0] - last, (
                (target.T if time_major else target) - lane_map)[~pad], target_offset)):
            offsets.append(((target.T if time_major else target) - lane_map)[~pad])
            per_step, horizon = True, None
        elif runs:  # the next H elements of each window (H = the steps too, where that fits and one a step does not)
            offsets.append(target[:, 0] - last)
            per_step, horizon = False, target.shape[1]
        else:
            swapped = target.shape[:1] == (n_steps,) and n_steps != count and not time_major
            raise ValueError(f"batch {number}'s targets: expected one a window, shape ({count},), one a step, shape "
                             f"{expected}, or the next elements of each window, ({count}, horizon) counting up by one, "
                             f"got shape {target.shape}" + (
                                 f", one a lane for {n_steps} lanes on the inputs' axis 1: are the inputs (time, "
                                 "batch), as a collate_fn that stacks along axis 1 makes them? Check them with "
                                 "time_major=True" if swapped else ""))
        lengths &= per_step is False and horizon is None
    offsets = np.concatenate(offsets)
    if lengths and len(np.unique(offsets)) > 1:
        raise ValueError("the batches' second element: expected targets, got each lane's length (its steps "
                         "but padding) in every batch: (inputs, lengths), as a collate_fn for pack_padded_sequence "
                         "returns? Pass (inputs, targets): ((x, y) for x, lengths, y in loader), or the inputs alone: "
                         "(x for x, lengths in loader)")
    return offsets, per_step, horizon


