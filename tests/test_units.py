"""Unit parsing and display: decimal counts, GB (1e9) vs GiB (2^30)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paramscope.errors import InputError
from paramscope.units import fmt_gb, fmt_gib, human_count, parse_bytes, parse_count


@given(st.integers(min_value=1000, max_value=10**17))
def test_human_count_mantissa_is_below_1000_and_close(n):
    text = human_count(n)
    m = re.fullmatch(r"([0-9.]+)([KMBTP])", text)
    assert m, text
    value = float(m.group(1)) * {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12, "P": 1e15}[m.group(2)]
    assert float(m.group(1)) < 1000 or m.group(2) == "P"
    assert value == pytest.approx(n, rel=0.006)


def test_known_values():
    assert human_count(6_738_415_616) == "6.74B"
    assert human_count(999_885_952) == "1.00B"
    assert parse_count("2T") == 2 * 10**12
    assert parse_count("32k", binary_k=True) == 32768
    assert "GB" in fmt_gb(10**9) and "GiB" in fmt_gib(2**30)


@pytest.mark.parametrize("bad", ["", "-1", "abc", "1.5.3"])
def test_bad_counts(bad):
    with pytest.raises(InputError):
        parse_count(bad, what="batch")


def test_parse_bytes_units():
    assert parse_bytes("80GB") == 80 * 10**9
    assert parse_bytes("1GiB") == 2**30
