"""The tfds datasets end to end, offline: tiny datasets in tfds's prepared format, read by
`vaecollapse.data.load` on the code path of the real ones, and trained on for one chunk.

Images: the real builder's features and version, its files laid down by a builder that
yields tiny arrays (tfds's image builders read their downloads with TensorFlow, which the
project does not need). Text: our own `ptb_text_only` builder, prepared by
`data.tfds.prepare` with tfds's download manager handed tiny local files.
"""

import io

import ml_collections
import numpy as np
import pytest
import tensorflow_datasets as tfds
from conftest import tiny_config
from etils import epath
from PIL import Image

from vaecollapse import data, sweep


def cfg(**kw):
    return ml_collections.ConfigDict(kw)


def png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image[..., 0]).save(buffer, format="PNG")
    return buffer.getvalue()


def lay_down(name: str, data_dir, splits: dict[str, list[dict]]) -> None:
    """Prepare ``splits`` (examples as feature dicts) as tfds dataset ``name`` in
    ``data_dir``: the registered builder's features, version and file layout."""
    real = tfds.builder(name, data_dir=data_dir)

    class Tiny(tfds.core.GeneratorBasedBuilder, skip_registration=True):
        VERSION = real.version

        def _info(self):
            return tfds.core.DatasetInfo(builder=self, features=real.info.features)

        def _split_generators(self, dl_manager):
            return {split: self._generate_examples(rows) for split, rows in splits.items()}

        def _generate_examples(self, rows):
            yield from enumerate(rows)

    Tiny.name = real.name
    Tiny(data_dir=data_dir, file_format="array_record").download_and_prepare()


def images(rng, n: int, grey: bool) -> np.ndarray:
    pixels = rng.integers(0, 256, (n, 28, 28, 1)) if grey else rng.random((n, 28, 28, 1)) < 0.3
    return pixels.astype(np.uint8)


def as_set(x: np.ndarray) -> list[bytes]:
    """The examples of ``x`` as a sorted list (tfds shuffles examples when preparing)."""
    return sorted(row.tobytes() for row in x)


def one_chunk(config, workdir, batch_size: int = 4) -> None:
    """`run_sweep` of ``config`` for one logged interval; every run finite."""
    config.train.steps = config.train.log_every = 10
    config.train.batch_size = batch_size
    config.train.eval_examples = 8
    config.diagnostics.mi_chunk = 8
    results = sweep.run_sweep(config, workdir, progress=False)
    assert results.sizes["beta"] == 2 and np.isfinite(results["kl"].values).all()


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    """binarized_mnist (0/1 pixels, no labels, train/validation/test) and mnist (grey,
    labels) with their arrays."""
    root = tmp_path_factory.mktemp("tfds")
    rng = np.random.default_rng(0)
    binary = {"train": images(rng, 12, False), "validation": images(rng, 3, False)}
    binary["test"] = images(rng, 8, False)
    lay_down(
        "binarized_mnist", root, {k: [{"image": png(x)} for x in v] for k, v in binary.items()}
    )
    grey = {"train": images(rng, 12, True), "test": images(rng, 8, True)}
    labels = {"train": rng.integers(0, 10, 12), "test": rng.integers(0, 10, 8)}
    rows = {
        k: [{"image": png(x), "label": y} for x, y in zip(grey[k], labels[k], strict=True)]
        for k in grey
    }
    lay_down("mnist", root, rows)
    return root, binary, grey, labels


def test_binarized_mnist_loads_as_prepared(image_dir, tmp_path):
    root, binary, _, _ = image_dir
    ds = data.load(cfg(name="binarized_mnist", data_dir=str(root)))
    assert ds.train.shape == (12, 28, 28, 1) and ds.test.shape == (8, 28, 28, 1)
    assert ds.train.dtype == np.float32 and set(np.unique(ds.train)) <= {0.0, 1.0}
    assert as_set(ds.train) == as_set(binary["train"].astype(np.float32))  # not validation
    assert as_set(ds.test) == as_set(binary["test"].astype(np.float32))
    assert ds.train_labels is None and ds.test_labels is None
    assert ds.meta == {
        "name": "binarized_mnist",
        "kind": "binary",
        "shape": (28, 28, 1),
        "num_classes": None,
    }
    c = tiny_config(beta=(0.5, 2.0))
    c.data = cfg(name="binarized_mnist", data_dir=str(root))
    one_chunk(c, tmp_path)


