"""The verdicts: each a named condition on a check's figures, tried in one explicit order.

A condition is a function of a check's result that returns what the verdict says (its cause
and fix, or what was seen) where its pattern fits, and None where it does not; `ok` marks
the conditions that pass. LAYOUT, BATCHES and MODEL list each check's conditions in the order
they are tried: the first that fits gives the verdict, and a condition's docstring says what
it means in its place (after the ones above it). The last of each list fits anything and says
what the figures show, with no cause guessed.

One rule holds over every list: where the best accuracy that the figures allow on a task that
needs the previous element is within AT_CHANCE of the current element's alone, no ok
condition is taken, whatever it would say. So each list's ok conditions come before the ones
that say why it is at chance.
"""
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .advice import say
from .probe import SLOTS_ONE_BY_ONE
from .text import count, numbers_text, positions_text

AT_CHANCE = 0.05  # best accuracy within this of the current element's alone: hopeless (under 1 target in 10 seen)


def passes(function):
    """A condition that, where it fits, makes the verdict ok."""
    function.ok = True
    return function


def fails(function):
    """A condition that, where it fits, makes the verdict NOT OK."""
    function.ok = False
    return function


def verdict(conditions, check):
    """(ok, what it says, the condition's name) of the first of `conditions` that fits `check`,
    an ok one only where the check is not at chance."""
    for condition in conditions:
        if condition.ok and at_chance(check):
            continue
        said = condition(check)
        if said is not None:
            return condition.ok, said, condition.__name__
    raise AssertionError("a list of conditions must end in one that always fits")


@dataclass
class Judged:
    """A check's result: `ok`, the `verdict` line, and the name of the `condition` that gave
    them: the first of the class's `conditions` that fits its figures."""

    ok: bool = field(init=False)
    verdict: str = field(init=False)
    condition: str = field(init=False)

    def __post_init__(self):
        self.ok, self.verdict, self.condition = verdict(self.conditions, self)


def at_chance(check):
    """Is the best accuracy of `check`'s figures within AT_CHANCE of the current element's alone?"""
    return check.best["accuracy"] - check.chance["accuracy"] < AT_CHANCE


# =========================================================================== inside a lane
# shared by check_layout and check_batches; `out_of_order` is the first lane that does not
# count up by one (a maps.Lane), or None
def _fix_layout(check):
    if check.table:
        return ("Transpose the (time, series) table to (series, time), table.T, before cutting it into windows; a "
                "reshape keeps its order, rows first, which mixes the series")
    return "Reshape the stream to (batch, time); for a model that reads time first, transpose that"


def _steps(check):
    """The steps between neighbouring positions of the first lane that does not count up by one."""
    return np.diff(check.out_of_order.positions)


def _all_steps(check, fits):
    steps = _steps(check)
    return len(steps) > 0 and bool(fits(steps[0])) and (steps == steps[0]).all()


def _commonest_step(check):
    """The step that most of the lane's steps take, if more than half do, else None."""
    steps = _steps(check)
    step, n = Counter(steps.tolist()).most_common(1)[0] if len(steps) else (None, 0)
    return step if n > len(steps) / 2 else None


def _shown(check):
    lane = check.out_of_order.positions
    return ", ".join(map(str, lane[:4])) + (", ..." if len(lane) > 4 else "")


def _skipped_held(check):
    """Are the positions that the lane's commonest step steps over held by some lane?"""
    first, step = check.out_of_order.positions[0], _commonest_step(check)
    held = check.out_of_order.held
    if step - 1 > len(held):  # more positions between than any lane holds: not all held (no array that big)
        return False
    return bool(np.isin(np.arange(first + 1, first + step), held).all())


def _steps_over(check):
    return (_commonest_step(check) or 0) > 1


def _side_by_side(check):
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


@fails
def time_on_features(c):
    """Each slot's features hold several consecutive positions (time steps on the features
    axis, as a reshape to (samples, 1, timesteps) puts them), and a lane is one step long or
    out of order."""
    if c.window > 1 and (_one_step(c) or c.out_of_order is not None):
        return (f"each slot's features hold {c.window} consecutive positions: time steps sit on the features "
                "axis, as a reshape to (samples, 1, timesteps) puts them, so the RNN reads "
                f"{c.window} elements as one step" + (" and has no time to remember along" if _one_step(c) else "")
                + ". Give each element a step of its own: (samples, timesteps, 1)")


