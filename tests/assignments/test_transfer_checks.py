"""The transfer hidden checks and visible tests, run in-process (no sandbox) on models of every shape.

Models cross a ``.keras`` file both ways, as through the sandbox (``keras_student.py``): the checks get
what the model gate would give them, and a layer the gate refuses fails the test here too. The structure checks of
``build_transfer_model`` need no training and run on many model shapes; the full notebook is run
for the solution and for the alternatives whose later cells differ, visible tests included. The
slow test at the end measures the thresholds' margins that ``checks.py``'s docstring records.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np
import pytest
from proxy import Harness

from grader.assignment import Assignment
from grader.notebook.cells import grade_id, is_graded, is_solution, solution_code

keras = pytest.importorskip("keras")

from keras_student import outcome  # noqa: E402  (after the keras skip)
from keras_student import run_checks as run_keras_checks  # noqa: E402

ASSIGNMENT = Assignment.find("transfer")
HARNESS = Harness(ASSIGNMENT, sandbox_errors=False)
CHECKS = {c.name: c for c in ASSIGNMENT.checks}
BUILD_CHECKS = [c.name for c in ASSIGNMENT.checks if c.cell == "transfer_model_tests"]
ALTERNATIVES = {a.name: a for a in ASSIGNMENT.alternatives()}
VARIANTS = {v.name: v for v in ASSIGNMENT.variants()}
SOLUTIONS = {grade_id(c): solution_code(c.source) for c in ASSIGNMENT.source.cells if is_solution(c)}


def run_checks(namespace, names=None) -> dict:
    """Outcome of the named checks (default all): None when passed, else the exception."""
    return run_keras_checks(ASSIGNMENT, namespace, names or list(CHECKS))


def failures(outcomes) -> dict:
    return {name: str(error) for name, error in outcomes.items() if error is not None}


def build_namespace(code: str) -> dict:
    """The imports and data cells and a build_transfer_model cell: enough for the build checks and test."""
    namespace = {"__name__": "__main__"}
    cells = {grade_id(c): c.source for c in ASSIGNMENT.source.cells}
    with in_the_notebooks_folder():
        for key, source in (("imports", cells["imports"]), ("load_data", cells["load_data"]),
                            ("transfer_model_impl", code)):
            exec(compile(source, f"<{key}>", "exec"), namespace)
    return namespace


def build_test_failure(namespace: dict) -> str | None:
    """The build's visible test cell run on ``namespace``: None when it passes, else its assertion message."""
    cell = next(c for c in ASSIGNMENT.source.cells if grade_id(c) == "transfer_model_tests")
    with in_the_notebooks_folder():
        try:
            exec(compile(cell.source, "<transfer_model_tests>", "exec"), namespace)
        except AssertionError as error:
            return str(error) or "assertion failed"
    return None


def build_cell(body: str) -> str:
    return "def build_transfer_model(pretrained):\n" + "".join(f"    {line}\n" for line in body.strip().splitlines())


@contextlib.contextmanager
def in_the_notebooks_folder():
    """The notebook reads pretrained.keras and target.npz from its own folder."""
    here = os.getcwd()
    os.chdir(ASSIGNMENT.root)
    try:
        yield
    finally:
        os.chdir(here)


def notebook(cells: dict | None = None, *, tests: bool = True) -> dict:
    """The whole program; with ``tests`` the visible tests run too and a failing one raises."""
    with in_the_notebooks_folder():
        return HARNESS.program(cells, tests=tests)


# ----------------------------------------------------------------------------- the notebook itself

def test_cells_points_and_checks_agree():
    assert ASSIGNMENT.solution_ids == ["transfer_model_impl", "fine_tune_impl", "scratch_impl", "unfreeze_impl"]
    assert ASSIGNMENT.grade_cells == {"transfer_model_tests": 4, "fine_tune_tests": 2, "scratch_tests": 3,
                                      "unfreeze_tests": 1}
    assert ASSIGNMENT.max_score == 10
    for cell, points in ASSIGNMENT.grade_cells.items():
        assert sum(c.points for c in ASSIGNMENT.checks if c.cell == cell) == points, cell
    for check in ASSIGNMENT.checks:
        assert "\n" not in check.description and len(check.description) <= 120, check.name


