"""Updates the parameters in place while autograd is recording.

fails: test_sgd_step_matches_one_torch_optim_sgd_step, test_sgd_step_trains_a_model_like_torch_optim_sgd
hint: torch.no_grad()
"""


def sgd_step(params, lr):
    for p in params:
        if p.grad is not None:
            p -= lr * p.grad
