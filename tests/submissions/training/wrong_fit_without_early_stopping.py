"""Keeps the best weights but never stops early: it always runs every epoch.

fails: test_fit_stops_after_patience_epochs_without_strict_improvement
hint: never stopped early
"""


def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, patience):
    history = {"train_loss": [], "val_loss": []}
    best_loss, best_weights = math.inf, copy.deepcopy(model.state_dict())
    for _ in range(epochs):
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer))
        val_loss, _ = evaluate(model, val_loader, loss_fn)
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, best_weights = val_loss, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_weights)
    return history
