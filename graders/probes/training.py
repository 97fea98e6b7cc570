"""Trusted probes for the `training` graders, and the models, loaders and reference loop they share
with the judge.

The judge builds the same models from the same weights (`make_model`) to compute its references,
so a probe only needs plain data: a model kind, a state dict of CPU tensors, the data, a device and
a dtype name. Every probe reports plain numbers and tensors; a student's exception is reported as
data.
"""

from __future__ import annotations

from collections.abc import Mapping

import math
import numbers
import operator
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import graders.probes.recorder as recorder
from graders.probes.core import exception_report, missing

# What the library-call recorder names random_split when it runs, however the student reached it.
RANDOM_SPLIT = "torch.utils.data.dataset:random_split"


# ---------------------------------------------------------------- models the judge and the probes share

class Recorder(nn.Module):
    """The identity, noting for every forward pass whether the model was in training mode and
    whether autograd was recording."""

    def __init__(self):
        super().__init__()
        self.log = []

    def forward(self, x):
        self.log.append([bool(self.training), bool(torch.is_grad_enabled())])
        return x


def make_model(kind: str, state: dict, device="cpu", dtype=torch.float32) -> nn.Sequential:
    """`mlp`: Linear-Tanh-Linear, deterministic; `mlp_dropout`: Linear-ReLU-Dropout(0.5)-Linear.
    Both end with a Recorder; the sizes come from `state`."""
    hidden, features = state["0.weight"].shape
    classes = state["2.weight"].shape[0] if kind == "mlp" else state["3.weight"].shape[0]
    if kind == "mlp":
        layers = [nn.Linear(features, hidden), nn.Tanh(), nn.Linear(hidden, classes)]
    elif kind == "mlp_dropout":
        layers = [nn.Linear(features, hidden), nn.ReLU(), nn.Dropout(0.5), nn.Linear(hidden, classes)]
    else:
        raise ValueError(f"unknown model kind {kind!r}")
    model = nn.Sequential(*layers, Recorder())
    model.load_state_dict(state)
    return model.to(device=device, dtype=dtype)


def recorder_of(model) -> Recorder:
    return model[-1]


def loader(inputs, targets, batch_size, device="cpu", dtype=torch.float32, shuffle=False, generator=None):
    dataset = TensorDataset(inputs.to(device=device, dtype=dtype), targets.to(device))
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def dtype_named(name: str) -> torch.dtype:
    return {"torch.float32": torch.float32, "torch.float64": torch.float64}[name]


def number(value):
    """A student's number as (float or None, the kind it came as, whether it held an autograd graph)."""
    if isinstance(value, bool):
        return None, "bool", False
    if isinstance(value, numbers.Real):  # int, float, and NumPy's scalars
        return float(value), "number", False
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return None, f"tensor of shape {tuple(value.shape)}", False
        return float(value.detach().cpu().reshape(()).item()), "tensor", bool(value.requires_grad)
    return None, type(value).__name__, False


def weights_of(model) -> dict:
    return {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()}


# ---------------------------------------------------------------- split_indices

def _indices(part):
    if isinstance(part, torch.Tensor):
        if part.dim() != 1 or part.is_floating_point() or part.dtype == torch.bool:
            raise TypeError(f"a tensor of dtype {part.dtype} and shape {tuple(part.shape)} is not a list of indices")
        return part.detach().cpu().to(torch.int64)
    return torch.tensor([operator.index(item) for item in part], dtype=torch.int64)


def split(namespace, calls, *, shuffle_global_rng=True):
    """Call `split_indices(n, fractions, seed)` for each [n, fractions, seed] of `calls`; report the
    three parts of each as int64 tensors. Between calls the global generator is moved on, so a
    split that depends on it rather than on `seed` shows."""
    if missing(namespace, "split_indices"):
        return {"missing": "split_indices"}
    results = []
    for n, fractions, seed in calls:
        if shuffle_global_rng:
            torch.rand(7)
        entry = {"raised": None, "parts": None, "problem": None, "used_random_split": False, "where": {}}
        library = recorder.Calls()
        try:
            with recorder.recording_library_calls() as library:
                returned = namespace["split_indices"](n, list(fractions), seed)
        except Exception as error:  # noqa: BLE001
            entry["raised"] = exception_report(error)
        entry["used_random_split"] = RANDOM_SPLIT in library
        if RANDOM_SPLIT in library.where:
            entry["where"]["torch.utils.data.random_split"] = library.where[RANDOM_SPLIT]
        if entry["raised"]:
            results.append(entry)
            continue
        try:
            parts = list(returned)
            if len(parts) != 3:
                raise TypeError(f"{len(parts)} parts came back, not 3 (train, val, test)")
            entry["parts"] = [_indices(part) for part in parts]
        except Exception as error:  # noqa: BLE001 - what came back is not three sequences of indices
            entry["problem"] = f"{type(returned).__name__} returned: {error}"
        results.append(entry)
    return {"missing": None, "results": results}


