"""Backoff and stop conditions; the only module that imports tenacity.

The maths is a pure function (:func:`compute_wait`); :func:`retry_loop` drives a step function
with tenacity and never lets a tenacity type out. Whether to retry is the step's decision
(derived from ``Diagnosis.policy`` by :mod:`safepip.install.remedies`), never an exception type.
Sleep, clock and randomness are injected so that tests assert the exact waits
(as stamina and tenacity's own tests do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Generic, TypeVar

from safepip.pipargs import DEFAULT_TIME_BUDGET

if TYPE_CHECKING:
    import tenacity as _t

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter, capped per wait and by a total budget.

    Attributes:
        base: the first wait in seconds.
        factor: growth per retry.
        max_wait: the cap of one wait.
        jitter: up to this fraction of the wait is added at random (0 disables jitter).
        attempts: the most steps in total.
        budget: seconds for all steps and waits together.
    """

    base: float = 1.0
    factor: float = 2.0
    max_wait: float = 30.0
    jitter: float = 0.5
    attempts: int = 4
    budget: float = DEFAULT_TIME_BUDGET


def compute_wait(backoff: Backoff, retry_number: int, rand: float) -> float:
    """The wait before retry number ``retry_number`` (1 for the wait after the first step).

    Args:
        backoff: the settings.
        retry_number: 1-based count of retries so far, including this one.
        rand: a number in [0, 1) from the injected random source.

    Returns:
        ``min(max_wait, base * factor ** (n - 1) * (1 + jitter * rand))``.
    """
    raw = backoff.base * backoff.factor ** (retry_number - 1)
    return min(backoff.max_wait, raw * (1.0 + backoff.jitter * rand))


def step_wait(
    last: Step[T], backoff: Backoff, retry_number: int, rand: Callable[[], float]
) -> float:
    """The wait after ``last``: none when immediate, its own delay, else the backoff."""
    if last.immediate:
        return 0.0
    if last.delay is not None:
        return last.delay
    return compute_wait(backoff, retry_number, rand())


@dataclass(frozen=True)
class Step(Generic[T]):
    """What one step returned and whether it asks for another.

    Attributes:
        value: the step's result.
        again: another step is wanted.
        immediate: the next step needs no backoff wait (a remedy changed what it will do,
            e.g. a purged cache entry), so it starts at once.
        delay: a fixed wait before the next step instead of the backoff (None: backoff);
            ``immediate`` wins over it.
    """

    value: T
    again: bool
    immediate: bool = False
    delay: float | None = None


def retry_loop(  # noqa: PLR0913 - every collaborator is injected on purpose
    step: Callable[[int], Step[T]],
    *,
    backoff: Backoff,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    rand: Callable[[], float],
    before_wait: Callable[[T, float], None],
    on_give_up: Callable[[T, str], None],
) -> T:
    """Run ``step`` until it stops asking for another, or attempts or time run out.

    Args:
        step: called with the 1-based attempt number; returns its value and whether to retry.
        backoff: waits, attempt cap and time budget.
        sleep: how to wait (``time.sleep``; a recorder in tests).
        clock: monotonic seconds (``time.monotonic``).
        rand: uniform [0, 1) (``random.random``).
        before_wait: told the step's value and the wait before each sleep.
        on_give_up: told the last value and why ("attempts" or "budget") when a step still
            wanted another attempt but none is left.

    Returns:
        The value of the last step.
    """
    start = clock()
    first = step(1)
    if not first.again:
        # Most installs succeed at once: tenacity is imported only when a retry may follow.
        return first.value
    hooks = _Hooks(backoff, sleep, clock, rand, before_wait, on_give_up)
    return _retry(first, step, hooks, start=start)


@dataclass(frozen=True)
class _Hooks(Generic[T]):
    """retry_loop's collaborators, handed on to the tenacity driver as one value."""

    backoff: Backoff
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    rand: Callable[[], float]
    before_wait: Callable[[T, float], None]
    on_give_up: Callable[[T, str], None]


def _retry(first: Step[T], step: Callable[[int], Step[T]], hooks: _Hooks[T], *, start: float) -> T:
    """Drive the attempts after the first one with tenacity (first = its outcome)."""
    import tenacity as _t  # noqa: PLC0415

    gave_up: list[str] = []

    def wait(state: _t.RetryCallState) -> float:
        assert state.outcome is not None  # noqa: S101 - tenacity waits after a step
        last: Step[T] = state.outcome.result()
        return step_wait(last, hooks.backoff, state.attempt_number, hooks.rand)

    def stop(state: _t.RetryCallState) -> bool:
        if state.attempt_number >= hooks.backoff.attempts:
            gave_up.append("attempts")
            return True
        # Do not start a wait that would end past the budget: stamina's stop_before_delay.
        if hooks.clock() - start + state.upcoming_sleep >= hooks.backoff.budget:
            gave_up.append("budget")
            return True
        return False

    def wants_again(outcome: Step[T]) -> bool:
        return outcome.again

    def last_value(state: _t.RetryCallState) -> Step[T]:
        assert state.outcome is not None  # noqa: S101 - tenacity calls this after a step
        result: Step[T] = state.outcome.result()
        hooks.on_give_up(result.value, gave_up[-1] if gave_up else "attempts")
        return result

    def announce(state: _t.RetryCallState) -> None:
        assert state.outcome is not None  # noqa: S101 - tenacity calls this after a step
        result: Step[T] = state.outcome.result()
        hooks.before_wait(result.value, state.upcoming_sleep)

    retrying: _t.Retrying = _t.Retrying(
        sleep=hooks.sleep,
        stop=stop,
        wait=wait,
        retry=_t.retry_if_result(wants_again),
        before_sleep=announce,
        retry_error_callback=last_value,
        reraise=True,
    )
    counter = [0]

    def attempt() -> Step[T]:
        counter[0] += 1
        return first if counter[0] == 1 else step(counter[0])

    final: Step[T] = retrying(attempt)
    return final.value