def test_mnist_grey_levels_binarised_and_labelled(image_dir):
    root, _, grey, labels = image_dir
    binarised = data.load(cfg(name="mnist", data_dir=str(root), binarize=True))
    levels = data.load(cfg(name="mnist", data_dir=str(root), binarize=False))
    assert binarised.meta["kind"] == "binary" and levels.meta["kind"] == "continuous"
    assert binarised.meta["num_classes"] == 10 and binarised.train_labels.dtype == np.int32
    expected = grey["train"].astype(np.float32) / 255.0
    assert as_set(levels.train) == as_set(expected)
    assert as_set(binarised.train) == as_set((expected > 0.5).astype(np.float32))
    # each image keeps its own label
    truth = {x.tobytes(): y for x, y in zip(expected, labels["train"], strict=True)}
    assert all(
        truth[x.tobytes()] == y for x, y in zip(levels.train, levels.train_labels, strict=True)
    )


PTB = {
    "ptb.train.txt": (
        " the cat sat on the mat \n the dog <unk> sat <unk> \n\n a cat saw the dog on N \n"
    ),
    "ptb.valid.txt": "the valid line\n",
    "ptb.test.txt": "the bird sat on the cat\nthe <unk> dog\n" + "the cat\n" * 6,
}


@pytest.fixture(scope="module")
def ptb_dir(tmp_path_factory):
    """ptb_text_only prepared by `data.tfds.prepare` from tiny local files."""
    root = tmp_path_factory.mktemp("ptb")
    files = root / "downloads_here"
    files.mkdir()
    for name, text in PTB.items():
        (files / name).write_text(text)

    def download(self, urls):  # tfds's download manager, handed the local files
        return {k: epath.Path(files) / url.rsplit("/", 1)[1] for k, url in urls.items()}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tfds.download.DownloadManager, "download", download)
        written = data.tfds.prepare(["ptb_text_only"], str(root))
    assert written == [str(root / "ptb_text_only" / "1.0.0")]
    return root


# 18 s: the image datasets' tests keep the tfds path in the fast suite
@pytest.mark.slow
def test_ptb_text_only_tokenised_with_the_vocabulary_cut(ptb_dir, tmp_path):
    ds = data.load(cfg(name="ptb_text_only", data_dir=str(ptb_dir), vocab_size=6, length=5))
    # train counts: the 4, cat 2, dog 2, on 2, sat 2, then a/mat/saw/N 1: four kept; PTB's
    # own <unk> (2) is the UNK token, not a word of the vocabulary
    assert ds.meta["words"] == ["<eos>", "<unk>", "the", "cat", "dog", "on"]
    assert ds.meta["kind"] == "tokens" and ds.meta["vocab_size"] == 6 and ds.meta["shape"] == (5,)
    assert ds.train.dtype == np.int32 and ds.train.shape == (3, 5) and ds.test.shape == (8, 5)
    expected_train = [[2, 3, 1, 5, 0], [2, 4, 1, 1, 0], [1, 3, 1, 2, 0]]  # blank line skipped
    assert sorted(ds.train.tolist()) == sorted(expected_train)
    expected_test = [[2, 1, 1, 5, 0], [2, 1, 4, 0, 0]] + [[2, 3, 0, 0, 0]] * 6
    assert sorted(ds.test.tolist()) == sorted(expected_test)
    c = tiny_config(beta=(0.5, 2.0))
    c.data = cfg(name="ptb_text_only", data_dir=str(ptb_dir), vocab_size=6, length=5)
    c.model.name, c.model.likelihood = "lstm", "categorical"
    c.model.embed_dim, c.model.hidden = 4, 8
    one_chunk(c, tmp_path, batch_size=2)


def test_prepare_names_what_it_can_prepare():
    with pytest.raises(ValueError, match=r"'ptb' is not a tfds dataset vaecollapse loads"):
        data.tfds.prepare(["ptb"])
