"""Records the losses under the keys 'loss' and 'val_loss': there is no 'train_loss'.

fails: test_fit_records_the_training_and_validation_loss_of_every_epoch
hint: needs 'train_loss'
"""


def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, patience):
    history = {"loss": [], "val_loss": []}
    best_loss, best_weights, waited = math.inf, copy.deepcopy(model.state_dict()), 0
    for _ in range(epochs):
        history["loss"].append(train_epoch(model, train_loader, loss_fn, optimizer))
        val_loss, _ = evaluate(model, val_loader, loss_fn)
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            best_loss, best_weights, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_weights)
    return history
