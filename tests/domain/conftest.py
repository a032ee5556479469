import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English, the msgid language."""
    with translation.override("en"):
        yield
