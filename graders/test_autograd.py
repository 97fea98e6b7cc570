"""Graders for the `autograd` assignment: grad and jacobian through `.backward()`, against
torch.autograd.grad and torch.autograd.functional.jacobian, and mlp_forward against the
nn.Linear/nn.ReLU network it writes out by hand."""

from __future__ import annotations


import pytest
import torch
import torch.nn as nn
from torch.func import functional_call

from graders.checks import (Case, Function, call, check_inputs_unmodified, check_plain_tensor_like_input,
                            check_stays_on_input_device, expect_no_forbidden_builtin, expect_on_input_device,
                            forbidden_uses, output_of, points, probe)
from graders.checks.compare import expect_close, fail
from graders.probes.autograd import DESCRIPTIONS, build_function
from graders.probes import autograd as autograd_probes

# References are bound when this module is imported, before any submission is loaded.
AUTOGRAD_GRAD = torch.autograd.grad
FUNCTIONAL_JACOBIAN = torch.autograd.functional.jacobian
LINEAR, RELU, SEQUENTIAL = nn.Linear, nn.ReLU, nn.Sequential
FUNCTIONAL_CALL = functional_call

# What may not do the work: in the library functions entered at run time ("module:function"),
# and in the dotted names the function's source refers to.
FUNCTORCH_RUN = r"^torch\._functorch\.|^torch\.func[.:]|^functorch[.:]|^torch\._C\._functorch:|^torch\._vmap_internals:"
FUNCTORCH_SOURCE = r"^torch\.func(\.|$)|^functorch(\.|$)|^torch\._functorch(\.|$)|^torch\.vmap$"
GRAD_FORBIDDEN_RUN = rf"^torch\.autograd:grad$|^torch\.autograd\.functional:|{FUNCTORCH_RUN}"
GRAD_FORBIDDEN_SOURCE = rf"^torch\.autograd\.grad$|^torch\.autograd\.functional(\.|$)|{FUNCTORCH_SOURCE}"
JACOBIAN_FORBIDDEN_RUN = rf"^torch\.autograd\.functional:|{FUNCTORCH_RUN}"
JACOBIAN_FORBIDDEN_SOURCE = rf"^torch\.autograd\.functional(\.|$)|{FUNCTORCH_SOURCE}"

ACCUMULATION_HINT = (".backward() adds to x.grad instead of replacing it: work on a fresh leaf "
                     "(x.detach().requires_grad_()) or save x.grad, set it to None, and put it back afterwards.")


# ---------------------------------------------------------------- shared helpers

TRANSFORMS = {"grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap", "linearize"}


def readable(name: str) -> str | None:
    """The public name behind a library function that ran, or None for internals."""
    last = name.rpartition(".")[2]
    if name.startswith(("torch._functorch.", "torch.func.", "functorch.")):
        return f"torch.func.{last}" if last in TRANSFORMS else None
    if "<" in name or last.startswith("_") or name.startswith("torch._"):
        return None
    return name


def shown(names) -> str:
    """A few readable names out of everything a forbidden call entered, in the order given."""
    chosen = list(dict.fromkeys(filter(None, map(readable, names)))) or ["torch.func (functorch)"]
    return ", ".join(chosen[:4]) + (f" (and {len(chosen) - 4} more)" if len(chosen) > 4 else "")


def check_forbidden(submission, function, report, source_pattern):
    """Fail when the source of `function` names a forbidden built-in or the probe saw one run."""
    used = forbidden_uses(submission, function, source_pattern, report, whole_names=True, shown=readable)
    if report.get("calls") and not used:
        used = [shown(report["calls"])]
    expect_no_forbidden_builtin(function, used, instead="call .backward() on f's output and read the gradient from "
                                                        ".grad" + (", one output (one row) at a time." if
                                                                   function == "jacobian" else "."))


def fail_if_raised(report, what, hints=()):
    raised = report.get("raised")
    if raised:
        hint = next((text for pattern, text in hints if pattern in raised["message"]), None)
        fail(f"{what} raised {raised['message']}" + (f"\n  Hint: {hint}" if hint else ""))


# ---------------------------------------------------------------- grad

