"""Calls zero_grad inside the loop, before every batch, so only the last batch's share is left.

fails: test_accumulate_gradients_equals_the_full_batch_gradient
hint: only the last batch
"""


def accumulate_gradients(model, loss_fn, batches):
    total = sum(len(inputs) for inputs, _ in batches)
    for inputs, targets in batches:
        zero_grad(model.parameters())
        (loss_fn(model(inputs), targets) * len(inputs) / total).backward()