def _series_of(check):
    """The series and the step in it of each position of the first lane out of order, for a table."""
    span = check.table[0] + 1
    return check.out_of_order.positions // span, check.out_of_order.positions % span


@fails
def series_interleaved(c):
    """From a table of series: most neighbours in a lane are of different series, so a lane
    holds steps of several series in turn (the table reshaped, rows first)."""
    if c.out_of_order is not None and c.table:
        series, steps = _series_of(c)
        if len(series) > 1 and (np.diff(series) != 0).mean() > 0.5:
            return (f"a lane holds series {', '.join(map(str, series[:4]))}{', ...' if len(series) > 4 else ''} in "
                    f"turn, at steps {', '.join(map(str, steps[:4]))}{', ...' if len(steps) > 4 else ''} "
                    f"({_shown(c)}): the table's rows, each one time step of every series, went into the lanes in "
                    f"order. {_fix_layout(c)}")


@fails
def lanes_and_time_swapped(c):
    """A lane is out of order, but every lane would count up by one with the lanes and time
    axes swapped (and consecutive positions are not simply side by side across lanes)."""
    if c.out_of_order is not None and c.swapped and not _side_by_side(c):
        return (f"a lane holds {_shown(c)}, but every lane would count up by one with lanes and time swapped: "
                "the batch is (time, batch), fed as (batch, time) (PyTorch's pad_sequence without "
                f"batch_first=True, a view or reshape where a transpose belongs). {say('batch swapped', c.framework)}")


@fails
def subsampled(c):
    """A lane holds one position in k (k > 1), and those between are in no lane, or only in
    other windows that overlap it: the series was subsampled."""
    if c.out_of_order is not None and _subsampled(c):
        return (f"a lane holds one position in {_commonest_step(c)} ({_shown(c)}), and those between are "
                + ("only in other windows, which overlap it" if _skipped_held(c) else "in no lane")
                + ": the series is subsampled (sampling_rate, a stride), so no element's predecessor is ever "
                "read in its lane. Keep every position (sampling_rate=1)")


@fails
def side_by_side_across_lanes(c):
    """Every step of a lane is the number of lanes: consecutive positions sit side by side
    across lanes, as a time-major reshape puts them."""
    if c.out_of_order is not None and _side_by_side(c):
        return (f"consecutive positions sit side by side across lanes (lane i: i, i + {_steps(c)[0]}, ...): a "
                f"time-major reshape, or a reshape where a transpose belongs. {_fix_layout(c)}")


@fails
def steps_by_more_than_one(c):
    """Most steps of a lane are the same k > 1, and the positions between are held by other
    lanes: a reshape where a transpose belongs, in another proportion."""
    if c.out_of_order is not None and _steps_over(c):
        return (f"a lane steps by {_commonest_step(c)} ({_shown(c)}): consecutive positions went to other lanes. "
                f"{_fix_layout(c)}")


@fails
def one_position_along_time(c):
    """A lane holds the same position at every step: a broadcast along time."""
    if c.out_of_order is not None and _all_steps(c, lambda step: step == 0):
        return (f"a lane holds one position at every step ({_shown(c)}): the time axis repeats one element "
                "(a broadcast, or features and time swapped?)")


@fails
def runs_backwards(c):
    """A lane counts down by the same step all through: the time axis is reversed."""
    if c.out_of_order is not None and _all_steps(c, lambda step: step < 0):
        return f"a lane runs backwards ({_shown(c)}): the time axis is reversed; flip it back"


@fails
def shuffled_inside_a_lane(c):
    """A lane holds a run of consecutive positions, each once, but not in order."""
    if c.out_of_order is not None:
        positions = c.out_of_order.positions
        if (np.sort(positions) == np.arange(positions.min(), positions.min() + len(positions))).all():
            return (f"a lane holds a run of consecutive positions out of order ({_shown(c)}): they are shuffled "
                    "inside the lane; shuffle whole windows (or batches), never the steps of one")