def grad_case(rng, dtype, name):
    """(trusted function, its parameters, the point x) for one of the scalar functions."""
    randn = lambda *shape: torch.randn(*shape, generator=rng, dtype=dtype)  # noqa: E731
    if name == "cubic_h":
        return "cubic_h", {}, randn(())
    if name == "weighted_sine":
        return "weighted_sine", {"weights": randn(5)}, randn(5)
    if name == "quadratic_form":
        return "quadratic_form", {"matrix": randn(6, 6)}, randn(2, 3)
    return "regression_loss", {"data": randn(7, 3), "target": randn(7, 4) * 0.5}, randn(4, 3)


def reference_grad(f, params, x, device):
    point = x.to(device).detach().requires_grad_()
    return AUTOGRAD_GRAD(build_function(f, params, device, x.dtype)(point), point)[0]


def run_grad(submission, f, params, x, device="cpu", **options):
    return probe(submission, autograd_probes.differentiate, what=f"grad(f, x) for {DESCRIPTIONS[f]}", function="grad",
                 f=f, params=params, x=x, device=device, **options)


def grad_what(f, x, device="cpu"):
    return (f"grad(f, x) for {DESCRIPTIONS[f]} at x of shape {tuple(x.shape)} "
            f"({str(x.dtype).removeprefix('torch.')}) on {device}")


def grad_results(report, what, count=1):
    fail_if_raised(report, what, [("second time", "the graph was freed by the first backward(): build a new "
                                                  "graph (call f again) for every backward pass.")])
    results = report["results"]
    for result in results[:count]:
        if not isinstance(result.get("output"), torch.Tensor):
            fail(f"{what} returned a {result['output_type']}; a torch.Tensor of x's shape was expected")
    return [result["output"] for result in results]


def check_grad_value(submission, f, params, x, device="cpu"):
    """Fail unless grad returns the right gradient once (x.grad left None); return the report."""
    what = grad_what(f, x, device)
    report = run_grad(submission, f, params, x, device)
    got, = grad_results(report, what)
    expected = reference_grad(f, params, x, device)
    expect_close(got, expected, what=f"{what}: the gradient differs from torch.autograd.grad's.", device=device,
                 mistakes={"the gradient is all zeros: the tensor you returned is x.grad itself, which was zeroed "
                           "afterwards; return a copy (x.grad.clone()) or a gradient nothing else changes.":
                           torch.zeros_like(expected)})
    return report, expected


@pytest.mark.parametrize("function", ["cubic_h", "weighted_sine", "quadratic_form", "regression_loss"])
@points(3, "grad", kind="value")
def test_grad_matches_torch_autograd_grad(submission, device, dtype, function, rng):
    check_grad_value(submission, *grad_case(rng, dtype, function), device)


@points(1, "grad", kind="value")
def test_grad_of_the_course_example_h_equal_3x2_plus_1_is_12_at_x_equal_2(submission):
    check_grad_value(submission, "cubic_h", {}, torch.tensor(2.0))


@points(2, "grad", kind="rule")
def test_grad_leaves_x_grad_none_when_it_was_none(submission, rng):
    f, params, x = grad_case(rng, torch.float64, "weighted_sine")
    report = run_grad(submission, f, params, x)
    grad_results(report, grad_what(f, x))
    if not report["x_grad_is_none"]:
        fail(f"{grad_what(f, x)} returned the right gradient but left it in x.grad, which was None before the "
             "call: whoever calls .backward() on x next gets your gradient added to theirs.\n"
             f"  Hint: {ACCUMULATION_HINT}")


@points(2, "grad", kind="rule")
def test_grad_leaves_an_existing_x_grad_as_it_was(submission, rng):
    f, params, x = grad_case(rng, torch.float64, "quadratic_form")
    prior = torch.randn(x.shape, generator=rng, dtype=x.dtype)
    what = grad_what(f, x) + " while x.grad already held a gradient"
    report = run_grad(submission, f, params, x, prior_grad=prior)
    got, = grad_results(report, what)
    expected = reference_grad(f, params, x, "cpu")
    expect_close(got, expected, what=f"{what}: the gradient differs from torch.autograd.grad's.", mistakes={
        f"the result is the old x.grad plus the gradient: {ACCUMULATION_HINT}": prior + expected,
        "the gradient is all zeros: the tensor you returned is x.grad itself, which was zeroed afterwards; "
        "return a copy.": torch.zeros_like(expected)})
    if report["x_grad_is_none"]:
        fail(f"{what}: x.grad is None afterwards; it must hold what it held before the call.\n"
             "  Hint: keep a reference to x.grad before you clear it, and put it back when you are done.")
    expect_close(report["x_grad_after"], prior, what=f"{what}: x.grad was changed by the call.", mistakes={
        f"x.grad now holds the old value plus the gradient: {ACCUMULATION_HINT}": prior + expected,
        "x.grad now holds the gradient, and the value it held before is lost.": expected,
        "x.grad was zeroed: put back what it held before the call.": torch.zeros_like(prior)})


