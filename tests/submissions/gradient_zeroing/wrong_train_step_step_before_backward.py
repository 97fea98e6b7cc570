"""Calls optimizer.step() before loss.backward().

fails: test_train_step_follows_the_reference_training_loop_over_5_steps
hint: optimizer.step() ran before loss.backward()
"""


def train_step(model, loss_fn, optimizer, inputs, targets):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    optimizer.step()
    loss.backward()
    return loss.item()
