"""Never calls model.train(): after a validation pass the model trains in eval mode, without dropout.

fails: test_train_epoch_puts_the_model_in_train_mode
hint: model.train()
"""


def train_epoch(model, loader, loss_fn, optimizer):
    total, count = 0.0, 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
        count += len(targets)
    return total / count
