"""Correct in another style: the split cuts a seeded torch.randperm with torch.split and converts each piece
with tolist(); the history is a typing.TypedDict (a plain dict at run time); train_epoch and evaluate sum
per-example losses as loss * batch size in float64 tensors; fit keeps copy.deepcopy(model.state_dict()) of
the best epoch and remembers the epoch, stopping once `patience` epochs have passed since it; the model is an
nn.Sequential of Tanh layers with dropout, written with a list comprehension."""

import copy
import math
from typing import List, TypedDict

import torch
from torch import nn


class History(TypedDict):
    train_loss: List[float]
    val_loss: List[float]
    val_accuracy: List[float]


def split_indices(n, fractions, seed):
    sizes = [math.floor(n * f) for f in fractions]
    leftover = n - sum(sizes)
    sizes = [size + (1 if index < leftover else 0) for index, size in enumerate(sizes)]
    permutation = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    train, val, test = (piece.tolist() for piece in torch.split(permutation, sizes))
    return train, val, test


def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    total = torch.zeros((), dtype=torch.float64)
    count = 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.detach().double().cpu() * len(targets)
        count += len(targets)
    return float(total) / count


def evaluate(model, loader, loss_fn):
    restore = model.training
    model.eval()
    total = torch.zeros((), dtype=torch.float64)
    correct = count = 0
    with torch.no_grad():
        for inputs, targets in loader:
            scores = model(inputs)
            total += loss_fn(scores, targets).double().cpu() * len(targets)
            correct += (scores.argmax(1) == targets).sum().item()
            count += len(targets)
    model.train(restore)
    return float(total) / count, correct / count


def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, patience):
    history: History = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    best_epoch, best_loss = -1, math.inf
    best_weights = copy.deepcopy(model.state_dict())
    for epoch in range(epochs):
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer))
        loss, accuracy = evaluate(model, val_loader, loss_fn)
        history["val_loss"].append(loss)
        history["val_accuracy"].append(accuracy)
        if loss < best_loss:
            best_epoch, best_loss = epoch, loss
            best_weights = copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_weights)
    return history


def build_model(in_features=2, num_classes=2):
    widths = [in_features, 64, 64]
    layers = [module for a, b in zip(widths, widths[1:]) for module in (nn.Linear(a, b), nn.Tanh(), nn.Dropout(0.1))]
    return nn.Sequential(*layers, nn.Linear(widths[-1], num_classes))
