"""lanes on PyTorch's own objects: the forms of lanes_examples.py that PyTorch users have.

    python tests/torch_forms.py        # in an environment with torch and numpy (no TensorFlow needed)

PyTorch is no dependency of this project, so the test suite runs these only where torch
imports (tests/test_lanes.py), and lanes_examples.py stands in for them without it. Each
form gives a check that must not be ok and one that must, with a phrase its verdict must
hold (a check that must refuse its input gives a Refused, its ValueError's message the
verdict); the script prints every verdict, then times check_model on nn.LSTM (median of 3),
and exits 1 if any is wrong. docs/compatibility.md says where it was run.
"""
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import lanes  # noqa: E402  (from the project folder)

SERIES = np.arange(1000)


@dataclass
class Refused:
    """What a check gave instead of a result: not ok, its verdict the ValueError it raised (or,
    for a check that must be ok, what it got wrong), read as main() and tests/test_lanes.py read a result."""

    verdict: str
    ok: bool = False

    def __str__(self):
        return f"refused: {self.verdict}"


def data_loader():
    """DataLoader(TensorDataset(x, y)) yields [x, y] lists. Windows batched side by side, for a
    model that feeds its hidden state back in, against one stretch a lane (batchify)."""
    windows = torch.from_numpy(SERIES[:-1].reshape(-1, 37))  # 27 windows of 37
    nexts = torch.from_numpy(SERIES[1:].reshape(-1, 37))  # each step's next element
    stretches = torch.from_numpy(SERIES[:996].reshape(4, 249))  # one stretch a lane

    def chunks():  # what a loop over stretches[:, i:i + 37] with targets one later yields
        for i in range(0, 248 - 37, 37):
            yield [stretches[:, i:i + 37], stretches[:, i + 1:i + 38]]

    return (lanes.check_batches(DataLoader(TensorDataset(windows, nexts), batch_size=3), stateful=True),
            lanes.check_batches(chunks(), stateful=True), "neighbouring lanes")


def pad_sequence():
    """Sequences of different lengths, padded by a collate_fn with pad_sequence: by default it
    stacks them (time, batch), which a batch_first model reads lane by lane across time."""
    lengths = [5, 3, 6, 4, 7, 2, 5, 4]
    ends = np.cumsum(lengths)
    sequences = [torch.from_numpy(SERIES[end - n:end]) for n, end in zip(lengths, ends, strict=True)]

    def padded(batch_first):
        return DataLoader(sequences, batch_size=4, collate_fn=lambda batch: nn.utils.rnn.pad_sequence(
            batch, batch_first=batch_first))

    return (lanes.check_batches(padded(False), stateful=False), lanes.check_batches(padded(True), stateful=False),
            "pad_sequence without batch_first=True")


class Recurrent(nn.Module):
    """ids -> Embedding -> LSTM, or features -> LSTM, then BatchNorm1d over the units."""

    def __init__(self, batch_first, ids=False, norm=False):
        super().__init__()
        self.embed = nn.Embedding(65, 8) if ids else None
        self.lstm = nn.LSTM(8 if ids else 1, 16, batch_first=batch_first)
        self.norm = nn.BatchNorm1d(16) if norm else None

    def forward(self, x):
        if self.embed is not None:
            x = self.embed(x.long())  # the char-RNN's cast: ids must be whole and 0 or more
        out, _ = self.lstm(x)
        if self.norm is not None:  # BatchNorm1d takes (batch, channels, time)
            out = self.norm(out.transpose(1, 2)).transpose(1, 2)
        return out


def batch_norm():
    """BatchNorm1d in .train() mixes the lanes through the batch's statistics; .eval() does not."""
    torch.manual_seed(0)
    net = Recurrent(batch_first=True, norm=True)
    training = lanes.check_model(net.train(), (3, 4, 1))
    return training, lanes.check_model(net.eval(), (3, 4, 1)), "statistics over the whole batch"


def char_rnn():
    """An Embedding char-RNN that casts with .long(), fed (batch, time) ids: batch_first=False
    (the default) walks time along the batch; batch_first=True is right."""
    torch.manual_seed(0)
    return (lanes.check_model(Recurrent(batch_first=False, ids=True), (3, 4)),
            lanes.check_model(Recurrent(batch_first=True, ids=True), (3, 4)), "batch_first=True")


