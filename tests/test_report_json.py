"""run.json's writer gives exactly the bytes of `json.dumps(indent=2, ensure_ascii=False)`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.report import _clean, _json_default
from harness.report.jsontext import dumps_indented

VALUES = [
    {},
    [],
    "",
    None,
    True,
    0,
    -1.5,
    float("nan"),
    float("inf"),
    float("-inf"),
    1e-05,
    1e22,
    {"flat": 1, "text": 'Zürich «x» 東京 "q" \\ \n\t\u2028 \x00', "none": None, "yes": False, "f": 0.1},
    {"nested": {"a": [1, [2, {}], []], "b": {"c": {"d": [None]}}}, "after": "x"},
    {"numpy": np.float32(0.1), "n64": np.float64(0.25), "i": np.int64(3), "b": np.bool_(True)},
    {"in a flat dict": np.float64(0.5), "and": 1},  # a float subclass
    {3: "int key", 2.5: "float key", True: "bool key", False: "false key", None: "none key"},
    [(1, 2), ("tuple", {"x": (3,)})],
    {"deep": [[[[{"k": [1.0, 2, "3"]}]]]]},
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_same_bytes_as_json_dumps(value):
    assert dumps_indented(value, _json_default) == json.dumps(
        value, indent=2, ensure_ascii=False, default=_json_default
    )


def test_what_json_cannot_write_is_refused_alike():
    with pytest.raises(TypeError):
        dumps_indented({"x": object()}, _json_default)
    with pytest.raises(TypeError):
        dumps_indented({("tuple", "key"): 1}, _json_default)


def test_clean_turns_every_nan_into_null():
    value = {"a": [1.0, float("nan"), {"b": np.float64("nan")}], "c": float("nan"), "d": "nan", "e": (float("nan"),)}
    cleaned = _clean(value)
    assert cleaned["a"][1] is None and cleaned["a"][2]["b"] is None and cleaned["c"] is None
    assert cleaned["d"] == "nan"  # a string is left as it is
    assert cleaned["e"] == [None]  # a tuple is a list, as JSON reads it back: the in-memory document equals run.json
    assert type(_clean({"n": np.int64(3)})["n"]) is int
