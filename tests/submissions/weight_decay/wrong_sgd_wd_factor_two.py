"""Adds the gradient of weight_decay * sum(p^2), 2 * weight_decay * p, to the gradient.

fails: test_sgd_step_with_weight_decay_matches_one_torch_optim_sgd_step, test_sgd_step_with_weight_decay_trains_a_model_like_torch_optim_sgd
hint: twice too strong
"""


def sgd_step_with_weight_decay(params, lr, weight_decay):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * (p.grad + 2 * weight_decay * p)
