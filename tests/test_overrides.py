"""`--set` overrides (casefile/overrides.py) called directly: parsing, the
model-side paths, applying to mappings and lists, and `parse_range`."""

from fractions import Fraction

import pytest
from tcverify.casefile.overrides import apply, for_side, parse_override, parse_range
from tcverify.errors import UserError


def test_parse_override_reads_yaml_with_exact_decimals():
    assert parse_override("left.number_format.frac_bits=6") == (("left", "number_format", "frac_bits"), 6)
    assert parse_override("right.k=0.1") == (("right", "k"), Fraction(1, 10))
    assert parse_override("lengths={min: 1, max: 8}") == (("lengths",), {"min": 1, "max": 8})
    assert parse_override(" name = a=b") == (("name",), "a=b")  # the first = splits
    assert parse_override("expect=") == (("expect",), None)


@pytest.mark.parametrize("text, message", [("frac_bits", "expected KEY=VALUE"), ("=3", "expected KEY=VALUE"),
                                           ("k=[1, 2", "not valid YAML"), ("k={a: 1, a: 2}", "not valid YAML")])
def test_parse_override_errors_name_the_field(text, message):
    with pytest.raises(UserError, match=message) as error:
        parse_override(text)
    assert error.value.key == "set"  # the CLI names its flag, --set


def test_for_side_strips_the_side_and_the_model_kind():
    overrides = [(("left", "number_format", "frac_bits"), 6),
                 (("left", "transformer", "blocks", "0", "residual"), False),
                 (("right", "k"), 3),
                 (("left", "transformer"), {"model": "m.npz"}),  # the kind key alone is a key of its own
                 (("left",), None),
                 (("lengths",), 5)]
    assert for_side(overrides, "left") == [(("number_format", "frac_bits"), 6), (("blocks", "0", "residual"), False),
                                          (("transformer",), {"model": "m.npz"})]
    assert for_side(overrides, "right") == [(("k",), 3)]


def test_apply_sets_nested_keys_and_list_items_on_a_copy():
    data = {"lengths": [1, 2], "left": {"blocks": [{"mlp": {"w": 1}}, {"attention": {}}]}}
    new = apply(data, [(("left", "blocks", "0", "mlp", "w"), 7), (("lengths", "1"), 9),
                       (("left", "number_format", "frac_bits"), 3)], "case.yaml")
    assert new == {"lengths": [1, 9], "left": {"blocks": [{"mlp": {"w": 7}}, {"attention": {}}],
                                              "number_format": {"frac_bits": 3}}}
    assert data == {"lengths": [1, 2], "left": {"blocks": [{"mlp": {"w": 1}}, {"attention": {}}]}}  # untouched
    assert apply(data, [], "case.yaml") is data


@pytest.mark.parametrize("keys, message", [
    (("lengths", "5"), "lengths.5: '5' is not an index of a list of 2"),
    (("lengths", "x", "y"), "'x' is not an index"),
    (("name", "first"), "cannot set name.first: name is not a mapping or list"),
    (("name", "a", "b"), "cannot set below name: it is not a mapping or list"),
])
def test_apply_errors_name_the_file_and_the_path(keys, message):
    with pytest.raises(UserError, match=message) as error:
        apply({"name": "c", "lengths": [1, 2]}, [(keys, 1)], "case.yaml")
    assert error.value.path == "case.yaml" and error.value.key == "set"


def test_parse_range():
    assert parse_range("2:5", "--lengths") == [2, 3, 4, 5]
    assert parse_range("3:3", "--lengths") == [3]
    assert parse_range("7", "--lengths") == [7]


@pytest.mark.parametrize("text", ["5:2", "a", "1:b", "", "1:2:3"])
def test_parse_range_errors_name_the_key(text):
    with pytest.raises(UserError, match="expected an integer or a range A:B") as error:
        parse_range(text, "--vary")
    assert error.value.key == "--vary"
