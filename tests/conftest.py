"""Shared test set-up: float32 JAX on CPU, quiet logs."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import ml_collections
import pytest

from vaecollapse.config import base_config


def tiny_config(**sweep) -> ml_collections.ConfigDict:
    """An MLP VAE on digits small enough to train in a second."""
    c = base_config()
    c.name = "tiny"
    c.model.latent_dim = 3
    c.model.encoder_hidden = (16,)
    c.model.decoder_hidden = (16,)
    c.train.steps = 40
    c.train.log_every = 10
    c.train.batch_size = 16
    c.train.eval_examples = 64
    c.checkpoint_every = 20
    c.diagnostics.iw_samples = 4
    c.diagnostics.mi_chunk = 32
    for name, values in sweep.items():
        c.sweep[name] = values
    return c


@pytest.fixture
def default_hparams():
    """One run's default hyperparameters as scalar arrays (`grid.default_hparams`)."""
    from vaecollapse import grid

    return grid.default_hparams()


@pytest.fixture(scope="session", autouse=True)
def compile_cache(tmp_path_factory):
    """One persistent compilation cache for the session: tests that build the same
    program twice (determinism, resume, divergence) compile it once."""
    from vaecollapse import devices

    return devices.enable_compile_cache(tmp_path_factory.mktemp("xla_cache"))


@pytest.fixture(scope="session")
def small_sweep(tmp_path_factory):
    """A trained 2 β × 2 free bits × 2 seeds workdir (`tiny_config`), shared by the tests
    that read results (report, figures, the reading side's imports)."""
    from vaecollapse import sweep

    workdir = tmp_path_factory.mktemp("small_sweep")
    c = tiny_config(beta=(0.1, 30.0), free_bits=(0.0, 0.5), seed=(0, 1))
    sweep.run_sweep(c, workdir, progress=False)
    return workdir
