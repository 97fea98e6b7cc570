"""Adds up the loss tensors themselves and returns a tensor that holds every batch's graph.

fails: test_train_epoch_returns_a_python_float
hint: loss.item()
"""


def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total = total + loss * len(targets)
        count += len(targets)
    return total / count
