import pytest

from kb.search import PostgresSearch, PythonSearch
from tests.helpers import requires_services


@pytest.fixture(params=["postgresql", "python"])
def backend(request):
    """Each search behaviour on both backends: PostgreSQL full text (skipped without PostgreSQL, failed under
    `make test`) and the portable Python one, called directly on whatever database is there."""
    if request.param == "postgresql":
        requires_services()
        return PostgresSearch()
    return PythonSearch()
