"""Economics: every price record is valid data (source, date, positive numbers, known hardware and class); the
seed's TCO figures; the owned-hardware formula; user overrides; bad input; cost properties (hypothesis)."""

from __future__ import annotations

import json
import math
import re
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paramscope import economics as E
from paramscope.cli import main
from paramscope.errors import InputError
from paramscope.hardware import load_catalog

RAW = tomllib.loads(E.PRICES_PATH.read_text())
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _records():
    for table in ("rental", "purchase", "owned_parameter"):
        for i, rec in enumerate(RAW.get(table, [])):
            yield f"{table}#{i + 1}", table, rec


@pytest.mark.parametrize("where,table,rec", list(_records()), ids=[w for w, _, _ in _records()])
def test_every_record_is_sourced_dated_and_positive(where, table, rec):
    assert rec["source"].startswith("https://"), where
    assert DATE.match(rec["date"]), where
    year = int(rec["date"][:4])
    assert 2020 <= year <= 2027, where
    value = {"rental": "usd_per_gpu_hour", "purchase": "usd", "owned_parameter": "value"}[table]
    assert isinstance(rec[value], (int, float)) and math.isfinite(rec[value]) and rec[value] > 0, where
    if table != "owned_parameter":
        assert rec["hardware"] in load_catalog(), where
    if table == "rental":
        assert rec["class"] in {c["id"] for c in RAW["price_class"]}, where
        assert rec["provider"].strip(), where


def test_loader_validates_what_the_test_validates():
    book = E.load_prices()
    assert len(book.rentals) == len(RAW["rental"])
    assert set(book.owned) == set(E.OWNED_PARAMETERS)


@pytest.mark.parametrize("bad,msg", [
    ({"rental": [{"hardware": "h100-sxm", "class": "spot", "provider": "x", "usd_per_gpu_hour": 0,
                  "date": "2024", "source": "https://x"}]}, "positive"),
    ({"rental": [{"hardware": "h100-sxm", "class": "spot", "provider": "x", "usd_per_gpu_hour": 1,
                  "date": "2024", "source": "file.txt"}]}, "URL"),
    ({"rental": [{"hardware": "h100-sxm", "class": "spot", "provider": "x", "usd_per_gpu_hour": 1,
                  "date": "last year", "source": "https://x"}]}, "date"),
    ({"rental": [{"hardware": "nope-gpu", "class": "spot", "provider": "x", "usd_per_gpu_hour": 1,
                  "date": "2024", "source": "https://x"}]}, "unknown hardware"),
    ({"rental": [{"hardware": "h100-sxm", "class": "cheap", "provider": "x", "usd_per_gpu_hour": 1,
                  "date": "2024", "source": "https://x"}]}, "unknown price class"),
    ({"owned_parameter": [{"name": "pue", "value": 0.9, "date": "2024", "source": "https://x"}]}, "PUE"),
])
def test_bad_records_are_refused(bad, msg):
    with pytest.raises(Exception, match=msg):
        E._parse(bad, "test", {c["id"]: c["description"] for c in RAW["price_class"]})


def test_seed_tco_figures():
    # seed 001 s3: $1.2 x 1 x 720 x 0.6 = $518; $4.0 x 2 x 720 x 0.8 = $4,608
    assert E.seed_monthly_cost(1.2, 1, 720, 0.6) == pytest.approx(518.4)
    assert E.seed_monthly_cost(4.0, 2, 720, 0.8) == pytest.approx(4608.0)


