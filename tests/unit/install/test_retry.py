"""Backoff maths and the retry driver, with an injected sleep and clock."""

from __future__ import annotations

from safepip.install.retry import Backoff, Step, compute_wait, retry_loop


def test_compute_wait_doubles_with_jitter_and_cap() -> None:
    """Waits are base * 2**(n-1) * (1 + jitter * rand), capped at max_wait."""
    backoff = Backoff(base=1.0, max_wait=10.0, jitter=0.5)
    assert [compute_wait(backoff, n, 0.0) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 10.0]
    assert compute_wait(backoff, 2, 1.0) == 3.0


def test_loop_stops_when_the_step_is_satisfied() -> None:
    """No sleep happens after a step that does not ask for another."""
    sleeps: list[float] = []
    steps = iter([Step("a", again=True), Step("b", again=False)])
    result = retry_loop(
        lambda n: next(steps),
        backoff=Backoff(base=2.0, jitter=0.0),
        sleep=sleeps.append,
        clock=lambda: 0.0,
        rand=lambda: 0.0,
        before_wait=lambda value, wait: None,
        on_give_up=lambda value, why: None,
    )
    assert result == "b"
    assert sleeps == [2.0]


def test_loop_reports_why_it_gave_up() -> None:
    """Out of attempts: the last value is returned and on_give_up says 'attempts'."""
    seen: list[tuple[str, str]] = []
    numbers: list[int] = []

    def step(number: int) -> Step[str]:
        numbers.append(number)
        return Step(f"v{number}", again=True)

    result = retry_loop(
        step,
        backoff=Backoff(attempts=3, jitter=0.0),
        sleep=lambda s: None,
        clock=lambda: 0.0,
        rand=lambda: 0.0,
        before_wait=lambda value, wait: None,
        on_give_up=lambda value, why: seen.append((value, why)),
    )
    assert numbers == [1, 2, 3]
    assert result == "v3"
    assert seen == [("v3", "attempts")]


def test_loop_respects_the_budget() -> None:
    """A wait that would cross the budget ends the loop with reason 'budget'."""
    now = [0.0]
    seen: list[str] = []

    def step(number: int) -> Step[int]:
        now[0] += 5.0
        return Step(number, again=True)

    result = retry_loop(
        step,
        backoff=Backoff(attempts=10, budget=12.0, jitter=0.0, base=1.0),
        sleep=lambda s: now.__setitem__(0, now[0] + s),
        clock=lambda: now[0],
        rand=lambda: 0.0,
        before_wait=lambda value, wait: None,
        on_give_up=lambda value, why: seen.append(why),
    )
    assert result == 2
    assert seen == ["budget"]


def test_immediate_step_skips_the_wait_but_keeps_the_sequence() -> None:
    """A step marked immediate is followed by a zero wait; later waits keep their place."""
    sleeps: list[float] = []
    steps = iter([Step(1, again=True, immediate=True), Step(2, again=True), Step(3, again=False)])
    retry_loop(
        lambda n: next(steps),
        backoff=Backoff(base=1.0, jitter=0.0),
        sleep=sleeps.append,
        clock=lambda: 0.0,
        rand=lambda: 0.0,
        before_wait=lambda value, wait: None,
        on_give_up=lambda value, why: None,
    )
    assert sleeps == [0.0, 2.0]
