import os

import pytest

# Tests run on the CPU with a private cache folder, whatever the machine has.
os.environ.setdefault("ML52_CACHE", os.path.join(os.path.dirname(__file__), "..", ".pytest_cache", "ml52-cache"))


@pytest.fixture(scope="session")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ml52-output")
