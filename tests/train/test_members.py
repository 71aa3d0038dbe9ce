"""An ensemble's members trained apart (shendu.train.members): each member's gradient is that of its
own loss alone, each is restored to the epoch of its own lowest validation loss (checked against
the members' val losses measured independently after every epoch), and the copies survive a
checkpoint loaded with weights_only=True."""

import lightning as L
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from shendu.models.ngram import NgramCNNClassifier
from shendu.predict.kinds.classification import classification_metrics
from shendu.train.config import TrainConfig
from shendu.train.members import MemberEnsembleModule, trains_members_apart
from shendu.train.module import SupervisedModule


def _model(seed=0, dropout=0.0, **kwargs):
    torch.manual_seed(seed)
    return NgramCNNClassifier(40, 2, buckets=256, embedding_dim=8, hidden=8, cnn_embedding_dim=8, filters=4,
                              dropout=dropout, train_apart=True, **kwargs)


def _module(model, epochs=1, steps=1):
    return MemberEnsembleModule(model, torch.nn.CrossEntropyLoss(), classification_metrics(2),
                                TrainConfig(epochs=epochs, lr=5e-2, scheduler="none"), steps_per_epoch=steps)


def _ids(n, length=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 40, (n, length), generator=g)
    lengths = torch.randint(2, length + 1, (n,), generator=g)
    ids[torch.arange(length)[None, :] >= lengths[:, None]] = 0  # right-padded
    return ids, torch.randint(0, 2, (n,), generator=g)


def _rule(n, seed):
    ids, _ = _ids(n, seed=seed)
    flip = torch.rand(n, generator=torch.Generator().manual_seed(seed + 100)) < 0.1
    rule = ((ids > 0) & (ids < 8)).any(dim=1).long()
    return ids, torch.where(flip, 1 - rule, rule)


@pytest.mark.parametrize("seed", range(3))
def test_each_member_gets_the_gradient_of_its_own_loss_alone(seed):
    ids, labels = _ids(16, seed=seed)
    model = _model(seed)
    module = _module(model).train()
    _, loss = module.predictions_and_loss(ids, labels)
    loss.backward()
    got = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    reference = _model(seed)  # the same weights, each member's loss on its own
    for name in reference.members:
        member = getattr(reference, name)
        (F.cross_entropy(member(ids), labels) / len(reference.members)).backward()
    for name, p in reference.named_parameters():
        if p.grad is None:
            continue
        torch.testing.assert_close(got[name], p.grad, rtol=1e-5, atol=1e-7)
    assert set(got) == {name for name, p in reference.named_parameters() if p.grad is not None}


def test_the_module_follows_the_model():
    assert trains_members_apart(_model())
    assert not trains_members_apart(NgramCNNClassifier(40, 2, buckets=64, train_apart=False))
    assert not trains_members_apart(torch.nn.Linear(2, 2))


class _MemberLosses(L.Callback):
    """Each member's val loss after every epoch, measured here from the model itself."""

    def __init__(self, ids, labels):
        self.ids, self.labels, self.losses = ids, labels, []

    def on_train_epoch_end(self, trainer, module):
        model = module.model
        was = model.training
        model.eval()
        with torch.no_grad():
            members = model.member_logits(self.ids)
            self.losses.append([F.cross_entropy(members[:, k], self.labels).item() for k in range(members.shape[1])])
        model.train(was)


