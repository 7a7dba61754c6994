"""Pure remedy planning: which kinds retry, what gets purged, when to stop."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from safepip.cache.layout import http_entry_paths
from safepip.install.planning import Context, purge_targets
from safepip.install.remedies import (
    AFTER_PIP_RETRIES_WAIT,
    EMPTY_PAGE_WAIT,
    PIP_BACKOFF_RETRIES,
    UNREACHABLE_WAIT,
    index_settings,
    plan,
    setting_for,
)
from safepip.model import (
    DEFAULT_POLICY,
    Cause,
    Diagnosis,
    FailureKind,
    RemedyAction,
    RetryPolicy,
)
from safepip.pipfacts import EMPTY_SHA256

URL = "http://127.0.0.1:8765/files/demo-1.0-py3-none-any.whl"
ROOT = Path("/cache")


def diag(kind: FailureKind, **fields: object) -> Diagnosis:
    return Diagnosis(kind, DEFAULT_POLICY[kind], **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", [k for k, p in DEFAULT_POLICY.items() if p is RetryPolicy.STOP])
def test_stop_kinds_never_retry(kind: FailureKind) -> None:
    """Every STOP kind yields a plan without another attempt or remedy."""
    result = plan(diag(kind), [], Context(cache_root=ROOT))
    assert result.again is False
    assert result.remedies == ()


def test_every_kind_has_a_plan() -> None:
    """plan() handles every FailureKind under every policy."""
    for kind in FailureKind:
        for policy in RetryPolicy:
            plan(Diagnosis(kind, policy), [], Context())


@pytest.mark.parametrize("kind", list(FailureKind))
def test_the_policy_decides_whether_to_run_again(kind: FailureKind) -> None:
    """again follows Diagnosis.policy, the one table, not a second list of kinds."""
    for policy in RetryPolicy:
        result = plan(Diagnosis(kind, policy), [], Context(cache_root=ROOT))
        assert result.again is (policy is not RetryPolicy.STOP), (kind, policy)


def test_a_kind_the_classifier_made_retryable_gets_one_plain_retry() -> None:
    """A refined policy (here a stop kind judged retryable for this log) runs once more only."""
    permission = Diagnosis(FailureKind.PERMISSION, RetryPolicy.RETRY)
    first = plan(permission, [], Context())
    assert first.again is True
    assert first.remedies == ()
    assert plan(permission, [permission], Context()).again is False


def test_cache_corrupt_purges_http_keys_and_wheel_entry() -> None:
    """The URL's http-v2 pair and http/ file, and the wheels/ entry dir, are the targets."""
    wheel = "/cache/wheels/27/4d/c1/0123abcdeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee/demo-1.0-py3-none-any.whl"
    result = plan(
        diag(FailureKind.CACHE_CORRUPT, urls=(URL,), paths=(wheel,)), [], Context(cache_root=ROOT)
    )
    assert result.again is True
    (purge,) = result.remedies
    assert purge.action is RemedyAction.PURGE
    expected = [str(p) for p in http_entry_paths(ROOT, URL)] + [
        "/cache/wheels/27/4d/c1/0123abcdeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
    ]
    assert list(purge.paths) == expected


def test_paths_outside_the_cache_are_not_targets() -> None:
    """Logged paths outside the cache root (or with '..') never become purge targets."""
    d = diag(
        FailureKind.CACHE_CORRUPT,
        paths=("/etc/passwd", "/cache/wheels/../../etc/x.whl", "/other/wheels/aa/bb/cc/dd/x.whl"),
        urls=("not a url",),
    )
    assert purge_targets(d, ROOT) == ()


def test_unlocatable_cache_entry_falls_back_to_private_cache() -> None:
    """With nothing to purge, the retry runs with a private cache; the entry stays, said so."""
    result = plan(diag(FailureKind.CACHE_CORRUPT), [], Context(cache_root=ROOT))
    assert [r.action for r in result.remedies] == [RemedyAction.PRIVATE_CACHE]
    assert "stays in the cache" in result.remedies[0].reason
    assert "safepip cache verify --fix" in result.remedies[0].reason


ENTRY = "/cache/wheels/c2/62/90/3d9a127e3313ad838bfebfddfe48fc051e5e874b03f14a612b"
WHEEL_LINK = f"file://{ENTRY}/built_demo-3.0-py3-none-any.whl"


