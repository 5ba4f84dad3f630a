import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
CONFORMANCE = os.path.join(SHARED, "conformance")
CASES = os.path.join(ROOT, "cases")


@pytest.fixture
def conformance_dir():
    if not os.path.isdir(CONFORMANCE):
        pytest.skip("../shared/conformance is not beside the checkout")
    return CONFORMANCE
