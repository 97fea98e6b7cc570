"""Calls model.train() at the end whatever mode the model came in.

fails: test_evaluate_restores_the_previous_mode
hint: whatever the mode was
"""


def evaluate(model, loader, loss_fn):
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=1) == targets).sum().item()
            count += len(targets)
    model.train()
    return total / count, correct / count
