"""A recipe's settings on the command line: every field is an option, typed, documented, and
one pure function decides which source wins."""

from __future__ import annotations

import pytest

from shendu.errors import ShenduError
from shendu.recipes import RECIPES
from shendu.recipes.options import parse_options, parse_sets, resolve_settings, settings_of
from shendu.train.config import TrainConfig

ALL = [(recipe.name, setting) for recipe in RECIPES.values() for setting in settings_of(recipe.config_cls)]


def _sample(setting):
    """A value of the setting's type that differs from its default, and how it is typed."""
    base = setting.type_name.split("|")[0].strip()
    if base == "bool":
        return not setting.default, str(not setting.default).lower()
    if base == "int":
        value = (setting.default or 0) + 3
        return value, str(value)
    if base == "float":
        value = (setting.default or 0.0) + 0.25
        return value, repr(value)
    return "some value", "some value"


@pytest.mark.parametrize(("recipe", "setting"), ALL, ids=[f"{r}.{s.name}" for r, s in ALL])
def test_every_setting_is_an_option_and_a_set_with_the_same_value(recipe, setting):
    config_cls = RECIPES[recipe].config_cls
    value, typed = _sample(setting)
    assert parse_sets([f"{setting.name}={typed}"], config_cls) == {setting.name: value}
    assert parse_options([f"{setting.flag}={typed}"], config_cls, recipe, "data") == {setting.name: value}
    if setting.is_bool:
        flag = setting.flag if value else f"--no-{setting.flag[2:]}"
        assert parse_options([flag], config_cls, recipe, "data") == {setting.name: value}
    else:
        assert parse_options([setting.flag, typed], config_cls, recipe, "data") == {setting.name: value}
    if "None" in setting.type_name:
        assert parse_options([setting.flag, "none"], config_cls, recipe, "data") == {setting.name: None}
    assert setting.help, f"{recipe}: the setting {setting.name} has no line in its config's Args: docstring"


def test_options_parse_in_order_and_the_last_one_wins():
    cls = RECIPES["stock-lstm"].config_cls
    args = ["--symbol", "AAPL", "--horizon=3", "--no-log", "--data", "prices.csv", "--horizon", "4"]
    assert parse_options(args, cls, "stock-lstm", "x") == {"symbol": "AAPL", "horizon": 4, "log": False,
                                                            "data": "prices.csv"}


@pytest.mark.parametrize(("args", "message"), [
    (["--symbl", "AAPL"], "takes no --symbl. Did you mean --symbol?"),
    (["--horizon"], "--horizon needs a value"),
    (["--horizon", "three"], "--horizon expects a whole number; got 'three'"),
    (["--lr", "fast"], "--lr expects a number"),
    (["--log=maybe"], "--log expects true or false"),
    (["--no-log=1"], "--no-log takes no value"),
    (["--no-symbol"], "takes no --no-symbol"),
    (["AAPL"], "got the extra argument 'AAPL'"),
])
def test_bad_options_are_refused_with_what_was_expected(args, message):
    with pytest.raises(ShenduError) as info:
        parse_options(args, RECIPES["stock-lstm"].config_cls, "stock-lstm", "monthly prices")
    assert message in str(info.value)


def test_unknown_set_key_names_the_known_ones():
    with pytest.raises(ShenduError, match="--set takes KEY=VALUE with KEY one of .*Did you mean hidden[?]"):
        parse_sets(["hiden=3"], RECIPES["xor"].config_cls)


def test_precedence_defaults_then_resumed_then_set_then_named_options():
    defaults = {"epochs": 10, "lr": 0.1, "seed": 0, "symbol": "MSFT"}
    saved = {"epochs": 20, "lr": 0.2, "seed": 1, "symbol": "IBM"}
    assert resolve_settings(defaults) == defaults
    assert resolve_settings(defaults, saved) == saved  # a resumed run keeps its own settings, not today's defaults
    assert resolve_settings(defaults, None, {"lr": 0.3}) == {**defaults, "lr": 0.3}
    assert resolve_settings(defaults, saved, {"lr": 0.3, "seed": 5}, {"seed": 6}) == {
        "epochs": 20, "lr": 0.3, "seed": 6, "symbol": "IBM"}
    assert resolve_settings(defaults, None, {}, {}) is not defaults  # a new dict; the inputs are not changed
    assert defaults == {"epochs": 10, "lr": 0.1, "seed": 0, "symbol": "MSFT"}


def test_the_docstring_reader_splits_grouped_names_and_continuations():
    settings = {s.name: s.help for s in settings_of(TrainConfig)}
    assert settings["plateau_patience"] == settings["plateau_factor"] == "ReduceLROnPlateau settings."
    assert settings["restore_best"].startswith("test and save the weights") and "anneals" in settings["restore_best"]


@pytest.mark.parametrize("recipe", list(RECIPES.values()), ids=list(RECIPES))
def test_declared_parameter_count_is_the_built_models(recipe):
    """`shendu list` shows `Recipe.parameters` without building anything; it must be the truth."""
    model = recipe.build_default_model()
    assert sum(p.numel() for p in model.parameters()) == recipe.parameters


@pytest.mark.parametrize("recipe", RECIPES.values(), ids=lambda r: r.name)
def test_a_config_saved_before_a_setting_existed_reads_as_the_old_behaviour(recipe):
    """config.json of a run made by an older shendu lacks the settings added since: each reads as
    the recipe's legacy value (the behaviour before it existed), every other key as saved, and a
    saved value always wins."""
    from shendu.recipes.base import TRAIN_LEGACY

    legacy = {**TRAIN_LEGACY, **recipe.legacy}
    known = {s.name for s in settings_of(recipe.config_cls)}
    assert set(recipe.legacy) <= known, f"{recipe.name}'s legacy names settings it does not have"
    defaults = recipe.default_config().to_dict()
    old = {k: v for k, v in defaults.items() if k not in legacy}
    config = recipe.config_from_dict(old)
    config.validate()
    assert config.to_dict() == {**defaults, **{k: v for k, v in legacy.items() if k in known}}
    assert recipe.config_from_dict(defaults).to_dict() == defaults  # a complete config.json is read as it is


def test_old_mnist_and_reviews_zh_runs_keep_what_they_trained_with():
    mnist = RECIPES["mnist-cnn"].default_config().to_dict()
    del mnist["label_smoothing"], mnist["channels_last"]
    config = RECIPES["mnist-cnn"].config_from_dict(mnist)
    assert (config.label_smoothing, config.channels_last) == (0.0, False)  # plain cross-entropy, contiguous
    reviews = RECIPES["reviews-zh"].default_config().to_dict()
    del reviews["model"]
    assert RECIPES["reviews-zh"].config_from_dict(reviews).model == "lstm-attention"  # the BiLSTM of before
