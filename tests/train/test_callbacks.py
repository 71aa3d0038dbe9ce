import math

from shendu.train.callbacks import HistoryCallback, history_to_csv, read_history
from shendu.train.config import TrainConfig


def test_history_csv_round_trip_and_state(tmp_path):
    rows = [{"epoch": 1, "train_loss": 1.5, "val_loss": 1.25, "lr": 0.1, "seconds": 2.0},
            {"epoch": 2, "train_loss": 0.75, "train_acc": 0.5, "val_loss": 0.5, "lr": 0.05, "seconds": 2.5}]
    path = tmp_path / "history.csv"
    path.write_text(history_to_csv(rows))
    back = read_history(path)
    assert back[1]["train_loss"] == 0.75 and math.isnan(back[0]["train_acc"])
    callback = HistoryCallback(path)
    callback.load_state_dict({"rows": rows})
    assert callback.state_dict() == {"rows": rows} and callback.state_dict()["rows"] is not rows


def test_config_validation_names_the_field():
    import pytest

    for field, value, message in (("epochs", 0, "--epochs"), ("lr", -1.0, "--lr"),
                                  ("optimizer", "adagrad", "--optimizer must be one of")):
        with pytest.raises(ValueError, match=message):
            TrainConfig(**{field: value}).validate()
    assert TrainConfig.from_dict({"epochs": 3, "unknown": 1}).epochs == 3
