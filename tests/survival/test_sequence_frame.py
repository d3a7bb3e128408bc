"""The generic sequence container: validation, positional selection, construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survival.base import SurvivalDataError
from survival.sequences import SequenceFrame


def _parts(n: int = 4, months: int = 3, features: int = 2):
    values = np.arange(n * months * features, dtype=np.float32).reshape(n, months, features)
    mask = np.ones((n, months), dtype=bool)
    mask[0, 0] = False
    index = pd.Index([f"id{i}" for i in range(n)], name="entity_id")
    return values, mask, index, tuple(f"f{j}" for j in range(features))


def test_a_valid_frame_has_one_row_per_entity():
    values, mask, index, names = _parts()
    labels = pd.DataFrame({"duration": [1.0, 2, 3, 4], "event": [1, 0, 1, 0]}, index=index)
    seq = SequenceFrame(values, mask, index, names, labels=labels)
    assert len(seq) == 4 and seq.n_steps == 3


@pytest.mark.parametrize(
    ("change", "match"),
    [
        pytest.param({"values": np.zeros((4, 3))}, "3-D numpy array", id="values-2d"),
        pytest.param({"values": np.zeros((4, 3, 2))}, "must be float32", id="values-float64"),
        pytest.param({"mask": np.ones((4, 3), dtype=int)}, "array of bool", id="mask-int"),
        pytest.param({"mask": np.ones((4, 2), dtype=bool)}, r"mask has shape \(4, 2\)", id="mask"),
        pytest.param({"index": pd.Index(["a", "b", "c"])}, "Index of 4 ids", id="index-length"),
        pytest.param({"index": pd.Index(["a", "a", "b", "c"])}, r"duplicated id.*'a'", id="dup"),
        pytest.param({"feature_names": ("f0",)}, "1 names for 2 features", id="names"),
    ],
)
def test_inconsistent_parts_are_rejected(change, match):
    values, mask, index, names = _parts()
    parts = {"values": values, "mask": mask, "index": index, "feature_names": names, **change}
    with pytest.raises(SurvivalDataError, match=match):
        SequenceFrame(**parts)


@pytest.mark.parametrize("field", ["static", "labels"])
def test_misaligned_static_or_labels_are_rejected(field):
    values, mask, index, names = _parts()
    frame = pd.DataFrame({"x": [1.0, 2, 3, 4]}, index=index[::-1])
    with pytest.raises(SurvivalDataError, match=f"{field} rows are not aligned"):
        SequenceFrame(values, mask, index, names, **{field: frame})


def test_take_selects_rows_of_every_part_by_position():
    values, mask, index, names = _parts()
    static = pd.DataFrame({"x": [1.0, 2, 3, 4]}, index=index)
    seq = SequenceFrame(values, mask, index, names, static=static)
    sub = seq.take([2, 0])
    assert list(sub.index) == ["id2", "id0"]
    np.testing.assert_array_equal(sub.values, values[[2, 0]])
    np.testing.assert_array_equal(sub.mask, mask[[2, 0]])
    assert sub.static["x"].tolist() == [3.0, 1.0]
    picked = seq[np.array([False, True, False, True])]
    assert list(picked.index) == ["id1", "id3"]


def test_from_arrays_fills_in_defaults_and_converts():
    values = np.full((2, 3, 1), np.nan)
    values[0, 1:, 0] = [1.0, 2.0]
    values[1, :, 0] = [1.0, 2.0, 3.0]
    labels = pd.DataFrame({"duration": [1.0, 2.0], "event": [1, 0]})  # positional index
    seq = SequenceFrame.from_arrays(values, index=["a", "b"], labels=labels)
    assert seq.values.dtype == np.float32
    np.testing.assert_array_equal(seq.mask, [[False, True, True], [True, True, True]])
    assert seq.feature_names == ("f0",)
    assert list(seq.labels.index) == ["a", "b"]
