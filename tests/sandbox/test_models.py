"""Keras models cross the sandbox as .keras files: checked against an allow-list, loaded with safe_mode."""

import numpy as np
import pytest

from grader.config import AssignmentConfig, SandboxLimits
from grader.sandbox.errors import StudentCodeError
from grader.sandbox.models import refusal
from grader.sandbox.process import StudentProcess

CODE = '''
import numpy as np
import keras
from keras import layers

def build():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    return model

def with_lambda():
    return keras.Sequential([keras.Input((4,)), layers.Lambda(lambda t: t * 2)])

@keras.saving.register_keras_serializable(package="student")
class Sneaky(layers.Layer):
    def call(self, inputs):
        return inputs

def with_custom_layer():
    return keras.Sequential([keras.Input((4,)), Sneaky()])

def swish_plus(t):
    return t

def with_custom_activation():
    return keras.Sequential([keras.Input((4,)), layers.Dense(2, activation=swish_plus)])

def functional_two_outputs():
    inputs = keras.Input((4,))
    hidden = layers.Dense(3, activation="tanh")(inputs)
    model = keras.Model(inputs, [layers.Dense(2, activation="softmax")(hidden), hidden])
    model.compile(loss=keras.losses.categorical_crossentropy, optimizer="sgd")
    return model

def count_dense(model):
    return sum(isinstance(layer, layers.Dense) for layer in model.layers)

trained = build()
'''


@pytest.fixture(scope="module")
def student():
    config = AssignmentConfig()
    process = StudentProcess([{"id": "impl", "kind": "solution", "source": CODE}], [],
                             SandboxLimits(memory_mb=3000, program_timeout_s=120),
                             allowed_layers=config.allowed_layers)
    with process:
        process.prestart_model_gate()  # as grading does: the evaluator starts alongside the program
        process.start()
        yield process


def test_a_built_in_model_comes_back_and_predicts_the_same(student):
    import keras

    model, _ = student.call("build", (), {}, timeout=60)
    assert isinstance(model, keras.Model)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense"]
    x = np.ones((2, 4), dtype="float32")
    assert model.predict(x, verbose=0).shape == (2, 3)
    assert model.loss == "categorical_crossentropy"


def test_functional_models_and_built_in_loss_functions_are_accepted(student):
    model, _ = student.call("functional_two_outputs", (), {}, timeout=60)
    outputs = model.predict(np.ones((2, 4), dtype="float32"), verbose=0)
    assert [o.shape for o in outputs] == [(2, 2), (2, 3)]


@pytest.mark.parametrize("function, reason", [
    ("with_lambda", "Lambda layer"),
    ("with_custom_layer", "custom classes"),
    ("with_custom_activation", "not a built-in Keras function"),
])
def test_models_carrying_code_are_refused(student, function, reason):
    with pytest.raises(StudentCodeError, match=reason):
        student.call(function, (), {}, timeout=60)


def test_a_trusted_model_can_be_passed_in_and_a_variable_read_back(student):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2), keras.layers.Dense(1)])
    assert student.call("count_dense", (model,), {}, timeout=60)[0] == 2
    assert isinstance(student.get("trained", timeout=60), keras.Model)


def test_layers_outside_the_allow_list_are_refused():
    config = {"module": "keras", "class_name": "Sequential",
              "config": {"layers": [{"module": "keras.layers", "class_name": "LSTM", "registered_name": None}]}}
    assert "LSTM" in str(refusal(config, {"Dense"}))
    assert "LSTM" not in str(refusal(config, {"Dense"}, name_layers=False))
    config["config"]["layers"][0]["class_name"] = "Dense"
    assert refusal(config, {"Dense"}) is None


def test_the_evaluator_started_alongside_the_program_measures_every_model(student):
    """It was launched from the grading thread: a process launched from a short-lived thread dies with it."""
    for _ in range(3):
        model, _ = student.call("build", (), {}, timeout=60)
        assert model.count_params() == 15
    assert student._models._evaluator.alive()
