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


# --- the SSL family: an encoder (and predictor) by path ---------------------------------


SSL_LATENT = 6


class SSLEncoder(nn.Module):
    """x [B, *shape] -> embeddings [B, latent_dim] (+ ``widen``: the wrong width)."""

    latent_dim: int
    widen: int = 0

    @nn.compact
    def __call__(self, x):
        assert x.ndim > 2, "the encoder receives [B, *shape], not the flat batch"
        h = nn.relu(nn.Dense(16)(x.reshape(x.shape[0], -1)))
        return nn.Dense(self.latent_dim + self.widen)(h)


class SSLPredictor(nn.Module):
    latent_dim: int
    widen: int = 0

    @nn.compact
    def __call__(self, z):
        return nn.Dense(self.latent_dim + self.widen)(nn.tanh(nn.Dense(self.latent_dim)(z)))


class SSLWithBatchNorm(nn.Module):
    @nn.compact
    def __call__(self, x):
        h = nn.Dense(SSL_LATENT)(x.reshape(x.shape[0], -1))
        return nn.BatchNorm(use_running_average=False)(h)


def ssl_encoder(config, meta):
    assert meta["shape"] == (8, 8, 1)  # the data's meta reaches make
    return SSLEncoder(int(config.latent_dim))


def ssl_predictor(config, meta):
    return SSLPredictor(int(config.latent_dim))


def ssl_wide(config, meta):
    return SSLEncoder(int(config.latent_dim), widen=2)


def ssl_wide_predictor(config, meta):
    return SSLPredictor(int(config.latent_dim), widen=1)


def ssl_pair(config, meta):
    return SSLEncoder(int(config.latent_dim)), SSLPredictor(int(config.latent_dim))


def ssl_batch_norm(config, meta):
    return SSLWithBatchNorm()


def ssl_crashes(config, meta):
    return Crashes()


@pytest.fixture(scope="module")
def digits():
    c = ssl_config()
    return data.load(c.data)


def ssl_config(**model):
    c = config_lib.experiment_config("ssl_collapse")
    c.model.update(latent_dim=SSL_LATENT, encoder_hidden=(16,), **model)
    c.train.update(steps=20, log_every=10, batch_size=32, eval_examples=100)
    c.checkpoint_every = 10
    c.sweep = type(c.sweep)({"target_gradient": (0.0,), "seed": (0,)})
    return c


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"encoder": "no_such_module_39:make"}, r"encoder='no_such_module_39:make': cannot imp"),
        ({"encoder": f"{HERE}:missing"}, r"has no attribute 'missing'"),
        ({"encoder": f"{HERE}:NOT_CALLABLE"}, r"is not callable \(type int\)"),
        ({"encoder": f"{HERE}:raises"}, r"raised KeyError: 'width'"),
        ({"encoder": f"{HERE}:ssl_pair"}, r"must return one flax.linen Module; it returned tuple"),
        (
            {"encoder": f"{HERE}:ssl_wide"},
            r"encoder must map a batch x \[2, 8, 8, 1\] float32 to embeddings \[2, 6\] "
            r"\(model.latent_dim=6\); it returned \[2, 8\]",
        ),
        ({"encoder": f"{HERE}:ssl_crashes"}, r"the encoder failed on a batch x \[2, 8, 8, 1\]"),
        (
            {"encoder": f"{HERE}:ssl_batch_norm"},
            r"encoder holds variables other than parameters \(batch_stats\); .*Norm\('batch'\)",
        ),
        (
            {"predictor": f"{HERE}:ssl_wide_predictor"},
            r"predictor must map embeddings z \[2, 6\] to embeddings \[2, 6\] .*returned \[2, 7\]",
        ),
        ({"predictor": f"{HERE}:ssl_batch_norm"}, r"predictor holds variables other than par"),
    ],
)
def test_a_broken_ssl_contract_is_one_line(digits, fields, expected):
    from vaecollapse.families.ssl import trainer as ssl_train

    c = ssl_config(**fields)
    grid.validate(c)  # names only: the contract is checked when the trainer is built
    with pytest.raises(ValueError, match=expected) as err:
        ssl_train.make_trainer(c, digits)
    assert one_line(err).startswith("config.model.")


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("encoder", "a:b:c", r"config.model.encoder='a:b:c' is invalid: an import path is"),
        ("encoder", "mlpp", r"allowed: mlp, linear, conv, or an import path"),
        ("predictor", "mlp", r"config.model.predictor='mlp' is invalid: allowed: '', or an imp"),
    ],
)
def test_the_ssl_config_allows_import_paths_and_imports_nothing(field, value, expected):
    c = ssl_config(encoder="not_imported_39.ssl:make", predictor="not_imported_39.ssl:pred")
    grid.validate(c)
    assert "not_imported_39" not in sys.modules
    with pytest.raises(ValueError, match=expected) as err:
        grid.validate(ssl_config(**{field: value}))
    one_line(err)