def lstm_as_it_is():
    """nn.LSTM passed as it is: it returns (output, (h, c)), and its output is read."""
    torch.manual_seed(0)
    return (lanes.check_model(nn.LSTM(1, 8, batch_first=False), (3, 4, 1)),
            lanes.check_model(nn.LSTM(1, 8, batch_first=True), (3, 4, 1)), "time along your batch axis")


def transformer():
    """nn.TransformerEncoderLayer reads (time, batch, features) unless batch_first=True: in
    .eval(), fed (batch, time, features), its attention runs along the batch."""
    torch.manual_seed(0)
    return (lanes.check_model(nn.TransformerEncoderLayer(4, 2, 8).eval(), (3, 4, 4)),
            lanes.check_model(nn.TransformerEncoderLayer(4, 2, 8, batch_first=True).eval(), (3, 4, 4)),
            "a layer that reads time first")


class Backwards(nn.Module):
    """An LSTM run over the flipped time axis (go_backwards), its outputs flipped back or not."""

    def __init__(self, flip_back):
        super().__init__()
        self.lstm, self.flip_back = nn.LSTM(1, 8, batch_first=True), flip_back

    def forward(self, x):
        out, _ = self.lstm(torch.flip(x, [1]))
        return torch.flip(out, [1]) if self.flip_back else out


def backwards():
    """Run backwards, its outputs not flipped back: out of step with the inputs. A forward LSTM
    in double precision (its input is cast to its own kind of float) is right."""
    torch.manual_seed(0)
    return (lanes.check_model(Backwards(flip_back=False), (3, 6, 1)),
            lanes.check_model(nn.LSTM(1, 8, batch_first=True).double(), (3, 6, 1)), "do not read their own step")


def bfloat16():
    """A bfloat16 module, time-major fed batch-major; and batch-first (its bfloat16 outputs are read as floats)."""
    torch.manual_seed(0)
    return (lanes.check_model(nn.LSTM(1, 8).to(torch.bfloat16), (3, 4, 1)),
            lanes.check_model(nn.LSTM(1, 8, batch_first=True).to(torch.bfloat16), (3, 4, 1)),
            "time along your batch axis")


class LastStep(nn.Module):
    """A batch-first LSTM whose caller keeps one output a lane: out[:, at]."""

    def __init__(self, at):
        super().__init__()
        self.lstm, self.at = nn.LSTM(1, 8, batch_first=True), at

    def forward(self, x):
        return self.lstm(x)[0][:, self.at]


def last_step():
    """One output a lane: out[:, 0] is taken before the end (it reads the first step only);
    out[:, -1] reads the whole lane, up to its last step."""
    torch.manual_seed(0)
    return (lanes.check_model(LastStep(0), (3, 4, 1)), lanes.check_model(LastStep(-1), (3, 4, 1)),
            "taken before the end")


class State(nn.Module):
    """An RNN whose forward returns its state alone: self.rnn(x)[1], nn.GRU's h_n of shape
    (layers, batch, hidden)."""

    def __init__(self, batch_first, layers=1):
        super().__init__()
        self.rnn = nn.GRU(1, 8, num_layers=layers, batch_first=batch_first)

    def forward(self, x):
        return self.rnn(x)[1]


def gru_state():
    """nn.GRU's h_n: batch_first=True gives (1, 3 lanes, 8), one output a lane; batch_first=False
    fed (batch, time, features) gives (1, 4 steps, 8), refused for its time steps where the lanes belong."""
    torch.manual_seed(0)
    try:
        broken = lanes.check_model(State(batch_first=False), (3, 4, 1))
    except ValueError as error:
        broken = Refused(f"ValueError: {error}")
    return broken, lanes.check_model(State(batch_first=True), (3, 4, 1)), "time steps where its 3 lanes belong"


def gru_state_three_layers():
    """h_n of a 3-layer GRU at (3, 4, 1): (3 layers, 3 lanes, 8), as many layers as lanes, with
    batch_first=True; and (3 layers, 4 steps, 8) with batch_first=False, the shape of per-step outputs."""
    torch.manual_seed(0)
    try:
        fixed = lanes.check_model(State(batch_first=True, layers=3), (3, 4, 1))
    except ValueError as error:
        fixed = Refused(f"ValueError: {error}")
    return lanes.check_model(State(batch_first=False, layers=3), (3, 4, 1)), fixed, "batch_first=True"


