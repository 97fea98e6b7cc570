"""The probes: the only code of the graders that a worker runs, next to the student's code.

A grader asks the proxy to run a probe by passing the probe function itself; what crosses to the
worker is the name registered below, and a worker runs nothing that is not in this table.
Adding an assignment means adding its probe module here.
"""

from __future__ import annotations

from graders.probes import autograd, core, dropout, gradient_descent, gradient_zeroing, optim, training, weight_decay

PROBES = {f"{module.__name__.rpartition('.')[2]}.{function.__name__}": function for module, functions in (
    (core, (core.call, core.explain_isolation)),
    (autograd, (autograd.differentiate,)),
    (dropout, (dropout.sample, dropout.layer)),
    (gradient_descent, (gradient_descent.gradient_descent,)),
    (optim, (optim.step_once, optim.train_with_step, optim.optimizer_linear, optim.optimizer_model,
             optim.optimizer_zero_grad, optim.optimizer_rejects)),
    (gradient_zeroing, (gradient_zeroing.zero_grads, gradient_zeroing.train_steps, gradient_zeroing.accumulate)),
    (training, (training.split, training.train_epoch, training.evaluate, training.fit, training.inspect_model,
                training.capstone)),
    (weight_decay, (weight_decay.l2_penalty, weight_decay.parameter_groups, weight_decay.train_with_groups)),
) for function in functions}
_NAMES = {function: name for name, function in PROBES.items()}


class UnknownProbe(Exception):
    pass


def name_of(routine) -> str:
    """The registered name of a probe function."""
    try:
        return _NAMES[routine]
    except (KeyError, TypeError):
        raise UnknownProbe(f"{routine!r} is not a registered probe (graders/probes/__init__.py)") from None


def resolve(name) -> object:
    """The probe registered under `name`; nothing else can be run."""
    if type(name) is not str or name not in PROBES:
        raise UnknownProbe(f"no probe is registered as {str(name)[:80]!r}")
    return PROBES[name]
