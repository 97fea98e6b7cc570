"""Sets p.grad = None after updating each parameter "to be tidy": the numbers are right, but the step also does
zero_grad's work, which torch.optim.SGD's step never does (a caller accumulating gradients, or reading them after
the step, loses them).

fails: test_sgd_step_matches_one_torch_optim_sgd_step
hint: zero_grad's job
"""


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
                p.grad = None