def test_a_cached_wheel_link_targets_its_wheels_entry() -> None:
    """A ``Using cached wheel link: file:///...`` URL in the paths purges that entry directory.

    Decoded (%20), local hosts only, never anything outside the cache's wheels/ layout.
    """
    assert purge_targets(diag(FailureKind.CACHE_CORRUPT, paths=(WHEEL_LINK,)), ROOT) == (ENTRY,)
    spaced = Path("/my cache")
    link = WHEEL_LINK.replace("/cache/", "/my%20cache/")
    assert purge_targets(diag(FailureKind.CACHE_CORRUPT, paths=(link,)), spaced) == (
        ENTRY.replace("/cache/", "/my cache/"),
    )
    hostile = (
        WHEEL_LINK.replace("file://", "file://evil.example"),
        "file:///cache/wheels/c2/62/90/../../../../etc/x.whl",
        "file:///cache/http-v2/a/b/c/d/e/x.whl",
        "file:///elsewhere/wheels/c2/62/90/3d9a127e3313ad838bfebfddfe48fc051e5e874b03f14a612b/x.whl",
    )
    assert purge_targets(diag(FailureKind.CACHE_CORRUPT, paths=hostile), ROOT) == ()


def test_a_located_entry_after_an_unlocated_failure_is_purged_without_a_private_cache() -> None:
    """The console named no entry, the --log rerun did: the purge is the first remedy.

    So the purge alone heals the user's cache (a private cache would leave it unrebuilt).
    """
    console = diag(FailureKind.CACHE_CORRUPT, from_cache=True)
    logged = diag(FailureKind.CACHE_CORRUPT, from_cache=True, paths=(WHEEL_LINK,))
    result = plan(logged, [console], Context(cache_root=ROOT))
    assert result.again is True
    assert [r.action for r in result.remedies] == [RemedyAction.PURGE]
    assert result.remedies[0].paths == (ENTRY,)


def test_a_located_entry_failing_again_after_its_purge_adds_a_private_cache() -> None:
    """A failure after a purge of a located entry recurs: purge again and isolate."""
    logged = diag(FailureKind.CACHE_CORRUPT, paths=(WHEEL_LINK,))
    result = plan(logged, [logged], Context(cache_root=ROOT))
    assert [r.action for r in result.remedies] == [RemedyAction.PURGE, RemedyAction.PRIVATE_CACHE]


def test_with_no_cache_known_an_entry_the_log_names_counts_as_located() -> None:
    """diagnose plans without a cache: a named URL or wheels/ path needs no private cache."""
    for located in (
        diag(FailureKind.CACHE_CORRUPT, urls=(URL,)),
        diag(FailureKind.CACHE_CORRUPT, paths=(WHEEL_LINK,)),
    ):
        assert plan(located, [], Context()).remedies == ()
    unlocated = plan(diag(FailureKind.CACHE_CORRUPT), [], Context())
    assert [r.action for r in unlocated.remedies] == [RemedyAction.PRIVATE_CACHE]


def test_empty_body_race_purges_and_isolates() -> None:
    """The empty-file hash (pypa/pip#12361) purges and also switches to a private cache."""
    d = diag(FailureKind.CACHE_CORRUPT, urls=(URL,), got_hash=EMPTY_SHA256)
    result = plan(d, [], Context(cache_root=ROOT))
    assert [r.action for r in result.remedies] == [RemedyAction.PURGE, RemedyAction.PRIVATE_CACHE]


def test_cache_failure_with_private_cache_twice_stops() -> None:
    """A cache failure that recurs even in a fresh private cache is not retried again."""
    d = diag(FailureKind.CACHE_CORRUPT, urls=(URL,))
    result = plan(d, [d], Context(cache_root=ROOT, private_cache=True))
    assert result.again is False


def test_download_corrupt_purges_and_bypasses_cache() -> None:
    """The poisoned cache entry is removed and the retry runs with --no-cache-dir."""
    d = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(URL,), got_hash="b" * 64)
    actions = [r.action for r in plan(d, [], Context(cache_root=ROOT)).remedies]
    assert actions == [RemedyAction.PURGE, RemedyAction.NO_CACHE_DIR]


@pytest.mark.parametrize(
    ("version", "already", "expected"),
    [
        ((26, 3), False, False),  # its default is already 5: passing it changes nothing
        ((25, 2), False, False),
        ((25, 1, 1), False, True),
        ((25, 1), False, True),
        ((25, 0, 1), False, False),
        ((24, 0), False, False),
        (None, False, False),
        ((25, 1), True, False),
    ],
)
def test_resume_retries_only_where_pip_has_it(
    version: tuple[int, ...] | None, already: bool, expected: bool
) -> None:
    """--resume-retries only on pip 25.1.x (later it is pip's default), unless already given."""
    result = plan(
        diag(FailureKind.NETWORK_TRANSIENT),
        [],
        Context(pip_version=version, resume_retries=already),
    )
    assert result.again is True
    assert (RemedyAction.RESUME_RETRIES in [r.action for r in result.remedies]) is expected


def test_unknown_gets_one_plain_retry() -> None:
    """An unrecognised failure is retried once, then stops."""
    d = diag(FailureKind.UNKNOWN)
    assert plan(d, [], Context()).again is True
    assert plan(d, [d], Context()).again is False


