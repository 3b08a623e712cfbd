import os
import shutil
import tempfile

import pytest

# Hermetic environment, set when this conftest is imported (before any test module imports paramscope or
# transformers): a user profile in ~/.config/paramscope (hardware files), a Hugging Face cache or token
# must not change results, and nothing may reach the network.
_HOME = tempfile.mkdtemp(prefix="paramscope-tests-home-")
HERMETIC_ENV = {
    "HOME": _HOME,
    "PARAMSCOPE_HOME": os.path.join(_HOME, "paramscope"),
    "XDG_CONFIG_HOME": os.path.join(_HOME, ".config"),
    "XDG_CACHE_HOME": os.path.join(_HOME, ".cache"),
    "HF_HOME": os.path.join(_HOME, "hf"),
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
}
os.environ.update(HERMETIC_ENV)
for _k in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "PARAMSCOPE_DEBUG"):
    os.environ.pop(_k, None)

# Hypothesis: deterministic and bounded, so the suite's run time is predictable on 2 cores.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Under CI=true, a test skipped for a missing module fails (see ci_skip_rule.py).
from ci_skip_rule import pytest_make_collect_report, pytest_runtest_makereport  # noqa: E402,F401

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session", autouse=True)
def hermetic_home():
    """The temporary HOME / PARAMSCOPE_HOME of the whole session; removed at the end."""
    for k, v in HERMETIC_ENV.items():
        assert os.environ.get(k) == v, f"{k} changed before the session started"
    yield _HOME
    shutil.rmtree(_HOME, ignore_errors=True)
