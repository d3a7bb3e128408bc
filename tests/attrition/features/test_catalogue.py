"""Every feature the engine can produce has a complete catalogue entry."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from attrition.errors import ConfigError
from attrition.features import (
    CATALOGUE,
    CATALOGUE_VERSION,
    build_features,
    default_spec,
    feature_catalogue,
    feature_info,
)
from attrition.features.specs import RISK_DIRECTIONS, UNITS

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("entity", ["client", "rm"])
def test_every_feature_build_features_produces_has_a_catalogue_entry(random_bank, entity):
    X = build_features(random_bank(0), entity, "2023-03", rm_risk=pd.Series({"R0": 0.4}))
    assert list(X.columns) == list(default_spec(entity).names)
    for name in X.columns:
        info = CATALOGUE[entity][name]
        assert info.name == name and info.entity == entity
        assert info.label_en.strip() and CJK.search(info.label_zh)
        assert info.unit in UNITS and info.risk_direction in RISK_DIRECTIONS and info.group
        value = X[name].dropna().iloc[0]
        for lang in ("en", "zh"):
            text = info.render(value, lang)
            assert text and "{" not in text
        assert (info.unit == "category") == isinstance(X[name].dtype, pd.CategoricalDtype)


def test_labels_render_values_in_plain_words():
    info = feature_info("client", "aum_change_3m")
    assert info.render(-0.5) == "AUM changed -50% over 3 months"
    assert info.render(-0.5, "zh") == "近3个月资产变化-50%"
    assert info.label("zh") == "近3个月资产变化"
    assert info.render(np.nan) == "AUM change over 3 months: no data"
    assert info.risk_direction == "down"
    with pytest.raises(ConfigError, match="language 'fr'"):
        info.render(0.1, "fr")


def test_catalogue_table_and_version():
    df = feature_catalogue()
    assert df.index.names == ["entity", "name"]
    assert len(df) == sum(len(default_spec(e).features) for e in ("client", "rm"))
    assert set(feature_catalogue("rm").index.get_level_values("entity")) == {"rm"}
    assert re.fullmatch(r"\d+\.\d+\+[0-9a-f]{8}", CATALOGUE_VERSION)
    with pytest.raises(KeyError, match="no catalogue entry for client feature 'nope'"):
        feature_info("client", "nope")