def _prose(language: str) -> str:
    return "\n".join(c.source for c in ASSIGNMENT.source.cells
                     if c.cell_type == "markdown" and c.metadata.get("lang") == language)


def test_notebook_states_what_the_grader_does():
    text, hungarian = _prose("en"), _prose("hu")
    assert "exactly like the lecture" not in text, "the pretrained network is not the slide's"
    assert "ReLU instead of tanh" in text and "max pooling" in text and "16 and 32" in text
    assert "on a CPU or a GPU" in " ".join(text.split()) and "CPU only" not in text
    for term in ("előtanított", "finomhangol", "befagyaszt", "filter", "pooling réteg"):
        assert term in hungarian, term
    for stated in ("training=False", 'Activation("sigmoid")', "keras.losses.BinaryCrossentropy()", "compile"):
        assert stated in text and stated in hungarian, stated   # both editions state every requirement
    assert "at most 0.001" in text and "compile again" in text and "legfeljebb 0,001" in hungarian


def test_alternatives_and_variants_are_well_formed():
    assert set(ALTERNATIVES) >= {"nested_frozen_base", "nested_base_sequential", "sequential_model",
                                 "sequential_head", "dense_activation", "objects"}
    for alternative in ALTERNATIVES.values():
        assert alternative.description and not alternative.targets, alternative.name
    for variant in VARIANTS.values():
        assert variant.targets and set(variant.targets) <= set(CHECKS), variant.name


# ----------------------------------------------------------------------------- build_transfer_model, no training

@pytest.mark.parametrize("name", sorted(ALTERNATIVES))
def test_every_alternative_model_passes_the_build_checks(name):
    namespace = build_namespace(ALTERNATIVES[name].cells.get("transfer_model_impl", SOLUTIONS["transfer_model_impl"]))
    assert failures(run_checks(namespace, BUILD_CHECKS)) == {}
    assert build_test_failure(namespace) is None


SAME_MODEL = {
    "new Flatten on pool2": """
for layer in pretrained.layers:
    layer.trainable = False
t = keras.layers.Flatten()(pretrained.get_layer("pool2").output)
t = keras.layers.Dense(1, activation="sigmoid")(t)
model = keras.Model(pretrained.input, t)
model.compile(loss="bce", optimizer="sgd")
return model
""",
    "Dense sigmoid then linear Activation, Dropout after": """
base = keras.Model(pretrained.inputs, pretrained.layers[-2].output)
base.trainable = False
x = keras.layers.Dense(1, activation="sigmoid")(base.output)
x = keras.layers.Dropout(0.1)(keras.layers.Activation("linear")(x))
model = keras.Model(base.inputs, x)
model.compile(loss=keras.losses.BinaryCrossentropy(name="my_loss"), optimizer=keras.optimizers.SGD())
return model
""",
    "the loss in a list, one per output": """
for layer in pretrained.layers[:-1]:
    layer.trainable = False
t = keras.layers.Dense(1, activation="sigmoid")(pretrained.layers[-2].output)
model = keras.Model(inputs=[pretrained.input], outputs=[t])
model.compile(loss=["binary_crossentropy"], optimizer="sgd", metrics=["accuracy"])
return model
""",
    "nested Sequential base in a functional model": """
base = keras.Sequential(pretrained.layers[:-1], name="body")
base.trainable = False
inputs = keras.Input((32, 32, 1))
model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(base(inputs)))
model.compile(loss="binary_crossentropy", optimizer="adam")
return model
""",
}


@pytest.mark.parametrize("case", sorted(SAME_MODEL))
def test_other_correct_models_pass_the_build_checks_and_test(case):
    namespace = build_namespace(build_cell(SAME_MODEL[case]))
    assert failures(run_checks(namespace, BUILD_CHECKS)) == {}
    assert build_test_failure(namespace) is None


