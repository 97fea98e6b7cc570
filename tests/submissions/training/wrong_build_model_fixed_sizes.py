"""Hard-codes 2 inputs and 2 classes instead of using in_features and num_classes.

fails: test_build_model_returns_a_network_with_active_dropout
hint: in_features and num_classes
"""


def build_model(in_features=2, num_classes=2):
    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.1),
                         nn.Linear(64, 2))