def test_empty_log_never_retries() -> None:
    """When pip wrote no log at all, nothing is retried, whatever the kind."""
    assert plan(diag(FailureKind.NETWORK_TRANSIENT), [], Context(log_empty=True)).again is False


# -- issue 16: causes, delays and the stops that name who must act -------------------------------

DEVPI_FILE = "http://127.0.0.1:3141/root/pypi/%2Bf/16c/58a555755b5bf/demo-1.0-py3-none-any.whl"


def test_same_bad_bytes_twice_names_the_host_and_its_admin() -> None:
    """The stop says which host serves the bad copy, that no client step helps, what to do."""
    first = diag(
        FailureKind.DOWNLOAD_CORRUPT, got_hash="c" * 64, urls=(DEVPI_FILE,), cause=Cause.COMPLETE
    )
    result = plan(first, [first], Context(no_cache=True))
    assert result.again is False
    assert "127.0.0.1:3141" in result.why
    assert "127.0.0.1:3141 serves a damaged copy of demo-1.0-py3-none-any.whl" in result.hint
    assert "nothing on this side" in result.hint
    assert "devpi" in result.hint
    assert "--no-cache-dir" in result.hint  # named as what does not help, not advised
    assert "retry once" not in result.hint


@pytest.mark.parametrize(
    ("url", "admin"),
    [
        ("http://127.0.0.1:5000/index/demo/demo-1.0-py3-none-any.whl", "PROXPI_CACHE_DIR"),
        ("https://files.pythonhosted.org/packages/ab/cd/demo-1.0.whl", "CDN"),
        ("https://mirror.example/simple/files/demo-1.0.whl", "proxy or antivirus"),
    ],
)
def test_the_admin_step_follows_the_kind_of_server(url: str, admin: str) -> None:
    first = diag(FailureKind.DOWNLOAD_CORRUPT, got_hash="c" * 64, urls=(url,))
    assert admin in plan(first, [first], Context(pip_version=(26, 3))).hint


def test_a_broken_download_without_hash_gets_one_fresh_download_then_stops() -> None:
    """No hash to compare: retried once with --no-cache-dir, then the host is named.

    The stop needs a download known whole (its bar full, or pip >= 25.1); a broken archive
    whose bytes nothing shows whole may have been cut, and is retried with the backoff.
    """
    broken = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(DEVPI_FILE,))
    whole = replace(broken, cause=Cause.COMPLETE)
    first = plan(whole, [], Context(cache_root=ROOT))
    assert first.again is True
    assert RemedyAction.NO_CACHE_DIR in [r.action for r in first.remedies]
    for second in (
        plan(whole, [broken], Context(cache_root=ROOT, no_cache=True)),
        plan(broken, [whole], Context(cache_root=ROOT, no_cache=True)),
        plan(broken, [broken], Context(no_cache=True, pip_version=(26, 3))),
    ):
        assert second.again is False
        assert "127.0.0.1:3141" in second.why
        assert "damaged copy" in second.hint
    unknown = plan(broken, [broken], Context(cache_root=ROOT, no_cache=True, pip_version=(24, 0)))
    assert unknown.again is True
    assert unknown.immediate is False
    assert "not known to be whole" in unknown.why


def test_a_stop_on_a_bad_copy_still_purges_what_pip_cached_of_it() -> None:
    """pip cached the bad download before it failed: the stop removes it.

    Left there, it fails every later plain pip from the cache, also once the index is fixed.
    """
    broken = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(DEVPI_FILE,), cause=Cause.COMPLETE)
    stop = plan(broken, [broken], Context(cache_root=ROOT, no_cache=True))
    assert stop.again is False
    (purge,) = stop.remedies
    assert purge.action is RemedyAction.PURGE
    assert purge.paths == tuple(str(p) for p in http_entry_paths(ROOT, DEVPI_FILE))
    got = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(URL,), got_hash="c" * 64, cause=Cause.COMPLETE)
    same = plan(got, [got], Context(cache_root=ROOT, no_cache=True))
    assert same.again is False
    assert [r.action for r in same.remedies] == [RemedyAction.PURGE]
    # Nothing to name: no cache, or no URL. A stop of another kind purges nothing.
    assert plan(broken, [broken], Context(no_cache=True, pip_version=(26, 3))).remedies == ()
    unnamed = replace(broken, urls=())
    assert plan(unnamed, [unnamed], Context(cache_root=ROOT, no_cache=True)).remedies == ()
    assert (
        plan(
            diag(FailureKind.HASH_PIN_MISMATCH, urls=(URL,)), [], Context(cache_root=ROOT)
        ).remedies
        == ()
    )


