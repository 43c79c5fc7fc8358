"""TrainConfig: presets, overrides, validation, and the round trip through a checkpoint."""

from __future__ import annotations

import json

import pytest

from cardtrain.config import CPU_DEMO, FAST, PRESETS, SEED, TrainConfig
from cardtrain.errors import CardtrainError


def test_seed_preset_is_the_papers_recipe() -> None:
    assert (SEED.load_size, SEED.crop_size, SEED.batch_size, SEED.epochs) == (286, 256, 1, 50)
    assert (SEED.lr_batch, SEED.lr_warmup, SEED.lr_decay) == (0, 0.0, 0.0)  # lr 2e-4 as given, constant
    assert (SEED.ngf, SEED.ndf, SEED.depth, SEED.d_layers, SEED.norm) == (64, 64, 8, 3, "batch")
    assert (SEED.lr, SEED.beta1, SEED.l1_weight, SEED.dropout) == (2e-4, 0.5, 100.0, 0.5)


def test_fast_preset_is_the_gpu_path() -> None:
    assert FAST.precision == "bf16" and FAST.channels_last and FAST.data_on_device
    assert FAST.batch_size > 1 and FAST.norm == "instance"
    assert (FAST.ngf, FAST.crop_size) == (64, 256)  # same model as the seed


def test_presets_are_valid_and_cpu_demo_is_small() -> None:
    assert set(PRESETS) == {"seed", "fast", "cpu-demo"}
    assert CPU_DEMO.crop_size == 128 and 2**CPU_DEMO.depth == 128 and CPU_DEMO.precision == "fp32"


def test_override_keeps_none_as_the_presets_value() -> None:
    changed = SEED.override(batch_size=4, lr=None)
    assert (changed.batch_size, changed.lr) == (4, SEED.lr)
    assert SEED.batch_size == 1  # frozen: the preset itself is untouched


def test_round_trip_through_json() -> None:
    config = CPU_DEMO.override(seed=7)
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"crop_size": 100}, "not divisible by 2\\*\\*depth"),
        ({"load_size": 200}, "load_size 200 is smaller than crop_size 256"),
        ({"batch_size": 0}, "--batch-size must be at least 1"),
        ({"depth": 3, "crop_size": 64, "load_size": 64}, "depth must be at least 4"),
        ({"norm": "group"}, "norm must be one of batch, instance"),
        ({"dropout": 1.0}, "--dropout must be in"),
        ({"lr": float("nan")}, "--lr must be positive and finite, got nan"),
        ({"lr": float("inf")}, "--lr must be positive and finite"),
        ({"lr": 0.0}, "--lr must be positive"),
        ({"beta1": 5.0}, "--beta1 must be in \\[0, 1\\), got 5.0"),
        ({"l1_weight": -5.0}, "--l1-weight must be 0 or more"),
        ({"l1_weight": float("nan")}, "--l1-weight must be 0 or more"),
        ({"lr_warmup": 0.6, "lr_decay": 0.5}, "--lr-warmup 0.6 and --lr-decay 0.5 overlap"),
        ({"lr_batch": -1}, "--lr-batch must be 0 or more"),
    ],
)
def test_invalid_values_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(CardtrainError, match=message):
        SEED.override(**changes)


def test_unknown_saved_keys_are_an_error() -> None:
    with pytest.raises(CardtrainError, match="unknown config keys \\['gan_mode'\\]"):
        TrainConfig.from_dict({**SEED.to_dict(), "gan_mode": "lsgan"})
