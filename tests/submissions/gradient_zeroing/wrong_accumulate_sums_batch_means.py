"""Runs backward on every batch's mean loss without weighting, adding up K batch means.

fails: test_accumulate_gradients_equals_the_full_batch_gradient, test_accumulate_gradients_weights_unequal_batches_by_their_size
hint: added up without weighting
"""


def accumulate_gradients(model, loss_fn, batches):
    zero_grad(model.parameters())
    for inputs, targets in batches:
        loss_fn(model(inputs), targets).backward()
