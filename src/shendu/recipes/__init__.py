"""Recipes: one module per task. Name lookup happens only at the CLI/API edge (`get_recipe`)."""

from __future__ import annotations

from shendu.errors import ShenduError
from shendu.recipes import (
    cifar10_cnn,
    detect_digits,
    digits_mlp,
    image_folder,
    imdb_lstm,
    imdb_minilm,
    imdb_transformer,
    mnist_cnn,
    multimodal,
    reviews_zh,
    reviews_zh_m3e,
    series_lstm,
    speech_ctc,
    stock_lstm,
    xor,
)
from shendu.recipes.base import Recipe

RECIPES: dict[str, Recipe] = {r.name: r for r in (mnist_cnn.RECIPE, digits_mlp.RECIPE, xor.RECIPE, cifar10_cnn.RECIPE,
                                              image_folder.RECIPE, detect_digits.RECIPE, imdb_lstm.RECIPE,
                                              imdb_lstm.ATTENTION_RECIPE, imdb_transformer.RECIPE, imdb_minilm.RECIPE,
                                              reviews_zh.RECIPE, reviews_zh_m3e.RECIPE, series_lstm.RECIPE,
                                              stock_lstm.RECIPE, speech_ctc.RECIPE,
                                              multimodal.RECIPE)}


def get_recipe(name: str) -> Recipe:
    """Look a recipe up by its CLI name; unknown names get the list of known ones."""
    try:
        return RECIPES[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, RECIPES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ShenduError(
            f"RECIPE must be one of {', '.join(sorted(RECIPES))}; got {name!r}.{hint} "
            "See `shendu list` for what each trains."
        ) from None


__all__ = ["RECIPES", "Recipe", "get_recipe"]