@fails
def crosses_series(c):
    """From a table of series: a lane runs from one series into the next, counting up by one
    inside each (a window cut across the end of a series)."""
    if c.out_of_order is not None and c.table:
        series, _ = _series_of(c)
        inside = np.diff(c.out_of_order.positions)[np.diff(series) == 0]
        if len(np.unique(series)) > 1 and (inside == 1).all() and (np.diff(series) >= 0).all():
            return (f"a lane runs from series {series[0]} into series {series[-1]} ({_shown(c)}): a window cut across "
                    "the end of one series and the start of the next, so its state carries one series into "
                    "another. Cut each series into windows on its own (or pad each to a whole number of windows)")


@fails
def jumps(c):
    """A lane mostly counts up by one, with a few jumps: positions dropped or moved."""
    if c.out_of_order is not None and np.median(_steps(c)) == 1:
        return (f"a lane jumps ({_shown(c)}): it counts up by one, but for a few jumps: positions dropped or "
                "moved; keep each lane a run of consecutive positions")


@fails
def out_of_order(c):
    """A lane that does not count up by one, in none of the patterns above."""
    if c.out_of_order is not None:
        return f"a lane holds {_shown(c)}: not a run of consecutive positions, in no pattern this check knows"


IN_A_LANE = (time_on_features, series_interleaved, lanes_and_time_swapped, subsampled, side_by_side_across_lanes,
             steps_by_more_than_one, one_position_along_time, runs_backwards, shuffled_inside_a_lane, crosses_series,
             jumps, out_of_order)


def _seen_text(check):
    seen = int(np.sum(check.seen))
    if at_chance(check):
        return (f"only {seen} of {check.targets} targets have their previous element in sight, so no model can do "
                f"much better than the current element alone (best accuracy {check.best['accuracy']:.4f}, against "
                f"{check.chance['accuracy']:.4f}); this check knows no cause for that pattern")
    return (f"{seen} of {check.targets} targets have their previous element in sight; this check knows no cause "
            "for the rest")


@fails
def what_was_seen(c):
    """The last condition of every list: it fits anything, and says what the figures show,
    no cause guessed."""
    return _seen_text(c)


def _padding_note(padded):
    return (f"; {padded} padded slot{'s' * (padded > 1)} (0) are left out: mask them in the loss "
            "(mask_zero=True, a Masking layer, or a sample weight of 0)" if padded else "")


# =========================================================================== check_layout
@fails
def undo_does_not_invert(c):
    """Every lane counts up by one, but `undo` does not give the stream back."""
    if c.undoes is False:
        return ("every lane counts up by one, but undo does not give the stream back: outputs and labels "
                "would not line up; make undo the exact inverse of the layout")


@passes
def layout_counts_up(c):
    """Every lane counts up by one (its padding left out): ok."""
    return "every lane counts up by one: the model reads the stream in order" + _padding_note(int(c.padding.sum()))


@fails
def lanes_one_step_long(c):
    """In order, but at chance: every lane is one time step long."""
    if c.lane_map.shape[1] == 1:
        return ("every lane is one time step long: no position ever follows its predecessor in a lane. "
                "Give each lane several time steps (time=1 is often a reshape to (batch, 1, features))")


LAYOUT = (*IN_A_LANE, undo_does_not_invert, layout_counts_up, lanes_one_step_long, what_was_seen)


# =========================================================================== check_batches
# with stateful, `boundaries` holds each lane's handovers from batch to batch (pipelines.Handovers)
_STATEFUL_FIX = ("Split the series into one stretch a lane first (stretches = series[:len(series) // lanes * "
                 "lanes].reshape(lanes, -1), and batch k is stretches[:, k * steps:(k + 1) * steps]), or use "
                 "stateful=False")


def _breaks(check):
    return check.boundaries is not None and not check.boundaries.goes_on.all()


def _epoch(check):
    """The handovers the conditions below read: those of the pipeline's first epoch, where it repeats."""
    return check.boundaries.first_epoch()


def _handover_told(check, handovers=None):
    h = handovers or _epoch(check)
    batch, lane = h.first_break
    return (f"lane {lane} goes from {positions_text(h.real(batch, lane))} in batch {batch + 1} to "
            f"{positions_text(h.real(batch + 1, lane))} in batch {batch + 2}")


def _restart_note(check):
    restart = check.boundaries.restart()
    return ("" if _epoch(check) is check.boundaries or restart is None else
            f" (and at batch {restart + 2} the pipeline starts over: reset the state there too)")


