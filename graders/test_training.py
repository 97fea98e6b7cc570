"""Graders for the `training` assignment: split_indices, train_epoch, evaluate, fit and build_model.

References are computed here, in the judge: `random_split` for the sizes of a split, and the
reference training loop (written below with torch.optim.SGD and nn.CrossEntropyLoss) run on the
same initial weights and the same batches as the student's code, for train_epoch and evaluate.

`fit` is driven by a script: the probe gives it a one-parameter model and an optimizer whose k-th
step sets the parameter to a value chosen here, so the validation loss of every epoch, and hence
the epoch at which early stopping must fire and the weights it must restore, are known exactly.

The capstone trains the learner's `build_model()` with the graders' own loop (graders/probes/training.
reference_fit: AdamW, lr 0.01, weight decay 0.01, batches of 100, 60 epochs, best validation
weights kept), not with the learner's `fit`, so that a bug in `fit` is charged to `fit` alone. The
spirals are drawn here with a seed of the graders' (from --seed), never the learner's; the probe
returns predicted classes for the test points, and the accuracy is computed here, where the test
labels stay. Required: at least 90% on 1000 fresh points, training within 20 s on one CPU thread.
With the reference solution and three other correct styles the accuracy is about 0.99, so the
verdict has a wide margin; a linear model reaches about 0.68.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from torch import nn
from torch.utils.data import random_split

from graders.checks import expect_no_forbidden_builtin, forbidden_uses, points, probe
from graders.checks.compare import expect_close, fail, mismatch
from graders.probes.training import loader, make_model, weights_of
from graders.probes import training as training_probes

# Imported once, before the first submission, by the zygote and a batch's judges (runner.libraries):
# torch.optim's step imports torch._dynamo; the notebook plots with matplotlib.
LIBRARIES = ("torch._dynamo", "matplotlib.pyplot")

# References bound when this module is imported, before any submission is loaded.
RANDOM_SPLIT = random_split
SGD = torch.optim.SGD
CROSS_ENTROPY = nn.CrossEntropyLoss

FRACTIONS = (0.7, 0.15, 0.15)
SPLIT_CASES = {
    "1000_examples": (1000, FRACTIONS),
    "11_examples": (11, FRACTIONS),
    "25_examples": (25, (0.5, 0.3, 0.2)),
    "7_examples": (7, (0.6, 0.2, 0.2)),
    "103_examples": (103, (0.8, 0.1, 0.1)),
}
LEARNING_RATE = 0.1
TARGET_ACCURACY = 0.90
TIME_BUDGET = 20.0  # seconds of training, measured by the probe
CAPSTONE = {"epochs": 60, "batch_size": 100, "lr": 0.01, "weight_decay": 0.01}


def seed_from(rng) -> int:
    return int(torch.randint(0, 2**31 - 1, (1,), generator=rng))


def close(value, expected, dtype=torch.float64, device="cpu") -> bool:
    return value is not None and mismatch(torch.tensor([value], dtype=dtype), torch.tensor([expected], dtype=dtype),
                                          device) is None


# ---------------------------------------------------------------- split_indices

def random_split_sizes(n, fractions):
    return [len(part) for part in RANDOM_SPLIT(range(n), list(fractions), generator=torch.Generator().manual_seed(0))]


def size_mistakes(n, fractions):
    floors = [math.floor(n * f) for f in fractions]
    left = n - sum(floors)
    return {
        "each size was rounded to the nearest integer; random_split rounds down, then hands out the remainder.":
            [round(n * f) for f in fractions],
        "the examples left over after rounding down were not handed out: they belong one each to the first parts.":
            floors,
        "the examples left over went to the last part (test); random_split gives them one each to the first parts, "
        "starting with the training set.": floors[:-1] + [floors[-1] + left],
        "all the examples left over went to the training set; random_split gives them one each to the first parts "
        "(round-robin).": [floors[0] + left] + floors[1:],
    }


def run_split(submission, calls, what):
    report = probe(submission, training_probes.split, what=what, calls=[[n, list(f), s] for n, f, s in calls])
    return report["results"]


def parts_of(entry, what):
    if entry["raised"]:
        fail(f"{what} raised {entry['raised']['message']}")
    if entry["problem"]:
        fail(f"{what} must return three lists of indices (train, val, test): {entry['problem']}")
    return entry["parts"]


@pytest.mark.parametrize("case", list(SPLIT_CASES), ids=list(SPLIT_CASES))
@points(2, "split_indices", kind="value")
def test_split_indices_sizes_follow_random_split(submission, case, rng):
    n, fractions = SPLIT_CASES[case]
    seed = seed_from(rng)
    what = f"split_indices({n}, {list(fractions)}, seed={seed})"
    sizes = [len(part) for part in parts_of(run_split(submission, [(n, fractions, seed)], what)[0], what)]
    expected = random_split_sizes(n, fractions)
    if sizes != expected:
        floors = [math.floor(n * f) for f in fractions]
        message = (f"{what} returned parts of sizes {sizes}; random_split makes them {expected}: floor(n * fraction) "
                   f"for each part ({floors}), then the {n - sum(floors)} example(s) left over one each to the first "
                   "parts.")
        hint = next((hint for hint, wrong in size_mistakes(n, fractions).items() if wrong == sizes), None)
        fail(message + (f"\n  Hint: {hint}" if hint else ""))


@pytest.mark.parametrize("case", list(SPLIT_CASES), ids=list(SPLIT_CASES))
@points(2, "split_indices", kind="value")
def test_split_indices_parts_are_disjoint_and_cover_every_index(submission, case, rng):
    n, fractions = SPLIT_CASES[case]
    seed = seed_from(rng)
    what = f"split_indices({n}, {list(fractions)}, seed={seed})"
    parts = parts_of(run_split(submission, [(n, fractions, seed)], what)[0], what)
    everything = torch.cat(parts)
    if everything.numel() and (everything.min() < 0 or everything.max() >= n):
        fail(f"{what} returned the index {int(everything.min() if everything.min() < 0 else everything.max())}, "
             f"outside 0 .. {n - 1}.")
    counts = torch.bincount(everything, minlength=n) if everything.numel() else torch.zeros(n, dtype=torch.int64)
    repeated, missing = (counts > 1).nonzero().flatten().tolist(), (counts == 0).nonzero().flatten().tolist()
    if repeated or missing:
        fail(f"{what}: every index 0 .. {n - 1} must appear in exactly one part. "
             + (f"Repeated: {repeated[:8]}{' ...' if len(repeated) > 8 else ''}. " if repeated else "")
             + (f"Missing: {missing[:8]}{' ...' if len(missing) > 8 else ''}." if missing else "")
             + "\n  Hint: cut one permutation of range(n) into consecutive pieces; pieces drawn separately overlap.")


@points(1, "split_indices", kind="rule")
def test_split_indices_gives_the_same_split_for_the_same_seed(submission, rng):
    n, fractions = SPLIT_CASES["1000_examples"]
    seed = seed_from(rng)
    what = f"split_indices({n}, {list(fractions)}, seed={seed})"
    calls = [(n, fractions, seed), (n, fractions, seed + 1), (n, fractions, seed)]
    first, _, again = run_split(submission, calls, what)
    first, again = parts_of(first, what), parts_of(again, what)
    for name, a, b in zip(("training", "validation", "test"), first, again):
        if not torch.equal(a.sort().values, b.sort().values):
            fail(f"{what} called twice (with other random numbers drawn in between) gave two different {name} sets; "
                 "the same seed must give the same split.\n  Hint: is the permutation drawn from PyTorch's global "
                 "generator? Draw it from your own: torch.randperm(n, generator=torch.Generator().manual_seed(seed)).")


@points(1, "split_indices", kind="rule")
def test_split_indices_gives_different_splits_for_different_seeds(submission, rng):
    n, fractions = SPLIT_CASES["1000_examples"]
    seed = seed_from(rng)
    what = f"split_indices({n}, {list(fractions)}, seed={seed})"
    calls = [(n, fractions, seed), (n, fractions, seed + 1), (n, fractions, seed + 1000)]
    results = [parts_of(entry, what) for entry in run_split(submission, calls, what)]
    trains = [parts[0].sort().values for parts in results]
    if torch.equal(trains[0], trains[1]) or torch.equal(trains[0], trains[2]):
        hint = " The training set is the first indices in order: the data was never shuffled." \
            if torch.equal(trains[0], torch.arange(len(trains[0]))) else " Is `seed` used to shuffle?"
        fail(f"split_indices({n}, {list(fractions)}, seed=...) put the same examples in the training set for seeds "
             f"{seed}, {seed + 1} and {seed + 1000}; different seeds must give different splits.\n  Hint:{hint}")


@points(1, "split_indices", kind="forbidden")
def test_split_indices_uses_no_random_split(submission, rng):
    n, fractions = SPLIT_CASES["103_examples"]
    seed = seed_from(rng)
    what = f"split_indices({n}, {list(fractions)}, seed={seed})"
    entry = run_split(submission, [(n, fractions, seed)], what)[0]
    seen = {"calls": ["torch.utils.data.random_split"] if entry["used_random_split"] else [], "where": entry["where"]}
    expect_no_forbidden_builtin("split_indices", forbidden_uses(submission, "split_indices", r"random_split", seen),
                                instead="shuffle with torch.randperm and cut the permutation into pieces.")


# ---------------------------------------------------------------- train_epoch

@dataclasses.dataclass
class Task:
    """A small classification task with a model's initial weights, all on the CPU."""

    kind: str
    state: dict
    inputs: torch.Tensor
    targets: torch.Tensor
    batch_size: int

    def probe_arguments(self, device, dtype):
        return {"kind": self.kind, "state": self.state, "inputs": self.inputs, "targets": self.targets,
                "batch_size": self.batch_size, "device": device, "dtype": str(dtype)}


