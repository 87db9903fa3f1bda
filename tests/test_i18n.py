"""Messages: made in English with their values, stored as JSON, read in any language."""

import json

import numpy as np
import pytest

from grader import i18n
from grader.i18n import Message, MessageError, _, _n


def test_a_message_is_english_until_it_is_read_in_another_language():
    message = _("{what} has no {name}", what=_("the model"), name="Conv2D")
    assert str(message) == "the model has no Conv2D"
    assert message.render("xx") == "the model has no Conv2D"  # a language we do not have: the English


def test_values_are_written_the_readers_way():
    message = _("{a} {b} {c} {d} {e}", a=61706, b=0.9034, c=np.int64(3), d=(2, 3), e=["x", "w"])
    assert message.render("en") == "61,706 0.903 3 (2, 3) x and w"
    assert message.render("hu") == "61\xa0706 0,903 3 (2, 3) x és w"


def test_json_round_trip_keeps_nested_messages_lists_and_plurals():
    message = _n("one position {where}", "{count} positions {where}", 192, where=_("in {x}", x=["a", "b"]))
    again = Message.from_json(json.loads(json.dumps(message.to_json())))
    assert again == message and str(again) == "192 positions in a and b"
    assert str(_n("one position {where}", "{count} positions {where}", 1, where="here")) == "one position here"


def _nested(depth: int) -> dict:
    return {"id": "x"} if depth == 0 else {"id": "{a}", "args": {"a": {"message": _nested(depth - 1)}}}


@pytest.mark.parametrize("bad", [None, "text", {"id": 3}, {"id": "x", "args": []},
                                 {"id": "x", "count": True, "plural": "y"}, {"id": "x" * 5000},
                                 {"id": "{a}", "args": {"a": {"evil": 1}}}, _nested(i18n.MAX_DEPTH + 2),
                                 {"id": "{a:>999999999}", "args": {"a": "x"}}, {"id": "{a.__class__}"},
                                 {"id": "{a!r}"}, {"id": "{0}"}, {"id": "x {"},
                                 {"id": "{a}", "args": {"a": {"list": [{"list": [{"list": ["x"] * 16}] * 16}] * 16}}}])
def test_a_stored_message_that_this_module_did_not_write_is_refused(bad):
    with pytest.raises(MessageError):
        Message.from_json(bad)


def test_the_empty_message_of_a_passed_check_is_empty_in_every_language():
    assert Message("").render("hu") == ""
    assert i18n.stored({"message": "", "message_i18n": {"id": ""}}, language="hu") == ""


def test_stored_text_falls_back_to_the_english_of_old_or_broken_results():
    assert i18n.stored({"message": "old text"}, "message", "hu") == "old text"
    assert i18n.stored({"message": "x", "message_i18n": {"id": 5}}, "message", "hu") == "x"
    document = {"message": "a", "message_i18n": _("{n} s", n=2.5).to_json()}
    assert i18n.stored(document, "message", "hu") == "2,5 s"


def test_a_rendered_message_is_bounded_whatever_its_values_hold():
    assert len(_("{a}{b}", a="x" * 5000, b=["y" * 3000] * 3).render("hu")) == i18n.MAX_TEXT


def test_braces_from_a_student_are_values_never_templates():
    assert str(_("{function} raised {error}", function="f", error="KeyError: '{0}{x.__class__}'")) == \
        "f raised KeyError: '{0}{x.__class__}'"
    assert str(Message("a plain {text} with braces")) == "a plain {text} with braces"


def test_a_catalog_entry_that_does_not_fit_falls_back_to_the_english(monkeypatch):
    class Broken:
        def gettext(self, msgid):
            return "{nope} hiányzik"

    monkeypatch.setattr(i18n, "translations", lambda language: Broken())
    assert _("{what} is missing", what="x").render("hu") == "x is missing"
