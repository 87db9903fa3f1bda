"""grader.checks.keras: the compiled loss, however a student named it, after the trip through a .keras file."""

import pytest

from grader.checks.keras import compiled_loss
from grader.sandbox.models import load_model_bytes

keras = pytest.importorskip("keras")


def round_trip(tmp_path, loss):
    """A compiled model as a check gets it: saved by the student, read back by the harness."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    if loss is not None:
        model.compile(loss=loss, optimizer="sgd")
    model.save(tmp_path / "model.keras")
    return load_model_bytes((tmp_path / "model.keras").read_bytes(), {"InputLayer", "Dense"})


@pytest.mark.parametrize(("loss", "expected"), [
    ("categorical_crossentropy", ("categoricalcrossentropy", False)),
    (lambda: keras.losses.CategoricalCrossentropy(), ("categoricalcrossentropy", False)),
    (lambda: keras.losses.categorical_crossentropy, ("categoricalcrossentropy", False)),
    (lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True), ("sparsecategoricalcrossentropy", True)),
    (lambda: keras.losses.CategoricalCrossentropy(name="cce"), ("categoricalcrossentropy", False)),
    (["binary_crossentropy"], ("binarycrossentropy", False)),
    ("bce", ("bce", False)),
    (None, (None, False)),
], ids=["string", "class", "function", "class-from-logits", "class-own-name", "list", "alias", "not-compiled"])
def test_compiled_loss_names_it_the_same_way_however_it_was_given(tmp_path, loss, expected):
    assert compiled_loss(round_trip(tmp_path, loss() if callable(loss) else loss)) == expected


@pytest.mark.parametrize(("loss", "expected"), [
    (lambda: keras.losses.SparseCategoricalCrossentropy(), ("sparsecategoricalcrossentropy", False)),
    (lambda: keras.losses.sparse_categorical_crossentropy, ("sparsecategoricalcrossentropy", False)),
    (lambda: keras.losses.CategoricalCrossentropy(from_logits=False), ("categoricalcrossentropy", False)),
], ids=["sparse-class", "sparse-function", "class-from-logits-false"])
def test_the_loss_objects_of_the_lenet_and_fcn_alternatives_are_recognised(tmp_path, loss, expected):
    """grading/alternatives/objects.py of lenet and fcn compile with loss objects; the checks must see their names."""
    assert compiled_loss(round_trip(tmp_path, loss())) == expected