def make_task(rng, kind, *, features, hidden, classes, examples, batch_size):
    last = "2" if kind == "mlp" else "3"
    state = {"0.weight": torch.randn(hidden, features, generator=rng) / math.sqrt(features),
             "0.bias": torch.randn(hidden, generator=rng) * 0.1,
             f"{last}.weight": torch.randn(classes, hidden, generator=rng) / math.sqrt(hidden),
             f"{last}.bias": torch.randn(classes, generator=rng) * 0.1}
    inputs = torch.randn(examples, features, generator=rng)
    targets = torch.randint(classes, (examples,), generator=rng)
    return Task(kind, state, inputs, targets, batch_size)


def training_task(rng):
    # 50 examples in batches of 16: 16, 16, 16 and 2, so that a mean of batch means is caught.
    return make_task(rng, "mlp", features=3, hidden=8, classes=3, examples=50, batch_size=16)


def reference_epoch(task, device, dtype, *, zero_grad=True):
    """The reference loop: the batch losses and sizes of one epoch and the weights after it."""
    model = make_model(task.kind, task.state, device, dtype)
    model.train()
    optimizer = SGD(model.parameters(), lr=LEARNING_RATE, momentum=0.9)
    loss_fn = CROSS_ENTROPY()
    losses, sizes = [], []
    for inputs, targets in loader(task.inputs, task.targets, task.batch_size, device, dtype):
        if zero_grad:
            optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        sizes.append(len(targets))
    return losses, sizes, weights_of(model)


