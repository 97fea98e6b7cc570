"""The layer inherits everything from nn.Dropout instead of calling the student's own dropout.

fails: test_dropout_module_uses_no_forbidden_builtin
hint: relies on built-ins
"""


class Dropout(nn.Dropout):
    pass
