"""`shendu lab rnn-vs-lstm`: a vanilla RNN, an LSTM and a GRU asked to recall the first symbol of a
sequence after a growing number of distractors: accuracy by length, and the gradient through time."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shendu.lab import plots, report
from shendu.lab.engines import Engine
from shendu.lab.stats import count_text, fmt, pct

TITLE = "RNN, LSTM and GRU: remembering across a growing distance"
QUESTION = (
    "Source 001 says a vanilla RNN suffers from vanishing gradients and struggles with long-term dependencies, "
    "which the LSTM's memory cell and gates (input, forget, output) solve, and asks to analyse why the gradient "
    "vanishes and to compare RNN with LSTM; source 000 builds both with `nn.RNN` and `nn.LSTM`. This experiment "
    "gives each network (`shendu.models.sequence`, one recurrent layer read at its last step, then a Linear) a "
    "recall task: the first step shows one of a few symbols with a "
    "marker, every later step a random distractor symbol, and after the last step the network must name the first "
    "symbol. The distance (the sequence length) is swept; each network trains from the same seeded start on the "
    "same batches for a fixed budget of steps (stopping early once solved), and is tested on held-out sequences. "
    "It also measures the gradient of the loss with respect to each hidden state h_t, from the last step back to "
    "the first, at initialisation and after training. The gated cells start with chrono initialisation (Tallec "
    "& Ollivier, 2018: the LSTM's forget-gate bias log(u), u ~ U(1, T_max - 1), its input-gate bias the "
    "opposite, so each unit starts out keeping its memory for up to T_max steps; the GRU's update gate the same "
    "way, by analogy). With torch's default biases (the setting `gate_init = \"torch\"`) they learn long "
    "distances much more slowly."
)
CELLS = ("rnn", "lstm", "gru")
NAMES = {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
HELD = 0.9  # "holds": held-out accuracy at least this in every seed


@dataclass
class Settings:
    """Sizes of the rnn-vs-lstm experiment (defaults: about 2 minutes on 2 cores)."""

    lengths: list[int] = field(default_factory=lambda: [10, 20, 40, 80])
    symbols: int = 4
    hidden_size: int = 32
    batch_size: int = 32
    lr: float = 0.01
    max_steps: int = 500
    solved: float = 0.98
    window: int = 20
    gate_init: str = "chrono"
    test_size: int = 500
    curve_every: int = 5


QUICK = Settings(lengths=[3, 8], hidden_size=8, max_steps=10, window=5, test_size=50)


# -- the task ---------------------------------------------------------------------------------------


def recall_batch(rng: np.random.Generator, batch: int, length: int, symbols: int) -> tuple[np.ndarray, np.ndarray]:
    """Sequences ``(batch, length, symbols + 1)`` and their labels ``(batch,)``: step 0 is the one-hot
    symbol to recall with the marker channel (the last) set; steps 1.. are one-hot random distractors."""
    labels = rng.integers(0, symbols, batch)
    distractors = rng.integers(0, symbols, (batch, length))
    distractors[:, 0] = labels
    x = np.zeros((batch, length, symbols + 1), np.float32)
    x[np.arange(batch)[:, None], np.arange(length)[None, :], distractors] = 1.0
    x[:, 0, symbols] = 1.0
    return x, labels.astype(np.int64)


# -- the models ---------------------------------------------------------------------------------------


def sequence_net(engine: Engine, cell: str, input_size: int, hidden_size: int, num_outputs: int) -> Any:
    """`shendu.models.sequence.SequenceNet` on torch, its twin `shendu.scratch.zoo_sequence` on scratch."""
    if engine.name == "torch":
        from shendu.models.sequence import SequenceNet
    else:
        from shendu.scratch.zoo_sequence import SequenceNet
    return SequenceNet(cell, input_size, hidden_size, num_outputs)


def sequence_init(rng: np.random.Generator, cell: str, input_size: int, hidden_size: int, num_outputs: int,
                  chrono_max: int | None = None) -> dict[str, np.ndarray]:
    """Weights for :func:`sequence_net` drawn as torch draws them (every recurrent weight and bias, and the
    Linear's, U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))) but from ``rng``: both engines start alike.

    With ``chrono_max`` = T_max, the gates get chrono initialisation (Tallec & Ollivier, "Can recurrent neural
    networks warp time?", ICLR 2018): an LSTM's forget-gate bias b_f = log(u), u ~ U(1, T_max - 1), and its
    input-gate bias -b_f (torch's gate rows: i, f, g, o); a GRU's update-gate bias (rows r, z, n; h' = (1 - z) n
    + z h, so z is its keep gate) the same b_f. The biases sit in ``bias_hh``, ``bias_ih``'s are zero there."""
    rows, bound = GATES[cell] * hidden_size, 1.0 / np.sqrt(hidden_size)
    shapes = {"rnn.weight_ih_l0": (rows, input_size), "rnn.weight_hh_l0": (rows, hidden_size),
              "rnn.bias_ih_l0": (rows,), "rnn.bias_hh_l0": (rows,), "fc.weight": (num_outputs, hidden_size),
              "fc.bias": (num_outputs,)}
    state = {name: rng.uniform(-bound, bound, shape).astype(np.float32) for name, shape in shapes.items()}
    if chrono_max is not None and cell in ("lstm", "gru"):
        keep = np.log(rng.uniform(1.0, chrono_max - 1.0, hidden_size)).astype(np.float32)
        gate = slice(hidden_size, 2 * hidden_size)  # LSTM: f; GRU: z
        state["rnn.bias_ih_l0"][gate], state["rnn.bias_hh_l0"][gate] = 0.0, keep
        if cell == "lstm":
            state["rnn.bias_ih_l0"][:hidden_size], state["rnn.bias_hh_l0"][:hidden_size] = 0.0, -keep
    return state


def gradient_through_time(engine: Engine, model: Any, x: np.ndarray, y: np.ndarray) -> list[float]:
    """``||d loss / d h_t||`` for t = 1..T (mean over the batch): the total derivative through every later step.

    The recurrent layer runs one step at a time; a zero tensor that requires grad is added to each hidden state
    before it goes on (to the next step, or to the Linear after the last), so its gradient is the loss's
    gradient with respect to that state."""
    batch, steps, _ = x.shape
    hidden = model.fc.weight.shape[1]
    state, probes = None, []
    for t in range(steps):
        _, state = model.rnn(engine.tensor(x[:, t:t + 1]), state)  # h_n: (1, B, H)
        probe = engine.tensor(np.zeros((batch, hidden), np.float32), requires_grad=True)
        probes.append(probe)
        if isinstance(state, tuple):  # LSTM: (h, c); the probe goes on h
            h = state[0][0] + probe
            state = (h.unsqueeze(0), state[1])
        else:
            h = state[0] + probe
            state = h.unsqueeze(0)
    loss = engine.F.cross_entropy(model.fc(h), engine.tensor(y))
    loss.backward()
    return [float(np.linalg.norm(engine.numpy(p.grad), axis=1).mean()) for p in probes]


def accuracy(engine: Engine, model: Any, x: np.ndarray, y: np.ndarray) -> float:
    with engine.lib.no_grad():
        return float((engine.numpy(model(engine.tensor(x))).argmax(axis=1) == y).mean())


def train(engine: Engine, model: Any, settings: Settings, length: int, seed: int) -> dict[str, Any]:
    """Adam on fresh batches (the same for every cell in a seed) until solved (the last ``window``
    batches' mean training accuracy >= ``solved``) or ``max_steps``; the loss every ``curve_every`` steps."""
    rng = np.random.default_rng([seed, length, 1])
    optimizer = engine.optim.Adam(model.parameters(), lr=settings.lr)
    targets, losses, curve, solved_at = [], [], [], None
    for step in range(1, settings.max_steps + 1):
        x, y = recall_batch(rng, settings.batch_size, length, settings.symbols)
        logits = model(engine.tensor(x))
        loss = engine.F.cross_entropy(logits, engine.tensor(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        targets.append(float((engine.numpy(logits.detach()).argmax(axis=1) == y).mean()))
        losses.append(float(loss.item()))
        if step % settings.curve_every == 0:
            curve.append(float(np.mean(losses[-settings.curve_every:])))
        if step >= settings.window and np.mean(targets[-settings.window:]) >= settings.solved:
            solved_at = step
            break
    return {"loss": curve, "steps_to_solve": solved_at}


# -- one seed -----------------------------------------------------------------------------------------


def run_seed(settings: Settings, engine: Engine, seed: int) -> dict[str, Any]:
    """Every cell at every length from the same start and batches; the gradient through time at the longest."""
    inputs = settings.symbols + 1
    out: dict[str, Any] = {"chance": 1.0 / settings.symbols, "lengths": [float(n) for n in settings.lengths],
                           "solved": settings.solved, "curve_every": settings.curve_every}
    for cell in CELLS:
        chrono = max(settings.lengths) if settings.gate_init == "chrono" else None
        start = sequence_init(np.random.default_rng([seed, 0]), cell, inputs, settings.hidden_size, settings.symbols,
                              chrono)
        runs: dict[str, Any] = {}
        for length in settings.lengths:
            model = engine.load(sequence_net(engine, cell, inputs, settings.hidden_size, settings.symbols), start)
            x_test, y_test = recall_batch(np.random.default_rng([length, 2]), settings.test_size, length,
                                          settings.symbols)
            if length == settings.lengths[-1]:
                probe_x, probe_y = x_test[:64], y_test[:64]
                runs["grad_at_init"] = gradient_through_time(engine, model, probe_x, probe_y)
            history = train(engine, model, settings, length, seed)
            runs[f"length {length}"] = {"accuracy": accuracy(engine, model, x_test, y_test), **history}
            if length == settings.lengths[-1]:
                runs["grad_trained"] = gradient_through_time(engine, model, probe_x, probe_y)
        runs["accuracy_by_length"] = [runs[f"length {n}"]["accuracy"] for n in settings.lengths]
        out[cell] = runs
    return out


# -- conclusions ------------------------------------------------------------------------------------------


def _ratio(curve: list[float | None]) -> float | None:
    """How much smaller the gradient reaching h_1 is than the one at h_T."""
    first, last = curve[0], curve[-1]
    return None if not first or not last else first / last


def conclude(results: dict[str, Any]) -> list[str]:
    """Where the RNN falls to chance and what the gated cells hold there; the gradient through time."""
    lengths = [int(n) for n in results["lengths"]["mean"]]
    chance = results["chance"]["mean"]
    cells = [cell for cell in CELLS if cell in results]
    acc = {cell: dict(zip(lengths, results[cell]["accuracy_by_length"]["mean"], strict=True)) for cell in cells}
    near_chance = chance + 0.1
    fallen = next((n for n in lengths if acc["rnn"][n] is not None and acc["rnn"][n] < near_chance), None)
    if fallen is None:
        first = (f"The vanilla RNN stayed above chance ({chance:.0%}) at every length up to {lengths[-1]}: "
                 f"{pct(results['rnn'][f'length {lengths[-1]}']['accuracy'])} held-out accuracy at {lengths[-1]}; "
                 + ", ".join(f"the {NAMES[c]} {pct(results[c][f'length {lengths[-1]}']['accuracy'])}"
                             for c in cells if c != "rnn") + ".")
    else:
        shorter = [n for n in lengths if n < fallen]
        held = (f" (it had {pct(results['rnn'][f'length {shorter[-1]}']['accuracy'])} at length {shorter[-1]})"
                if shorter else "")
        gated = [f"the {NAMES[c]} {pct(results[c][f'length {fallen}']['accuracy'])}" for c in cells if c != "rnn"]
        first = (f"At length {fallen} the vanilla RNN falls to chance: "
                 f"{pct(results['rnn'][f'length {fallen}']['accuracy'])} held-out accuracy, within 10 points of the "
                 f"{chance:.0%} a guess gets{held}; at the same length the "
                 + " and ".join(gated).removeprefix("the ") + ".")
    reach = []
    for cell in cells:
        longest = 0
        for n in lengths:  # the longest length up to which every seed holds HELD at this and every shorter one
            worst = results[cell][f"length {n}"]["accuracy"]["min"]
            if worst is None or worst < HELD:
                break
            longest = n
        reach.append(f"the {NAMES[cell]} " + (f"up to length {longest}" if longest else "at no length"))
    first_held = (f"At least {HELD:.0%} held-out accuracy in every seed: " + ", ".join(reach) + ".")
    budget = []
    for cell in cells:
        leaf = results[cell][f"length {lengths[-1]}"]["steps_to_solve"]
        budget.append(f"the {NAMES[cell]} " + (f"after {fmt(leaf)} steps ({count_text(leaf)})" if leaf["n"]
                                               else "never"))
    second = (f"At the longest length, {lengths[-1]}, training was solved (the last batches >= "
              f"{results['solved']['mean']:.0%} right) by " + ", ".join(budget) + ".")
    init = {cell: _ratio(results[cell]["grad_at_init"]["mean"]) for cell in cells}
    trained = {cell: _ratio(results[cell]["grad_trained"]["mean"]) for cell in cells}
    worst = min((c for c in cells if init[c] is not None), key=lambda c: init[c], default=None)

    def shown(value: float | None) -> str:
        return "—" if value is None else f"{value:.2g}"

    third = (f"Through time: at initialisation, the gradient of the loss that reaches h_1 from the last of "
             f"{lengths[-1]} steps, relative to the one at h_{lengths[-1]}, is "
             + ", ".join(f"{shown(init[c])} for the {NAMES[c]}" for c in cells)
             + (f": it vanishes fastest in the {NAMES[worst]}" if worst else "")
             + "; after training: " + ", ".join(f"{shown(trained[c])} ({NAMES[c]})" for c in cells) + ".")
    return [first, first_held, second, third]


# -- report ---------------------------------------------------------------------------------------------


def render(results: dict[str, Any], settings: Settings) -> list[str]:
    lengths = [int(n) for n in results["lengths"]["mean"]]
    cells = [cell for cell in CELLS if cell in results]
    rows = [(n, *(pct(results[c][f"length {n}"]["accuracy"]) for c in cells),
             *(f"{fmt(results[c][f'length {n}']['steps_to_solve'])} ({count_text(results[c][f'length {n}']['steps_to_solve'])})"
               for c in cells)) for n in lengths]
    header = ("length", *(f"{NAMES[c]} accuracy" for c in cells), *(f"{NAMES[c]} steps to solve" for c in cells))
    grads = [(NAMES[c], shown_ratio(results[c]["grad_at_init"]["mean"]), shown_ratio(results[c]["grad_trained"]["mean"]))
             for c in cells]
    return [
        f"## Recall after a distance ({settings.symbols} symbols, chance {1 / settings.symbols:.0%}; hidden "
        f"{settings.hidden_size}, Adam lr {settings.lr:g}, batch {settings.batch_size}, at most "
        f"{settings.max_steps} steps; held-out accuracy on {settings.test_size} sequences)", "",
        *report.table(header, rows), "",
        *report.picture("accuracy.png", "held-out accuracy by length"),
        f"## The gradient through time (length {lengths[-1]}: ||d loss / d h_t||, mean over 64 sequences)", "",
        *report.table(("network", "h_1 / h_T at initialisation", "h_1 / h_T after training"), grads), "",
        *report.picture("gradient_through_time.png", "gradient norm through time"),
        *report.picture("training.png", "training loss at the longest length"),
    ]


def shown_ratio(curve: list[float | None]) -> str:
    ratio = _ratio(curve)
    return "—" if ratio is None else f"{ratio:.2g}"


def plot(results: dict[str, Any], folder: Path) -> list[str]:
    lengths = [int(n) for n in results["lengths"]["mean"]]
    cells = [cell for cell in CELLS if cell in results]
    fig, axes = plots.figure(1, 1, 5.0, 3.4)
    ax = axes[0, 0]
    for cell in cells:
        plots.band(ax, results[cell]["accuracy_by_length"], NAMES[cell], x=lengths, marker="o")
    ax.axhline(results["chance"]["mean"], color="grey", linestyle=":", linewidth=1, label="chance")
    plots.finish(ax, "held-out accuracy by distance", "sequence length", "accuracy", xscale="log")
    ax.set_xticks(lengths, [str(n) for n in lengths])
    ax.minorticks_off()
    pictures = [plots.save(fig, folder, "accuracy.png")]
    fig, axes = plots.figure(1, 2, 4.4, 3.4)
    for cell in cells:
        steps = len(results[cell]["grad_at_init"]["mean"])
        plots.band(axes[0, 0], results[cell]["grad_at_init"], NAMES[cell], x=np.arange(1, steps + 1))
        plots.band(axes[0, 1], results[cell]["grad_trained"], NAMES[cell], x=np.arange(1, steps + 1))
    plots.finish(axes[0, 0], "at initialisation", "step t", "||d loss / d h_t||", yscale="log")
    plots.finish(axes[0, 1], "after training", "step t", "||d loss / d h_t||", legend=False, yscale="log")
    pictures.append(plots.save(fig, folder, "gradient_through_time.png"))
    fig, axes = plots.figure(1, 1, 5.0, 3.4)
    longest = f"length {lengths[-1]}"
    every = results["curve_every"]["mean"]
    for cell in cells:
        curve = results[cell][longest]["loss"]
        plots.band(axes[0, 0], curve, NAMES[cell], x=np.arange(1, len(curve["mean"]) + 1) * every)
    plots.finish(axes[0, 0], f"training loss at length {lengths[-1]}", "step", "cross-entropy")
    pictures.append(plots.save(fig, folder, "training.png"))
    return pictures