def run_train_epoch(submission, task, device, dtype, *, start_training=False):
    what = f"train_epoch on a {task.inputs.shape[0]}-example loader in batches of {task.batch_size} on {device}"
    report = probe(submission, training_probes.train_epoch, what=what, lr=LEARNING_RATE,
                   start_training=start_training, **task.probe_arguments(device, dtype))
    if report["raised"]:
        fail(f"{what} raised {report['raised']['message']}")
    return report, what


@points(2, "train_epoch", kind="value")
def test_train_epoch_returns_the_mean_loss_per_example(submission, device, dtype, rng):
    task = training_task(rng)
    report, what = run_train_epoch(submission, task, device, dtype)
    if report["value"] is None:
        fail(f"{what} returned a {report['type']}; expected a number, the mean loss per example.")
    losses, sizes, _ = reference_epoch(task, device, dtype)
    total = sum(loss * size for loss, size in zip(losses, sizes))
    expected = total / sum(sizes)
    mistakes = {
        f"this is the mean of the {len(losses)} batch means: the last batch has only {sizes[-1]} examples, so "
        "weight each batch's loss by its size (loss.item() * len(targets)) and divide by the number of examples.":
            sum(losses) / len(losses),
        "this is the sum of the batch means: divide by the number of examples, after weighting each batch by "
        "its size.": sum(losses),
        "this is the total loss of the epoch: divide it by the number of examples.": total,
        "this is the loss of the last batch only: average over the whole epoch.": losses[-1],
    }
    hint = next((hint for hint, wrong in mistakes.items() if close(report["value"], wrong, dtype, device)), None)
    if hint is None:
        mode = [training for training, _ in report["forwards"]]
        if mode and not all(mode):
            hint = "the model was not in training mode: call model.train() first."
    if not close(report["value"], expected, dtype, device):
        fail(f"{what}: returned {report['value']:.8g}; the reference loop's mean loss per example is "
             f"{expected:.8g} (batch losses {[round(loss, 5) for loss in losses]}, batch sizes {sizes})."
             + (f"\n  Hint: {hint}" if hint else ""))


