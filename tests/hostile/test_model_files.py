"""Hostile .keras files: the bytes of a model file are the student's, so every read of them is bounded.

The student code below hands back model files it wrote itself (by replacing the runner's encoder,
as any solution cell can): a file that declares a huge model, one whose layer name is a long string
chosen after hidden inputs, one that is not a zip, and one it keeps rewriting while the checker reads.
"""

import numpy as np
import psutil
import pytest

from grader.config import AssignmentConfig, SandboxLimits
from grader.sandbox.errors import StudentCodeError
from grader.sandbox.models import EVALUATOR_LIMITS
from grader.sandbox.process import StudentProcess

pytest.importorskip("keras")

CODE = '''
import io, json, os, sys, threading, time, zipfile
import keras

_runner = sys.modules["__main__"]
_plan = {"bytes": None}

def _zip(layers):
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "m", "layers": layers}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.0.0"}))
        archive.writestr("config.json", json.dumps(config))
    return buffer.getvalue()

def _layer(kind, **config):
    return {"module": "keras.layers", "class_name": kind, "registered_name": None, "config": config}

def _encode(result, out_base):
    if _plan["bytes"] is None:
        return _original(result, out_base)
    with open(out_base + ".keras", "wb") as handle:
        handle.write(_plan["bytes"])
    return {"keras": os.path.basename(out_base) + ".keras"}

_original = _runner.encode
_runner.encode = _encode

def huge():
    inputs = _layer("InputLayer", batch_shape=[None, 14000], dtype="float32", name="x")
    _plan["bytes"] = _zip([inputs] + [_layer("Dense", units=14000, name=f"d{i}") for i in range(2)])
    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])

def named_after(x):
    _plan["bytes"] = _zip([_layer("LEAK" + "7" * 100000 + str(float(x[0])))])
    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])

def not_a_zip():
    _plan["bytes"] = b"PK\\x03\\x04" + os.urandom(4096)
    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])

def swapping():
    good = None
    lam = _zip([_layer("Lambda", function="print")])
    def swap():
        while True:
            for data in (lam, good):
                if data:
                    try:
                        with open("out-swap.keras", "wb") as handle:
                            handle.write(data)
                        os.replace("out-swap.keras", _target[0])
                    except (OSError, TypeError):
                        pass
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    _plan["bytes"] = None
    threading.Thread(target=swap, daemon=True).start()
    return model

_target = [None]
def _track(result, out_base):
    _target[0] = out_base + ".keras"
    return _encode(result, out_base)
_runner.encode = _track
'''


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    config = AssignmentConfig()
    limits = SandboxLimits(memory_mb=2048, program_timeout_s=120, check_timeout_s=120)
    cells = [{"id": "impl", "kind": "solution", "source": CODE}]
    with StudentProcess(cells, ["torch"], limits, allowed_layers=config.allowed_layers,
                        max_model_params=config.max_model_params) as process:
        process.start()
        yield process


def _tree_rss() -> int:
    me = psutil.Process()
    return sum(p.memory_info().rss for p in [me, *me.children(recursive=True)] if p.is_running())


def test_a_file_declaring_a_huge_model_costs_only_the_confined_evaluator(student):
    before = psutil.Process().memory_info().rss
    with pytest.raises(StudentCodeError, match=f"{EVALUATOR_LIMITS.memory_mb:,} MiB|parameters"):
        student.call("huge", (), {}, timeout=120)
    assert psutil.Process().memory_info().rss - before < 512 << 20, "the checker built the model itself"
    assert _tree_rss() < 3 << 30


def test_names_from_a_model_file_never_reach_feedback_after_hidden_inputs(student):
    with pytest.raises(StudentCodeError) as refused:
        student.call("named_after", (np.array([0.123456]),), {}, timeout=120)
    message = str(refused.value)
    assert "LEAK" not in message and "777" not in message and "0.123" not in message
    assert len(message) < 300


def test_bytes_that_are_not_a_model_are_refused_with_a_fixed_message(student):
    with pytest.raises(StudentCodeError, match="not a valid .keras file"):
        student.call("not_a_zip", (), {}, timeout=120)


def test_a_file_rewritten_while_it_is_read_never_passes_a_refused_layer(student):
    """The checker reads the file once: whatever bytes it got are the ones checked and loaded."""
    outcomes = set()
    for _ in range(5):
        try:
            model, _ = student.call("swapping", (), {}, timeout=120)
            outcomes.add(tuple(type(layer).__name__ for layer in model.layers))
        except StudentCodeError as error:
            outcomes.add(str(error)[:40])
    assert not any("Lambda" in str(outcome) for outcome in outcomes if isinstance(outcome, tuple))
