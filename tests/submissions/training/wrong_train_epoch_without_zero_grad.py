"""Never clears the gradients, so every step uses the sum of all gradients so far.

fails: test_train_epoch_updates_the_weights_like_the_reference_loop
hint: piled up
"""


def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
        count += len(targets)
    return total / count