@points(2, "train_epoch", kind="value")
def test_train_epoch_updates_the_weights_like_the_reference_loop(submission, device, dtype, rng):
    task = training_task(rng)
    report, what = run_train_epoch(submission, task, device, dtype)
    _, _, expected = reference_epoch(task, device, dtype)
    _, _, accumulated = reference_epoch(task, device, dtype, zero_grad=False)
    for name, tensor in expected.items():
        got = report["weights"].get(name)
        expect_close(got, tensor, device=device,
                     what=f"{what}: the parameter {name} after one epoch (SGD, lr {LEARNING_RATE}, momentum 0.9) "
                          "differs from the reference loop's.",
                     mistakes={
                         "the weights did not change: optimizer.step() is never called, or optimizer.zero_grad() "
                         "runs between loss.backward() and optimizer.step().": task.state[name],
                         "gradients piled up from batch to batch: call optimizer.zero_grad() before every "
                         "backward pass.": accumulated[name],
                     })


@points(2, "train_epoch", kind="rule")
def test_train_epoch_puts_the_model_in_train_mode(submission, rng):
    task = training_task(rng)
    report, what = run_train_epoch(submission, task, "cpu", torch.float32, start_training=False)
    what += ", for a model that arrives in eval mode,"
    modes = [training for training, _ in report["forwards"]]
    if not modes:
        fail(f"{what} never called the model.")
    if not all(modes):
        fail(f"{what} ran {modes.count(False)} of its {len(modes)} forward passes in eval mode: dropout would not "
             "drop. Hint: call model.train() at the start of the epoch; the model may arrive in eval mode from the "
             "last validation pass.")


@points(1, "train_epoch", kind="rule")
def test_train_epoch_returns_a_python_float(submission, rng):
    task = training_task(rng)
    report, what = run_train_epoch(submission, task, "cpu", torch.float32)
    if report["type"] != "number":
        graph = (" that still holds the autograd graph of every batch" if report["holds_graph"] else "")
        fail(f"{what} returned a {report['type']}{graph}; return a Python float. Hint: accumulate loss.item(), "
             "not the loss tensor: adding tensors keeps every batch's graph alive until the end of the epoch.")


# ---------------------------------------------------------------- evaluate

def evaluation_task(rng):
    # 45 examples in batches of 20: 20, 20 and 5; the model holds a Dropout(0.5).
    return make_task(rng, "mlp_dropout", features=4, hidden=16, classes=3, examples=45, batch_size=20)


def reference_evaluation(task, device, dtype):
    """Loss per batch, batch sizes, and the number of correct predictions, in eval mode."""
    model = make_model(task.kind, task.state, device, dtype)
    model.eval()
    loss_fn = CROSS_ENTROPY()
    losses, sizes, correct = [], [], 0
    with torch.no_grad():
        for inputs, targets in loader(task.inputs, task.targets, task.batch_size, device, dtype):
            outputs = model(inputs)
            losses.append(loss_fn(outputs, targets).item())
            sizes.append(len(targets))
            correct += int((outputs.argmax(dim=1) == targets).sum())
    return losses, sizes, correct


