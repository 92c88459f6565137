"""pytest fixtures shared by the end-to-end tests (see mg.py)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import mg  # noqa: E402


@pytest.fixture
def sink():
    s = mg.Sink().start()
    yield s
    s.stop()


@pytest.fixture
def gateway_factory():
    made = []

    def make(*args, **kw):
        g = mg.Gateway(*args, **kw)
        made.append(g)
        return g
    yield make
    for g in made:
        g.cleanup()
    for g in made:
        g.assert_no_sanitizer_report()


@pytest.fixture
def gateway(sink, gateway_factory):
    return gateway_factory(sink.port).start()
