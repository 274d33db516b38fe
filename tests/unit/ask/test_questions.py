"""Every question of the set answers with exactly its reference's result set."""

from __future__ import annotations

import pytest

from workloads.ask import ask_local, guard, questions
from workloads.ask.intents import INTENTS

QUESTIONS, OUT_OF_SCOPE = questions.load()


def test_the_set_has_at_least_60_questions_covering_every_intent_with_variants():
    assert len(QUESTIONS) >= 60
    by_intent = {}
    for item in QUESTIONS:
        by_intent.setdefault(item.intent, []).append(item)
    assert set(by_intent) == set(INTENTS)
    assert all(len(items) >= 3 for items in by_intent.values()), {
        k: len(v) for k, v in by_intent.items()
    }
    tags = {tag for item in QUESTIONS for tag in item.tags}
    assert {"typo", "paraphrase", "entity-form", "synonym"} <= tags
    for item in QUESTIONS:
        assert (item.sql is None) != (item.tool is None), item.question
        if item.sql is not None:
            guard.validate(item.sql)  # every reference is itself a checked SELECT


@pytest.mark.parametrize("item", QUESTIONS, ids=[q.question for q in QUESTIONS])
def test_question_answers_with_the_reference_result(ask_paths, item):
    answer = ask_local(item.question, ask_paths)
    assert answer.intent == item.intent, answer.answer
    assert answer.clarification is None
    columns, rows = questions.reference(ask_paths, item)
    assert rows, "a reference with no rows proves nothing: the dataset must cover it"
    assert answer.columns == columns
    assert questions.same_result(rows, answer.rows, item.ordered), answer.sql
    assert answer.answer and answer.sql


@pytest.mark.parametrize("text", OUT_OF_SCOPE)
def test_out_of_scope_questions_get_the_clarification(ask_paths, text):
    answer = ask_local(text, ask_paths)
    assert answer.intent == "clarification"
    assert answer.sql == "" and answer.rows == [] and answer.columns == []
    assert "I can answer:" in answer.clarification
    assert "open maintenance alerts" in answer.clarification  # lists what it can answer
    assert answer.as_dict()["clarification"] == answer.clarification


def test_same_result_tells_order_and_values_apart():
    rows = [["a", 1.0], ["b", 2.0]]
    assert questions.same_result(rows, [["a", 1.0000000001], ["b", 2.0]], ordered=True)
    assert not questions.same_result(rows, [["b", 2.0], ["a", 1.0]], ordered=True)
    assert questions.same_result(rows, [["b", 2.0], ["a", 1.0]], ordered=False)
    assert not questions.same_result(rows, [["a", 1.0], ["b", 2.5]], ordered=False)
    assert not questions.same_result(rows, [["a", 1.0]], ordered=False)
