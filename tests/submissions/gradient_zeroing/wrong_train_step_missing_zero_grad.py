"""Leaves out optimizer.zero_grad(), so every step adds its gradient to all the previous ones.

fails: test_train_step_follows_the_reference_training_loop_over_5_steps, test_train_step_discards_gradients_left_by_an_earlier_backward
hint: never cleared
"""


def train_step(model, loss_fn, optimizer, inputs, targets):
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()
