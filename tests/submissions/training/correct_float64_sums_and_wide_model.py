"""Correct in another style: losses summed with reduction='sum'-like arithmetic in float64, accuracy from
per-batch means weighted by size, ties handled by an explicit best-epoch index, a wide LeakyReLU model."""

import math

import torch
from torch import nn


def split_indices(n, fractions, seed):
    generator = torch.Generator()
    generator.manual_seed(seed)
    sizes = [int(math.floor(n * share)) for share in fractions]
    rest = n - sum(sizes)
    sizes = [size + (1 if position < rest else 0) for position, size in enumerate(sizes)]
    order = torch.randperm(n, generator=generator)
    train, val, test = torch.split(order, sizes)
    return train.tolist(), val.tolist(), test.tolist()


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
    return float(total / count)


def evaluate(model, loader, loss_fn):
    was_training = model.training
    model.train(False)
    loss_total, accuracy_total, count = 0.0, 0.0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            outputs = model(inputs)
            size = len(targets)
            loss_total += loss_fn(outputs, targets).item() * size
            accuracy_total += (outputs.argmax(1) == targets).double().mean().item() * size
            count += size
    model.train(was_training)
    return loss_total / count, accuracy_total / count


def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, patience):
    train_losses, val_losses = [], []
    best_epoch, saved = None, None
    for epoch in range(epochs):
        train_losses.append(train_epoch(model, train_loader, loss_fn, optimizer))
        val_losses.append(evaluate(model, val_loader, loss_fn)[0])
        if best_epoch is None or val_losses[-1] < val_losses[best_epoch]:
            best_epoch = epoch
            saved = {key: value.clone() for key, value in model.state_dict().items()}
        if epoch - best_epoch >= patience:
            break
    if saved is not None:
        model.load_state_dict(saved)
    return {"train_loss": train_losses, "val_loss": val_losses, "epochs": len(val_losses)}


def build_model(in_features=2, num_classes=2):
    return nn.Sequential(nn.Linear(in_features, 128), nn.LeakyReLU(), nn.Dropout(0.3),
                         nn.Linear(128, 128), nn.LeakyReLU(), nn.Dropout(0.3), nn.Linear(128, num_classes))