def test_an_ssl_encoder_by_path_takes_the_datas_shape(digits):
    from vaecollapse.families.ssl import trainer as ssl_train

    c = ssl_config(encoder=f"{HERE}:ssl_encoder", predictor=f"{HERE}:ssl_predictor")
    trainer = ssl_train.make_trainer(c, digits)
    state = trainer.init(jax.random.PRNGKey(0))
    params = state.params
    assert set(params["encoder"]) == {"inner"}  # the user's module, wrapped
    assert params["predictor"]["Dense_0"]["kernel"].shape == (SSL_LATENT, SSL_LATENT)
    x = trainer.train_data[:5]  # the trainer's flat batch, reshaped to [5, 8, 8, 1]
    z = SSLEncoder(SSL_LATENT).apply({"params": params["encoder"]["inner"]}, digits.train[:5])
    wrapped = ssl_train.own.OwnEncoder(SSLEncoder(SSL_LATENT), (8, 8, 1))
    np.testing.assert_allclose(wrapped.apply({"params": params["encoder"]}, x), z, rtol=1e-6)
    # a loss without a predictor ignores model.predictor
    plain = ssl_train.make_trainer(
        ssl_config(encoder=f"{HERE}:ssl_encoder", ssl_loss="vicreg"), digits
    )
    assert set(plain.init(jax.random.PRNGKey(0)).params) == {"encoder"}


@pytest.mark.slow  # ~15-30 s on 2 busy cores (the sweep compiles train and eval)
def test_an_ssl_encoder_by_path_trains_through_the_sweep(tmp_path):
    from vaecollapse import sweep

    c = ssl_config(encoder=f"{HERE}:ssl_encoder", predictor=f"{HERE}:ssl_predictor")
    ran = sweep.run_sweep(c, tmp_path, progress=False)
    assert ran.sizes["rank"] == SSL_LATENT and not ran.diverged.any()
    for name in ("std_normalized", "rankme", "probe_accuracy", "loss", "spectrum"):
        assert np.isfinite(ran[name].values).all(), name
    assert ran.std_normalized_trace.sizes["step"] == 2


# --- the GAN family: a generator and a discriminator by path ----------------------------


class GANGenerator(nn.Module):
    dim: int = 2

    @nn.compact
    def __call__(self, z):
        return nn.Dense(self.dim)(nn.relu(nn.Dense(16)(z)))


class GANDiscriminator(nn.Module):
    outputs: int = 1  # logits [B, outputs]; 0: [B]

    @nn.compact
    def __call__(self, x):
        out = nn.Dense(self.outputs or 1)(nn.leaky_relu(nn.Dense(16)(x), 0.2))
        return out if self.outputs else out[:, 0]


