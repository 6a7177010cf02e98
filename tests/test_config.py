"""Bad inputs: each answered before any compile, naming the field, value and what is allowed."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_config

from vaecollapse import config as config_lib
from vaecollapse import grid

EXPERIMENTS = sorted(Path("experiments").glob("*.py"))


def _set(path, value):
    def apply(c):
        *sections, leaf = path.split(".")
        node = c
        for s in sections:
            node = node[s]
        node[leaf] = value

    return apply


BAD_INPUTS = [
    (_set("data.name", "cifar99"), r"data.name='cifar99' is invalid: allowed: digits"),
    (_set("model.name", "resnet"), r"model.name='resnet' is invalid: allowed: mlp, linear"),
    (_set("model.likelihood", "poisson"), r"model.likelihood='poisson'.*allowed: bernoulli"),
    (_set("train.schedule", "cosine"), r"train.schedule='cosine'.*allowed: constant"),
    (_set("train.optimizer", "lion"), r"train.optimizer='lion'.*allowed: adam, sgd"),
    (_set("sweep.beta", ()), r"sweep.beta=\(\) is invalid: must be a non-empty tuple"),
    (_set("sweep.beta", (1.0, 1.0)), r"sweep.beta=\(1.0, 1.0\).*duplicate"),
    (_set("sweep.beta", (0.5, -1.0)), r"sweep.beta=-1.0 is invalid: must be >= 0"),
    (_set("sweep.free_bits", (-0.1,)), r"sweep.free_bits=-0.1.*must be >= 0"),
    (_set("sweep.ratio", (1.5,)), r"sweep.ratio=1.5.*\(0, 1\]"),
    (_set("sweep.gamma", (1.0,)), r"sweep.gamma=.*not a hyperparameter; allowed"),
    (_set("sweep.seed", (0.5,)), r"sweep.seed=0.5.*non-negative integer"),
    (_set("hparams.learning_rate", 0.0), r"hparams.learning_rate=0.0.*must be > 0"),
    (_set("train.steps", 0), r"train.steps=0 is invalid: must be a positive integer"),
    (_set("train.steps", 45), r"train.steps=45.*multiple of train.log_every=10"),
    (_set("train.batch_size", -4), r"train.batch_size=-4.*positive integer"),
    (_set("model.latent_dim", 0), r"model.latent_dim=0.*positive integer"),
    (_set("model.bottleneck", "gumbel"), r"model.bottleneck='gumbel'.*allowed: gaussian, vq"),
    (_set("model.code_groups", 2), r"model.latent_dim=3.*multiple of model.code_groups=2"),
    (_set("model.codebook_update", "kmeans"), r"codebook_update='kmeans'.*allowed: loss, ema"),
    (_set("model.pixelcnn_kernel", 4), r"pixelcnn_kernel=4.*odd integer >= 3"),
    (_set("hparams.dead_code_restart", 0.5), r"dead_code_restart=0.5.*0 \(off\) or 1"),
    (_set("hparams.vq_decay", 1.0), r"vq_decay=1.0.*\[0, 1\)"),
    (_set("model.sigma2", 0.0), r"model.sigma2=0.0.*must be > 0"),
    (_set("model.compute_dtype", "float16"), r"compute_dtype='float16'.*float32, bfloat16"),
    (_set("sweep_chunk", -1), r"sweep_chunk=-1.*non-negative integer"),
    (_set("checkpoint_every", 0), r"checkpoint_every=0.*positive integer"),
    (_set("run_group", -2), r"run_group=-2.*integer >= -1"),
    (_set("sweep_static.widgets", (1, 2)), r"sweep_static.widgets.*not a model/train field"),
    (_set("collapse_kl_eps", 0.0), r"collapse_kl_eps=0.0.*must be > 0"),
    (_set("sweep.context_dropout", (0.0, 1.5)), r"sweep.context_dropout=1.5.*in \[0, 1\]"),
    (_set("model.name", "lstm"), r"model.name='lstm'.*data 'digits' needs one of: mlp, linear"),
    (_set("model.likelihood", "categorical"), r"likelihood='categorical'.*token data, only"),
]


@pytest.mark.parametrize("mutate, match", BAD_INPUTS)
def test_bad_input_is_named(mutate, match):
    c = tiny_config()
    mutate(c)
    with pytest.raises(ValueError, match=match):
        grid.validate(c)


def test_every_choice_names_an_implementation():
    """`config` checks names against the `choices` tables (importing no implementation);
    the engine dispatches through the same tables, so each entry's target must load."""
    from vaecollapse import choices
    from vaecollapse.families.vae import choices as vae_choices

    tables = {choices: ("DATA", "OPTIMIZERS", "LR_SCHEDULES"), vae_choices: ("MODELS", "SCHEDULES")}
    for module, names in tables.items():
        for table in names:
            for name, entry in getattr(module, table).items():
                assert callable(entry.load()), f"{table}[{name!r}]: {entry.target}"


