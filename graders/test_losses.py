"""Graders for the `losses` assignment: mse_loss, logsumexp, cross_entropy and
binary_cross_entropy_with_logits, each against its PyTorch built-in."""

import pytest
import torch
import torch.nn.functional as F

from graders.checks import (points, Case, Function, check_gradient, check_inputs_unmodified, check_no_forbidden_builtin,
                            check_plain_tensor_like_input, check_rejects_unknown_reduction,
                            check_stays_on_input_device, check_value)

# References are bound when this module is imported, before any submission is loaded.
MSE = Function("mse_loss", F.mse_loss, "F.mse_loss", forbidden=r"mse_loss", differentiable=(0, 1))
LOGSUMEXP = Function("logsumexp", torch.logsumexp, "torch.logsumexp", forbidden=r"logsumexp")
CROSS_ENTROPY = Function("cross_entropy", F.cross_entropy, "F.cross_entropy",
                         forbidden=r"cross_entropy|nll_loss|softmax")
BCE = Function("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
               "F.binary_cross_entropy_with_logits", forbidden=r"binary_cross_entropy|softplus|log_?sigmoid")

REDUCTIONS = ("mean", "sum", "none")
OVERFLOW_HINT = ("exp() of a large value overflows to inf: this is the formula without the shift by the largest "
                 "value; subtract it before exponentiating (log-sum-exp: m + log(sum(exp(x - m)))).")
UNDERFLOW_HINT = ("the largest logit was subtracted, so nothing overflows, but the target's softmax probability "
                  "underflowed to 0 (its logit is far below the largest) and log(0) = -inf: the shift prevents "
                  "overflow, not underflow. Take the log-probability directly, (z_t - m) - log(sum(exp(z - m))), "
                  "never the log of a probability.")
SIGMOID_LOG_HINT = ("taking log(sigmoid(z)) or log(1 - sigmoid(z)) loses everything once |z| is large "
                    "(sigmoid rounds to exactly 0 or 1); use max(z, 0) - z*y + log1p(exp(-|z|)).")
SIGMOID_EPS_HINT = ("log(sigmoid(z) + eps) (or a clamped sigmoid) caps the loss at -log(eps) once sigmoid(z) rounds "
                    "to exactly 0 or 1 for a large |z|; use max(z, 0) - z*y + log1p(exp(-|z|)), which needs no eps.")
WHERE_GRADIENT_HINT = ("a gradient is nan where |z| is large: torch.where evaluates both branches, and the gradient of "
                       "the unused one (exp of a large number) poisons it; use the single formula "
                       "max(z, 0) - z*y + log1p(exp(-|z|)).")
SWAPPED_BRANCHES_HINT = ("the branches are swapped: the form with log1p(exp(-z)) is the stable one for z >= 0 and the "
                         "one with log1p(exp(z)) for z < 0; each overflows on the other side.")


@pytest.fixture(params=REDUCTIONS)
def reduction(request):
    return request.param


def regression_case(rng, dtype, reduction="mean", shape=(5, 3)):
    return Case((torch.randn(shape, generator=rng, dtype=dtype), torch.randn(shape, generator=rng, dtype=dtype)),
                {"reduction": reduction})


def classification_case(rng, dtype, reduction="mean", batch=5, classes=3, scale=1.0):
    logits = torch.randn(batch, classes, generator=rng, dtype=dtype) * scale
    return Case((logits, torch.randint(classes, (batch,), generator=rng)), {"reduction": reduction})


def binary_case(rng, dtype, reduction="mean", shape=(5, 3), scale=1.0):
    logits = torch.randn(shape, generator=rng, dtype=dtype) * scale
    logits = torch.where(logits == 0, torch.ones_like(logits), logits)  # BCE's gradient has a kink at 0
    return Case((logits, torch.rand(shape, generator=rng, dtype=dtype)), {"reduction": reduction})


def softened_case(rng, dtype, shape=(4, 3, 5)):
    return Case((torch.randn(shape, generator=rng, dtype=dtype) * 3,), {"dim": 1})


def reduction_mistakes(spec, reduction, count):
    """The results of the other reductions, each named as the mistake that would produce it."""
    def other(name):
        return lambda *args, **kwargs: spec.reference(*args, **{**kwargs, "reduction": name})
    if reduction == "mean":
        return {f"this is the sum of the losses, {count} times the mean: 'mean' divides the sum by "
                f"the number of {'examples' if spec is CROSS_ENTROPY else 'elements'}.": other("sum")}
    if reduction == "sum":
        return {"this is the mean of the losses: 'sum' adds them up without dividing.": other("mean")}
    return {f"a single number came back: reduction='none' returns one loss per "
            f"{'example' if spec is CROSS_ENTROPY else 'element'}; is `reduction` ignored?": other("mean"),
            "a single number came back (the sum): reduction='none' returns the unreduced losses; "
            "is `reduction` ignored?": other("sum")}