def run_evaluate(submission, task, device, dtype, *, start_training=True):
    mode = "train" if start_training else "eval"
    what = (f"evaluate on a {task.inputs.shape[0]}-example loader in batches of {task.batch_size} on {device}, "
            f"for a model in {mode} mode,")
    report = probe(submission, training_probes.evaluate, what=what, start_training=start_training,
                   **task.probe_arguments(device, dtype))
    if report["raised"]:
        fail(f"{what} raised {report['raised']['message']}")
    if not report.get("pair"):
        fail(f"{what} returned a {report.get('returned')}; expected a pair (loss, accuracy).")
    return report, what


@points(3, "evaluate", kind="value")
def test_evaluate_returns_the_mean_loss_and_the_accuracy(submission, device, dtype, rng):
    task = evaluation_task(rng)
    report, what = run_evaluate(submission, task, device, dtype)
    for name in ("loss", "accuracy"):
        if report[name] is None:
            fail(f"{what} returned a {report[name + '_type']} as its {name}; expected a number.")
    losses, sizes, correct = reference_evaluation(task, device, dtype)
    count = sum(sizes)
    loss, accuracy = sum(value * size for value, size in zip(losses, sizes)) / count, correct / count
    dropped = any(training for training, _ in report["forwards"])
    if not close(report["loss"], loss, dtype, device):
        mistakes = {
            f"this is the mean of the {len(losses)} batch means: the last batch has only {sizes[-1]} examples; "
            "weight each batch's loss by its size.": sum(losses) / len(losses),
            "this is the total loss: divide it by the number of examples.": loss * count,
        }
        hint = next((hint for hint, wrong in mistakes.items() if close(report["loss"], wrong, dtype, device)), None)
        if hint is None and dropped:
            hint = ("the model stayed in train mode, so its Dropout(0.5) was dropping units: call model.eval() "
                    "before measuring.")
        fail(f"{what}: the loss is {report['loss']:.8g}; the mean loss per example in eval mode is {loss:.8g}."
             + (f"\n  Hint: {hint}" if hint else ""))
    if not close(report["accuracy"], accuracy, dtype, device):
        mistakes = {
            f"this is the number of correct predictions ({correct}); divide it by the number of examples ({count}).":
                float(correct),
            "this is a percentage; return a fraction between 0 and 1.": 100 * accuracy,
            "this is the error rate, the fraction of wrong predictions.": 1 - accuracy,
        }
        hint = next((hint for hint, wrong in mistakes.items() if close(report["accuracy"], wrong, dtype, device)), None)
        if hint is None and dropped:
            hint = "the model stayed in train mode, so dropout changed its predictions: call model.eval()."
        fail(f"{what}: the accuracy is {report['accuracy']!r}; expected {accuracy:.6g} ({correct} of {count} "
             "examples have their largest output at the true class)." + (f"\n  Hint: {hint}" if hint else ""))


@points(2, "evaluate", kind="rule")
def test_evaluate_runs_in_eval_mode_under_no_grad(submission, rng):
    task = evaluation_task(rng)
    report, what = run_evaluate(submission, task, "cpu", torch.float32)
    forwards = report["forwards"]
    if not forwards:
        fail(f"{what} never called the model.")
    if any(training for training, _ in forwards):
        fail(f"{what} ran forward passes in train mode, with dropout dropping units. Hint: call model.eval() before "
             "measuring (and put the previous mode back afterwards).")
    if any(grad_enabled for _, grad_enabled in forwards):
        fail(f"{what} ran forward passes with autograd recording a graph. Hint: wrap the loop in `with "
             "torch.no_grad():`; nothing is back-propagated during an evaluation.")
    if report["gradients"]:
        fail(f"{what} left gradients on the parameters: an evaluation must not call backward().")


@points(1, "evaluate", kind="rule")
def test_evaluate_restores_the_previous_mode(submission, rng):
    task = evaluation_task(rng)
    for start_training in (True, False):
        report, what = run_evaluate(submission, task, "cpu", torch.float32, start_training=start_training)
        if report["modes_after"] != [start_training]:
            after = "train" if report["training_after"] else "eval"
            hint = ("remember was_training = model.training before model.eval(), and call model.train(was_training) "
                    "at the end" + (", rather than model.train() whatever the mode was." if not start_training
                                    else "."))
            fail(f"{what} left it in {after} mode (or left some layers in another mode); it must come back in the mode "
                 f"it was in.\n  Hint: {hint}")


