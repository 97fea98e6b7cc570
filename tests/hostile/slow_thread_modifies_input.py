"""mse_loss returns the right value and leaves a thread that changes the caller's input 3 s later, long
after any wait: a function that leaves threads running fails the check on its inputs.

score: 41
"""
import threading
import time

_mse = mse_loss  # noqa: F821 - the reference's, defined above this file


def _later(tensor):
    time.sleep(3)
    tensor.add_(1.0)


def mse_loss(input, target, reduction="mean"):
    result = _mse(input, target, reduction)
    if not input.requires_grad and input.device.type != "meta":
        threading.Thread(target=_later, args=(input,), daemon=True).start()
    return result
