"""Puts fresh leaf tensors into the list instead of updating the ones the model holds.

fails: test_sgd_step_matches_one_torch_optim_sgd_step, test_sgd_step_trains_a_model_like_torch_optim_sgd, test_sgd_step_keeps_the_same_leaf_tensors_and_builds_no_graph
hint: did not change
"""


def sgd_step(params, lr):
    for i, p in enumerate(params):
        if p.grad is not None:
            params[i] = (p - lr * p.grad).detach().requires_grad_(True)