def test_tco_contract(capsys):
    assert main(["tco", "--price-per-hour", "1.2", "--gpus", "1", "--hours", "720", "--utilization", "0.6",
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["usd_per_month"] == pytest.approx(518.4)
    assert d["billed_usd_per_month"] == pytest.approx(864.0)


def test_owned_formula_by_hand():
    r = E.owned_tco("h100-sxm", utilization=0.5, hours=720, purchase_usd=24000, depreciation_years=4, pue=1.5,
                    usd_per_kwh=0.1, hosting_usd_per_kw_month=100, power_w=1000, tokens_per_s=100)
    assert r.parts["depreciation"] == pytest.approx(500.0)  # 24000 / 48
    assert r.parts["energy"] == pytest.approx(1.0 * 0.5 * 1.5 * 0.1 * 720)  # 54
    assert r.parts["hosting"] == pytest.approx(100.0)
    assert r.usd_per_month == pytest.approx(654.0)
    assert r.usd_per_gpu_hour == pytest.approx(654.0 / 720)
    assert r.usd_per_mtok == pytest.approx(654.0 / (100 * 3600 * 720 * 0.5) * 1e6)


def test_price_per_hour_api():
    assert E.price_per_hour("h100-sxm", "on-demand-hyperscaler") == pytest.approx(12.29)
    assert E.price_per_hour("h100-sxm", "owned", utilization=1.0) > 0
    q = E.price_quote("h100-sxm", "on-demand-specialised")  # newest record wins
    assert q.date == max(r.date for r in E.price_records("h100-sxm", "on-demand-specialised"))


def test_user_override(tmp_path, monkeypatch):
    monkeypatch.setenv("PARAMSCOPE_HOME", str(tmp_path))
    (tmp_path / "prices.toml").write_text(
        '[[rental]]\nhardware = "a10"\nclass = "spot"\nprovider = "mine"\nusd_per_gpu_hour = 0.31\n'
        'date = "2020-01"\nsource = "https://example.com/quote"\n'
        '[[owned_parameter]]\nname = "pue"\nvalue = 1.1\ndate = "2025"\nsource = "https://example.com/pue"\n')
    assert E.price_per_hour("a10", "spot") == pytest.approx(0.31)
    assert E.owned_tco("h100-sxm").inputs["pue"]["value"] == pytest.approx(1.1)
    # an older user record still wins over newer built-in ones in its class
    (tmp_path / "prices.toml").write_text(
        '[[rental]]\nhardware = "h100-sxm"\nclass = "on-demand-specialised"\nprovider = "mine"\n'
        'usd_per_gpu_hour = 9.99\ndate = "2020"\nsource = "https://example.com/q"\n')
    assert E.price_per_hour("h100-sxm") == pytest.approx(9.99)


@pytest.mark.parametrize("argv,msg", [
    (["--price-per-hour", "0"], "positive"),
    (["--price-per-hour", "-1"], ""),
    (["--price-per-hour", "1", "--utilization", "0"], "utilization"),
    (["--price-per-hour", "1", "--utilization", "1.01"], "utilization"),
    (["--price-per-hour", "1", "--hours", "0"], "hours"),
    (["--price-per-hour", "1", "--gpus", "0"], "--gpus"),
    (["--gpu", "no-such-gpu"], "unknown hardware"),
    (["--gpu", "a10", "--price-class", "bogus"], "unknown price class"),
    (["--gpu", "a10", "--price-class", "spot"], "no spot price"),
    (["--price-per-hour", "1", "--price-class", "spot"], "contradict"),
    (["--gpu", "h100-sxm", "--pue", "1.2"], "owned"),
    (["--price-per-hour", "1", "--tokens-per-s", "0"], "tokens"),
])
def test_bad_input_one_line(argv, msg, capsys):
    assert main(["tco", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("paramscope: error:") and msg in err


def test_library_errors_mention_no_flags():
    for call in (lambda: E.seed_monthly_cost(0, 1), lambda: E.rental_tco(1, utilization=2),
                 lambda: E.price_quote("a10", "spot"), lambda: E.tco(None)):
        with pytest.raises(InputError) as exc:
            call()
        assert "--" not in str(exc.value)


prices = st.floats(0.01, 100, allow_nan=False)


@given(p1=prices, p2=prices, tps=st.floats(1, 1e5), g=st.integers(1, 64), u=st.floats(0.01, 1))
def test_pricier_gpu_never_cheaper_at_equal_throughput(p1, p2, tps, g, u):
    lo, hi = sorted((p1, p2))
    a = E.rental_tco(lo, gpus=g, utilization=u, tokens_per_s=tps)
    b = E.rental_tco(hi, gpus=g, utilization=u, tokens_per_s=tps)
    assert a.usd_per_mtok <= b.usd_per_mtok and a.billed_usd_per_month <= b.billed_usd_per_month


@given(p=prices, g=st.integers(1, 64), h=st.floats(1, 1000), u=st.floats(0.01, 1), k=st.integers(2, 10))
def test_cost_linear_in_hours_and_gpus(p, g, h, u, k):
    base = E.seed_monthly_cost(p, g, h, u)
    assert E.seed_monthly_cost(p, g * k, h, u) == pytest.approx(k * base, rel=1e-9)
    assert E.seed_monthly_cost(p, g, h * k, u) == pytest.approx(k * base, rel=1e-9)
    o1 = E.owned_tco("h100-sxm", gpus=g, hours=h, utilization=u)
    ok = E.owned_tco("h100-sxm", gpus=g * k, hours=h, utilization=u)
    assert ok.usd_per_month == pytest.approx(k * o1.usd_per_month, rel=1e-9)


@given(purchase=st.floats(1000, 1e5), extra=st.floats(1, 1e5), u=st.floats(0.01, 1))
def test_owned_pricier_gpu_never_cheaper(purchase, extra, u):
    a = E.owned_tco("h100-sxm", utilization=u, purchase_usd=purchase, tokens_per_s=500)
    b = E.owned_tco("h100-sxm", utilization=u, purchase_usd=purchase + extra, tokens_per_s=500)
    assert a.usd_per_mtok < b.usd_per_mtok
