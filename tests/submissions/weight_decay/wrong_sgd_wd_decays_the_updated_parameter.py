"""Takes the gradient step first, then decays the already updated parameter.

fails: test_sgd_step_with_weight_decay_matches_one_torch_optim_sgd_step, test_sgd_step_with_weight_decay_trains_a_model_like_torch_optim_sgd
hint: already updated
"""


def sgd_step_with_weight_decay(params, lr, weight_decay):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
                p -= lr * weight_decay * p
