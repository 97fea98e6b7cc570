"""Resets the patience counter whenever the loss beats the previous epoch's, not the best so far.

fails: test_fit_stops_after_patience_epochs_without_strict_improvement
hint: previous epoch
"""


def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, patience):
    history = {"train_loss": [], "val_loss": []}
    best_loss, best_weights, previous, waited = math.inf, copy.deepcopy(model.state_dict()), math.inf, 0
    for _ in range(epochs):
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer))
        val_loss, _ = evaluate(model, val_loader, loss_fn)
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, best_weights = val_loss, copy.deepcopy(model.state_dict())
        waited = 0 if val_loss < previous else waited + 1
        previous = val_loss
        if waited >= patience:
            break
    model.load_state_dict(best_weights)
    return history