@points(1, "evaluate", kind="rule")
def test_evaluate_returns_python_floats(submission, rng):
    task = evaluation_task(rng)
    report, what = run_evaluate(submission, task, "cpu", torch.float32)
    kinds = {name: report[f"{name}_type"] for name in ("loss", "accuracy") if report[f"{name}_type"] != "number"}
    if kinds:
        fail(f"{what} returned {', '.join(f'its {name} as a {kind}' for name, kind in kinds.items())}; return Python "
             "floats. Hint: .item() turns a one-element tensor into a float (e.g. correct += (...).sum().item()).")


# ---------------------------------------------------------------- fit

THETA0 = 4.0
# Each script: the value of the model's one parameter after each epoch; the validation loss of an
# epoch is its square, exactly, so the epoch where early stopping fires is known.
FIT_SCRIPTS = {
    "improves_every_epoch": ([3, 2.5, 2, 1.5, 1.2, 1.0], 6, 2),
    "best_in_the_middle": ([3, 2, 2.5, 2.4, 1.5, 1.7, 1.8, 1.9, 1.0, 0.5], 10, 3),
    "falling_back_is_not_improving": ([2, 1, 1.5, 1.4, 1.3, 1.2, 1.1, 1.05], 8, 2),
    "ties_are_not_improvements": ([2, 1, -1, 3, 3, 0.5, 0.4, 0.3], 8, 2),
    "patience_of_one": ([2, 2.5, 1, 0.5, 0.4, 0.3], 6, 1),
    "epochs_run_out_after_the_best": ([3, 2, 2.5, 1.5, 1.8, 1.9], 6, 3),
}


def float32(value: float) -> float:
    """`value` as the model's float32 parameter holds it."""
    return float(torch.tensor(value, dtype=torch.float32))


def early_stopping(thetas, epochs, patience, rule="strict"):
    """(epochs run, index of the best epoch) under a stopping rule: the correct `strict` one, or a
    known mistake, for naming it."""
    best, best_index, waited, previous = math.inf, None, 0, math.inf
    for epoch in range(epochs):
        loss = thetas[epoch] ** 2
        better = {"strict": loss < best, "not_strict": loss <= best, "previous": loss < previous,
                  "off_by_one": loss < best, "never": loss < best}[rule]
        if rule == "previous":
            if loss < best:
                best, best_index = loss, epoch
            waited = 0 if better else waited + 1
        elif better:
            best, best_index, waited = loss, epoch, 0
        else:
            waited += 1
        previous = loss
        limit = patience + 1 if rule == "off_by_one" else patience
        if rule != "never" and waited >= limit:
            return epoch + 1, best_index
    return epochs, best_index


STOPPING_MISTAKES = {
    "not_strict": "a validation loss equal to the best one was counted as an improvement; only a strictly lower "
                  "loss is.",
    "previous": "the validation loss was compared with the previous epoch's, not with the best so far.",
    "off_by_one": "training went on one epoch too long: stop as soon as `patience` epochs in a row have not improved "
                  "(waited >= patience).",
    "never": "training never stopped early: count the epochs since the last improvement and stop when the count "
             "reaches `patience`.",
}


def run_fit(submission, script, device):
    thetas, epochs, patience = FIT_SCRIPTS[script]
    losses = [round(theta ** 2, 4) for theta in thetas]
    what = f"fit(..., epochs={epochs}, patience={patience}) on {device}, with validation losses {losses} scripted,"
    report = probe(submission, training_probes.fit, what=what, theta0=THETA0, thetas=thetas, epochs=epochs,
                   patience=patience, device=device)
    if report["raised"]:
        fail(f"{what} raised {report['raised']['message']}")
    return report, what


@pytest.mark.parametrize("script", list(FIT_SCRIPTS), ids=list(FIT_SCRIPTS))
@points(3, "fit", kind="value")
def test_fit_stops_after_patience_epochs_without_strict_improvement(submission, device, script):
    thetas, epochs, patience = FIT_SCRIPTS[script]
    report, what = run_fit(submission, script, device)
    expected, _ = early_stopping(thetas, epochs, patience)
    if report["steps"] != expected:
        hints = [hint for rule, hint in STOPPING_MISTAKES.items()
                 if early_stopping(thetas, epochs, patience, rule)[0] == report["steps"]]
        fail(f"{what} trained {report['steps']} epoch(s) (optimizer steps, one batch per epoch); it should stop after "
             f"{expected}." + (f"\n  Hint: {' Or: '.join(hints)}" if hints else ""))