WRONG_MODEL = {
    "relu head": ("""
for layer in pretrained.layers:
    layer.trainable = False
t = keras.layers.Activation("relu")(keras.layers.Dense(1)(pretrained.layers[-2].output))
model = keras.Model(pretrained.input, t)
model.compile(loss="binary_crossentropy", optimizer="sgd")
return model
""", "head_is_one_sigmoid_unit_on_the_penultimate_layer", "activation is 'relu'"),
    "two sigmoids": ("""
for layer in pretrained.layers:
    layer.trainable = False
t = keras.layers.Dense(1, activation="sigmoid")(pretrained.layers[-2].output)
model = keras.Model(pretrained.input, keras.layers.Activation("sigmoid")(t))
model.compile(loss="binary_crossentropy", optimizer="sgd")
return model
""", "head_is_one_sigmoid_unit_on_the_penultimate_layer", "'sigmoid' -> 'sigmoid'"),
    "no activation": ("""
for layer in pretrained.layers:
    layer.trainable = False
model = keras.Model(pretrained.input, keras.layers.Dense(1)(pretrained.layers[-2].output))
model.compile(loss="binary_crossentropy", optimizer="sgd")
return model
""", "head_is_one_sigmoid_unit_on_the_penultimate_layer", "activation is 'linear'"),
    "head on pool2's unflattened output": ("""
for layer in pretrained.layers:
    layer.trainable = False
t = keras.layers.GlobalAveragePooling2D()(pretrained.get_layer("pool2").output)
model = keras.Model(pretrained.input, keras.layers.Dense(1, activation="sigmoid")(t))
model.compile(loss="binary_crossentropy", optimizer="sgd")
return model
""", "head_is_one_sigmoid_unit_on_the_penultimate_layer", "expected the penultimate pretrained layer 'features'"),
    "old head kept in a Sequential": ("""
pretrained.trainable = False
model = keras.Sequential([pretrained, keras.layers.Dense(1, activation="sigmoid")])
model.compile(loss="binary_crossentropy", optimizer="sgd")
return model
""", "head_is_one_sigmoid_unit_on_the_penultimate_layer", "still contains the pretrained network's last layer"),
    "extra BatchNormalization": ("""
for layer in pretrained.layers:
    layer.trainable = False
t = keras.layers.BatchNormalization()(pretrained.input)
base = keras.Model(pretrained.inputs, pretrained.layers[-2].output)
model = keras.Model(pretrained.inputs, keras.layers.Dense(1, activation="sigmoid")(base(t)))
model.compile(loss="binary_crossentropy", optimizer="sgd")
return model
""", "pretrained_weights_reused", "adds a BatchNormalization layer with weights"),
    "frozen nested head": ("""
pretrained.trainable = False
head = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
head.trainable = False
model = keras.Model(pretrained.inputs, head(pretrained.layers[-2].output))
model.compile(loss="binary_crossentropy", optimizer="sgd")
return model
""", "pretrained_layers_frozen_and_head_trainable", "the new head is frozen"),
    "from logits": ("""
pretrained.trainable = False
model = keras.Model(pretrained.inputs, keras.layers.Dense(1, activation="sigmoid")(pretrained.layers[-2].output))
model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True), optimizer="sgd")
return model
""", "compiled_with_binary_crossentropy", "from_logits=True"),
}


@pytest.mark.parametrize("case", sorted(WRONG_MODEL))
def test_wrong_models_fail_the_build_check_they_break_and_only_it_and_the_visible_test(case):
    body, check, message = WRONG_MODEL[case]
    namespace = build_namespace(build_cell(body))
    failed = failures(run_checks(namespace, BUILD_CHECKS))
    assert list(failed) == [check] and message in failed[check], failed
    assert build_test_failure(namespace) is not None