@points(2, "grad", kind="rule")
def test_grad_called_twice_returns_the_same_gradient_twice(submission, rng):
    f, params, x = grad_case(rng, torch.float64, "regression_loss")
    what = grad_what(f, x) + ", called twice"
    report = run_grad(submission, f, params, x, calls=2)
    first, second = grad_results(report, what, count=2)
    expect_close(second, first, what=f"{what}: the second result differs from the first; the same call must "
                                     "return the same gradient.",
                 mistakes={f"the gradient doubled on the second call: {ACCUMULATION_HINT}": 2 * first,
                           "the second result is all zeros: it is x.grad itself, zeroed afterwards.":
                               torch.zeros_like(first)})
    if not report["x_grad_is_none"]:
        fail(f"{what}: x.grad is not None afterwards, although it was None before.\n  Hint: {ACCUMULATION_HINT}")


@points(1, "grad", kind="rule")
def test_grad_leaves_x_unmodified(submission, rng):
    """On a leaf that requires grad, and on a plain tensor that does not (where torch.autograd.grad
    raises, and grad may raise too): either way x comes back exactly as it was."""
    f, params, x = grad_case(rng, torch.float64, "weighted_sine")
    for requires_grad in (True, False):
        report = run_grad(submission, f, params, x, requires_grad=requires_grad)
        what = grad_what(f, x) + ("" if requires_grad else ", for an x that does not require grad,")
        if not torch.equal(report["x_after"], x):
            fail(f"{what} changed the values of x in place.\n  Hint: never update x itself "
                 "(x -= ..., x.data = ...); compute the gradient and return it.")
        if report["x_requires_grad"] != requires_grad or not report["x_is_leaf"] or report["x_dtype"] != str(x.dtype):
            fail(f"{what} changed x itself: afterwards requires_grad={report['x_requires_grad']}, "
                 f"is_leaf={report['x_is_leaf']}, dtype={report['x_dtype']} (before: {requires_grad}, True, "
                 f"{x.dtype}).\n  Hint: do not call x.requires_grad_(...), x.detach_() or the like on the caller's "
                 "tensor; differentiate with respect to a new leaf, x.detach().requires_grad_().")


@points(1, "grad", kind="rule")
def test_grad_returns_a_plain_tensor_of_x_dtype_and_device(submission, device, dtype, rng):
    f, params, x = grad_case(rng, dtype, "weighted_sine")
    what = grad_what(f, x, device)
    report = run_grad(submission, f, params, x, device)
    grad_results(report, what)
    result = report["results"][0]
    if result["output_type"] != "torch.Tensor":
        fail(f"{what} returned a {result['output_type']}; it must return exactly a torch.Tensor.")
    if result["output_dtype"] != str(dtype) or result["output_device"] != device:
        fail(f"{what} returned a {result['output_dtype']} tensor on {result['output_device']}; expected {dtype} "
             f"on {device}, x's dtype and device.\n  Hint: a leaf rebuilt with torch.tensor(x.tolist()) loses both.")
    if result.get("output_requires_grad"):
        fail(f"{what} returned a tensor that requires grad; torch.autograd.grad returns a plain gradient "
             "(no graph attached). Hint: return x.grad or a detached copy, not something computed from x.")


@points(2, "grad", kind="forbidden")
def test_grad_uses_no_forbidden_builtin(submission, rng):
    f, params, x = grad_case(rng, torch.float32, "weighted_sine")
    report = run_grad(submission, f, params, x, watch=GRAD_FORBIDDEN_RUN)
    check_forbidden(submission, "grad", report, GRAD_FORBIDDEN_SOURCE)


# ---------------------------------------------------------------- jacobian

