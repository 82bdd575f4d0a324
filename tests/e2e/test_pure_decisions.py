"""Deciding calls out to nothing: the guard every scenario of the suite runs under
(tests/conftest.py, `decisions_make_no_request`) catches a decision that does."""

from __future__ import annotations

import pytest

import incident_tool.app as run_module
from incident_tool.core import decide
from tests.world import REPO, cli


def test_a_decision_that_makes_a_request_is_caught(world, monkeypatch, decisions_make_no_request):
    real = decide.sweep_duties

    def calls_out(ctx, inputs):
        import urllib.request

        # A decision asking GitHub itself, as the old LiveFacts let it.
        urllib.request.urlopen(f"{world.driver.env['GITHUB_API_URL']}/repos/{REPO}")
        real(ctx, inputs)

    n = world.report()
    monkeypatch.setattr(run_module, "sweep_duties", calls_out)
    cli(world, "sweep", "--repo", REPO)
    assert decisions_make_no_request and "GET" in decisions_make_no_request[0]
    decisions_make_no_request.clear()  # seen: the test passes
    assert world.record(n) is not None


def test_facts_are_gathered_between_rounds_and_asked_once(world, monkeypatch):
    from incident_tool.effects.facts import FactGatherer

    asked: dict[int, list] = {}  # per run (one gatherer each)
    real = FactGatherer.answer

    def answer(self, questions):
        questions = list(questions)
        asked.setdefault(id(self), []).extend(questions)
        return real(self, questions)

    monkeypatch.setattr(FactGatherer, "answer", answer)
    n = world.report()
    world.declare(n)
    world.say(n, "priya", "/update looking at the database")
    assert asked, "a declaration needs facts (roles, availability)"
    for questions in asked.values():
        # Each answer is kept for the rest of the run's rounds: never asked twice.
        assert len(questions) == len(set(questions)), questions


@pytest.mark.parametrize("kind", ["role", "events"])
def test_unknown_facts_raise_instead_of_calling_out(kind):
    from datetime import datetime, timezone

    from incident_tool.core.facts import REPORTS_BEFORE, ROLE, KnownFacts, Question, Unknown

    facts = KnownFacts("github-actions[bot]")
    with pytest.raises(Unknown):
        if kind == "role":
            facts.role("dana")
        else:
            facts.happened("closed")
    assert facts.is_tool("GitHub-Actions[bot]")  # known without asking
    assert not facts.unavailable([])  # nobody asked about: nothing to gather
    known = facts.with_answers({Question(ROLE, ("dana",)): "write"})
    assert known.role("Dana") == "write"
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(Unknown) as raised:
        known.reports_before("dana", moment, 3)
    assert raised.value.question == Question(REPORTS_BEFORE, ("dana", moment, 3))
