"""Returns the loss tensor itself rather than a Python float.

fails: test_train_step_returns_the_loss_before_the_update_as_a_python_float
hint: loss.item()
"""


def train_step(model, loss_fn, optimizer, inputs, targets):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss
