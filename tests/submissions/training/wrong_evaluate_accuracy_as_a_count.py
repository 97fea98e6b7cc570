"""Returns the number of correct predictions as the accuracy.

fails: test_evaluate_returns_the_mean_loss_and_the_accuracy
hint: number of correct predictions
"""


def evaluate(model, loader, loss_fn):
    was_training = model.training
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=1) == targets).sum().item()
            count += len(targets)
    model.train(was_training)
    return total / count, float(correct)
