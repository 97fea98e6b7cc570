"""zero_grad detaches and zeroes like Optimizer.zero_grad; train_step clears through model.zero_grad();
accumulate_gradients backpropagates each batch's summed loss and divides the gradients by the count at the end."""

import torch


def zero_grad(params, set_to_none=True):
    for param in params:
        if param.grad is not None:
            if set_to_none:
                param.grad = None
            else:
                if param.grad.grad_fn is not None:
                    param.grad.detach_()
                else:
                    param.grad.requires_grad_(False)
                param.grad.zero_()


def train_step(model, loss_fn, optimizer, inputs, targets):
    model.zero_grad()
    predictions = model(inputs)
    loss = loss_fn(predictions, targets)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def accumulate_gradients(model, loss_fn, batches):
    for param in model.parameters():
        param.grad = None
    count = 0
    for inputs, targets in batches:
        (loss_fn(model(inputs), targets) * inputs.shape[0]).backward()
        count += inputs.shape[0]
    with torch.no_grad():
        for param in model.parameters():
            if param.grad is not None:
                param.grad /= count