@pytest.mark.parametrize("name", sorted(n for n, v in VARIANTS.items() if "transfer_model_impl" in v.cells))
def test_build_variants_fail_their_build_targets(name):
    variant = VARIANTS[name]
    failed = failures(run_checks(build_namespace(variant.cells["transfer_model_impl"]), BUILD_CHECKS))
    targets = {t for t in variant.targets if t in BUILD_CHECKS}
    assert targets <= set(failed), failed


# ----------------------------------------------------------------------------- the whole notebook (trains models)

@pytest.mark.slow
@pytest.mark.parametrize("name", [None, "nested_frozen_base", "sequential_model"], ids=str)
def test_solution_and_alternatives_pass_every_visible_test_and_check(name):
    namespace = notebook(ALTERNATIVES[name].cells if name else None)  # a failing visible test raises
    assert failures(run_checks(namespace)) == {}


# Each unfreeze variant breaks a stated requirement: the visible test and the hidden check give the same reason.
UNFREEZE_VARIANTS = {
    "unfreeze_without_recompile": "after a fit(), a changed trainable flag takes effect only when you compile() again",
    "unfreeze_conv1_too": "should stay frozen, with its pretrained weights: unfreeze",
    "unfreeze_at_the_default_rate": "with a learning rate of at most 0.001",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(UNFREEZE_VARIANTS))
def test_unfreeze_variants_fail_the_visible_test_and_the_check_with_the_same_reason(name):
    variant, reason = VARIANTS[name], UNFREEZE_VARIANTS[name]
    namespace = notebook(variant.cells, tests=False)
    failed = failures(run_checks(namespace, ["unfrozen_conv2_retrained_at_a_low_learning_rate"]))
    assert list(failed) == list(variant.targets) and reason in failed[variant.targets[0]], failed
    cell = next(c for c in ASSIGNMENT.source.cells if grade_id(c) == "unfreeze_tests")
    with in_the_notebooks_folder(), pytest.raises(AssertionError) as visible:
        exec(compile(cell.source, "<unfreeze_tests>", "exec"), namespace)
    assert reason in str(visible.value)


def test_the_accuracies_and_crossentropies_are_measured_for_tas():
    """Run as the harness runs them, the checks record the figures their bars are set on, failed or passed.

    Untrained models, and model_unfrozen after one step on eight images: nothing here waits for training.
    """
    from reference import transfer

    keras.utils.set_random_seed(0)  # the notebook's op determinism wants seeded random ops
    pretrained = keras.models.load_model(ASSIGNMENT.root / "pretrained.keras")
    model_ft = transfer.build_transfer_model(pretrained)
    unfrozen = transfer.unfreeze_and_recompile(transfer.build_transfer_model(
        keras.models.load_model(ASSIGNMENT.root / "pretrained.keras")))
    with np.load(ASSIGNMENT.root / "target.npz", allow_pickle=False) as npz:
        x, y = transfer.pad_to_32((npz["x"][:8].astype(np.float32) / 255.0)[..., None]), npz["y"][:8]
    unfrozen.fit(x, y, epochs=1, batch_size=8, verbose=0)
    namespace = {"model_ft": model_ft, "model_scratch": transfer.build_scratch_model(model_ft),
                 "model_unfrozen": unfrozen}
    hidden = transfer.target_holdout()

    accuracy = outcome(ASSIGNMENT, namespace, "fine_tuned_model_labels_hidden_digits")
    assert accuracy["measured"] == {"accuracy": pytest.approx(transfer.binary_accuracy(model_ft, *hidden))}
    gap = outcome(ASSIGNMENT, namespace, "transfer_beats_scratch_on_hidden_digits")
    ft, scratch = gap["measured"]["model_ft_crossentropy"], gap["measured"]["model_scratch_crossentropy"]
    assert ft == pytest.approx(transfer.binary_crossentropy(model_ft, *hidden))
    assert gap["measured"]["loss_gap"] == pytest.approx(scratch - ft)
    assert (gap["outcome"] == "passed") == (scratch - ft >= CHECKS["transfer_beats_scratch_on_hidden_digits"]
                                            .function.__globals__["MIN_LOSS_GAP"])
    unfrozen_outcome = outcome(ASSIGNMENT, namespace, "unfrozen_conv2_retrained_at_a_low_learning_rate")
    assert unfrozen_outcome["measured"] == {"accuracy": pytest.approx(transfer.binary_accuracy(unfrozen, *hidden))}
    assert "measured" not in outcome(ASSIGNMENT, namespace, "scratch_model_is_fresh_and_trainable")