# ---------------------------------------------------------------- train_epoch and evaluate

def train_epoch(namespace, *, kind, state, inputs, targets, batch_size, lr, device="cpu", dtype="torch.float32",
                start_training=False):
    """Run the student's train_epoch on `make_model(kind, state)` with SGD(lr, momentum 0.9) and
    cross-entropy, the model starting in train mode or not as `start_training` says."""
    if missing(namespace, "train_epoch"):
        return {"missing": "train_epoch"}
    dtype = dtype_named(dtype)
    model = make_model(kind, state, device, dtype)
    model.train(start_training)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    data = loader(inputs, targets, batch_size, device, dtype)
    try:
        returned = namespace["train_epoch"](model, data, nn.CrossEntropyLoss(), optimizer)
    except Exception as error:  # noqa: BLE001
        return {"missing": None, "raised": exception_report(error)}
    value, kind_of, graph = number(returned)
    return {"missing": None, "raised": None, "value": value, "type": kind_of, "holds_graph": graph,
            "weights": weights_of(model), "forwards": recorder_of(model).log, "training_after": model.training}


def evaluate(namespace, *, kind, state, inputs, targets, batch_size, device="cpu", dtype="torch.float32",
             start_training=True):
    """Run the student's evaluate on `make_model(kind, state)` with cross-entropy."""
    if missing(namespace, "evaluate"):
        return {"missing": "evaluate"}
    dtype = dtype_named(dtype)
    model = make_model(kind, state, device, dtype)
    model.train(start_training)
    data = loader(inputs, targets, batch_size, device, dtype)
    try:
        returned = namespace["evaluate"](model, data, nn.CrossEntropyLoss())
    except Exception as error:  # noqa: BLE001
        return {"missing": None, "raised": exception_report(error)}
    report = {"missing": None, "raised": None, "forwards": recorder_of(model).log, "training_after": model.training,
              "modes_after": sorted({bool(module.training) for module in model.modules()}),
              "gradients": any(parameter.grad is not None for parameter in model.parameters())}
    try:
        loss, accuracy = returned
    except Exception:  # noqa: BLE001 - not a pair
        report.update(pair=False, returned=type(returned).__name__)
        return report
    report["pair"] = True
    report["loss"], report["loss_type"], _ = number(loss)
    report["accuracy"], report["accuracy_type"], _ = number(accuracy)
    return report


# ---------------------------------------------------------------- fit, driven by a scripted optimizer

class ScriptedModel(nn.Module):
    """One parameter theta; the output is input * theta, so the loss below is theta**2 for inputs of ones."""

    def __init__(self, theta):
        super().__init__()
        self.theta = nn.Parameter(torch.tensor([float(theta)]))

    def forward(self, x):
        return x * self.theta


def squared_output(output, target):
    """The loss fit receives: the mean square of the output (the targets play no part)."""
    return (output ** 2).mean()


class ScriptedOptimizer(torch.optim.Optimizer):
    """An optimizer whose k-th step sets theta to thetas[k], whatever the gradient: with one batch
    per epoch, the validation loss of epoch k is thetas[k] ** 2, exactly as scripted."""

    def __init__(self, params, thetas):
        super().__init__(params, {})
        self.thetas = list(thetas)
        self.steps = 0

    @torch.no_grad()
    def step(self, closure=None):
        value = self.thetas[min(self.steps, len(self.thetas) - 1)]
        for group in self.param_groups:
            for parameter in group["params"]:
                parameter.fill_(value)
        self.steps += 1


def fit(namespace, *, theta0, thetas, epochs, patience, device="cpu"):
    """Run the student's fit on a ScriptedModel: the training loader holds one batch of 4 ones, the
    validation loader 6 ones in batches of 4 and 2; report the history, the number of optimizer
    steps (the epochs really trained) and theta after fit."""
    if missing(namespace, "fit"):
        return {"missing": "fit"}
    model = ScriptedModel(theta0).to(device)
    optimizer = ScriptedOptimizer(model.parameters(), thetas)
    train_data = loader(torch.ones(4, 2), torch.zeros(4, dtype=torch.int64), 4, device)
    val_data = loader(torch.ones(6, 2), torch.zeros(6, dtype=torch.int64), 4, device)
    try:
        history = namespace["fit"](model, train_data, val_data, squared_output, optimizer, epochs, patience)
    except Exception as error:  # noqa: BLE001
        return {"missing": None, "raised": exception_report(error), "steps": optimizer.steps}
    report = {"missing": None, "raised": None, "steps": optimizer.steps, "theta": float(model.theta.detach().cpu()),
              "history_type": type(history).__name__, "history_is_mapping": isinstance(history, Mapping),
              "keys": [], "series": {}}
    if isinstance(history, Mapping):  # a dict, or any mapping (defaultdict, OrderedDict, a TypedDict's dict)
        report["keys"] = [str(key) for key in list(history)[:50]]
        for key in ("train_loss", "val_loss"):
            values = history.get(key)
            try:
                report["series"][key] = [number(value)[0] for value in list(values)[:1000]]
            except TypeError:
                report["series"][key] = None
    return report


