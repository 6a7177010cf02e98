"""`benchmarks/torch_peers.py` compares like with like: its PyTorch networks have the JAX
models' parameters, part by part and tensor by tensor, and (slow) its PyTorch loop runs.
Skipped without PyTorch (the optional ``bench`` extra; CI installs only ``dev``)."""

import math
import sys
from pathlib import Path

import jax
import pytest

from vaecollapse import data, families

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import torch_peers  # imports PyTorch only when its functions run

# parameters per part of the models the docstring of torch_peers describes
EXPECTED = {
    "vae": {"encoder": 64 * 256 + 256 + 256 * 32 + 32, "decoder": 16 * 256 + 256 + 256 * 64 + 64},
    "ssl": {
        "encoder": 64 * 256 + 256 + 256 * 256 + 256 + 256 * 32 + 32 + 2 * (256 + 256 + 32),
        "predictor": 32 * 16 + 16 + 16 * 32 + 32 + 2 * 16,
    },
    "gan": {
        "generator": 2 * 128 + 128 + 128 * 128 + 128 + 128 * 2 + 2,
        "discriminator": 2 * 128 + 128 + 128 * 128 + 128 + 128 + 1,
    },
}


def leaf_sizes(c, dataset) -> dict[str, list[int]]:
    """Sizes of the JAX model's parameter tensors per part, sorted."""
    trainer = families.of_config(c).trainer(c, dataset)
    params = jax.eval_shape(trainer.init, jax.random.PRNGKey(0)).params
    params = params.get("params", params)
    return {
        part: sorted(math.prod(x.shape) for x in jax.tree_util.tree_leaves(tree))
        for part, tree in params.items()
    }


@pytest.fixture
def one_torch_thread():
    """Skips without PyTorch (imported here, not at collection: ~4 s per worker); runs it
    on one thread for the test (its 2-thread pool crawls on a busy machine)."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("family", torch_peers.FAMILIES)
def test_torch_models_have_the_jax_models_parameters(family, one_torch_thread):
    c = torch_peers.grid_config(torch_peers.family_config(family), 2, 10)
    dataset = data.load(c.data)
    jax_sizes = leaf_sizes(c, dataset)
    counts = {part: sum(sizes) for part, sizes in jax_sizes.items()}
    assert counts == torch_peers.jax_param_counts(c, dataset)
    assert counts == torch_peers.torch_param_counts(family, c, dataset)
    torch_sizes = {
        part: sorted(p.numel() for p in module.parameters())
        for part, module in torch_peers.torch_models(family, c, dataset).items()
    }
    assert torch_sizes == jax_sizes
    assert counts == EXPECTED[family]  # the documented architectures


@pytest.mark.slow  # the first fused Adam step loads ~1.5 s of PyTorch machinery
@pytest.mark.parametrize("family", torch_peers.FAMILIES)
def test_the_torch_loop_runs(family, one_torch_thread):
    c = torch_peers.grid_config(torch_peers.family_config(family), 2, 10)
    torch_peers.torch_run(family, c, data.load(c.data), seed=0, steps=2)