@fails
def lane_of_padding_carried(c):
    """Stateful: a lane of some batch is all padding (a batch filled out with empty rows), so
    the state carried into that lane goes through a batch where it reads nothing."""
    if c.stateful and c.empty_lanes:
        batch, lane = c.empty_lanes[0]
        return (f"lane {lane} of batch {batch + 1} is all padding (a batch filled out with empty rows)"
                + (f", and {len(c.empty_lanes) - 1} more lane{'s' * (len(c.empty_lanes) > 2)}"
                   if len(c.empty_lanes) > 1 else "")
                + ": a stateful model carries each lane's state through every batch, so that lane's state meets "
                "nothing and the lanes around it are not one stretch each. Give every batch its full lanes of real "
                f"steps: drop the short batch ({say('drop last', c.framework)})")


@fails
def epoch_starts_over(c):
    """Stateful: at every break, every lane starts again where batch 1 began (an epoch's end,
    or .repeat()), and goes on everywhere else."""
    if _breaks(c) and c.boundaries.starts_over():
        return (f"at batch {c.boundaries.first_break[0] + 2} every lane starts again where batch 1 began: the "
                "pipeline repeats (an epoch's end, or .repeat()), and the state carried across it belongs to the "
                f"series' end. Reset the state when an epoch starts ({say('reset', c.framework)}), and check one "
                "epoch")


@fails
def windows_overlap(c):
    """Stateful: at every break of the first epoch, each lane starts again inside what it read."""
    if _breaks(c) and _epoch(c).overlaps():
        stride = _epoch(c).stride()
        return (f"{_handover_told(c)}: the windows overlap, so each lane re-feeds steps its state has already "
                "seen" + (f", and consecutive windows went to neighbouring lanes (each lane starts "
                          f"{stride} after the one before)" if stride else "")
                + ". For a stateful model, cut windows that do not overlap (shift = size), one stretch a lane, "
                  "or use stateful=False" + _restart_note(c))


@fails
def windows_in_neighbouring_lanes(c):
    """Stateful: each lane starts the same stride after the one before, so consecutive windows
    sit in neighbouring lanes, and every lane jumps by the same amount."""
    if _breaks(c) and _epoch(c).stride() is not None and len(_epoch(c).jumps()) == 1:
        stride = _epoch(c).stride()
        return (f"{_handover_told(c)}: consecutive windows went to neighbouring lanes (each lane starts "
                f"{stride} after the one before" + (", so they overlap" if stride < c.shapes[0][1] else "")
                + f"), so each lane carries another stretch's state. {_STATEFUL_FIX}" + _restart_note(c))


@fails
def windows_in_other_lanes(c):
    """Stateful: every lane jumps by the same amount, and the window that goes on from the
    first broken lane starts another lane of the same batch or the next."""
    if _breaks(c) and len(_epoch(c).jumps()) == 1 and _epoch(c).next_window() is not None:
        batch, lane = _epoch(c).next_window()
        return (f"{_handover_told(c)}: the window that goes on from lane {_epoch(c).first_break[1]} is lane "
                f"{lane} of batch {batch + 1}: consecutive windows went to other lanes, so each lane carries "
                f"another stretch's state. {_STATEFUL_FIX}" + _restart_note(c))


@fails
def lanes_skip(c):
    """Stateful: every lane skips the same number of positions between batches."""
    if _breaks(c) and len(_epoch(c).jumps()) == 1 and _epoch(c).jumps()[0] > 0:
        return (f"{_handover_told(c)}: every lane skips {count(_epoch(c).jumps()[0], 'position')} between "
                "batches (windows shifted by more than their length), so its state misses them. Make each window "
                "start where the last one stopped" + _restart_note(c))


@fails
def batches_reordered(c):
    """Stateful: lanes do not go on, in none of the patterns above: the batches come in
    another order than the series'."""
    if _breaks(c):
        return (f"{_handover_told(c, c.boundaries)}"
                + (f", and lanes jump by {len(c.boundaries.jumps())} different amounts: the batches come in "
                   "another order than the series' (shuffled, interleaved, or rebatched)"
                   if len(c.boundaries.jumps()) > 1 else
                   ": every lane goes back: the batches come in another order than the series' (reversed, or "
                   "shuffled)")
                + ", which hands each lane another stretch's state. Do not shuffle or reorder a stateful "
                "pipeline, or use stateful=False")


