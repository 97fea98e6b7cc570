"""Calls detach_() so that the in-place update is allowed, which turns off requires_grad for good.

fails: test_sgd_step_keeps_the_same_leaf_tensors_and_builds_no_graph, test_sgd_step_trains_a_model_like_torch_optim_sgd
hint: no longer requires grad
"""


def sgd_step(params, lr):
    for p in params:
        if p.grad is not None:
            p.detach_()
            p.sub_(lr * p.grad)
