"""The suite's own rules: a hermetic environment, and (under CI=true) no silently skipped truth module."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

import ci_skip_rule
from paramscope import hardware

MISSING = "paramscope_no_such_module_xyz"


def _run(pytester, source: str, *, ci: str | None, monkeypatch):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    pytester.makepyfile(test_probe=source)
    return pytester.runpytest("-p", "no:cacheprovider", "-rs", plugins=[ci_skip_rule])


MODULE_LEVEL = f"""
import pytest
pytest.importorskip("{MISSING}")

def test_truth():
    assert True
"""

IN_TEST = f"""
import pytest

def test_truth():
    pytest.importorskip("{MISSING}")

def test_other():
    assert True
"""

DELIBERATE = """
import pytest

def test_chmod_as_root():
    pytest.skip("running as root: permission bits are not enforced")

def test_other():
    assert True
"""

MINVERSION = """
import pytest

def test_truth():
    pytest.importorskip("pytest", minversion="999.0")
"""


def test_ci_module_level_importorskip_fails_naming_the_module(pytester, monkeypatch):
    result = _run(pytester, MODULE_LEVEL, ci="true", monkeypatch=monkeypatch)
    assert result.ret != 0
    out = result.stdout.str()
    assert f"module '{MISSING}' is missing" in out
    assert result.parseoutcomes().get("error", 0) + result.parseoutcomes().get("errors", 0) == 1


def test_ci_importorskip_in_a_test_fails_naming_the_module(pytester, monkeypatch):
    result = _run(pytester, IN_TEST, ci="true", monkeypatch=monkeypatch)
    result.assert_outcomes(passed=1, failed=1)
    assert f"module '{MISSING}' is missing" in result.stdout.str()


def test_ci_minversion_skip_fails(pytester, monkeypatch):
    result = _run(pytester, MINVERSION, ci="true", monkeypatch=monkeypatch)
    result.assert_outcomes(failed=1)
    assert "module 'pytest' is missing or too old" in result.stdout.str()


@pytest.mark.parametrize("ci", [None, "false", "1"])
def test_without_ci_true_a_missing_module_is_a_skip(pytester, monkeypatch, ci):
    result = _run(pytester, IN_TEST, ci=ci, monkeypatch=monkeypatch)
    result.assert_outcomes(passed=1, skipped=1)
    result = _run(pytester, MODULE_LEVEL, ci=ci, monkeypatch=monkeypatch)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED  # a skipped module: nothing ran, nothing failed
    result.assert_outcomes(skipped=1)


def test_ci_deliberate_skips_stay_skips(pytester, monkeypatch):
    result = _run(pytester, DELIBERATE, ci="true", monkeypatch=monkeypatch)
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == 0


# --------------------------------------------------------------------------------------------------
# hermetic environment (tests/conftest.py)


def test_session_home_is_a_temporary_directory(hermetic_home):
    real_home = pwd.getpwuid(os.getuid()).pw_dir
    for var in ("HOME", "PARAMSCOPE_HOME", "XDG_CONFIG_HOME", "HF_HOME"):
        value = os.environ[var]
        assert Path(value).resolve().is_relative_to(Path(hermetic_home).resolve()), var
        assert not Path(value).resolve().is_relative_to(Path(real_home).resolve()) or real_home == "/", var
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert "HF_TOKEN" not in os.environ


def test_user_hardware_profiles_are_read_from_the_session_home(hermetic_home):
    assert hardware.user_dir().resolve().is_relative_to(Path(hermetic_home).resolve())
    assert hardware.user_hardware_files() == ()