@fails
def batch_sizes_differ(c):
    """Stateful: batches hold different numbers of lanes."""
    sizes = {n_lanes for n_lanes, _ in c.shapes}
    if c.stateful and len(sizes) > 1:
        return (f"batches hold {' or '.join(map(str, sorted(sizes)))} lanes; a stateful model needs every batch "
                "the same size" + (f": drop the last, short batch ({say('drop last', c.framework)})"
                                   if len({n_lanes for n_lanes, _ in c.shapes[:-1]}) == 1 else
                                   ", since its state holds one row a lane: keep the lanes the same all through"))


def _shift_text(check):
    if check.offset_found is None:
        return ""
    shift = check.target_offset - check.offset_found
    text = f"; move each target {abs(shift)} position{'s' * (abs(shift) > 1)} {'later' if shift > 0 else 'earlier'}"
    n_steps = check.shapes[0][1]
    ahead = n_steps - 1 + check.target_offset  # window i is series[i:i + time]; its target, series[i + ahead]
    if check.horizon:
        return text + (f" (window i is series[i:i + {n_steps}], its targets series[i + {ahead}:i + "
                       f"{ahead + check.horizon}])")
    if check.per_step is not False or ahead <= 0:
        return text
    if check.framework in (None, "tf.data", "keras"):
        return text + (f" (timeseries_dataset_from_array, sequence_length={n_steps}: data=series[:-{ahead}], "
                       f"targets=series[{ahead}:])")
    return text + f" (window i is series[i:i + {n_steps}], its target series[i + {ahead}])"


@fails
def targets_elsewhere(c):
    """The targets do not sit `target_offset` after the last input they may use."""
    if c.offsets is not None and c.offset_found != c.target_offset:
        return f"{c.target_text}: targets and inputs do not line up" + _shift_text(c)


@passes
def batches_count_up(c):
    """Every lane of every batch counts up by one (and, stateful, goes on in the next batch),
    and the targets, if any, sit where asked: ok."""
    return ("every lane counts up by one" + (", and goes on in the next batch" if c.stateful else "")
            + (f"; {c.target_text}" if c.offsets is not None else "") + _padding_note(c.padded)
            + (f"; that is in the {c.batches} batches read: the pipeline has more (.repeat()?), so pass "
               "one epoch (.take(n)) to check it whole" if c.more else "")
            + (f"; the inputs only: {', '.join(map(repr, c.unread))} not read (to check targets, pass "
               "(inputs, targets) tuples)" if c.unread else ""))


@fails
def batches_one_step_long(c):
    """In order, but at chance: every batch is one time step long, and no state is carried."""
    if all(n_steps == 1 for _, n_steps in c.shapes) and not c.stateful:
        return ("every batch is one time step long, and no state is carried (stateful=False): no element ever "
                "follows its predecessor in a lane. Feed windows of several steps, or carry the state with "
                "stateful=True, lane i going on in the next batch")


@fails
def windows_reread(c):
    """Stateful: lanes read again positions they read in an earlier batch (windows that
    overlap), whatever order the batches come in. A kind of problem of its own (PROBLEMS),
    said beside the others; as a verdict, a break between batches always comes first."""
    if c.stateful and c.rereads:
        return (f"{count(c.rereads, 'lane')} read again positions read in an earlier batch: the windows overlap, so "
                "the state re-feeds steps it has seen; cut windows that do not overlap (shift = size)")


BATCHES = (*IN_A_LANE, lane_of_padding_carried, epoch_starts_over, windows_overlap, windows_in_neighbouring_lanes,
           windows_in_other_lanes, lanes_skip, batches_reordered, batch_sizes_differ, targets_elsewhere,
           batches_count_up, batches_one_step_long, what_was_seen)


PROBLEMS = {  # the kinds of problem a pipeline can have at once, each its conditions in order
    "in a lane": IN_A_LANE,
    "between batches": (lane_of_padding_carried, epoch_starts_over, windows_overlap, windows_in_neighbouring_lanes,
                        windows_in_other_lanes, lanes_skip, batches_reordered),
    "overlap": (windows_reread,),
    "batch sizes": (batch_sizes_differ,),
    "targets": (targets_elsewhere,),
}
_STATELESS = ("between batches", "overlap", "batch sizes")  # the kinds that stateful=False leaves behind