@pytest.mark.parametrize("script", [name for name in FIT_SCRIPTS if name != "improves_every_epoch"])
@points(3, "fit", kind="value")
def test_fit_restores_the_weights_of_the_best_epoch(submission, device, script):
    thetas, epochs, patience = FIT_SCRIPTS[script]
    report, what = run_fit(submission, script, device)
    steps = report["steps"]
    if steps == 0:
        fail(f"{what} never stepped the optimizer: it trained no epoch.")
    run = [float32(theta) for theta in thetas[:steps]]
    best = min(range(len(run)), key=lambda epoch: run[epoch] ** 2)
    if float32(report["theta"]) != run[best]:
        known = {run[-1]: "the weights are those of the last epoch: either nothing was restored, or the saved copy "
                          "was model.state_dict() itself, whose tensors are the live weights that later steps "
                          "change. Save copy.deepcopy(model.state_dict()) and load it back at the end.",
                 float32(THETA0): "the weights from before training came back: was the saved copy never updated "
                                  "when the validation loss improved?"}
        later_ties = [theta for theta in run[best + 1:] if theta ** 2 == run[best] ** 2]
        for theta in later_ties:
            known.setdefault(theta, "a later epoch with an equal validation loss replaced the best weights: only a "
                                    "strictly lower loss is an improvement.")
        hint = known.get(float32(report["theta"]))
        fail(f"{what}: after fit the model's parameter is {report['theta']:.4g}; the lowest validation loss "
             f"({run[best] ** 2:.4g}) came after epoch {best + 1}, whose parameter was {run[best]:.4g}."
             + (f"\n  Hint: {hint}" if hint else ""))


@points(2, "fit", kind="value")
def test_fit_records_the_training_and_validation_loss_of_every_epoch(submission, device):
    script = "best_in_the_middle"
    thetas, epochs, patience = FIT_SCRIPTS[script]
    report, what = run_fit(submission, script, device)
    if not report["history_is_mapping"]:
        fail(f"{what} returned a {report['history_type']}; expected a dict (or another mapping) with (at least) the "
             "keys 'train_loss' and 'val_loss'.")
    steps = report["steps"]
    if steps == 0:
        fail(f"{what} never stepped the optimizer: it trained no epoch.")
    before = [THETA0] + thetas
    expected = {"train_loss": [before[epoch] ** 2 for epoch in range(steps)],
                "val_loss": [thetas[epoch] ** 2 for epoch in range(steps)]}
    for key, values in expected.items():
        got = report["series"].get(key)
        if key not in report["keys"] or got is None:
            fail(f"{what}: the history has the keys {report['keys']}; it needs '{key}', a list with one number per "
                 "epoch.")
        if len(got) != steps:
            fail(f"{what}: history['{key}'] holds {len(got)} value(s) for the {steps} epoch(s) trained; record one per "
                 "epoch.")
        if any(value is None for value in got):
            fail(f"{what}: history['{key}'] holds something other than numbers.")
        if key == "train_loss":
            hint = ("history['train_loss'] holds the losses measured after each epoch (here equal to the validation "
                    "losses): record what train_epoch returns, the mean loss during the epoch.")
        else:
            hint = "history['val_loss'] holds the training losses: are the two lists swapped?"
        other = expected["val_loss" if key == "train_loss" else "train_loss"]
        expect_close(torch.tensor(got, dtype=torch.float32), torch.tensor(values, dtype=torch.float32),
                     what=f"{what}: history['{key}'] differs from the losses of the epochs trained.",
                     mistakes={hint: torch.tensor(other, dtype=torch.float32)})


# ---------------------------------------------------------------- build_model