def jacobian_case(rng, dtype, name, m=None, n=None):
    """(trusted function, its parameters, the point x of shape (n,)) for a function of x into (m,)."""
    randn = lambda *shape: torch.randn(*shape, generator=rng, dtype=dtype)  # noqa: E731
    if name == "linear_map":
        return name, {"matrix": randn(m, n), "shift": randn(m)}, randn(n)
    if name == "tanh_layer":
        return name, {"matrix": randn(m, n) * 0.5, "shift": randn(m) * 0.5}, randn(n)
    if name == "course_network":
        params = {"W1": randn(4, 3), "b1": randn(4), "W2": randn(2, 4), "b2": randn(2)}
        x = randn(3)
        while (params["W1"] @ x + params["b1"]).abs().min() < 1e-3:  # no ReLU exactly at its kink
            x = randn(3)
        return name, params, x
    if name == "mixed":
        return name, {"scale": 0.5 + torch.rand(4, generator=rng, dtype=dtype)}, randn(4)
    if name == "single_output":
        return name, {"weights": randn(n) * 0.3}, randn(n)
    return "elementwise_cube", {}, randn(4)


JACOBIAN_CASES = {  # id: (function, m, n)
    "linear_2x5": ("linear_map", 2, 5),
    "tanh_6x3": ("tanh_layer", 6, 3),
    "course_network_2x3": ("course_network", 2, 3),
    "mixed_3x4": ("mixed", 3, 4),
    "cube_4x4": ("elementwise_cube", 4, 4),
}


def reference_jacobian(f, params, x, device):
    return FUNCTIONAL_JACOBIAN(build_function(f, params, device, x.dtype), x.to(device))


def run_jacobian(submission, f, params, x, device="cpu", requires_grad=False, **options):
    return probe(submission, autograd_probes.differentiate, what=f"jacobian(f, x) for {DESCRIPTIONS[f]}",
                 function="jacobian", f=f, params=params, x=x, device=device, requires_grad=requires_grad, **options)


def jacobian_what(f, x, m, device="cpu"):
    return (f"jacobian(f, x) for {DESCRIPTIONS[f]}, from x of shape ({x.shape[0]},) to shape ({m},) "
            f"({str(x.dtype).removeprefix('torch.')}) on {device}")


JACOBIAN_RAISED_HINTS = [
    ("second time", "backward() frees the graph it runs through: pass retain_graph=True to every row's backward "
                    "but the last (or call f(x) again for each row)."),
    ("does not require grad", "x does not require grad: differentiate with respect to a leaf made with "
                              "x.detach().requires_grad_()."),
    ("grad can be implicitly created only for scalar", "backward() needs a scalar: call it on one output y[i] "
                                                       "at a time."),
]


def jacobian_mistakes(expected):
    rows_accumulated = expected.cumsum(dim=0)
    return {
        "the Jacobian came back transposed, (n, m): row i must hold the derivatives of output i, "
        "one column per input.": expected.T.contiguous(),
        "row i is the sum of rows 0..i: x.grad was not cleared between the rows' backward passes, so each "
        "gradient was added to the previous ones.": rows_accumulated,
        "every row equals the last one: each row is the same x.grad tensor, zeroed and refilled in place; "
        "store a copy (x.grad.clone()) or set x.grad = None instead of zeroing it.":
            expected[-1:].expand_as(expected).contiguous(),
        "a dimension of size 1 was squeezed away: the Jacobian is always (m, n), even when m or n is 1.":
            expected.squeeze(),
        "a single row came back, the gradient of the sum of the outputs: call backward once per output, "
        "not on their sum.": expected.sum(dim=0),
    }


def check_jacobian_value(submission, f, params, x, m, device="cpu"):
    what = jacobian_what(f, x, m, device)
    report = run_jacobian(submission, f, params, x, device)
    fail_if_raised(report, what, JACOBIAN_RAISED_HINTS)
    got = report["results"][0]
    if not isinstance(got.get("output"), torch.Tensor):
        fail(f"{what} returned a {got['output_type']}; a torch.Tensor of shape ({m}, {x.shape[0]}) was expected")
    expected = reference_jacobian(f, params, x, device)
    mistakes = jacobian_mistakes(expected)
    if got.get("output_dtype") not in (None, str(x.dtype)):
        mistakes = {f"the Jacobian is {got['output_dtype']}, not {x.dtype}: a result tensor created with "
                    "torch.zeros(m, n) has the default dtype; pass dtype=x.dtype, device=x.device "
                    "(or stack the rows).": got["output"].to(expected.dtype), **mistakes}
    expect_close(got["output"], expected, device=device, mistakes=mistakes,
                 what=f"{what}: the Jacobian differs from torch.autograd.functional.jacobian's.")
    return report


