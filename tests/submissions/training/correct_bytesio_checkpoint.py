"""Correct in another style: the split takes its cut points from itertools.accumulate over sizes found with
divmod-free floors, and draws the permutation with torch.randperm from a seeded Generator; the epoch keeps a
small dataclass running mean; evaluate is a helper decorated with @torch.no_grad(); fit checkpoints the best
weights the way one saves them to disk, torch.save(model.state_dict(), ...) into an io.BytesIO buffer, and
torch.load()s them back at the end; the model is an nn.Sequential built from a collections.OrderedDict."""

import io
import itertools
import math
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn


def split_indices(n, fractions, seed):
    sizes = [math.floor(n * fraction) for fraction in fractions]
    for position in range(n - sum(sizes)):
        sizes[position % len(sizes)] += 1
    generator = torch.Generator()
    generator.manual_seed(seed)
    order = torch.randperm(n, generator=generator).tolist()
    ends = list(itertools.accumulate(sizes))
    starts = [0] + ends[:-1]
    train, val, test = (order[start:end] for start, end in zip(starts, ends))
    return train, val, test


@dataclass
class RunningMean:
    total: float = 0.0
    count: int = 0

    def add(self, mean_value: float, count: int) -> None:
        self.total += mean_value * count
        self.count += count

    @property
    def value(self) -> float:
        return self.total / self.count


def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    meter = RunningMean()
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        meter.add(loss.item(), len(targets))
    return meter.value


@torch.no_grad()
def _measure(model, loader, loss_fn):
    loss_meter, hits = RunningMean(), 0
    for inputs, targets in loader:
        outputs = model(inputs)
        loss_meter.add(loss_fn(outputs, targets).item(), len(targets))
        hits += int((outputs.argmax(dim=1) == targets).sum())
    return loss_meter.value, hits / loss_meter.count


def evaluate(model, loader, loss_fn):
    was_training = model.training
    model.eval()
    try:
        return _measure(model, loader, loss_fn)
    finally:
        model.train(was_training)


def _checkpoint(model):
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer


def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, patience):
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    best_loss, bad_epochs = math.inf, 0
    checkpoint = _checkpoint(model)
    for _ in range(epochs):
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer))
        val_loss, val_accuracy = evaluate(model, val_loader, loss_fn)
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_accuracy)
        if val_loss < best_loss:
            best_loss, bad_epochs = val_loss, 0
            checkpoint = _checkpoint(model)
        else:
            bad_epochs += 1
            if bad_epochs >= patience:
                break
    checkpoint.seek(0)
    model.load_state_dict(torch.load(checkpoint))
    return history


def build_model(in_features=2, num_classes=2):
    return nn.Sequential(OrderedDict([
        ("hidden1", nn.Linear(in_features, 64)), ("act1", nn.ReLU()), ("drop1", nn.Dropout(0.1)),
        ("hidden2", nn.Linear(64, 64)), ("act2", nn.ReLU()), ("drop2", nn.Dropout(0.1)),
        ("logits", nn.Linear(64, num_classes)),
    ]))