def test_each_member_is_restored_to_its_own_best_validation_epoch_and_survives_a_checkpoint(tmp_path):
    # a rule (a token below 8 in the review) with 10% of the labels flipped: the members learn it
    # and then fit the flipped labels, each at its own pace, so their val losses reach their
    # lowest at different epochs
    train_ids, train_labels = _rule(96, seed=1)
    val_ids, val_labels = _rule(64, seed=2)
    model = _model(0, dropout=0.0)
    module = _module(model, epochs=6, steps=6)
    recorder = _MemberLosses(val_ids, val_labels)
    trainer = L.Trainer(max_epochs=6, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=0, callbacks=[recorder])
    trainer.fit(module, DataLoader(TensorDataset(train_ids, train_labels), batch_size=16),
                DataLoader(TensorDataset(val_ids, val_labels), batch_size=32))
    losses = torch.tensor(recorder.losses)  # (epochs, members)
    expected_epochs = (losses.argmin(dim=0) + 1).tolist()
    assert module.best_member_epochs == expected_epochs
    assert len(set(expected_epochs)) > 1 and max(expected_epochs) < 6  # the members stopped apart, early

    path = tmp_path / "last.ckpt"
    trainer.save_checkpoint(path)
    checkpoint = torch.load(path, weights_only=True)
    restored = _module(_model(5), epochs=6, steps=6)
    restored.on_load_checkpoint(checkpoint)
    restored.load_state_dict(checkpoint["state_dict"])

    for candidate in (module, restored):
        epochs = candidate.restore_member_bests()
        assert list(epochs.values()) == expected_epochs
        candidate.model.eval()
        with torch.no_grad():
            members = candidate.model.member_logits(val_ids)
        for k in range(members.shape[1]):
            assert F.cross_entropy(members[:, k], val_labels).item() == pytest.approx(losses[:, k].min().item(),
                                                                                       rel=1e-5)

    weights_only = tmp_path / "best.ckpt"
    trainer.save_checkpoint(weights_only, weights_only=True)
    assert "member_bests" not in torch.load(weights_only, weights_only=True)


def test_validation_scores_the_ensemble_and_training_the_members():
    ids, labels = _ids(8)
    model = _model()
    module = _module(model)
    module.train()
    _, train_loss = module.predictions_and_loss(ids, labels)
    members = model.member_logits(ids)
    expected = torch.stack([F.cross_entropy(members[:, k], labels) for k in range(3)]).mean()
    torch.testing.assert_close(train_loss, expected)
    module.eval()
    predictions, val_loss = module.predictions_and_loss(ids, labels)
    torch.testing.assert_close(predictions, model(ids))
    torch.testing.assert_close(val_loss, F.cross_entropy(model(ids), labels))
    assert isinstance(module, SupervisedModule)


@pytest.mark.parametrize("seed", range(3))
def test_distilled_members_each_get_the_gradient_of_their_own_distillation_loss(seed):
    """`shendu distill TEACHER --student reviews-zh`: each member apart learns from the teacher on
    its own (the documents' loss, T=4, alpha=0.7, per member); validation scores with the hard
    loss, the val_loss the student trained alone logs; alpha=0 is the plain members-apart loss."""
    from shendu.train.distill import DistillationLoss, MemberDistillationModule, WithTeacher

    ids, labels = _ids(16, seed=seed)
    teacher = torch.randn(16, 2, generator=torch.Generator().manual_seed(seed + 7)) * 3
    loss_fn = DistillationLoss(temperature=4.0, alpha=0.7)
    model = _model(seed)
    module = MemberDistillationModule(model, loss_fn, classification_metrics(2),
                                      TrainConfig(epochs=1, lr=5e-2, scheduler="none"), steps_per_epoch=1).train()
    _, loss = module.predictions_and_loss(WithTeacher(ids, teacher), labels)
    loss.backward()
    got = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    reference = _model(seed)
    for name in reference.members:
        logits = getattr(reference, name)(ids)
        soft = F.kl_div(F.log_softmax(logits / 4, dim=1), F.softmax(teacher / 4, dim=1), reduction="batchmean") * 16
        ((0.7 * soft + 0.3 * F.cross_entropy(logits, labels)) / len(reference.members)).backward()
    for name, p in reference.named_parameters():
        if p.grad is not None:
            torch.testing.assert_close(got[name], p.grad, rtol=1e-5, atol=1e-7)
    assert set(got) == {name for name, p in reference.named_parameters() if p.grad is not None}
    module.eval()
    with torch.no_grad():
        predictions, val_loss = module.predictions_and_loss(ids, labels)  # validation: no teacher
        torch.testing.assert_close(val_loss, F.cross_entropy(predictions, labels))
    plain = _module(_model(seed)).train()
    alpha0 = MemberDistillationModule(_model(seed), DistillationLoss(4.0, 0.0), classification_metrics(2),
                                      TrainConfig(epochs=1, lr=5e-2, scheduler="none"), steps_per_epoch=1).train()
    torch.manual_seed(1)
    _, expected = plain.predictions_and_loss(ids, labels)
    torch.manual_seed(1)
    _, got_alpha0 = alpha0.predictions_and_loss(WithTeacher(ids, teacher), labels)
    torch.testing.assert_close(got_alpha0, expected)