def test_a_download_cut_short_is_retried_with_backoff_whatever_its_bytes() -> None:
    """Cut short: a network failure; the same cut point twice is no reason to stop."""
    cut = diag(FailureKind.DOWNLOAD_CORRUPT, got_hash="c" * 64, urls=(URL,), cause=Cause.CUT_SHORT)
    result = plan(cut, [cut, cut], Context(cache_root=ROOT))
    assert result.again is True
    assert result.immediate is False  # the backoff applies
    assert [r.action for r in result.remedies] == [RemedyAction.PURGE]


def test_an_empty_index_page_gets_one_delayed_retry_then_is_not_found() -> None:
    page = "http://127.0.0.1:3141/root/pypi/+simple/demo/"
    empty = Diagnosis(
        FailureKind.NOT_FOUND, RetryPolicy.RETRY, urls=(page,), cause=Cause.EMPTY_PAGE
    )
    first = plan(empty, [], Context(cache_root=ROOT))
    assert first.again is True
    assert first.delay == EMPTY_PAGE_WAIT
    # pip's cached copy of the empty page goes, so that the retry asks the mirror again.
    (purge,) = first.remedies
    assert purge.action is RemedyAction.PURGE
    assert set(purge.paths) == {str(p) for p in http_entry_paths(ROOT, page)}
    assert 0.5 <= EMPTY_PAGE_WAIT <= 2
    assert plan(empty, [empty], Context()).again is False


def test_unreachable_gets_one_more_attempt_then_names_host_and_setting() -> None:
    url = "http://127.0.0.1:50307/simple/x/"
    down = diag(FailureKind.NETWORK_TRANSIENT, urls=(url,), cause=Cause.UNREACHABLE)
    settings = index_settings(
        ["--index-url", "http://127.0.0.1:50307/simple", "x"],
        {"PIP_EXTRA_INDEX_URL": "https://other.example/simple"},
    )
    first = plan(down, [], Context(index_settings=settings))
    assert first.again is True
    assert first.delay == UNREACHABLE_WAIT
    second = plan(down, [down], Context(index_settings=settings))
    assert second.again is False
    assert "127.0.0.1:50307" in second.why
    assert "--index-url" in second.why
    assert "Nothing answers at 127.0.0.1:50307, twice" in second.hint
    assert "--index-url, which points pip at it" in second.hint


def test_index_settings_read_options_and_variables() -> None:
    settings = index_settings(
        ["-i", "http://a/simple", "--extra-index-url=http://b/simple", "--", "-i", "nope"],
        {"PIP_INDEX_URL": "http://c/simple", "PIP_FIND_LINKS": ""},
    )
    assert settings == (
        ("-i", "http://a/simple"),
        ("--extra-index-url", "http://b/simple"),
        ("PIP_INDEX_URL", "http://c/simple"),
    )
    assert setting_for("c", settings) == "PIP_INDEX_URL"
    assert "pip config list" in setting_for("elsewhere:8080", settings)


def test_after_pips_own_retries_the_next_wait_is_short() -> None:
    """pip already waited its backoff inside the attempt: safepip does not wait it again."""
    retried = diag(FailureKind.NETWORK_TRANSIENT, pip_retries=5)
    assert plan(retried, [], Context()).delay == AFTER_PIP_RETRIES_WAIT == 0.0
    three = diag(FailureKind.NETWORK_TRANSIENT, pip_retries=PIP_BACKOFF_RETRIES)
    assert plan(three, [], Context()).delay == 0.0
    once = diag(FailureKind.NETWORK_TRANSIENT, pip_retries=1)
    assert plan(once, [], Context()).delay is None  # the backoff applies


def test_a_pip_told_to_retry_less_did_not_back_off_for_long() -> None:
    """'too many 500 error responses' counts as pip's default 5 retries, or the user's fewer.

    With ``--retries 1`` pip waited no backoff, so safepip's own applies.
    """
    exhausted = diag(FailureKind.NETWORK_TRANSIENT, pip_retries=5)
    assert plan(exhausted, [], Context(pip_retries=1)).delay is None
    assert plan(exhausted, [], Context(pip_retries=10)).delay == 0.0


def test_unreachable_without_a_url_names_the_one_configured_host() -> None:
    """pip 24's urllib3 prints no host: the one index the run points at is named.

    ("<HTTPConnection object at 0x...>"); with several indexes, none is guessed.
    """
    down = diag(FailureKind.NETWORK_TRANSIENT, cause=Cause.UNREACHABLE)
    one = index_settings(["-i", "http://127.0.0.1:50307/simple", "x"], {})
    result = plan(down, [down], Context(index_settings=one))
    assert "Nothing answers at 127.0.0.1:50307, twice" in result.hint
    assert "check -i" in result.why
    two = index_settings(["-i", "http://a/simple", "--extra-index-url", "http://b/simple"], {})
    assert "the index host" in plan(down, [down], Context(index_settings=two)).hint
