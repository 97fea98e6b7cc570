"""Reports the loss recomputed after optimizer.step(), "to show the progress of the step".

fails: test_train_step_returns_the_loss_before_the_update_as_a_python_float, test_train_step_follows_the_reference_training_loop_over_5_steps
hint: after the update
"""


def train_step(model, loss_fn, optimizer, inputs, targets):
    optimizer.zero_grad()
    loss_fn(model(inputs), targets).backward()
    optimizer.step()
    with torch.no_grad():
        return loss_fn(model(inputs), targets).item()
