"""mse_loss returns the right value, then changes the caller's input from a timer thread 20 ms later,
when a check that looked right after the return would have passed. The probe reads the inputs once
the threads the call started have ended.

score: 41
"""
import threading

import torch

_mse = mse_loss  # noqa: F821 - the reference's, defined above this file


def mse_loss(input, target, reduction="mean"):
    result = _mse(input, target, reduction)
    if not input.requires_grad and input.device.type != "meta":
        threading.Timer(0.02, lambda: input.add_(1.0)).start()
    return result
