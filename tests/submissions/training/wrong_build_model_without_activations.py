"""Linear layers and dropout with no nonlinearity between them: the whole network is one linear map.

fails: test_build_model_reaches_90_percent_accuracy_on_held_out_spirals
hint: nonlinear activation
"""


def build_model(in_features=2, num_classes=2):
    return nn.Sequential(nn.Linear(in_features, 64), nn.Dropout(0.1), nn.Linear(64, 64), nn.Dropout(0.1),
                         nn.Linear(64, num_classes))