@pytest.mark.parametrize("case", list(JACOBIAN_CASES))
@points(4, "jacobian", kind="value")
def test_jacobian_matches_torch_autograd_functional_jacobian(submission, device, dtype, case, rng):
    f, m, n = JACOBIAN_CASES[case]
    check_jacobian_value(submission, *jacobian_case(rng, dtype, f, m, n), m, device)


@pytest.mark.parametrize("m, n", [(2, 5), (5, 2)], ids=["2x5", "5x2"])
@points(1, "jacobian", kind="value")
def test_jacobian_of_a_linear_map_is_its_m_by_n_matrix(submission, m, n, rng):
    f, params, x = jacobian_case(rng, torch.float64, "linear_map", m, n)
    report = run_jacobian(submission, f, params, x)
    what = f"jacobian(f, x) for f(x) = A @ x + b with A of shape ({m}, {n})"
    fail_if_raised(report, what, JACOBIAN_RAISED_HINTS)
    got = report["results"][0].get("output")
    expect_close(got, params["matrix"], what=f"{what}: the Jacobian of a linear map is A itself.",
                 mistakes=jacobian_mistakes(params["matrix"]))


@pytest.mark.parametrize("m, n", [(1, 4), (3, 1)], ids=["one_output", "one_input"])
@points(1, "jacobian", kind="value")
def test_jacobian_keeps_both_dimensions_when_one_has_size_1(submission, m, n, rng):
    f, params, x = jacobian_case(rng, torch.float64, "single_output" if m == 1 else "linear_map", m, n)
    check_jacobian_value(submission, f, params, x, m)


@points(1, "jacobian", kind="rule")
def test_jacobian_leaves_x_and_its_grad_as_they_were(submission, rng):
    f, m, n = JACOBIAN_CASES["tanh_6x3"]
    f, params, x = jacobian_case(rng, torch.float64, f, m, n)
    what = jacobian_what(f, x, m)
    plain = run_jacobian(submission, f, params, x)
    if not torch.equal(plain["x_after"], x):
        fail(f"{what} changed the values of x in place.")
    if plain["x_requires_grad"] or not plain["x_grad_is_none"]:
        fail(f"{what} changed the caller's x: it did not require grad before the call, and afterwards "
             f"requires_grad={plain['x_requires_grad']} and x.grad is "
             f"{'None' if plain['x_grad_is_none'] else 'set'}.\n  Hint: differentiate with respect to a new leaf, "
             "x.detach().requires_grad_(), rather than calling x.requires_grad_() on the caller's tensor.")
    prior = torch.randn(x.shape, generator=rng, dtype=x.dtype)
    leaf = run_jacobian(submission, f, params, x, requires_grad=True, prior_grad=prior)
    fail_if_raised(leaf, what + " with x a leaf that requires grad", JACOBIAN_RAISED_HINTS)
    if leaf["x_grad_is_none"] or not torch.equal(leaf["x_grad_after"], prior):
        fail(f"{what}, with x a leaf that requires grad and whose .grad already held a gradient: x.grad was "
             "changed by the call.\n  Hint: work on x.detach().requires_grad_(), whose .grad is its own.")


@points(1, "jacobian", kind="rule")
def test_jacobian_returns_a_plain_tensor_of_x_dtype_and_device(submission, device, dtype, rng):
    f, m, n = JACOBIAN_CASES["mixed_3x4"]
    f, params, x = jacobian_case(rng, dtype, f, m, n)
    what = jacobian_what(f, x, m, device)
    report = run_jacobian(submission, f, params, x, device)
    fail_if_raised(report, what, JACOBIAN_RAISED_HINTS)
    result = report["results"][0]
    if result["output_type"] != "torch.Tensor":
        fail(f"{what} returned a {result['output_type']}; it must return exactly a torch.Tensor.")
    if result["output_dtype"] != str(dtype) or result["output_device"] != device:
        fail(f"{what} returned a {result['output_dtype']} tensor on {result['output_device']}; expected {dtype} "
             f"on {device}, x's dtype and device.\n  Hint: create the result with dtype=x.dtype, "
             "device=x.device, or build it with torch.stack from the rows.")
    if result.get("output_requires_grad"):
        fail(f"{what} returned a tensor that requires grad, still attached to a graph; "
             "torch.autograd.functional.jacobian returns a plain tensor.\n  Hint: backward(create_graph=True) "
             "records the gradients themselves in a graph; call backward without it (retain_graph=True is all "
             "a Jacobian needs), or detach the rows you store.")