class Dropped(nn.Module):
    """A batch-first LSTM, then nn.Dropout(0.5)."""

    def __init__(self):
        super().__init__()
        self.lstm, self.drop = nn.LSTM(1, 8, batch_first=True), nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.lstm(x)[0])


def dropout():
    """Dropout left in .train() mode draws anew at every call: refused, with net.eval(); in .eval() it is ok."""
    torch.manual_seed(0)
    net = Dropped()
    try:
        training = lanes.check_model(net.train(), (3, 4, 1))
    except ValueError as error:
        training = Refused(f"ValueError: {error}")
    return training, lanes.check_model(net.eval(), (3, 4, 1)), "net.eval()"


class Windows(Dataset):
    """pytorch-forecasting's style: __getitem__ returns (x, (y, weight)), windows of 20 with
    their targets `ahead` later; the DataLoader's collate yields [x, [y, weight]]."""

    def __init__(self, ahead):
        self.ahead = ahead

    def __len__(self):
        return 48

    def __getitem__(self, i):
        start = 20 * i
        return (torch.from_numpy(SERIES[start:start + 20]),
                (torch.from_numpy(SERIES[start + self.ahead:start + 20 + self.ahead]), torch.ones(20)))


def target_and_weight():
    """Shuffled windows whose targets are the inputs themselves, against the next elements."""
    torch.manual_seed(0)
    return (lanes.check_batches(DataLoader(Windows(0), batch_size=8, shuffle=True), stateful=False),
            lanes.check_batches(DataLoader(Windows(1), batch_size=8, shuffle=True), stateful=False),
            "its own element, not the next element")


def per_step_judged(check):
    """The check if it judged a per-step output; else a Refused saying what it judged instead."""
    return check if check.per_step else Refused(f"judged a per-sequence output where the per-step one belongs: {check}")


def lstm_three_layers():
    """nn.LSTM(num_layers=3) as it is at (3, 4, 1): batch_first=True returns h_n and c_n of (3 layers,
    3 lanes, 8), so only the per-step output must be judged; batch_first=False returns them at
    (3 layers, 4 steps, 8), the per-step output's shape, and walks time along the batch."""
    torch.manual_seed(0)
    return (lanes.check_model(nn.LSTM(1, 8, num_layers=3), (3, 4, 1)),
            per_step_judged(lanes.check_model(nn.LSTM(1, 8, num_layers=3, batch_first=True), (3, 4, 1))),
            "time along your batch axis")


FORMS = (data_loader, pad_sequence, batch_norm, char_rnn, lstm_as_it_is, transformer, backwards, bfloat16,
         last_step, gru_state, gru_state_three_layers, dropout, target_and_weight, lstm_three_layers)


def timed(shape, runs=3):
    """The median of `runs` check_model calls on nn.LSTM(8, 32, batch_first=True) as it is, each built anew."""
    took = []
    for _ in range(runs):
        torch.manual_seed(0)
        lstm = nn.LSTM(shape[2], 32, batch_first=True)
        started = time.perf_counter()
        check = lanes.check_model(lstm, shape)
        took.append(time.perf_counter() - started)
    print(f"== nn.LSTM({shape[2]}, 32, batch_first=True) at {shape}: median {statistics.median(took):.3f} s of "
          f"{', '.join(f'{t:.3f}' for t in took)}, {check.calls} calls, ok={check.ok}")
    return check.ok


def main():
    wrong = 0
    for form in FORMS:
        try:
            broken, fixed, cause = form()
        except Exception as error:  # a check that raised where the form needs a result
            wrong += 1
            print(f"== {form.__name__}: WRONG, it raised {type(error).__name__}: {error}\n")
            continue
        right = not broken.ok and cause in broken.verdict and fixed.ok
        wrong += not right
        print(f"== {form.__name__}: {'as expected' if right else 'WRONG'}\n-- broken\n{broken}\n-- fixed\n{fixed}\n")
    for shape in ((3, 4, 1), (16, 64, 8)):
        wrong += not timed(shape)
    print(f"torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}, "
          f"{torch.get_num_threads()} torch threads: {'all as expected' if not wrong else f'{wrong} WRONG'}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
