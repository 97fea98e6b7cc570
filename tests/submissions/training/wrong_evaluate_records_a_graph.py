"""Switches to eval mode but forgets torch.no_grad(): autograd records a graph for nothing.

fails: test_evaluate_runs_in_eval_mode_under_no_grad
hint: no_grad
"""


def evaluate(model, loader, loss_fn):
    was_training = model.training
    model.eval()
    total, correct, count = 0.0, 0, 0
    for inputs, targets in loader:
        outputs = model(inputs)
        total += loss_fn(outputs, targets).item() * len(targets)
        correct += (outputs.argmax(dim=1) == targets).sum().item()
        count += len(targets)
    model.train(was_training)
    return total / count, correct / count
