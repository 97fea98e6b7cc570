"""Weights the batches correctly but never clears the gradients that were in .grad before the call.

fails: test_accumulate_gradients_replaces_gradients_already_there
hint: already in .grad
"""


def accumulate_gradients(model, loss_fn, batches):
    total = sum(len(inputs) for inputs, _ in batches)
    for inputs, targets in batches:
        (loss_fn(model(inputs), targets) * len(inputs) / total).backward()