# ---------------------------------------------------------------- mse_loss

@points(2, "mse_loss", kind="value")
def test_mse_loss_matches_pytorch(submission, device, dtype, reduction, rng):
    case = regression_case(rng, dtype, reduction, shape=(4, 3, 2))
    check_value(submission, MSE, case, device, mistakes=reduction_mistakes(MSE, reduction, 24))


@points(2, "mse_loss", kind="gradient")
def test_mse_loss_gradient_matches_pytorch(submission, device, dtype, reduction, rng):
    check_gradient(submission, MSE, regression_case(rng, dtype, reduction), device, rng)


@points(1, "mse_loss", kind="rule")
def test_mse_loss_rejects_an_unknown_reduction(submission, rng):
    check_rejects_unknown_reduction(submission, MSE, regression_case(rng, torch.float32))


@points(1, "mse_loss", kind="rule")
def test_mse_loss_returns_a_plain_tensor_of_the_input_dtype_and_device(submission, device, dtype, rng):
    check_plain_tensor_like_input(submission, MSE, regression_case(rng, dtype), device, dtype)


@points(1, "mse_loss", kind="rule")
def test_mse_loss_leaves_its_inputs_unmodified(submission, rng):
    check_inputs_unmodified(submission, MSE, regression_case(rng, torch.float64, "none"))


@points(1, "mse_loss", kind="forbidden")
def test_mse_loss_uses_no_forbidden_builtin(submission, rng):
    check_no_forbidden_builtin(submission, MSE, regression_case(rng, torch.float32))


@points(1, "mse_loss", kind="rule")
def test_mse_loss_creates_no_tensor_on_another_device(submission, rng):
    check_stays_on_input_device(submission, MSE, regression_case(rng, torch.float32))


# ---------------------------------------------------------------- logsumexp

@pytest.mark.parametrize("dim", [0, 1, -1])
@points(2, "logsumexp", kind="value")
def test_logsumexp_matches_pytorch(submission, device, dtype, dim, rng):
    case = Case((torch.randn(4, 3, 5, generator=rng, dtype=dtype) * 3,), {"dim": dim})
    others = [d for d in range(3) if d != dim % 3]
    mistakes = {f"this is logsumexp over dim={d}: reduce along the `dim` you were given.":
                (lambda x, dim, d=d: torch.logsumexp(x, d)) for d in others}
    mistakes["the reduced dimension was kept (size 1): torch.logsumexp removes it (keepdim=False)."] = \
        lambda x, dim: torch.logsumexp(x, dim, keepdim=True)
    check_value(submission, LOGSUMEXP, case, device, mistakes=mistakes)


@points(2, "logsumexp", kind="gradient")
def test_logsumexp_gradient_matches_pytorch(submission, device, dtype, rng):
    check_gradient(submission, LOGSUMEXP, softened_case(rng, dtype), device, rng)


def global_shift_logsumexp(values, dim):
    peak = values.max()
    return peak + torch.log(torch.exp(values - peak).sum(dim=dim))


def naive_logsumexp(values, dim):
    return torch.log(torch.exp(values).sum(dim=dim))


@points(2, "logsumexp", kind="value")
def test_logsumexp_is_stable_for_large_inputs(submission, device, dtype, rng):
    values = torch.randn(4, 6, generator=rng, dtype=dtype) * 1000
    values[0] = -values[0].abs() - 1000  # a row where every exp() underflows to zero
    case = Case((values,), {"dim": 1})
    mistakes = {"the maximum was taken over the whole tensor: a slice far below it underflows to log(0); "
                "subtract each slice's own maximum along `dim`.": global_shift_logsumexp,
                OVERFLOW_HINT: naive_logsumexp}
    check_value(submission, LOGSUMEXP, case, device, exact=True, mistakes=mistakes)
    check_gradient(submission, LOGSUMEXP, case, device, rng, exact=True)


@points(1, "logsumexp", kind="rule")
def test_logsumexp_returns_a_plain_tensor_of_the_input_dtype_and_device(submission, device, dtype, rng):
    check_plain_tensor_like_input(submission, LOGSUMEXP, softened_case(rng, dtype), device, dtype)


@points(1, "logsumexp", kind="rule")
def test_logsumexp_leaves_its_input_unmodified(submission, rng):
    check_inputs_unmodified(submission, LOGSUMEXP, softened_case(rng, torch.float64))


@points(1, "logsumexp", kind="forbidden")
def test_logsumexp_uses_no_forbidden_builtin(submission, rng):
    check_no_forbidden_builtin(submission, LOGSUMEXP, softened_case(rng, torch.float32))


@points(1, "logsumexp", kind="rule")
def test_logsumexp_creates_no_tensor_on_another_device(submission, rng):
    check_stays_on_input_device(submission, LOGSUMEXP, softened_case(rng, torch.float32))


