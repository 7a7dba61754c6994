"""Pure remedy planning: which kinds retry, what gets purged, when to stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepip.cache.layout import http_entry_paths
from safepip.install.remedies import Context, plan, purge_targets
from safepip.model import DEFAULT_POLICY, Diagnosis, FailureKind, RemedyAction, RetryPolicy
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
    """With nothing to purge, the retry runs with a private cache."""
    result = plan(diag(FailureKind.CACHE_CORRUPT), [], Context(cache_root=ROOT))
    assert [r.action for r in result.remedies] == [RemedyAction.PRIVATE_CACHE]


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


def test_download_corrupt_same_got_twice_stops() -> None:
    """Identical wrong bytes after a fresh download mean retrying cannot help."""
    d = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(URL,), got_hash="b" * 64)
    assert plan(d, [], Context(cache_root=ROOT)).again is True
    assert plan(d, [d], Context(cache_root=ROOT, no_cache=True)).again is False
    other = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(URL,), got_hash="c" * 64)
    assert plan(other, [d], Context(cache_root=ROOT, no_cache=True)).again is True


def test_download_corrupt_purges_and_bypasses_cache() -> None:
    """The poisoned cache entry is removed and the retry runs with --no-cache-dir."""
    d = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(URL,), got_hash="b" * 64)
    actions = [r.action for r in plan(d, [], Context(cache_root=ROOT)).remedies]
    assert actions == [RemedyAction.PURGE, RemedyAction.NO_CACHE_DIR]


@pytest.mark.parametrize(
    ("version", "already", "expected"),
    [
        ((26, 3), False, True),
        ((25, 1), False, True),
        ((25, 0, 1), False, False),
        ((24, 0), False, False),
        (None, False, False),
        ((26, 3), True, False),
    ],
)
def test_resume_retries_only_where_pip_has_it(
    version: tuple[int, ...] | None, already: bool, expected: bool
) -> None:
    """--resume-retries is planned for pip >= 25.1 unless already given."""
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
