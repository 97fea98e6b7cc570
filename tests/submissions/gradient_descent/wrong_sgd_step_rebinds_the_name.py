"""Writes p = p - lr * p.grad, which makes a new tensor and leaves the model's parameter as it was.

fails: test_sgd_step_matches_one_torch_optim_sgd_step, test_sgd_step_trains_a_model_like_torch_optim_sgd, test_sgd_step_skips_parameters_without_a_gradient
hint: did not change
"""


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p = p - lr * p.grad
