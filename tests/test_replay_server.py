"""The replay server: recordings verbatim, listing queries evaluated over the demo corpus, PDFs."""

import pytest
import requests

from replay.corpus import RealdataMissing
from replay.query import QueryError, compile_query
from replay.server import ReplayServer


def test_missing_realdata_folder_is_named(tmp_path):
    with pytest.raises(RealdataMissing, match=f"not found at {tmp_path}.*ARXIV_MONITOR_REALDATA"):
        ReplayServer(realdata=tmp_path)


def test_listing_query_is_evaluated_sorted_and_paged(server):
    params = {"search_query": "(cat:cs.RO OR cat:cs.CV) AND submittedDate:[202512231900 TO 202512241859]",
              "sortBy": "submittedDate", "sortOrder": "ascending", "start": 0, "max_results": 2}
    first = requests.get(server.api_url, params=params, timeout=5).text
    assert "<opensearch:totalResults>5</opensearch:totalResults>" in first
    assert first.count("<entry>") == 2 and first.index("2512.20276v1") < first.index("2512.20014v1")


def test_unanswerable_query_gets_an_error_feed(server):
    response = requests.get(server.api_url, params={"search_query": "foo:bar"}, timeout=5)
    assert response.status_code == 400 and "unsupported field" in response.text


def test_pdf_served_by_versioned_id_and_404_otherwise(server):
    ok = requests.get(f"{server.pdf_url}/1505.04597v1", timeout=5)
    assert ok.status_code == 200 and ok.content.startswith(b"%PDF")
    assert requests.get(f"{server.pdf_url}/2512.20276v1", timeout=5).status_code == 404
    assert requests.get(f"{server.pdf_url}/..%2F..%2Fetc%2Fpasswd", timeout=5).status_code == 404


@pytest.mark.parametrize("query", ["(cat:cs.AI", "cat:cs.AI AND", "submittedDate:[2025 TO]"])
def test_malformed_queries_are_rejected(query):
    with pytest.raises(QueryError):
        compile_query(query)