class GANWithBatchNorm(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.Dense(1)(nn.BatchNorm(use_running_average=False)(nn.Dense(8)(x)))


def gan_generator(config, meta):
    return GANGenerator(meta["shape"][0])


def gan_discriminator(config, meta):
    return GANDiscriminator()


def gan_flat_discriminator(config, meta):
    return GANDiscriminator(outputs=0)


def gan_wide_generator(config, meta):
    return GANGenerator(3)


def gan_two_logits(config, meta):
    return GANDiscriminator(outputs=2)


def gan_batch_norm(config, meta):
    return GANWithBatchNorm()


def gan_crashes(config, meta):
    return Crashes()


def gan_not_module(config, meta):
    return lambda x: x


def gan_config(**model):
    c = config_lib.experiment_config("gan_modes")
    c.model.update(generator_hidden=(16,), discriminator_hidden=(16,), **model)
    c.train.update(steps=40, log_every=20, batch_size=32)
    c.checkpoint_every = 20
    c.variants = ()
    c.sweep = type(c.sweep)({"seed": (0,)})
    return c


@pytest.fixture(scope="module")
def grid_data():
    return data.load(gan_config().data)


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"generator": "no_such_module_39:g"}, r"generator='no_such_module_39:g': cannot import"),
        ({"discriminator": f"{HERE}:NOT_CALLABLE"}, r"is not callable \(type int\)"),
        ({"generator": f"{HERE}:raises"}, r"generator=.* raised KeyError: 'width'"),
        ({"discriminator": f"{HERE}:gan_not_module"}, r"one flax.linen Module; it returned func"),
        (
            {"generator": f"{HERE}:gan_wide_generator"},
            r"generator must map noise z \[2, 2\] \(model.latent_dim=2\) to samples \[2, 2\] "
            r"\(the data's dim 2\); it returned \[2, 3\]",
        ),
        (
            {"discriminator": f"{HERE}:gan_two_logits"},
            r"discriminator must map samples x \[2, 2\] to one logit each, \[2\] or \[2, 1\]; "
            r"it returned \[2, 2\]",
        ),
        ({"discriminator": f"{HERE}:gan_batch_norm"}, r"other than parameters \(batch_stats\)"),
        ({"generator": f"{HERE}:gan_crashes"}, r"the generator failed on noise z \[2, 2\]"),
    ],
)
def test_a_broken_gan_contract_is_one_line(grid_data, fields, expected):
    from vaecollapse.families.gan import trainer as gan_train

    c = gan_config(**fields)
    grid.validate(c)
    with pytest.raises(ValueError, match=expected) as err:
        gan_train.make_trainer(c, grid_data)
    assert one_line(err).startswith("config.model.")


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"generator": ":g"}, r"config.model.generator=':g' is invalid: an import path is"),
        ({"discriminator": "mlp"}, r"discriminator='mlp' is invalid: allowed: '' .*import path"),
        ({"pack": 2}, r"config.model.pack=2 is invalid: must be 1 with a user's model.discrim"),
        ({"spectral_norm": True}, r"spectral_norm=True is invalid: must be False with a user's"),
        ({"minibatch_std": True}, r"minibatch_std=True is invalid: must be False with a user's"),
    ],
)
def test_the_gan_config_refuses_what_a_users_discriminator_cannot_take(fields, expected):
    grid.validate(gan_config(generator="not_imported_39.g:g", discriminator="not_imported_39.d:d"))
    assert "not_imported_39" not in sys.modules
    with pytest.raises(ValueError, match=expected) as err:
        grid.validate(gan_config(**{"discriminator": f"{HERE}:gan_discriminator", **fields}))
    one_line(err)
    grid.validate(gan_config(generator=f"{HERE}:gan_generator", pack=2, spectral_norm=True))


def test_gan_players_by_path_build_and_judge(grid_data):
    from vaecollapse.families.gan import networks
    from vaecollapse.families.gan import trainer as gan_train

    key = jax.random.PRNGKey(0)
    for name in ("gan_discriminator", "gan_flat_discriminator"):  # [B, 1] and [B]
        c = gan_config(generator=f"{HERE}:gan_generator", discriminator=f"{HERE}:{name}")
        params = gan_train.make_trainer(c, grid_data).init(key).params
        d = gan_train.own.own_discriminator(c.model, grid_data.meta, 2)
        assert d.apply({"params": params["discriminator"]}, jnp.ones((5, 2))).shape == (5,)
    # a user's generator that is the package's MLP starts where the package's does
    c = gan_config(generator=f"{HERE}:package_generator")
    ours = gan_train.make_trainer(c, grid_data).init(key).params
    theirs = gan_train.make_trainer(gan_config(), grid_data).init(key).params
    for a, b in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs), strict=True):
        np.testing.assert_array_equal(a, b)
    assert networks.pack(jnp.ones((6, 3)), 2).shape == (3, 6)  # packs of D-dim samples


def package_generator(config, meta):
    from vaecollapse.families.gan import networks

    return networks.Generator(tuple(config.generator_hidden))


@pytest.mark.slow  # ~15-30 s on 2 busy cores (the sweep compiles train and eval)
def test_gan_players_by_path_train_through_the_sweep(tmp_path):
    from vaecollapse import sweep

    c = gan_config(generator=f"{HERE}:gan_generator", discriminator=f"{HERE}:gan_discriminator")
    c.hparams.r1_gamma = 0.1  # R1's input gradient through the user's D
    ran = sweep.run_sweep(c, tmp_path, progress=False)
    assert not ran.diverged.values.any()
    for name in ("modes_captured", "high_quality", "d_loss_trace", "g_loss_trace"):
        assert np.isfinite(ran[name].values).all(), name
    assert ran.d_loss_trace.sizes["step"] == 2


def test_the_ssl_example_passes_its_checks(example_path):
    from vaecollapse.families.ssl import trainer as ssl_train

    tree = ast.parse((EXAMPLE / "ssl_models.py").read_text(encoding="utf-8"))
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [name for name in imported if name.split(".")[0] == "vaecollapse"]
    c = config_lib.experiment_config(EXAMPLE / "ssl_config.py", quick=True)
    grid.validate(c)
    trainer = ssl_train.make_trainer(c, data.load(c.data))  # the contracts, by eval_shape
    params = trainer.init(jax.random.PRNGKey(0)).params
    assert set(params) == {"encoder", "predictor"} and set(params["encoder"]) == {"inner"}
