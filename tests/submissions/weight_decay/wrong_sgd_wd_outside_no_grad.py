"""Updates the parameters in place while autograd is recording.

fails: test_sgd_step_with_weight_decay_matches_one_torch_optim_sgd_step
hint: torch.no_grad()
"""


def sgd_step_with_weight_decay(params, lr, weight_decay):
    for p in params:
        if p.grad is not None:
            p -= lr * (p.grad + weight_decay * p)