# ---------------------------------------------------------------- cross_entropy

def double_softmax(logits, target, reduction="mean"):
    return F.cross_entropy(torch.softmax(logits, dim=1), target, reduction=reduction)


def divided_by_all_elements(logits, target, reduction="mean"):
    return F.cross_entropy(logits, target, reduction="sum") / logits.numel()


@points(2, "cross_entropy", kind="value")
def test_cross_entropy_matches_pytorch(submission, device, dtype, reduction, rng):
    case = classification_case(rng, dtype, reduction, batch=6, classes=4)
    mistakes = reduction_mistakes(CROSS_ENTROPY, reduction, 6)
    mistakes["softmax was applied twice: cross-entropy takes raw logits and applies log-softmax itself; "
             "pass the logits, not probabilities."] = double_softmax
    if reduction == "mean":
        mistakes["the sum was divided by N*C (all logits); 'mean' averages over the N examples only."] = \
            divided_by_all_elements
    mistakes["the sign is flipped: the loss is -log p(target), so it is never negative."] = \
        lambda *args, **kwargs: -F.cross_entropy(*args, **kwargs)
    check_value(submission, CROSS_ENTROPY, case, device, mistakes=mistakes)


@points(2, "cross_entropy", kind="gradient")
def test_cross_entropy_gradient_matches_pytorch(submission, device, dtype, reduction, rng):
    check_gradient(submission, CROSS_ENTROPY, classification_case(rng, dtype, reduction, batch=7, classes=3),
                   device, rng)


def reduced(losses, reduction):
    return {"none": losses, "sum": losses.sum(), "mean": losses.mean()}[reduction]


def log_of_naive_softmax(logits, target, reduction="mean"):
    exps = torch.exp(logits)
    return reduced(-torch.log((exps / exps.sum(dim=1, keepdim=True)).gather(1, target[:, None])[:, 0]), reduction)


def naive_log_softmax(logits, target, reduction="mean"):
    log_probabilities = logits - torch.log(torch.exp(logits).sum(dim=1, keepdim=True))
    return reduced(-log_probabilities.gather(1, target[:, None])[:, 0], reduction)


def log_of_shifted_softmax(logits, target, reduction="mean"):
    exps = torch.exp(logits - logits.amax(dim=1, keepdim=True))
    return reduced(-torch.log((exps / exps.sum(dim=1, keepdim=True)).gather(1, target[:, None])[:, 0]), reduction)


@points(2, "cross_entropy", kind="value")
def test_cross_entropy_is_stable_for_large_logits(submission, device, dtype, rng):
    case = classification_case(rng, dtype, "none", batch=6, classes=5, scale=1000.0)
    mistakes = {OVERFLOW_HINT: [log_of_naive_softmax, naive_log_softmax], UNDERFLOW_HINT: log_of_shifted_softmax}
    check_value(submission, CROSS_ENTROPY, case, device, exact=True, mistakes=mistakes)
    check_gradient(submission, CROSS_ENTROPY, case, device, rng, exact=True)


@points(1, "cross_entropy", kind="value")
def test_cross_entropy_handles_a_batch_of_one(submission, device, dtype, rng):
    case = classification_case(rng, dtype, "mean", batch=1, classes=4)
    check_value(submission, CROSS_ENTROPY, case, device,
                hint="with a single example, squeezing away every dimension of size 1 also removes the batch")


@points(1, "cross_entropy", kind="rule")
def test_cross_entropy_rejects_an_unknown_reduction(submission, rng):
    check_rejects_unknown_reduction(submission, CROSS_ENTROPY, classification_case(rng, torch.float32))


@points(1, "cross_entropy", kind="rule")
def test_cross_entropy_returns_a_plain_tensor_of_the_input_dtype_and_device(submission, device, dtype, rng):
    check_plain_tensor_like_input(submission, CROSS_ENTROPY, classification_case(rng, dtype), device, dtype)


@points(1, "cross_entropy", kind="rule")
def test_cross_entropy_leaves_its_inputs_unmodified(submission, rng):
    check_inputs_unmodified(submission, CROSS_ENTROPY, classification_case(rng, torch.float64, "none"))


@points(1, "cross_entropy", kind="forbidden")
def test_cross_entropy_uses_no_forbidden_builtin(submission, rng):
    check_no_forbidden_builtin(submission, CROSS_ENTROPY, classification_case(rng, torch.float32))


@points(1, "cross_entropy", kind="rule")
def test_cross_entropy_creates_no_tensor_on_another_device(submission, rng):
    check_stays_on_input_device(submission, CROSS_ENTROPY, classification_case(rng, torch.float32))


# ---------------------------------------------------------------- binary_cross_entropy_with_logits