def _overlap_said(check, found):
    """Is what windows_reread would say said already: by a problem that names the overlap, or
    by a pipeline that starts over (whose lanes read their stretches again, as they should)?"""
    restarts = check.boundaries is not None and check.boundaries.restart() is not None
    return restarts or any(name in ("epoch_starts_over", "windows_overlap") or "overlap" in text
                           for _, name, text in found)


def every_problem(check):
    """(the names of the problems found, one of each kind of PROBLEMS, and the verdict: its own
    text where there is one problem or none; else every problem, the fix that solves most first)."""
    found = []
    for kind, conditions in PROBLEMS.items():
        said = next(((condition.__name__, text) for condition in conditions
                     if (text := condition(check)) is not None), None)
        if said and not (kind == "overlap" and _overlap_said(check, found)):
            found.append((kind, *said))
    if len(found) < 2:
        return [name for _, name, _ in found], check.verdict
    texts = [f"({number}) {text}" for number, (_, _, text) in enumerate(found, start=1)]
    every = "both" if len(found) == 2 else f"all {len(found)}"
    first = (f"stateful=False solves {every} at once: each batch is fine on its own. Or fix each: "
             if check.stateful and all(kind in _STATELESS for kind, _, _ in found) else "")
    return [name for _, name, _ in found], f"{len(found)} problems at once. {first}" + " ".join(texts)


# =========================================================================== check_model
# `depends[i, s, j, t]`: nudging input lane i at step s moved the output of lane j at step t
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
    gap = (found[:, 2] * n_steps + check.at[found[:, 3]]) - (found[:, 0] * n_steps + found[:, 1])
    return len(found) > 0 and bool(((gap >= 0) & (gap % n_lanes == 0)).all())


def _one_way_same_step(check):
    """Every dependence across lanes is at the same step, and all run the same way along the
    batch (to later lanes, or all to earlier ones): what an RNN reading time first does."""
    across = _across(check)
    return (len(across) > 0 and (across[:, 1] == check.at[across[:, 3]]).all()
            and ((across[:, 2] > across[:, 0]).all() or (across[:, 2] < across[:, 0]).all()))


def _every_lane(check, same_step_only):
    """Every probed input slot moves the outputs of every other lane: at its own step at
    least, and (unless same_step_only) at every step."""
    for lane, step in np.argwhere(check.probed):
        others = np.delete(check.depends[lane, step], lane, axis=0)  # (other lanes, output step)
        if not (others[:, check.at == step].all() if same_step_only else others.all()):
            return False
    return bool(check.probed.any())


def _reads_own_and_previous(check):
    """Every output reads its own step, and every one after the first its own lane's previous
    step too: all that a task on the previous and the current element needs, at each step."""
    return bool(check.probed.all() and check.own.all() and check.previous[:, check.after_first].all())


def _steps_text(check, where):
    """The steps at which `where` ((lanes, output columns) bools) holds, in some lane."""
    steps = check.at[np.flatnonzero(where.any(axis=0))]
    return numbers_text(steps[:6]) + (", ..." if len(steps) > 6 else "")


def _unread_previous(check):
    """(lanes, time) bools: the scored outputs after the first step that do not read the step before."""
    unread = check.scored & ~check.previous
    unread[:, ~check.after_first] = False
    return unread


def _own_missed(check):
    """How many scored outputs do not read their own step, of how many."""
    return int((check.scored & ~check.own).sum()), int(check.scored.sum())


def _own_missed_text(check):
    missed, of = _own_missed(check)
    where = _steps_text(check, check.scored & ~check.own)
    return f"{missed} of {of} outputs do not read their own step (at steps {where})"


def _lower(text):
    return text[0].lower() + text[1:]


_STATISTICS_ANYWAY = ("Keras' BatchNormalization called with training=True, PyTorch's BatchNorm with "
                      "track_running_stats=False, or a normalisation over the batch axis")


@fails
def nothing_moved(c):
    """No nudge moved any output: the check learned nothing about the model."""
    if not c.depends.any():
        return ("no nudge moved any output, so this check learned nothing about the model: its outputs do not "
                "follow these inputs (a constant output, or inputs it rounds, argmaxes or ignores). Check it "
                "with inputs it reads: ids as a (batch, time) shape, one-hot vectors as (batch, time, "
                "vocabulary)")


