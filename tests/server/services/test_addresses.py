"""The address directory and house passports without HTTP."""

from __future__ import annotations

import pytest

from gkh.domain.address import query_needles
from gkh.server.demo import H1_GUID, H5_GUID
from gkh.server.http import ApiError
from gkh.server.services import addresses


def test_a_search_pages_by_address(store):
    first = addresses.search_houses(store, query_needles("ленина"), 1, ["", ""])
    assert [h["guid"] for h in first.items] == [H5_GUID]  # г. Екатеринбург sorts before г. Москва
    rest = addresses.search_houses(store, query_needles("ленина"), 1, first.resume_after)
    assert [h["guid"] for h in rest.items] == [H1_GUID] and rest.resume_after is None


def test_a_passport(store):
    passport = addresses.house_passport(store, H1_GUID)
    assert passport["readings_window"] == {"from_day": 1, "to_day": 31}
    assert passport["flats"] == 220
    assert passport["managing_organisation"]["short_name"] == "ООО «УК Ленинский квартал»"


def test_an_unknown_house_is_404(store):
    with pytest.raises(ApiError) as unknown:
        addresses.house_passport(store, "00000000-0000-4000-8000-000000000000")
    assert (unknown.value.status_code, unknown.value.error_code) == (404, "house_not_found")
