"""Forgets the learning rate and subtracts the raw gradient.

fails: test_sgd_step_matches_one_torch_optim_sgd_step, test_sgd_step_trains_a_model_like_torch_optim_sgd
hint: ignores the learning rate
"""


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= p.grad