@points(1, "jacobian", kind="rule")
def test_jacobian_creates_no_tensor_on_another_device(submission, rng):
    """On the `meta` device, which has no values, any tensor created on the CPU by default is
    caught mixing with x's, as it would be on a GPU."""
    f, m, n = JACOBIAN_CASES["tanh_6x3"]
    f, params, x = jacobian_case(rng, torch.float32, f, m, n)
    report = run_jacobian(submission, f, params, x, device="meta")
    what = jacobian_what(f, x, m, "another device")
    expect_on_input_device(report["raised"], (report["results"] or [{}])[0].get("output_device"), what,
                           hint="create the result with torch.zeros(m, n, dtype=x.dtype, device=x.device) "
                                "(or torch.stack the rows), never on the default device.")


@points(2, "jacobian", kind="forbidden")
def test_jacobian_uses_no_forbidden_builtin(submission, rng):
    f, m, n = JACOBIAN_CASES["mixed_3x4"]
    f, params, x = jacobian_case(rng, torch.float32, f, m, n)
    report = run_jacobian(submission, f, params, x, watch=JACOBIAN_FORBIDDEN_RUN)
    check_forbidden(submission, "jacobian", report, JACOBIAN_FORBIDDEN_SOURCE)


# ---------------------------------------------------------------- mlp_forward

def network_forward(x, W1, b1, W2, b2):
    """The nn.Linear -> nn.ReLU -> nn.Linear network, run with W1, b1, W2, b2 as its parameters."""
    network = SEQUENTIAL(LINEAR(W1.shape[1], W1.shape[0], device="meta"), RELU(),
                         LINEAR(W2.shape[1], W2.shape[0], device="meta"))
    return FUNCTIONAL_CALL(network, {"0.weight": W1, "0.bias": b1, "2.weight": W2, "2.bias": b2}, (x,))


MLP = Function("mlp_forward", network_forward, "the nn.Linear/nn.ReLU network", forbidden=r"(?!)",
               differentiable=(0, 1, 2, 3, 4))
MLP_ARGUMENTS = ("x", "W1", "b1", "W2", "b2")
MLP_RAISED_HINTS = [
    ("cannot be multiplied", "nn.Linear stores its weight as (out_features, in_features): the layer computes "
                             "x @ W.T + b, with the transpose."),
    ("size of tensor a", "nn.Linear stores its weight as (out_features, in_features): the layer computes "
                         "x @ W.T + b, with the transpose."),
]


def mlp_case(rng, dtype, batch=(5,), sizes=(3, 4, 2)):
    """Inputs and parameters of a network in_features -> hidden -> out, with every ReLU
    pre-activation clear of 0 (where ReLU has no derivative) and both signs present."""
    n_in, n_hidden, n_out = sizes
    randn = lambda *shape: torch.randn(*shape, generator=rng, dtype=dtype)  # noqa: E731
    for _ in range(100):
        x, W1, b1 = randn(*batch, n_in), randn(n_hidden, n_in) * 0.7, randn(n_hidden) * 0.5
        pre = x.double() @ W1.double().T + b1.double()
        if pre.abs().min() > 1e-3 and (pre > 0).any() and (pre < 0).any():
            break
    return Case((x, W1, b1, randn(n_out, n_hidden) * 0.7, randn(n_out) * 0.5))


def mlp_mistakes():
    return {
        "the ReLU is missing: without it the two layers collapse into a single linear map.":
            lambda x, W1, b1, W2, b2: (x @ W1.T + b1) @ W2.T + b2,
        "a ReLU was applied to the output as well: the last layer returns raw values (logits), no activation.":
            lambda x, W1, b1, W2, b2: torch.relu(torch.relu(x @ W1.T + b1) @ W2.T + b2),
        "the first bias was added after the ReLU: the layer is relu(x @ W1.T + b1), bias inside.":
            lambda x, W1, b1, W2, b2: (torch.relu(x @ W1.T) + b1) @ W2.T + b2,
        "the output has an extra dimension of size 1: a single example x of shape (in,) gives an output of "
        "shape (out,), as nn.Linear does; do not add a batch dimension (or remove it again).":
            lambda x, W1, b1, W2, b2: network_forward(x, W1, b1, W2, b2).unsqueeze(0),
        "the output layer's bias b2 is missing: each nn.Linear adds its own bias.":
            lambda x, W1, b1, W2, b2: torch.relu(x @ W1.T + b1) @ W2.T,
    }