def swapped_targets(logits, target, reduction="mean"):
    return F.binary_cross_entropy_with_logits(logits, 1 - target, reduction=reduction)


@points(2, "binary_cross_entropy_with_logits", kind="value")
def test_binary_cross_entropy_with_logits_matches_pytorch(submission, device, dtype, reduction, rng):
    case = binary_case(rng, dtype, reduction, shape=(6, 3))
    mistakes = reduction_mistakes(BCE, reduction, 18)
    mistakes["the targets are swapped: the loss is -[y log p + (1 - y) log(1 - p)] with p = sigmoid(z)."] = \
        swapped_targets
    mistakes["the sign is flipped: binary cross-entropy is a negative log-likelihood, never negative."] = \
        lambda *args, **kwargs: -F.binary_cross_entropy_with_logits(*args, **kwargs)
    check_value(submission, BCE, case, device, mistakes=mistakes)


@points(2, "binary_cross_entropy_with_logits", kind="gradient")
def test_binary_cross_entropy_with_logits_gradient_matches_pytorch(submission, device, dtype, reduction, rng):
    check_gradient(submission, BCE, binary_case(rng, dtype, reduction, shape=(3, 7)), device, rng)


def log_of_sigmoid(eps=0.0, clamp=False):
    def loss(logits, target, reduction="mean"):
        p = torch.sigmoid(logits)
        if clamp:
            p = p.clamp(eps, 1 - eps)
            return reduced(-(target * torch.log(p) + (1 - target) * torch.log(1 - p)), reduction)
        return reduced(-(target * torch.log(p + eps) + (1 - target) * torch.log(1 - p + eps)), reduction)
    return loss


def where_branches(swapped=False):
    """Per sign, the form that is stable on that side (or, `swapped`, on the other side)."""
    def loss(logits, target, reduction="mean"):
        for_positive = logits - logits * target + torch.log1p(torch.exp(-logits))
        for_negative = -logits * target + torch.log1p(torch.exp(logits))
        chosen = (for_negative, for_positive) if swapped else (for_positive, for_negative)
        return reduced(torch.where(logits >= 0, *chosen), reduction)
    return loss


def bce_mistakes():
    epsilons = (1e-12, 1e-8, 1e-7, 1e-6, 1e-10, 1e-15, 1e-5)
    return {SIGMOID_LOG_HINT: log_of_sigmoid(), SWAPPED_BRANCHES_HINT: where_branches(swapped=True),
            WHERE_GRADIENT_HINT: where_branches(),
            SIGMOID_EPS_HINT: [log_of_sigmoid(eps, clamp) for eps in epsilons for clamp in (False, True)]}


@points(2, "binary_cross_entropy_with_logits", kind="value")
def test_binary_cross_entropy_with_logits_is_stable_for_large_logits(submission, device, dtype, rng):
    magnitude = 100 + torch.rand(4, 6, generator=rng, dtype=dtype) * 900
    sign = torch.where(torch.rand(4, 6, generator=rng) < 0.5, -1.0, 1.0).to(dtype)
    targets = (torch.rand(4, 6, generator=rng) < 0.5).to(dtype)
    case = Case((magnitude * sign, targets), {"reduction": "none"})
    check_value(submission, BCE, case, device, exact=True, mistakes=bce_mistakes())
    # the values are right by now: of the mistakes, only those with right values can explain a gradient
    check_gradient(submission, BCE, case, device, rng, exact=True, mistakes={WHERE_GRADIENT_HINT: where_branches()})


@points(1, "binary_cross_entropy_with_logits", kind="rule")
def test_binary_cross_entropy_with_logits_rejects_an_unknown_reduction(submission, rng):
    check_rejects_unknown_reduction(submission, BCE, binary_case(rng, torch.float32))


@points(1, "binary_cross_entropy_with_logits", kind="rule")
def test_binary_cross_entropy_with_logits_returns_a_plain_tensor_of_the_input_dtype_and_device(
        submission, device, dtype, rng):
    check_plain_tensor_like_input(submission, BCE, binary_case(rng, dtype), device, dtype)


@points(1, "binary_cross_entropy_with_logits", kind="rule")
def test_binary_cross_entropy_with_logits_leaves_its_inputs_unmodified(submission, rng):
    check_inputs_unmodified(submission, BCE, binary_case(rng, torch.float64, "none"))


@points(1, "binary_cross_entropy_with_logits", kind="forbidden")
def test_binary_cross_entropy_with_logits_uses_no_forbidden_builtin(submission, rng):
    check_no_forbidden_builtin(submission, BCE, binary_case(rng, torch.float32))


@points(1, "binary_cross_entropy_with_logits", kind="rule")
def test_binary_cross_entropy_with_logits_creates_no_tensor_on_another_device(submission, rng):
    check_stays_on_input_device(submission, BCE, binary_case(rng, torch.float32))