def test_hparam_table_derives_defaults_and_dtypes():
    """A swept hyperparameter is written once, in `config.HPARAMS`; its default obeys
    its own rule."""
    for name, value in config_lib.HPARAM_DEFAULTS.items():
        config_lib.check_hparam(name, value, f"hparams.{name}")
    for family in ("vae", "ssl", "gan"):  # each family's config holds what it reads
        c = config_lib.base_config(family)
        assert set(c.hparams) == set(config_lib.family_hparams(c)), family
    dtypes = {name: grid.hparam_dtype(name) for name in config_lib.HPARAMS}
    assert dtypes.pop("seed") == np.int32 and set(dtypes.values()) == {np.dtype(np.float32)}
    assert {h.family for h in config_lib.HPARAMS.values()} == {"*", "", "vae", "ssl", "gan"}
    # the opt-in window is read by the families that name it, and no other
    for family, reads_window in (("vae", False), ("ssl", True), ("gan", True)):
        assert ("window_steps" in config_lib.base_config(family).hparams) == reads_window


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_configs_validate(path):
    """Every experiment, full and quick, loaded by name and by path, is a valid sweep."""
    grid.validate(config_lib.experiment_config(path.stem))
    quick = config_lib.experiment_config(path, quick=True)
    assert quick.quick
    grid.validate(quick)


def test_unknown_experiment_is_named():
    known = r"config file 'demoo' not found; known experiments: .*'demo'"
    with pytest.raises(FileNotFoundError, match=known):
        config_lib.experiment_config("demoo")


def test_quick_overrides_apply():
    c = tiny_config()
    c.quick_overrides = (("train.steps", 20), ("sweep.seed", (0,)))
    assert config_lib.finalize(c).train.steps == 40
    c.quick = True
    quick = config_lib.finalize(c)
    assert quick.train.steps == 20 and tuple(quick.sweep.seed) == (0,)


@pytest.mark.parametrize(
    "override, message",
    [
        ("--config.train.steps=abc", "abc"),
        ("--config.sweep.beta=(0.5,-2.0)", "sweep.beta=-2.0 is invalid"),
    ],
)
def test_cli_rejects_before_compiling(override, message, tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "vaecollapse",
            "run",
            "experiments/demo.py",
            "--workdir",
            str(tmp_path),
            override,
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert message in out.stderr


def test_an_axis_the_family_does_not_read_is_refused():
    """Sweeping another family's hyperparameter would map a no-op axis: one line says so,
    naming the family and what it reads."""
    c = config_lib.base_config()
    c.sweep.target_gradient = (0.0, 1.0)
    with pytest.raises(ValueError, match=r"sweep.target_gradient=.* not read by family 'vae'"):
        config_lib.check_fields(c)
    c = config_lib.experiment_config("ssl_collapse")
    c.sweep.beta = (1.0, 2.0)
    with pytest.raises(ValueError, match=r"not read by family 'ssl'.*'target_gradient'"):
        config_lib.check_fields(c)
