"""Map your own model (issue 39): a VAE's encoder and decoder, and its data, named by
import path. Each broken contract gives its one-line error before anything trains (the
bad models and loaders are tiny ones defined here, named ``f"{__name__}:..."``); a model
by path builds to the expected shapes; ``examples/own_model`` imports nothing from
vaecollapse, passes its checks and (slow) runs through the sweep, the report and the
boundary."""

import ast
import math
import sys
from pathlib import Path

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from vaecollapse import config as config_lib
from vaecollapse import data, grid
from vaecollapse.config import base_config
from vaecollapse.families.vae import models, objectives

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "own_model"
HERE = __name__  # this module, as the import paths below name it
LATENT = 3
IMAGES = {"shape": (4, 4, 1), "kind": "binary", "name": "test"}


# --- tiny modules: the good ones, then one of each way to break the contract -------------


class Encoder(nn.Module):
    latent_dim: int = LATENT
    widen: int = 0  # > 0: μ has the wrong width

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(8)(x.reshape(x.shape[0], -1))
        return nn.Dense(self.latent_dim + self.widen)(h), nn.Dense(self.latent_dim)(h)


class Decoder(nn.Module):
    """z -> a flat output of ``size`` (reshaped by the package to the data's shape)."""

    size: int

    @nn.compact
    def __call__(self, z):
        return nn.Dense(self.size)(z)


class ARDecoder(nn.Module):
    """An autoregressive decoder in the ``(z, x)`` form: logits from z and the shifted x."""

    @nn.compact
    def __call__(self, z, x):
        flat = x.reshape(x.shape[0], -1)
        shifted = jnp.pad(flat, ((0, 0), (1, 0)))[:, :-1]
        return (nn.Dense(flat.shape[1])(z) + nn.Dense(flat.shape[1])(shifted)).reshape(x.shape)


class TokenEncoder(nn.Module):
    vocab: int

    @nn.compact
    def __call__(self, x):
        h = nn.Embed(self.vocab, 4)(x).reshape(x.shape[0], -1)
        return nn.Dense(LATENT)(h), nn.Dense(LATENT)(h)


class CondEncoder(nn.Module):
    """A CVAE's encoder: the label embedding ``cond`` beside the features."""

    @nn.compact
    def __call__(self, x, cond=None):
        h = x.reshape(x.shape[0], -1)
        h = nn.Dense(8)(h if cond is None else jnp.concatenate([h, cond], -1))
        return nn.Dense(LATENT)(h), nn.Dense(LATENT)(h)


