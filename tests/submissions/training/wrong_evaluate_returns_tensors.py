"""Counts correct predictions with tensors and returns the accuracy as a tensor.

fails: test_evaluate_returns_python_floats
hint: .item()
"""


def evaluate(model, loader, loss_fn):
    was_training = model.training
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=1) == targets).sum()
            count += len(targets)
    model.train(was_training)
    return total / count, correct / count
