"""Tests of safepip.index.client: what the default fetch of the conflict search reads."""

from __future__ import annotations

from support.memoryindex import TARGET, TRANSITIVE, Verifier

from safepip.conflicts.propose import propose


def test_default_fetch_refuses_non_http_urls(tmp_path: object) -> None:
    """The default fetch reads only http(s): a file: index yields a note, never a local read."""
    proposal = propose(
        TRANSITIVE,
        index_url="file:///etc",
        python="python3",
        env={},
        verify=Verifier(),
        target=TARGET,
    )
    assert proposal is not None
    assert proposal.change == ""
    assert "could not read file:///etc/a/: not an http(s) URL" in proposal.note
