"""Clears the gradients after the update instead of before the backward pass, so the first step uses whatever was
left in .grad.

fails: test_train_step_discards_gradients_left_by_an_earlier_backward
hint: before the first step
"""


def train_step(model, loss_fn, optimizer, inputs, targets):
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()
