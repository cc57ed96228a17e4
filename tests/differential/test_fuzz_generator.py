"""The random call generator on our store alone (no oracle): seeded, broad, and mostly valid.

The differential test (test_fuzz_against_oracle.py) is only worth its figures if the same seed always
draws the same calls, if the calls reach the whole API, and if most of them name things that exist,
so that they exercise behaviour rather than only errors. Runs on both kernels, with or without the
oracle.
"""
from __future__ import annotations

import pytest
from fuzz_replay import READ_OPS, WRITE_OPS
from fuzz_run import LENGTH, ours_for_seed

SEEDS = range(40)


@pytest.fixture(scope="module")
def drawn() -> list:
    return [ours_for_seed(seed) for seed in SEEDS]


def test_a_seed_draws_the_same_calls_and_outcomes_again(drawn: list) -> None:
    assert ours_for_seed(7) == drawn[7]


def test_every_method_is_drawn(drawn: list) -> None:
    made = {c["op"] for calls, _ in drawn for c in calls}
    assert sorted((READ_OPS | WRITE_OPS) - made) == []


def test_most_calls_succeed_and_some_fail(drawn: list) -> None:
    outcomes = [o for _, outs in drawn for o in outs]
    answered = sum("value" in o for o in outcomes)
    assert len(outcomes) == len(SEEDS) * LENGTH
    assert 0.6 * len(outcomes) <= answered <= 0.9 * len(outcomes), f"{answered} of {len(outcomes)} answered"


def test_only_errors_a_caller_can_catch(drawn: list) -> None:
    # Whatever a random call does wrong, it gets an ml_metadata error, never a foreign exception.
    import ml_metadata.errors as errors

    caught = {name for name in dir(errors) if name.endswith("Error")}
    raised = {o["error"] for _, outs in drawn for o in outs if "error" in o}
    assert raised <= caught, raised - caught
