"""What graders check with: case and function specs, the points marker, the shared checks and verdicts
(`common`), the one comparison, tolerance table and message builder (`compare`), the source scan
for forbidden built-ins (`source_scan`), and the optimizer checks two assignments share (`optim`).

A grader imports the vocabulary from here: `from graders.checks import points, Case, check_value`.
"""

import graders.checks.source_scan as source_scan
from graders.checks.common import (Case, Function, call, check_gradient, check_inputs_unmodified,
                                   check_no_forbidden_builtin, check_plain_tensor_like_input,
                                   check_rejects_unknown_reduction, check_stays_on_input_device, check_value,
                                   expect_no_forbidden_builtin, expect_on_input_device, expect_raises_like_pytorch,
                                   fail_if_raised, forbidden_uses, gate, missing_message, output_of, points, probe)

__all__ = ["Case", "Function", "call", "check_gradient", "check_inputs_unmodified", "check_no_forbidden_builtin",
           "check_plain_tensor_like_input", "check_rejects_unknown_reduction", "check_stays_on_input_device",
           "check_value", "expect_no_forbidden_builtin", "expect_on_input_device", "expect_raises_like_pytorch",
           "fail_if_raised", "forbidden_uses", "gate", "missing_message", "output_of", "points", "probe",
           "source_scan"]