# ---------------------------------------------------------------- build_model

def inspect_model(namespace, *, in_features, num_classes, default_arguments=False, batch=64, seed=0):
    """Build the student's model and report what it is and how it behaves: the output's shape, and
    whether two passes of the same input differ in train mode and in eval mode."""
    if missing(namespace, "build_model"):
        return {"missing": "build_model"}
    torch.manual_seed(seed)
    try:
        model = namespace["build_model"]() if default_arguments else namespace["build_model"](in_features, num_classes)
    except Exception as error:  # noqa: BLE001
        return {"missing": None, "raised": exception_report(error)}
    report = {"missing": None, "raised": None, "is_module": isinstance(model, nn.Module)}
    if not report["is_module"]:
        report["type"] = type(model).__name__
        return report
    report["parameters"] = sum(parameter.numel() for parameter in model.parameters())
    x = torch.randn(batch, in_features)
    try:
        with torch.no_grad():
            model.train()
            first, second = model(x), model(x)
            model.eval()
            third, fourth = model(x), model(x)
    except Exception as error:  # noqa: BLE001
        report["forward_raised"] = exception_report(error)
        return report
    report["forward_raised"] = None
    report["output_type"] = type(first).__name__
    if isinstance(first, torch.Tensor):
        report["output_shape"] = list(first.shape)
        report["train_passes_differ"] = not torch.equal(first, second)
        report["eval_passes_differ"] = not torch.equal(third, fourth)
    return report


def reference_fit(model, train_inputs, train_targets, val_inputs, val_targets, *, epochs, batch_size, lr,
                  weight_decay, seed):
    """The graders' own training loop: AdamW with weight decay, cross-entropy, shuffled mini-batches,
    and the weights of the epoch with the lowest validation loss kept at the end."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    best_loss, best_weights = math.inf, weights_of(model)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(train_inputs), generator=generator)
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss_fn(model(train_inputs[batch]), train_targets[batch]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_loss = loss_fn(model(val_inputs), val_targets).item()
        if val_loss < best_loss:
            best_loss, best_weights = val_loss, weights_of(model)
    model.load_state_dict(best_weights)
    model.eval()


def capstone(namespace, *, train_inputs, train_targets, val_inputs, val_targets, test_inputs, epochs, batch_size,
             lr, weight_decay, seed):
    """Build the student's model, train it with `reference_fit` on one CPU thread, and return its
    predicted classes for `test_inputs` (the judge keeps their labels) and the training time."""
    if missing(namespace, "build_model"):
        return {"missing": "build_model"}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small networks train fastest, and reproducibly, on one thread
    try:
        torch.manual_seed(seed)
        try:
            model = namespace["build_model"](train_inputs.shape[1], int(train_targets.max()) + 1)
        except Exception as error:  # noqa: BLE001
            return {"missing": None, "raised": exception_report(error), "stage": "building the model"}
        if not isinstance(model, nn.Module):
            return {"missing": None, "raised": None, "is_module": False, "type": type(model).__name__}
        started = time.perf_counter()
        try:
            reference_fit(model, train_inputs, train_targets, val_inputs, val_targets, epochs=epochs,
                          batch_size=batch_size, lr=lr, weight_decay=weight_decay, seed=seed)
            seconds = time.perf_counter() - started
            with torch.no_grad():
                logits = model(test_inputs)
        except Exception as error:  # noqa: BLE001
            return {"missing": None, "raised": exception_report(error), "stage": "training the model"}
        classes = int(train_targets.max()) + 1
        if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (len(test_inputs), classes):
            return {"missing": None, "raised": None, "is_module": True, "predictions": None,
                    "output": f"{type(logits).__name__} of shape {tuple(getattr(logits, 'shape', ()))}"}
        return {"missing": None, "raised": None, "is_module": True, "seconds": seconds,
                "predictions": logits.argmax(dim=1).cpu()}
    finally:
        torch.set_num_threads(threads)
