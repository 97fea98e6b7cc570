"""Divides each batch's mean loss by the number of batches: right for equal batches, wrong for unequal ones.

fails: test_accumulate_gradients_weights_unequal_batches_by_their_size
hint: mean of the batches' mean losses
"""


def accumulate_gradients(model, loss_fn, batches):
    zero_grad(model.parameters())
    for inputs, targets in batches:
        (loss_fn(model(inputs), targets) / len(batches)).backward()