@fails
def reads_the_batch_first(c):
    """Checked with time_major=True, outputs read other lanes at the same step, one way along
    the batch: the model reads (batch, time)."""
    if c.time_major and _one_way_same_step(c):
        return ("outputs read other lanes: this model reads the batch first; give it (batch, time, "
                "features) and check it with time_major=False")


@fails
def walks_time_along_the_batch(c):
    """Outputs read other lanes at the same step, one way along the batch: a time-major model
    fed (batch, time, features)."""
    if _one_way_same_step(c):
        return ("outputs read other lanes: the model walks time along your batch axis (a time-major "
                "model, such as PyTorch's default batch_first=False, fed (batch, time, features)). "
                f"{say('time first', c.framework)}")


@fails
def batch_statistics(c):
    """Every input moves every other lane's output at every step: statistics over the whole batch."""
    if _every_lane(c, same_step_only=False):
        return ("every input moves every output of every lane, at every step: statistics over the whole batch "
                + ("(BatchNorm, or a normalisation over the batch, in training mode) mix the lanes. "
                   f"{say('inference', c.framework)}" if not c.inference else
                   f"mix the lanes, even in inference mode ({_STATISTICS_ANYWAY}): normalise each lane alone, or "
                   "use the running statistics"))


@fails
def both_ways_along_the_batch(c):
    """Every input moves every other lane's output at its own step: something runs both ways
    along the batch axis, or statistics over the batch at each step."""
    if _every_lane(c, same_step_only=True):
        return ("every input moves every other lane's output at its own step: something runs both ways along "
                "your batch axis, such as a layer that reads time first (attention, a bidirectional RNN: "
                f"PyTorch's default batch_first=False) fed (batch, time, features). {say('time first', c.framework)}"
                "; or statistics over the batch at each step " + {
                    True: f"({_STATISTICS_ANYWAY})",
                    False: f"(BatchNorm in training mode): {_lower(say('inference', c.framework))}",
                    None: "(BatchNorm in training mode, or a normalisation over the batch axis)"}[c.inference])


@fails
def viewed_as_time_batch(c):
    """Outputs read other lanes, always slots a multiple of the lanes before them in the
    input's memory order: a view or reshape to (time, batch) where a transpose belongs."""
    if c.across_lanes > 0 and _time_in_memory_order(c):
        return (f"outputs read other lanes, always slots a multiple of {c.depends.shape[0]} before them in the "
                "input's memory order (batch, time): the model reshapes its input to (time, batch) (a view or "
                "reshape where a transpose belongs: x.view(time, batch, ...)) and runs time along that. "
                "Transpose instead (x.transpose(0, 1), x.permute(1, 0, 2))")


@fails
def mixes_lanes(c):
    """Outputs read other lanes, in none of the patterns above."""
    if c.across_lanes > 0:
        return (f"outputs read other lanes ({c.across_lanes} pairs across lanes, "
                f"{int((_across(c)[:, 1] == c.at[_across(c)[:, 3]]).sum())} of them at the same step), in no pattern "
                "this check knows: look for what mixes the batch")


@fails
def same_output_along_time(c):
    """Every step of a lane gives the same output: one output a lane, repeated along time."""
    if c.repeated:
        return ("every step of a lane gives the same output: one output a lane repeated along time (pooled "
                "over time or taken at the last step, then RepeatVector or a broadcast), so no output knows "
                "which element is its own. Give one output a step (return_sequences=True, no pooling)")


@fails
def mixing_the_sample_missed(c):
    """At a big shape, lanes nudged whole move each other, but no slot nudged alone does."""
    if not c.probed.all():
        return ("lanes move each other when each is nudged whole, but no slot nudged alone moved another lane: "
                "what mixes them is where this sample did not look. Check a shape of "
                f"{SLOTS_ONE_BY_ONE} slots or fewer, where every slot is nudged alone")


@passes
def reads_its_whole_lane(c):
    """Each output reads its own lane only, every step of it, later ones too: ok, with a note
    (a bidirectional model)."""
    if _reads_own_and_previous(c) and c.in_lane("later") == c.possible:
        return ("each output reads every step of its own lane, later ones too: a bidirectional model does (a "
                "forecast must not), and so do outputs that are not one a step (a last-step output whose size "
                "equals the time steps, from a model that takes no input one step longer to tell)")


