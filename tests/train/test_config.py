"""The range checks every config's validate() uses, and the messages users see."""

import math
from dataclasses import dataclass

import pytest

from shendu.recipes.forecast import ForecastConfig
from shendu.recipes.multimodal import MultimodalConfig
from shendu.recipes.speech_ctc import SpeechCtcConfig
from shendu.recipes.text import TextConfig
from shendu.train.config import TrainConfig, option_flag


@dataclass
class _Settings(TrainConfig):
    width: int = 4
    rate: float = 0.25


@pytest.mark.parametrize("value, fails", [(1, False), (7, False), (0, True), (-3, True)])
def test_require_at_least(value, fails):
    settings = _Settings(width=value)
    if fails:
        with pytest.raises(ValueError, match=rf"^--set width= must be at least 1; got {value}\.$"):
            settings.require_at_least(1, "width")
    else:
        settings.require_at_least(1, "width")


def test_require_at_least_names_the_first_failing_field_its_unit_and_its_option():
    settings = _Settings(epochs=0, batch_size=0)
    with pytest.raises(ValueError, match=r"^--epochs must be at least 1; got 0\.$"):
        settings.require_at_least(1, "epochs", "batch_size", flag=option_flag)
    with pytest.raises(ValueError, match=r"^--set width= must be at least 5 pixels; got 4\.$"):
        settings.require_at_least(5, "width", unit=" pixels")


@pytest.mark.parametrize("value, include_low, include_high, fails", [
    (0.0, True, False, False), (0.5, True, False, False), (1.0, True, False, True), (-0.1, True, False, True),
    (0.0, False, False, True), (1.0, True, True, False), (1.0, False, True, False), (0.0, False, True, True),
    (math.nan, True, True, True),
])
def test_require_in_includes_the_ends_it_is_told_to(value, include_low, include_high, fails):
    settings = _Settings(rate=value)
    if fails:
        with pytest.raises(ValueError, match=r"^--set rate= must be (in [\[(]0, 1[\])]|between 0 and 1); got "):
            settings.require_in(0, 1, "rate", include_low=include_low, include_high=include_high)
    else:
        settings.require_in(0, 1, "rate", include_low=include_low, include_high=include_high)


@pytest.mark.parametrize("include_low, include_high, words", [
    (True, False, "in [0, 1)"), (True, True, "in [0, 1]"), (False, True, "in (0, 1]"), (False, False, "between 0 and 1"),
])
def test_require_in_spells_the_interval(include_low, include_high, words):
    with pytest.raises(ValueError) as error:
        _Settings(rate=5).require_in(0, 1, "rate", include_low=include_low, include_high=include_high)
    assert str(error.value) == f"--set rate= must be {words}; got 5."


# The messages of the recipes' validate(), word for word as before the shared helpers.
@pytest.mark.parametrize("config_class, name, value, message", [
    (TrainConfig, "epochs", 0, "--epochs must be at least 1; got 0."),
    (TrainConfig, "batch_size", -1, "--batch-size must be at least 1; got -1."),
    (SpeechCtcConfig, "beam", 0, "--set beam= must be at least 1; got 0."),
    (SpeechCtcConfig, "train_clips", 0, "--set train_clips= must be at least 1; got 0."),
    (SpeechCtcConfig, "dropout", 1.0, "--set dropout= must be in [0, 1); got 1.0."),
    (SpeechCtcConfig, "dropout", math.nan, "--set dropout= must be in [0, 1); got nan."),
    (TextConfig, "d_ff", 0, "--set d_ff= must be at least 1; got 0."),
    (TextConfig, "train_limit", 1, "--set train_limit= must be at least 2 reviews; got 1."),
    (TextConfig, "dropout", -0.1, "--set dropout= must be in [0, 1); got -0.1."),
    (MultimodalConfig, "pairs_per_image", 0, "--set pairs_per_image= must be at least 1; got 0."),
    (MultimodalConfig, "noise", 1.0, "--set noise= must be in [0, 1); got 1.0."),
    (ForecastConfig, "horizon", 0, "--set horizon= must be at least 1; got 0."),
    (ForecastConfig, "val_fraction", 0, "--set val_fraction= must be between 0 and 0.5; got 0."),
    (ForecastConfig, "test_fraction", 0.5, "--set test_fraction= must be between 0 and 0.5; got 0.5."),
    (ForecastConfig, "dropout", 2.5, "--set dropout= must be in [0, 1); got 2.5."),
])
def test_recipe_settings_out_of_range_are_refused_with_the_same_words(config_class, name, value, message):
    config = config_class()
    config.validate()  # the defaults are fine
    setattr(config, name, value)
    with pytest.raises(ValueError) as error:
        config.validate()
    assert str(error.value) == message


def test_optional_train_limit_is_checked_only_when_set():
    TextConfig(train_limit=None).validate()
    TextConfig(train_limit=2).validate()
