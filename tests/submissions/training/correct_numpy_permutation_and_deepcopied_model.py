"""Correct in another style: a NumPy permutation returned as tensors, enumerate-based loops, a patience
counter kept as 'epochs since best', a deep copy of the whole model, three GELU layers."""

import copy

import numpy as np
import torch
from torch import nn


def split_indices(n, fractions, seed):
    counts = np.floor(np.array(fractions) * n).astype(int)
    for k in range(n - counts.sum()):
        counts[k % len(counts)] += 1
    permutation = torch.from_numpy(np.random.default_rng(seed).permutation(n))
    ends = np.cumsum(counts)
    return permutation[:ends[0]], permutation[ends[0]:ends[1]], permutation[ends[1]:ends[2]]


def train_epoch(model, loader, loss_fn, optimizer):
    model.train(True)
    weighted = []
    for _, (inputs, labels) in enumerate(loader):
        optimizer.zero_grad()
        batch_loss = loss_fn(model(inputs), labels)
        batch_loss.backward()
        optimizer.step()
        weighted.append((batch_loss.item(), len(labels)))
    return sum(loss * size for loss, size in weighted) / sum(size for _, size in weighted)


def evaluate(model, loader, loss_fn):
    mode = model.training
    model.eval()
    try:
        with torch.no_grad():
            pairs = [(model(inputs), labels) for inputs, labels in loader]
        outputs = torch.cat([output for output, _ in pairs])
        labels = torch.cat([label for _, label in pairs])
        loss = sum(loss_fn(output, label).item() * len(label) for output, label in pairs) / len(labels)
        accuracy = (outputs.argmax(dim=-1) == labels).double().mean().item()
    finally:
        model.train(mode)
    return loss, accuracy


def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, patience):
    history = {"train_loss": [], "val_loss": []}
    best_model, best_loss, since_best = copy.deepcopy(model), float("inf"), 0
    epoch = 0
    while epoch < epochs and since_best < patience:
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer))
        history["val_loss"].append(evaluate(model, val_loader, loss_fn)[0])
        if history["val_loss"][-1] < best_loss:
            best_loss, best_model, since_best = history["val_loss"][-1], copy.deepcopy(model), 0
        else:
            since_best += 1
        epoch += 1
    model.load_state_dict(best_model.state_dict())
    return history


def build_model(in_features=2, num_classes=2):
    layers, width = [], in_features
    for _ in range(3):
        layers += [nn.Linear(width, 48), nn.GELU(), nn.Dropout(0.2)]
        width = 48
    return nn.Sequential(*layers, nn.Linear(width, num_classes))
