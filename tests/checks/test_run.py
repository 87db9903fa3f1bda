"""grader.checks.run: whatever a check raises, the student sees a capped message; a failure of one of the
student's functions is said in words and tagged with the function, so the page says it once."""

import dataclasses
import threading

import pytest

from grader.checks.api import CheckFailed, check, measure
from grader.checks.run import (
    ENDLESS_LOOP,
    GAVE_UP,
    MAX_MESSAGE,
    NAME_ERROR,
    NOT_IMPLEMENTED,
    NOT_RUN,
    PROGRAM,
    run_check,
    run_checks,
)
from grader.config import SandboxLimits
from grader.sandbox.errors import (
    StudentCodeError,
    StudentCrashed,
    StudentMissing,
    StudentTimeout,
    StudentUnavailable,
)


@pytest.mark.parametrize("error", [CheckFailed("x" * 100000), StudentCodeError("y" * 100000)])
def test_every_message_is_capped(error):
    @check(cell="c", points=1, timeout=1)
    def too_long(student, rng):
        raise error

    outcome = run_check(too_long.__grader_check__, None, seed=0)
    assert outcome["score"] == 0 and len(outcome["message"]) == MAX_MESSAGE


# ----------------------------------------------------------------------------- failures said once per function


class FakeProcess:
    """A student process that answers each function with a result or raises what ``answers`` says."""

    def __init__(self, **answers):
        self.limits = SandboxLimits(check_timeout_s=7, program_timeout_s=25)
        self.answers = answers
        self.calls: list[str] = []

    def call(self, name, args, kwargs, timeout):
        self.calls.append(name)
        answer = self.answers[name]
        if isinstance(answer, list):
            answer = answer.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer, []

    def get(self, name, timeout):
        return self.call(name, (), {}, timeout)[0]


def checks_calling(*names, points=1):
    """One check per name: calls the student's function of that name with a hidden input."""
    made = []
    for number, name in enumerate(names):
        @check(cell=f"{name}_tests", points=points)
        def calls(student, rng, name=name):
            student.call(name, 1.0)
        made.append(dataclasses.replace(calls.__grader_check__, name=f"{name}_{number}"))
    return made


def test_not_implemented_yet_is_said_in_words_and_tagged_with_the_function():
    process = FakeProcess(conv2d=StudentCodeError("conv2d raised NotImplementedError; the message of an error "
                                                  "on hidden inputs is not shown"), ok=1.0)
    outcomes = run_checks(checks_calling("conv2d", "ok", "conv2d"), process, seed=0)
    assert [(o["outcome"], o["function"], o["cause"]) for o in outcomes] == [
        ("error", "conv2d", NOT_IMPLEMENTED), ("passed", "", ""), ("error", "conv2d", NOT_IMPLEMENTED)]
    assert outcomes[0]["message"] == "conv2d is not implemented yet (it raises NotImplementedError)"
    assert "not shown" not in outcomes[2]["message"]


def test_a_stub_cell_that_raises_not_implemented_is_not_implemented_yet():
    process = FakeProcess(model=StudentMissing("model is not defined: your solution cell 'train' raised "
                                               "NotImplementedError (cell train, line 3)"))
    [outcome] = run_checks(checks_calling("model"), process, seed=0)
    assert outcome["cause"] == NOT_IMPLEMENTED and outcome["message"].startswith("not implemented yet: model is")


def test_an_endless_loop_is_one_timeout_and_the_later_checks_of_that_function_are_not_run():
    process = FakeProcess(conv2d=StudentTimeout("timed out after 7 s while calling conv2d"), ok=1.0)
    outcomes = run_checks(checks_calling("conv2d", "conv2d", "ok", "conv2d"), process, seed=0)
    assert process.calls == ["conv2d", "ok"], "a function that looped is not called again"
    assert [o["outcome"] for o in outcomes] == ["timeout", NOT_RUN, "passed", NOT_RUN]
    assert [o["cause"] for o in outcomes] == [ENDLESS_LOOP, ENDLESS_LOOP, "", ENDLESS_LOOP]
    assert outcomes[0]["message"] == "conv2d did not finish within 7 s (an endless loop?)"
    assert outcomes[1]["message"] == "not run: conv2d did not finish within 7 s in an earlier check"
    assert "crashed" not in {o["outcome"] for o in outcomes}


def test_the_submissions_time_budget_running_out_is_not_called_a_loop():
    budget = "timed out after 2 s while calling conv2d (the submission's time budget of 600 s ran out)"
    process = FakeProcess(conv2d=StudentTimeout(budget))
    outcomes = run_checks(checks_calling("conv2d", "conv2d"), process, seed=0)
    assert process.calls == ["conv2d", "conv2d"]
    assert [(o["outcome"], o["cause"], o["message"]) for o in outcomes] == [("timeout", "", budget)] * 2


def test_giving_up_after_loops_is_not_run_not_a_crash():
    gave_up = StudentUnavailable("gave up after the student process failed 3 times")
    process = FakeProcess(f=StudentTimeout("timed out after 7 s while calling f"),
                          g=StudentTimeout("timed out after 7 s while calling g"), h=gave_up)
    outcomes = run_checks(checks_calling("f", "g", "h"), process, seed=0)
    assert [(o["outcome"], o["cause"]) for o in outcomes] == [
        ("timeout", ENDLESS_LOOP), ("timeout", ENDLESS_LOOP), (NOT_RUN, GAVE_UP)]
    assert outcomes[2]["message"] == "not run: the grader stopped restarting your code after f and g did not finish"


