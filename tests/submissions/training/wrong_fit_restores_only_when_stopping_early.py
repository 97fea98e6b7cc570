"""Loads the best weights back only when early stopping fires, not when the epochs run out.

fails: test_fit_restores_the_weights_of_the_best_epoch
hint: last epoch
"""


def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, patience):
    history = {"train_loss": [], "val_loss": []}
    best_loss, best_weights, waited = math.inf, copy.deepcopy(model.state_dict()), 0
    for _ in range(epochs):
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer))
        val_loss, _ = evaluate(model, val_loader, loss_fn)
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, best_weights, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= patience:
                model.load_state_dict(best_weights)
                break
    return history