@passes
def reads_its_lane_and_later_steps(c):
    """Each output reads its own lane only, its own step and the one before, and some read
    later steps: ok, with a note."""
    if _reads_own_and_previous(c) and c.in_lane("later") > 0:
        return (f"each output reads its own lane only: its own step and the one before; {c.in_lane('later')} "
                "read later steps too (a bidirectional model does; a forecast must not)")


@passes
def one_output_reads_its_lane(c):
    """One output a lane (at its last step), which reads its own lane only: its last step and
    the one before at least: ok."""
    if not c.per_step and _reads_own_and_previous(c):
        read = int(c.depends[0, :, 0, 0].sum())
        return (f"each lane's one output reads its own lane only: its last step and the one before (lane 0's reads "
                f"{read} of its {c.depends.shape[1]} steps)")


@passes
def reads_its_lane_up_to_its_step(c):
    """Each output reads its own lane only: its own step, the one before, and no later one: ok."""
    if _reads_own_and_previous(c):
        return "each output reads its own lane only: its own step, the one before, and no later one"


@fails
def no_memory(c):
    """Each lane alone, but no output reads another step of its lane."""
    if not c.in_lane("earlier") and not c.in_lane("later"):
        return ("no output reads an earlier step: the model has no memory along time (a layer "
                "applied step by step, or an RNN whose time axis is not this one)")


@fails
def reads_time_backwards(c):
    """Each lane alone, outputs read later steps and no earlier one."""
    if not c.in_lane("earlier"):
        return (f"outputs read later steps of their lane ({c.in_lane('later')} pairs) and no earlier one: the "
                "model reads time backwards (go_backwards=True, or a flip of the time axis), so no output knows "
                "the element before it. Run it forwards")


@fails
def outputs_late(c):
    """Each lane alone, no output reads its own step, only earlier ones (one output a lane: not
    its last step)."""
    if not c.own[c.scored].any() and not c.per_step:
        return ("each lane's one output reads earlier steps of its lane but not its last: it is taken before the "
                "end (out[:, 0] where out[:, -1] belongs), so it knows no element of the target at the end. Take the "
                "last step's output")
    if not c.own[c.scored].any():
        return ("no output reads its own step, only earlier ones: the outputs are late against the inputs (a "
                "shift by a step or more, in the model or in what it returns), so none knows its own element. "
                "Line each output up with its step")


@fails
def out_of_step(c):
    """Each lane alone, some outputs miss their own step, and some read a later step."""
    if _own_missed(c)[0] > 0 and c.in_lane("later") > 0:
        return (f"{_own_missed_text(c)}: outputs and inputs are out of step along time, as when a model runs time "
                "backwards (go_backwards=True, or a flip) and its outputs are not flipped back")


@fails
def misses_its_own_step(c):
    """Each lane alone, some outputs miss their own step, and none reads a later one."""
    if _own_missed(c)[0] > 0:
        return (f"{_own_missed_text(c)}, and none reads a later one; this check knows no cause for that pattern "
                "(units that do not answer every input, such as ReLU or max, can do it)")


@fails
def misses_the_step_before(c):
    """The last of check_model's list: each lane alone, every output reads its own step, but
    some miss the step before (or the model is at chance): said as counts, no cause guessed."""
    unread = _unread_previous(c)
    return (f"{int(unread.sum())} of {int(c.scored[:, c.after_first].sum())} outputs do not read their own "
            f"lane's previous step (at steps {_steps_text(c, unread)}; {c.in_lane('earlier')} pairs read earlier steps)"
            + (f", so no model can do much better than the current element alone (best accuracy "
               f"{c.best['accuracy']:.4f}, against {c.chance['accuracy']:.4f})" if at_chance(c) else "")
            + "; this check knows no cause for that pattern")


MODEL = (nothing_moved, reads_the_batch_first, walks_time_along_the_batch, batch_statistics,
         both_ways_along_the_batch, viewed_as_time_batch, mixes_lanes, same_output_along_time,
         mixing_the_sample_missed, reads_its_whole_lane, reads_its_lane_and_later_steps,
         one_output_reads_its_lane, reads_its_lane_up_to_its_step, no_memory, reads_time_backwards, outputs_late,
         out_of_step, misses_its_own_step, misses_the_step_before)