def test_giving_up_after_crashes_stays_a_crash():
    process = FakeProcess(f=StudentCrashed("killed while calling f: memory limit of 300 MiB exceeded"),
                          h=StudentUnavailable("gave up after the student process failed 3 times"))
    outcomes = run_checks(checks_calling("f", "h"), process, seed=0)
    assert [(o["outcome"], o["cause"]) for o in outcomes] == [("crashed", ""), ("crashed", "")]


def test_a_program_that_never_finished_is_said_once_as_the_programs_timeout():
    start = StudentTimeout("timed out after 25 s while running the notebook program")
    could_not = StudentTimeout("the notebook program could not run: timed out after 25 s while running the "
                               "notebook program")
    process = FakeProcess(f=could_not, g=could_not)
    outcomes = run_checks(checks_calling("f", "g"), process, seed=0, start_failure=start)
    assert [(o["outcome"], o["function"], o["cause"]) for o in outcomes] == [("timeout", "", PROGRAM)] * 2
    assert outcomes[0]["message"] == ("your notebook did not finish running within 25 s (an endless loop in a "
                                      "solution cell?), so no hidden check could run")


def test_name_errors_are_tagged_for_the_pointer_to_dropped_cells():
    process = FakeProcess(f=StudentCodeError("f raised NameError; the message of an error on hidden inputs is "
                                             "not shown"),
                          g=StudentMissing("g is not defined: your solution cell 'g_impl' raised NameError: "
                                           "name 'helper' is not defined (cell g_impl, line 1)"),
                          h=StudentMissing("h is not defined"), k=StudentCodeError("k raised ValueError"))
    outcomes = run_checks(checks_calling("f", "g", "h", "k"), process, seed=0)
    assert [(o["function"], o["cause"]) for o in outcomes] == [
        ("f", NAME_ERROR), ("g", NAME_ERROR), ("h", "not_defined"), ("k", "")]


def test_a_check_that_reports_the_students_error_in_its_own_words_is_tagged_when_no_call_answered():
    """Property checks turn a student exception into "fails for <case>: <the exception>"."""
    def property_check(student, rng):
        try:
            student.call("f", 1.0)
        except StudentCodeError as failure:
            raise CheckFailed(f"fails for H=1, W=1: {failure}") from None

    def answers_once(student, rng):
        student.call("ok", 1.0)
        property_check(student, rng)

    checks = [check(cell="c", points=1)(f).__grader_check__ for f in (property_check, answers_once)]
    error = StudentCodeError("f raised NotImplementedError; the message of an error on hidden inputs is not shown")
    outcomes = run_checks(checks, FakeProcess(f=error, ok=1.0), seed=0)
    assert [(o["outcome"], o["cause"]) for o in outcomes] == [("error", NOT_IMPLEMENTED), ("failed", "")]
    assert outcomes[0]["message"] == "f is not implemented yet (it raises NotImplementedError)"
    assert outcomes[1]["message"] == "fails for H=1, W=1: f is not implemented yet (it raises NotImplementedError)"


# ----------------------------------------------------------------------------- TA-only measurements


def test_a_checks_measurements_are_in_its_outcome_whether_it_passed_or_not():
    @check(cell="c", points=1)
    def accuracy_above_bar(student, rng):
        accuracy = measure("accuracy", student.call("accuracy"))
        if accuracy < 0.8:
            raise CheckFailed(f"accuracy {accuracy:.2f}")

    @check(cell="c", points=1)
    def unmeasured(student, rng):
        student.call("accuracy")

    for answer, outcome in ((0.9, "passed"), (0.5, "failed")):
        process = FakeProcess(accuracy=answer)
        measured, plain = run_checks([accuracy_above_bar.__grader_check__, unmeasured.__grader_check__], process, 0)
        assert (measured["outcome"], measured["measured"]) == (outcome, {"accuracy": answer})
        assert "measured" not in plain  # a check that measures nothing adds no key


def test_a_check_that_crashes_keeps_what_it_measured_and_its_error():
    @check(cell="c", points=1)
    def crashes(student, rng):
        measure("loss", 0.25)
        raise ZeroDivisionError

    outcome = run_check(crashes.__grader_check__, FakeProcess(), seed=0)
    assert outcome["outcome"] == "error" and outcome["measured"] == {"loss": 0.25}


def test_checks_graded_in_threads_keep_their_own_measurements():
    """The gate grades in threads: each check's figures go to its own outcome."""
    barrier = threading.Barrier(2)

    @check(cell="c", points=1)
    def measures_its_answer(student, rng):
        value = student.call("value")
        barrier.wait(timeout=10)
        measure("value", value)
        barrier.wait(timeout=10)

    found = {}

    def grade(answer):
        found[answer] = run_check(measures_its_answer.__grader_check__, FakeProcess(value=answer), seed=0)

    threads = [threading.Thread(target=grade, args=(answer,)) for answer in (1.0, 2.0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {answer: doc["measured"] for answer, doc in found.items()} == {1.0: {"value": 1.0}, 2.0: {"value": 2.0}}
