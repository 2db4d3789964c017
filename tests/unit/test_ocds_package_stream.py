"""The streamed OCDS release package is byte for byte the one-shot serialisation."""

from __future__ import annotations

from projections.ocds_queries import release_package, release_package_chunks, serialize

RELEASES = [
    {"id": "ocds-mkt001-a-1", "date": "2026-01-05T09:00:00+00:00", "ocid": "ocds-mkt001-a", "tag": ["tender"]},
    {"id": "ocds-mkt001-a-7", "date": "2026-02-01T10:00:00+00:00", "ocid": "ocds-mkt001-a", "tag": ["award"]},
]


def test_streaming_a_package_gives_the_same_bytes_as_serialising_it_whole() -> None:
    streamed = "".join(release_package_chunks("urn:x", iter(RELEASES), RELEASES[-1]["date"]))
    assert streamed == serialize(release_package("urn:x", RELEASES, None))


def test_an_empty_stream_is_a_package_with_no_releases() -> None:
    streamed = "".join(release_package_chunks("urn:x", iter(()), None))
    assert streamed == serialize(release_package("urn:x", [], None))