def check_mlp_value(submission, case, device, *, hints=MLP_RAISED_HINTS):
    what = f"{case.signature('mlp_forward')} on {device}"
    report = call(submission, "mlp_forward", case, device=device)
    fail_if_raised(report, what, hints)
    output = output_of(report, what)
    args, _ = case.on(device)
    expect_close(output, MLP.expected(case, device), device=device,
                 what=f"{what}: the outputs differ from {MLP.reference_name}'s.",
                 mistakes={hint: make(*args) for hint, make in mlp_mistakes().items()})


@pytest.mark.parametrize("sizes, batch", [((3, 4, 2), (5,)), ((6, 5, 3), (7,))], ids=["3-4-2", "6-5-3"])
@points(3, "mlp_forward", kind="value")
def test_mlp_forward_matches_the_nn_linear_relu_network(submission, device, dtype, sizes, batch, rng):
    check_mlp_value(submission, mlp_case(rng, dtype, batch, sizes), device)


@points(3, "mlp_forward", kind="gradient")
def test_mlp_forward_gradients_match_the_nn_linear_relu_network(submission, device, dtype, rng):
    case = mlp_case(rng, dtype, (6,), (5, 3, 4))
    args, _ = case.on(device)
    leaves = [arg.detach().requires_grad_() for arg in args]
    expected = network_forward(*leaves)
    weight = torch.randn(expected.shape, generator=rng, dtype=expected.dtype)
    expected_grads = AUTOGRAD_GRAD((expected * weight.to(device)).sum(), leaves)
    what = f"{case.signature('mlp_forward')} on {device}"
    report = call(submission, "mlp_forward", case, device=device, requires_grad=list(range(5)), grad_weight=weight)
    fail_if_raised(report, what, MLP_RAISED_HINTS)
    output_of(report, what)
    if report.get("grad_error"):
        fail(f"back-propagating through {what} failed: {report['grad_error']}")
    for name, got, want in zip(MLP_ARGUMENTS, report["grads"], expected_grads):
        if got is None:
            fail(f"{what}: no gradient reached {name}; was it detached (.detach(), .data), converted with "
                 ".item()/.tolist(), or rebuilt with torch.tensor()?")
        expect_close(got, want, device=device,
                     what=f"{what}: the gradient with respect to {name} differs from {MLP.reference_name}'s.")


@pytest.mark.parametrize("batch", [(), (4,)], ids=["one_example", "batch_of_4"])
@points(1, "mlp_forward", kind="value")
def test_mlp_forward_handles_the_course_3_4_2_network(submission, batch, rng):
    """The course's network: a 3-d input, a 4-d ReLU hidden layer, a 2-d output; W1 is (4, 3) and
    W2 is (2, 4), as nn.Linear(3, 4) and nn.Linear(4, 2) store them; a single example is a vector."""
    check_mlp_value(submission, mlp_case(rng, torch.float32, batch, (3, 4, 2)), "cpu", hints=MLP_RAISED_HINTS + [
        ("", "a single example x of shape (3,) must give an output of shape (2,), as nn.Linear does.")])


@points(1, "mlp_forward", kind="rule")
def test_mlp_forward_returns_a_plain_tensor_of_the_input_dtype_and_device(submission, device, dtype, rng):
    check_plain_tensor_like_input(submission, MLP, mlp_case(rng, dtype), device, dtype)


@points(1, "mlp_forward", kind="rule")
def test_mlp_forward_leaves_its_inputs_unmodified(submission, rng):
    check_inputs_unmodified(submission, MLP, mlp_case(rng, torch.float64))


@points(1, "mlp_forward", kind="rule")
def test_mlp_forward_creates_no_tensor_on_another_device(submission, rng):
    check_stays_on_input_device(submission, MLP, mlp_case(rng, torch.float32))
