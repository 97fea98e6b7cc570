"""Measures without model.eval(): dropout keeps dropping units during the evaluation.

fails: test_evaluate_returns_the_mean_loss_and_the_accuracy, test_evaluate_runs_in_eval_mode_under_no_grad
hint: model.eval()
"""


def evaluate(model, loader, loss_fn):
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=1) == targets).sum().item()
            count += len(targets)
    return total / count, correct / count