class OneOutput(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.Dense(LATENT)(x.reshape(x.shape[0], -1))


class Crashes(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.Dense(LATENT)(x.reshape(x.shape[0], 7, -1)), None


class WithBatchNorm(nn.Module):
    @nn.compact
    def __call__(self, z):
        return nn.BatchNorm(use_running_average=False)(nn.Dense(16)(z))


def good(config, meta):
    return Encoder(int(config.latent_dim)), Decoder(math.prod(meta["shape"]))


def autoregressive(config, meta):
    return Encoder(int(config.latent_dim)), ARDecoder()


autoregressive.autoregressive = True


def tokens(config, meta):
    vocab = meta["vocab_size"]
    return TokenEncoder(vocab), Decoder(math.prod(meta["shape"]) * vocab)


tokens.tokens = True


def conditional(config, meta):
    return CondEncoder(), Decoder(math.prod(meta["shape"]))


def one_module(config, meta):
    return Encoder()


def not_modules(config, meta):
    return 1, 2


def raises(config, meta):
    raise KeyError("width")


def wide_mean(config, meta):
    return Encoder(widen=2), Decoder(16)


def one_output(config, meta):
    return OneOutput(), Decoder(16)


def crashes(config, meta):
    return Crashes(), Decoder(16)


def wrong_output(config, meta):
    return Encoder(), Decoder(10)


def batch_norm(config, meta):
    return Encoder(), WithBatchNorm()


NOT_CALLABLE = 3


def model_config(name, **fields):
    c = base_config().model
    c.update(name=name, latent_dim=LATENT, **fields)
    return c


def one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message, message
    return message


@pytest.mark.parametrize(
    "name, meta, fields, expected",
    [
        ("no_such_module_39:make", IMAGES, {}, r"cannot import module 'no_such_module_39'"),
        (f"{HERE}:missing", IMAGES, {}, r"has no attribute 'missing'"),
        (f"{HERE}:NOT_CALLABLE", IMAGES, {}, r"is not callable \(type int\)"),
        (f"{HERE}:raises", IMAGES, {}, r"raised KeyError: 'width'"),
        (f"{HERE}:one_module", IMAGES, {}, r"must return \(encoder, decoder\).*Encoder"),
        (f"{HERE}:not_modules", IMAGES, {}, r"two flax.linen Modules; it returned tuple of \(int"),
        (f"{HERE}:wide_mean", IMAGES, {}, r"encoder must map .*\[2, 3\].*returned \(\[2, 5\]"),
        (f"{HERE}:one_output", IMAGES, {}, r"encoder must return \(μ, log σ²\).*returned \[2, 3\]"),
        (f"{HERE}:crashes", IMAGES, {}, r"the encoder failed on a batch x \[2, 4, 4, 1\] float32"),
        (f"{HERE}:wrong_output", IMAGES, {}, r"decoder must map z \[2, 3\] .*\[2, 4, 4, 1\] .*"),
        (f"{HERE}:batch_norm", IMAGES, {}, r"decoder holds variables other .*batch_stats"),
        (f"{HERE}:tokens", IMAGES, {}, r"is a token model and the data's kind is 'binary'"),
        (
            f"{HERE}:good",
            {**IMAGES, "kind": "continuous", "value_range": (-1.0, 2.0)},
            {},
            r"likelihood='bernoulli' is invalid for data in \[-1, 2\]",
        ),
        (f"{HERE}:good", IMAGES, {"likelihood": "categorical"}, r"use 'categorical' for token"),
        ("a:b:c", IMAGES, {}, r"an import path is 'package.module:function'"),
    ],
)
def test_a_broken_model_contract_is_one_line(name, meta, fields, expected):
    with pytest.raises(ValueError, match=expected) as err:
        models.build(model_config(name, **fields), meta)
    assert one_line(err).startswith("config.model.")


def test_a_model_by_path_builds_to_the_expected_shapes():
    model = models.build(model_config(f"{HERE}:good"), IMAGES)
    x = jax.random.bernoulli(jax.random.PRNGKey(0), 0.5, (5, 4, 4, 1)).astype(jnp.float32)
    eps = jax.random.normal(jax.random.PRNGKey(1), (5, LATENT))
    params = model.init(jax.random.PRNGKey(2), x, eps)
    mean, log_var, log_px = model.apply(params, x, eps)
    assert mean.shape == log_var.shape == (5, LATENT) and log_px.shape == (5,)
    assert not model.autoregressive and model.latent_dim == LATENT
    z = mean + jnp.exp(0.5 * log_var) * eps
    assert model.apply(params, z, method=models.VAE.decode_mean).shape == (5, 4, 4, 1)
    # the flat output, reshaped to the data's, is what the likelihood reads
    inner = params["params"]["decoder"]["inner"]
    flat = Decoder(16).apply({"params": inner}, z)
    expected = objectives.bernoulli_log_likelihood(flat.reshape(x.shape), x).reshape(5, -1)
    np.testing.assert_allclose(log_px, expected.sum(-1), rtol=1e-5)


def test_function_attributes_make_an_autoregressive_or_a_token_model():
    ar = models.build(model_config(f"{HERE}:autoregressive"), IMAGES)
    x = jnp.ones((2, 4, 4, 1))
    eps = jnp.zeros((2, LATENT))
    params = ar.init(jax.random.PRNGKey(0), x, eps)
    assert ar.autoregressive and ar.apply(params, x, eps)[2].shape == (2,)
    meta = {"shape": (6,), "kind": "tokens", "vocab_size": 5, "name": "t"}
    tok = models.build(model_config(f"{HERE}:tokens", likelihood="categorical"), meta)
    x = jnp.zeros((2, 6), jnp.int32)
    params = tok.init(jax.random.PRNGKey(0), x, eps)
    assert tok.apply(params, eps, method=models.VAE.decode_mean).shape == (2, 6, 5)


@pytest.mark.parametrize(
    "name, fields",
    [
        ("good", {"bottleneck": "vq", "num_codes": 4}),
        ("good", {"bottleneck": "bn"}),
        ("good", {"bottleneck": "delta"}),
        ("good", {"likelihood": "gaussian_learned"}),
        ("conditional", {"conditional": True}),
    ],
)
def test_the_vaes_switches_act_on_a_model_by_path(name, fields):
    meta = {**IMAGES, "num_classes": 3}
    model = models.build(model_config(f"{HERE}:{name}", **fields), meta)
    x, eps = jnp.ones((2, 4, 4, 1)), jnp.zeros((2, LATENT))
    args = (x, eps, None, jnp.array([0, 2]), jnp.float32(0.5))
    params = model.init(jax.random.PRNGKey(0), *args)
    mean, log_var, log_px = model.apply(params, *args, mutable=False)
    assert mean.shape == log_var.shape == (2, LATENT) and log_px.shape == (2,)
    assert bool(jnp.isfinite(log_px).all())


# --- data by path ---------------------------------------------------------------------------


RNG = np.random.default_rng(0)
TRAIN, TEST = RNG.random((40, 3)), RNG.random((20, 3))  # float64: cast to float32


def good_loader(config):
    labels = {"train_labels": np.arange(40) % 4, "test_labels": np.arange(20) % 4}
    return TRAIN, TEST, {"shape": (3,), "kind": config.get("kind", "real"), **labels}


def dataset_loader(config):
    return data.Dataset(TRAIN.astype(np.float32), TEST.astype(np.float32), {"kind": "binary"})


def token_loader(config):
    return RNG.integers(0, 7, (40, 5)), RNG.integers(0, 7, (20, 5)), {"kind": "tokens"}


def loader_of(result):
    return lambda config: result


def loader_raises(config):
    raise FileNotFoundError("no such file: digits.npz")


LOADERS = {
    "a_list": loader_of([TRAIN, TEST]),
    "meta_list": loader_of((TRAIN, TEST, ["real"])),
    "no_kind": loader_of((TRAIN, TEST, {"shape": (3,)})),
    "strings": loader_of((TRAIN.astype(str), TEST, {"kind": "real"})),
    "float_tokens": loader_of((TRAIN, TEST, {"kind": "tokens"})),
    "one_dim": loader_of((TRAIN[:, 0], TEST[:, 0], {"kind": "real"})),
    "splits_differ": loader_of((TRAIN, TEST[:, :2], {"kind": "real"})),
    "meta_shape": loader_of((TRAIN, TEST, {"kind": "real", "shape": (4,)})),
    "binary_range": loader_of((TRAIN * 3, TEST, {"kind": "binary"})),
    "non_finite": loader_of((np.where(TRAIN > 0.9, np.nan, TRAIN), TEST, {"kind": "real"})),
    "tokens_range": loader_of(
        (np.full((4, 2), 9), np.zeros((4, 2), int), {"kind": "tokens", "vocab_size": 9})
    ),
    "half_labels": loader_of((TRAIN, TEST, {"kind": "real", "train_labels": np.zeros(40, int)})),
    "bad_labels": loader_of(
        (
            TRAIN,
            TEST,
            {"kind": "real", "train_labels": np.zeros(39, int), "test_labels": np.zeros(20, int)},
        )
    ),
    "empty": loader_of((TRAIN[:0], TEST, {"kind": "real"})),
}
globals().update({f"loader_{name}": fn for name, fn in LOADERS.items()})


@pytest.mark.parametrize(
    "name, expected",
    [
        ("no_such_module_39:load", r"cannot import module 'no_such_module_39'"),
        (f"{HERE}:nothing", r"has no attribute 'nothing'"),
        (f"{HERE}:NOT_CALLABLE", r"is not callable"),
        (f"{HERE}:loader_raises", r"raised FileNotFoundError: no such file: digits.npz"),
        (f"{HERE}:loader_a_list", r"must return \(train, test, meta\) .*a list of 2"),
        (f"{HERE}:loader_meta_list", r"meta must be a dict; it is a list"),
        (f"{HERE}:loader_no_kind", r"meta\['kind'\] is None; expected 'binary', 'real' or 'tok"),
        (f"{HERE}:loader_strings", r"train split has dtype <U.*expected real numbers"),
        (f"{HERE}:loader_float_tokens", r"train split has dtype float64; tokens need an integer"),
        (f"{HERE}:loader_one_dim", r"train split is \[40\]; expected \[N, \*shape\]"),
        (f"{HERE}:loader_splits_differ", r"test split is \[20, 2\]; expected .* = \[N, 3\]"),
        (f"{HERE}:loader_meta_shape", r"train split is \[40, 3\]; expected .* = \[N, 4\]"),
        (f"{HERE}:loader_binary_range", r"'binary' needs values in \[0, 1\]; they span \[0.0"),
        (f"{HERE}:loader_non_finite", r"train split has \d+ non-finite values"),
        (f"{HERE}:loader_tokens_range", r"tokens must lie in \[0, meta\['vocab_size'\]=9\)"),
        (f"{HERE}:loader_half_labels", r"give both train_labels and test_labels, or neither"),
        (f"{HERE}:loader_bad_labels", r"train_labels must be integers >= 0 of shape \[40\]"),
        (f"{HERE}:loader_empty", r"train split is empty"),
    ],
)
def test_a_broken_data_contract_is_one_line(name, expected):
    with pytest.raises(ValueError, match=expected) as err:
        data.load(ml_collections.ConfigDict({"name": name}))
    one_line(err)


def test_data_by_path_is_checked_and_typed():
    ds = data.load(ml_collections.ConfigDict({"name": f"{HERE}:good_loader"}))
    assert ds.train.dtype == np.float32 and ds.train.shape == (40, 3)
    np.testing.assert_allclose(ds.test, TEST.astype(np.float32))
    assert ds.meta["kind"] == "continuous" and ds.meta["shape"] == (3,)  # "real"
    assert ds.meta["name"] == f"{HERE}:good_loader" and ds.meta["num_classes"] == 4
    assert ds.train_labels.dtype == np.int32 and list(ds.test_labels[:5]) == [0, 1, 2, 3, 0]
    low, high = ds.meta["value_range"]
    assert 0 <= low < high <= 1
    same = data.load(ml_collections.ConfigDict({"name": f"{HERE}:dataset_loader"}))
    assert same.meta["kind"] == "binary" and same.train_labels is None
    tok = data.load(ml_collections.ConfigDict({"name": f"{HERE}:token_loader"}))
    assert tok.train.dtype == np.int32 and tok.meta["vocab_size"] == 7


def test_the_config_allows_import_paths_and_imports_nothing():
    c = base_config()
    c.data.name = "not_imported_39.data:load"
    c.model.name = "not_imported_39.models:make"
    grid.validate(c)  # names only: nothing is imported until the sweep loads and builds
    assert "not_imported_39" not in sys.modules
    for field, value, expected in (
        ("data", "nowhere:", r"config.data.name='nowhere:' is invalid: an import path is"),
        ("model", ":make", r"config.model.name=':make' is invalid: an import path is"),
        ("data", "digitz", r"allowed: digits, .*or an import path"),
        ("model", "mlpp", r"allowed: mlp, .*or an import path"),
    ):
        bad = base_config()
        bad[field].name = value
        with pytest.raises(ValueError, match=expected):
            grid.validate(bad)


# --- the example ----------------------------------------------------------------------------


@pytest.fixture
def example_path():
    """`experiment_config` puts the example's folder on sys.path: take it off afterwards,
    with the modules it imported from there."""
    path, modules = list(sys.path), set(sys.modules)
    yield EXAMPLE / "config.py"
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        if str(EXAMPLE) in str(getattr(sys.modules[name], "__file__", "") or ""):
            del sys.modules[name]


@pytest.mark.parametrize("module", ["models.py", "data.py"])
def test_the_example_modules_import_nothing_from_vaecollapse(module):
    tree = ast.parse((EXAMPLE / module).read_text(encoding="utf-8"))
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [name for name in imported if name.split(".")[0] == "vaecollapse"]


def test_the_example_passes_its_checks(example_path):
    c = config_lib.experiment_config(example_path, quick=True)
    assert str(EXAMPLE) == sys.path[0]  # the config file's folder: "models:make" resolves
    grid.validate(c)
    ds = data.load(c.data)
    assert ds.train.shape[1:] == (8, 8, 1) and ds.meta["kind"] == "binary"
    model = models.build(c.model, ds.meta)  # the contract checked by eval_shape
    assert model.latent_dim == c.model.latent_dim and not model.autoregressive


@pytest.mark.slow
def test_the_example_runs_through_sweep_report_and_boundary(example_path, tmp_path):
    from vaecollapse import boundary, report, results, states, sweep

    c = config_lib.experiment_config(example_path, quick=True)
    ran = sweep.run_sweep(c, tmp_path, progress=False)
    assert ran.mutual_info.dims == ("beta", "seed")
    assert ran.attrs["data_name"] == "data:load" and bool((~ran.diverged).all())
    mi = ran.mutual_info.mean("seed")
    assert float(mi.isel(beta=0)) > 0.5 and float(mi.isel(beta=-1)) < 0.05  # β collapses it
    assert set(ran.collapse_state.sel(beta=c.sweep.beta[-1]).values.ravel()) == {states.FULL}
    paths = {p.name for p in report.report(tmp_path)}
    assert {"summary.md", "boundary.csv", "phase_diagram.png", "reconstructions.png"} <= paths
    found = boundary.estimate(results.load(tmp_path), "beta")
    assert str(found.status.values) == "bracketed"
    assert c.sweep.beta[0] < float(found.estimate) < c.sweep.beta[-1]
