"""accumulate_gradients concatenates the batches and runs one backward pass; zero_grad uses a list of the
parameters that have a gradient; train_step names every stage."""

import torch


def zero_grad(params, set_to_none=True):
    having = [param for param in params if param.grad is not None]
    for param in having:
        if set_to_none:
            param.grad = None
        else:
            param.grad.detach_()
            param.grad.zero_()


def train_step(model, loss_fn, optimizer, inputs, targets):
    optimizer.zero_grad(set_to_none=True)
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    loss.backward()
    optimizer.step()
    return loss.detach().cpu().item()


def accumulate_gradients(model, loss_fn, batches):
    zero_grad(model.parameters(), set_to_none=True)
    inputs = torch.cat([x for x, _ in batches])
    targets = torch.cat([y for _, y in batches])
    loss_fn(model(inputs), targets).backward()
