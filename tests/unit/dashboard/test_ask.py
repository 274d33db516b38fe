"""The Ask box and GET /api/ask: answers from the local tables, length limit, escaping,
nothing computed on page load."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import pytest
from panel.pane import HTML
from tornado.testing import AsyncHTTPTestCase
from tornado.web import Application

from dashboard.app import create_page
from dashboard.ask import OFF, AskBox, Asker, patterns, render_answer
from dashboard.sources import LocalGoldSource, LocalStatusSource
from dashboard.state import Poller
from tests.fakes.gold_tables import write_all
from workloads.ask import Answer
from workloads.config import Paths
from workloads.errors import WindmillError

pytestmark = pytest.mark.unit

HOSTILE = "<script>window.__pwned=1</script> which turbines need maintenance?"


def hostile_answer(question: str) -> Answer:
    """An answer whose every shown part carries markup."""
    return Answer(
        question=question,
        intent="maintenance",
        answer=f"You asked {question!r} & <b>got</b> this.",
        sql="SELECT '<img src=x onerror=alert(1)>' AS \"<th>\" FROM gold_turbine_status",
        columns=["<th>", "n"],
        rows=[["<td>x</td>", 3], [None, 4]],
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Paths:
    home = Paths(tmp_path_factory.mktemp("ask-home"))
    write_all(home)
    return home


def test_render_answer_escapes_the_sentence_table_and_sql():
    shown = render_answer(hostile_answer(HOSTILE).as_dict())
    assert "<script>" not in shown and "<img" not in shown and "<b>" not in shown
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in shown
    assert shown.startswith(
        '<div class="wm-ask-question">&lt;script&gt;window.__pwned=1&lt;/script&gt; which'
    )
    assert "<th>&lt;th&gt;</th>" in shown and "<td>&lt;td&gt;x&lt;/td&gt;</td>" in shown
    assert '<pre class="wm-ask-sql">SELECT &#x27;&lt;img src=x' in shown
    assert shown.count("<tr>") == 3  # the header and two rows


def test_render_answer_shows_a_clarification_instead_of_the_answer():
    clarified = {"answer": "no match", "clarification": "I can answer: <open alerts>."}
    shown = render_answer({**clarified, "sql": "", "columns": [], "rows": []})
    assert "I can answer: &lt;open alerts&gt;." in shown and "no match" not in shown
    assert "<table" not in shown and "<pre" not in shown


def test_the_box_answers_from_the_local_tables_escaped(home):
    box = AskBox(Asker.local(home))
    asyncio.run(box.ask("which turbines need maintenance?"))
    shown = box.output.object
    assert "2 turbines need maintenance: TURBINE_00002, TURBINE_00003." in shown
    assert '<pre class="wm-ask-sql">SELECT turbine_id' in shown
    assert "<td>TURBINE_00002</td>" in shown
    assert not box.button.disabled
    box = AskBox(Asker(hostile_answer, "test"))
    asyncio.run(box.ask(HOSTILE))
    assert "<script>" not in box.output.object and "&lt;script&gt;" in box.output.object


def test_the_box_shows_a_too_long_question_as_one_sentence(home):
    box = AskBox(Asker.local(home))
    assert box.question.max_length == 500  # the browser stops typing there
    asyncio.run(box.ask("x" * 501))
    assert box.output.object == (
        '<div class="wm-ask-error">The question is 501 characters long; ask in one sentence'
        " of at most 500.</div>"
    )


def boxes(page) -> list:
    """The Ask boxes of a page (a Viewer is laid out as its __panel__)."""
    main, _tags = page._render_items["main"]
    return [o for o in main.objects if "wm-ask" in (o.css_classes or [])]


def test_the_page_computes_no_answer_on_load_and_hides_a_box_that_cannot_answer(home):
    asked: list[str] = []
    asker = Asker(lambda q: asked.append(q) or hostile_answer(q), "test")
    poller = Poller(LocalStatusSource(home), LocalGoldSource(home))
    (box,) = boxes(create_page(poller, asker=asker))
    (output,) = [o for o in box.objects if isinstance(o, HTML) and o.object == ""]
    assert asked == []  # no answer until someone asks
    assert boxes(create_page(poller, asker=Asker(None, ""))) == []
    assert boxes(create_page(poller)) == []


def test_genie_without_a_space_id_is_off():
    asker = Asker.genie(client=object(), space_id=None)
    assert not asker.enabled
    with pytest.raises(WindmillError, match="WINDMILL_GENIE_SPACE_ID"):
        asker.answer("which turbines need maintenance?")


class _Api(AsyncHTTPTestCase):
    asker: Asker

    def get_app(self) -> Application:
        return Application(patterns(self.asker))

    def ask(self, query: str) -> tuple[int, dict, str]:
        response = self.fetch(f"/api/ask{query}")
        return response.code, json.loads(response.body), response.headers["Content-Type"]


@pytest.fixture(scope="class")
def local_asker(request, tmp_path_factory):
    home = Paths(tmp_path_factory.mktemp("ask-api-home"))
    write_all(home)
    request.cls.asker = Asker.local(home)


@pytest.mark.usefixtures("local_asker")
class TestLocalApi(_Api):
    def test_an_answer_is_the_answers_json(self):
        code, body, kind = self.ask("?q=" + quote("which turbines need maintenance?"))
        assert (code, kind) == (200, "application/json; charset=utf-8")
        assert body["intent"] == "maintenance"
        assert body["answer"] == "2 turbines need maintenance: TURBINE_00002, TURBINE_00003."
        assert body["sql"].startswith("SELECT turbine_id")
        assert body["columns"][0] == "turbine_id"
        assert [row[0] for row in body["rows"]] == ["TURBINE_00002", "TURBINE_00003"]

    def test_an_unmatched_question_gets_the_clarification(self):
        question = "<script>window.__pwned=1</script> what is the meaning of life?"
        code, body, _ = self.ask("?q=" + quote(question))
        assert code == 200
        assert body["intent"] == "clarification" and body["clarification"].startswith("I ")
        assert body["question"].startswith("<script>")  # data in JSON, never markup

    def test_a_missing_or_too_long_question_is_400_with_one_sentence(self):
        code, body, _ = self.ask("")
        assert code == 400 and body["error"].startswith("Ask a question in words")
        code, body, _ = self.ask("?q=" + "x" * 501)
        assert code == 400
        assert body == {
            "error": "The question is 501 characters long; ask in one sentence of at most 500."
        }


def _failing(question: str) -> Answer:
    raise WindmillError("Genie did not answer in time (still ASKING_AI); ask again later.")


class TestFailingApi(_Api):
    asker = Asker(_failing, "test")

    def test_a_failed_answer_is_503_with_its_sentence(self):
        code, body, _ = self.ask("?q=anything")
        assert code == 503
        assert body == {"error": "Genie did not answer in time (still ASKING_AI); ask again later."}


class TestOffApi(_Api):
    asker = Asker(None, "")

    def test_asking_off_is_404_saying_how_to_turn_it_on(self):
        code, body, _ = self.ask("?q=anything")
        assert (code, body) == (404, {"error": OFF})


def test_the_dashboard_asks_genie_only_with_a_space_id(monkeypatch):
    from types import SimpleNamespace

    from dashboard.__main__ import build_asker, build_parser

    status = SimpleNamespace(client=object())
    monkeypatch.delenv("WINDMILL_GENIE_SPACE_ID", raising=False)
    off = build_asker(build_parser().parse_args(["--workspace", "databricks"]), status)
    assert not off.enabled
    args = ["--workspace", "databricks", "--genie-space-id", "01f0abc"]
    on = build_asker(build_parser().parse_args(args), status)
    assert on.enabled and on.source == "Genie"
    monkeypatch.setenv("WINDMILL_GENIE_SPACE_ID", "01f0env")
    from_env = build_parser().parse_args(["--workspace", "databricks"])
    assert from_env.genie_space_id == "01f0env" and build_asker(from_env, status).enabled
    local = build_asker(build_parser().parse_args(["--home", "/nonexistent"]), status)
    assert local.enabled and local.source == "local tables"
