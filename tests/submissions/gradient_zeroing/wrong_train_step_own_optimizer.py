"""Ignores the optimizer it is given and builds a fresh SGD(lr=0.01) every step, losing the learning rate and
the momentum.

fails: test_train_step_follows_the_reference_training_loop_over_5_steps
"""


def train_step(model, loss_fn, optimizer, inputs, targets):
    own = torch.optim.SGD(model.parameters(), lr=0.01)
    own.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    own.step()
    return loss.item()
