"""Correct in another style: the split shuffles a list with random.Random(seed).shuffle and cuts it with
itertools.islice; the epoch and the evaluation count examples with targets.size(0) and torch.eq; the history
is a collections.defaultdict(list), returned as it is (a dict subclass, as the notebook's "a history ...
history["train_loss"]" allows); fit keeps copy.deepcopy(model.state_dict()) of the best epoch and counts
the epochs since it; the model is a module of its own holding an nn.ModuleList of hidden layers with
nn.Dropout between them and SiLU activations."""

import collections
import copy
import itertools
import random

import torch
from torch import nn


def split_indices(n, fractions, seed):
    sizes = [int(n * fraction) for fraction in fractions]
    remainder = n - sum(sizes)
    for index in range(remainder):
        sizes[index] += 1
    order = list(range(n))
    random.Random(seed).shuffle(order)
    pieces = iter(order)
    return tuple(list(itertools.islice(pieces, size)) for size in sizes)


def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    loss_sum, examples = 0.0, 0
    for batch_inputs, batch_targets in loader:
        optimizer.zero_grad()
        batch_loss = loss_fn(model(batch_inputs), batch_targets)
        batch_loss.backward()
        optimizer.step()
        loss_sum += batch_loss.item() * batch_targets.size(0)
        examples += batch_targets.size(0)
    return loss_sum / examples


def evaluate(model, loader, loss_fn):
    mode = model.training
    model.eval()
    loss_sum, correct, examples = 0.0, 0, 0
    with torch.no_grad():
        for batch_inputs, batch_targets in loader:
            logits = model(batch_inputs)
            loss_sum += loss_fn(logits, batch_targets).item() * batch_targets.size(0)
            correct += torch.eq(logits.argmax(dim=-1), batch_targets).sum().item()
            examples += batch_targets.size(0)
    model.train(mode)
    return loss_sum / examples, correct / examples


def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, patience):
    history = collections.defaultdict(list)
    best_val, best_state, since_best = None, copy.deepcopy(model.state_dict()), 0
    for epoch in range(epochs):
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer))
        val_loss, val_accuracy = evaluate(model, val_loader, loss_fn)
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_accuracy)
        if best_val is None or val_loss < best_val:
            best_val, since_best = val_loss, 0
            best_state = copy.deepcopy(model.state_dict())
            history["best_epoch"] = epoch
        else:
            since_best += 1
        if since_best == patience:
            break
    model.load_state_dict(best_state)
    return history


class SpiralClassifier(nn.Module):
    def __init__(self, in_features, num_classes, widths=(64, 64), p=0.1):
        super().__init__()
        sizes = (in_features, *widths)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.activation = nn.SiLU()
        self.drop = nn.Dropout(p)
        self.head = nn.Linear(sizes[-1], num_classes)

    def forward(self, x):
        for layer in self.hidden:
            x = self.drop(self.activation(layer(x)))
        return self.head(x)


def build_model(in_features=2, num_classes=2):
    return SpiralClassifier(in_features, num_classes)
