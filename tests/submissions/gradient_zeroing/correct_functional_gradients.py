"""zero_grad multiplies in place under no_grad; train_step keeps the zeroed tensors (set_to_none=False);
accumulate_gradients collects each batch's weighted gradients with torch.autograd.grad and assigns their sum."""

import torch


def zero_grad(params, set_to_none=True):
    for param in [p for p in params if p.grad is not None]:
        if set_to_none:
            param.grad = None
            continue
        with torch.no_grad():
            param.grad.mul_(0)


def train_step(model, loss_fn, optimizer, inputs, targets):
    optimizer.zero_grad(set_to_none=False)
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    value = loss.item()
    return value


def accumulate_gradients(model, loss_fn, batches):
    params = [p for p in model.parameters() if p.requires_grad]
    total = sum(len(targets) for _, targets in batches)
    sums = [torch.zeros_like(p) for p in params]
    for inputs, targets in batches:
        weight = len(targets) / total
        grads = torch.autograd.grad(loss_fn(model(inputs), targets) * weight, params)
        sums = [s + g for s, g in zip(sums, grads)]
    for p, s in zip(params, sums):
        p.grad = s
