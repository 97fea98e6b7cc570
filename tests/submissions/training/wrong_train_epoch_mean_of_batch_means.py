"""Averages the batch means, so the small last batch weighs as much as a full one.

fails: test_train_epoch_returns_the_mean_loss_per_example
hint: mean of the
"""


def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    batch_losses = []
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        batch_losses.append(loss.item())
    return sum(batch_losses) / len(batch_losses)
