"""Under CI (``CI=true``) a test skipped because a module is missing fails instead.

Truth tests guard themselves with ``pytest.importorskip("torch")`` etc. so a minimal local install still
runs the rest of the suite; in CI that same skip would silently drop the check, so there it is a failure
that names the module. Only dependency skips are converted (importorskip's "could not import ..." and
its minimum-version skip); deliberate skips (running as root, a run with no published FLOPs figure)
stay skips. Loaded by tests/conftest.py; tests/test_suite_hygiene.py tests it with pytester.
"""

from __future__ import annotations

import os
import re

import pytest

_DEPENDENCY_SKIP = re.compile(r"could not import '([^']+)'|module '([^']+)' has __version__ .*, required is")


def _reason(longrepr) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _convert(report, what: str) -> None:
    if os.environ.get("CI") != "true" or not report.skipped:
        return
    reason = _reason(report.longrepr)
    m = _DEPENDENCY_SKIP.search(reason)
    if m is None:
        return
    module = m.group(1) or m.group(2)
    report.outcome = "failed"
    report.longrepr = (f"CI=true: {what} skipped because module {module!r} is missing or too old "
                       f"({reason.removeprefix('Skipped: ')}); install the test extras")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _convert(outcome.get_result(), item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _convert(outcome.get_result(), collector.nodeid or str(collector.path))