def test_graded_cells_are_the_four_test_cells():
    assert [grade_id(c) for c in ASSIGNMENT.source.cells if is_graded(c)] == list(ASSIGNMENT.grade_cells)


# ----------------------------------------------------------------------------- the thresholds' margins

def measure(seed: int) -> dict:
    """The reference solution's accuracies and losses as the notebook trains them, seeds 1-3 moved to s, s+1, s+2."""
    import tensorflow as tf

    from reference import transfer

    tf.config.experimental.enable_op_determinism()
    with np.load(ASSIGNMENT.root / "target.npz", allow_pickle=False) as npz:
        x, y, x_val, y_val = (transfer.pad_to_32((npz[k].astype(np.float32) / 255.0)[..., None]) if k.startswith("x")
                              else npz[k].astype(np.int64) for k in ("x", "y", "x_val", "y_val"))
    fit = {"batch_size": transfer.BATCH_SIZE, "verbose": 0}
    pretrained = keras.models.load_model(ASSIGNMENT.root / "pretrained.keras")
    keras.utils.set_random_seed(seed)
    model_ft = transfer.build_transfer_model(pretrained)
    model_ft.fit(x, y, epochs=transfer.EPOCHS, **fit)
    keras.utils.set_random_seed(seed + 1)
    scratch = transfer.build_scratch_model(model_ft)
    scratch.fit(x, y, epochs=transfer.EPOCHS, **fit)
    keras.utils.set_random_seed(seed + 2)
    unfrozen = transfer.build_transfer_model(keras.models.load_model(ASSIGNMENT.root / "pretrained.keras"))
    unfrozen.fit(x, y, epochs=transfer.EPOCHS, **fit)
    transfer.unfreeze_and_recompile(unfrozen).fit(x, y, epochs=transfer.UNFROZEN_EPOCHS, **fit)
    hidden = transfer.target_holdout()
    found = {"seed": seed}
    for name, model in (("transfer", model_ft), ("scratch", scratch), ("unfrozen", unfrozen)):
        found[name] = transfer.binary_accuracy(model, *hidden)
        found[f"{name} loss"] = transfer.binary_crossentropy(model, *hidden)
        found[f"{name} val"] = transfer.binary_accuracy(model, x_val, y_val)
        found[f"{name} val loss"] = transfer.binary_crossentropy(model, x_val, y_val)
    found["loss gap"] = found["scratch loss"] - found["transfer loss"]
    found["val loss gap"] = found["scratch val loss"] - found["transfer val loss"]
    return found


@pytest.mark.slow
def test_thresholds_hold_with_other_random_starts():
    """Four of the starts checks.py's docstring records, 19 among them (run this file as a script for all)."""
    module = ASSIGNMENT.checks[0].function.__globals__
    for seed in (1, 10, 19, 64):
        found = measure(seed)
        assert min(found["transfer"], found["unfrozen"]) >= module["MIN_ACCURACY"], found
        assert min(found["loss gap"], found["val loss gap"]) >= module["MIN_LOSS_GAP"], found
        assert min(found["transfer val"], found["unfrozen val"]) >= 0.8, found  # the visible tests' bar


if __name__ == "__main__":  # python tests/assignments/test_transfer_checks.py [SEED ...]: the margins table
    import sys

    rows = []
    for s in sys.argv[1:] or range(1, 73, 3):
        rows.append(measure(int(s)))
        print("  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in rows[-1].items()),
              flush=True)
    for key in rows[0]:
        if key != "seed":
            values = [row[key] for row in rows]
            print(f"{key:18} {min(values):.3f}-{max(values):.3f}  (seed {rows[0]['seed']}: {rows[0][key]:.3f})")