def make_spirals(n, generator, noise=0.05, turns=1.5):
    """The course's synthetic data: two interleaving spirals, one class each, blurred by Gaussian noise."""
    labels = torch.randint(2, (n,), generator=generator)
    t = torch.rand(n, generator=generator, dtype=torch.float64).sqrt() * turns * 2 * math.pi
    radius, angle = t / (turns * 2 * math.pi), t + math.pi * labels
    points = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    points = points + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return (2 * points).float(), labels


@pytest.mark.parametrize("sizes", [None, (5, 3)], ids=["defaults", "5_features_3_classes"])
@points(2, "build_model", kind="value")
def test_build_model_returns_a_network_with_active_dropout(submission, sizes, rng):
    in_features, num_classes = sizes or (2, 2)
    what = "build_model()" if sizes is None else f"build_model({in_features}, {num_classes})"
    report = probe(submission, training_probes.inspect_model, what=what, in_features=in_features,
                   num_classes=num_classes, default_arguments=sizes is None, seed=seed_from(rng))
    if report["raised"]:
        fail(f"{what} raised {report['raised']['message']}")
    if not report["is_module"]:
        fail(f"{what} returned a {report['type']}; expected an nn.Module (for instance an nn.Sequential).")
    if report["forward_raised"]:
        fail(f"{what} applied to a batch of shape (64, {in_features}) raised {report['forward_raised']['message']}\n"
             "  Hint: use in_features and num_classes for the first and last layers rather than fixed sizes.")
    if report.get("output_shape") != [64, num_classes]:
        shape = report.get("output_shape") or report["output_type"]
        fail(f"{what} applied to a batch of shape (64, {in_features}) returned {shape}; expected logits of shape "
             f"(64, {num_classes}).\n  Hint: use in_features and num_classes for the first and last layers rather "
             "than fixed sizes.")
    if not report["train_passes_differ"]:
        fail(f"{what}: in train mode two passes of the same batch gave the same output, so nothing in the network is "
             "dropped at random. Hint: put dropout (nn.Dropout) between the hidden layers.")
    if report["eval_passes_differ"]:
        fail(f"{what}: in eval mode two passes of the same batch gave different outputs; after model.eval() the "
             "network must be deterministic (nn.Dropout switches itself off in eval mode).")


@points(4, "build_model", kind="value")
def test_build_model_reaches_90_percent_accuracy_on_held_out_spirals(submission, rng):
    data = torch.Generator().manual_seed(seed_from(rng))
    inputs, labels = make_spirals(850, data)
    test_inputs, test_labels = make_spirals(1000, data)
    what = ("build_model(), trained by the graders' loop (AdamW, lr 0.01, weight decay 0.01, batches of 100, "
            "60 epochs) on 700 spirals points,")
    report = probe(submission, training_probes.capstone, what=what, timeout=120, train_inputs=inputs[:700],
                   train_targets=labels[:700], val_inputs=inputs[700:], val_targets=labels[700:],
                   test_inputs=test_inputs, seed=seed_from(rng), **CAPSTONE)
    if report["raised"]:
        fail(f"{what} raised {report['raised']['message']} while {report['stage']}.")
    if not report["is_module"]:
        fail(f"{what}: build_model returned a {report['type']}; expected an nn.Module.")
    if report["predictions"] is None:
        fail(f"{what}: the trained model returned {report['output']} for 1000 test points; expected logits of shape "
             "(1000, 2).")
    if report["seconds"] > TIME_BUDGET:
        fail(f"{what} took {report['seconds']:.1f} s to train; the budget is {TIME_BUDGET:.0f} s. Hint: a few thousand "
             "parameters are plenty for two spirals; a much larger network is slow and gains nothing here.")
    accuracy = (report["predictions"] == test_labels).double().mean().item()
    if accuracy < TARGET_ACCURACY:
        hint = ("\n  Hint: that is about what a straight line can do: is there a nonlinear activation (nn.ReLU, "
                "nn.Tanh) between the linear layers?" if accuracy < 0.75 else
                "\n  Hint: is the network wide and deep enough (two hidden layers of 32 to 128 units), and the "
                "dropout rate moderate (0.1 to 0.3)? Is there a softmax or ReLU after the last layer? It must output "
                "raw logits.")
        fail(f"{what} classified {accuracy:.1%} of 1000 fresh test points correctly; at least "
             f"{TARGET_ACCURACY:.0%} is required.{hint}")
