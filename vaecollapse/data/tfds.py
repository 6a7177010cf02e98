"""Real `tensorflow_datasets` loaders, read as numpy through array_record data sources.

No TensorFlow is needed: prepared datasets are read with ``builder.as_data_source()``.
Offline, an unprepared dataset fails at once with a message naming the offline
choices (tfds itself would retry downloads for minutes).
"""

from __future__ import annotations

import numpy as np

from vaecollapse.data.dataset import Dataset

# name -> (feature holding the image, whether the stored pixels are already 0/1)
IMAGE_DATASETS = {
    "mnist": ("image", False),
    "fashion_mnist": ("image", False),
    "binarized_mnist": ("image", True),
}
OFFLINE_CHOICES = ("digits", "linear_gaussian", "markov_topics")


def _not_prepared_error(name: str, data_dir: str | None) -> ValueError:
    return ValueError(
        f"tfds dataset {name!r} is not downloaded/prepared in data_dir={data_dir!r}. "
        f"Prepare it on a machine with internet (tfds.builder({name!r}, data_dir=...)"
        f".download_and_prepare(file_format='array_record')) and copy the directory here, "
        f"or use an offline dataset: {', '.join(OFFLINE_CHOICES)}"
    )


def load_images(name: str, *, data_dir: str | None = None, binarize: bool = True) -> Dataset:
    """Load a tfds image dataset as ``[N, H, W, 1]`` float32 in [0, 1].

    Args:
      name: one of ``IMAGE_DATASETS``.
      data_dir: tfds data directory (``None``: tfds's default).
      binarize: threshold at 0.5 for datasets stored as grey levels.
    """
    import tensorflow_datasets as tfds  # imported lazily: slow, and unneeded offline

    feature, stored_binary = IMAGE_DATASETS[name]
    try:
        builder = tfds.builder(name, data_dir=data_dir)
        prepared = builder.is_prepared()
    except Exception as err:  # tfds raises assorted errors for missing data
        raise _not_prepared_error(name, data_dir) from err
    if not prepared:
        raise _not_prepared_error(name, data_dir)
    sources = builder.as_data_source()
    splits = {}
    for split in ("train", "test"):
        source = sources[split]
        images = np.stack([source[i][feature] for i in range(len(source))]).astype(np.float32)
        if not stored_binary:
            images = images / 255.0
        if binarize and not stored_binary:
            images = (images > 0.5).astype(np.float32)
        labels = (
            np.asarray([source[i]["label"] for i in range(len(source))], np.int32)
            if "label" in builder.info.features
            else None
        )
        splits[split] = (images, labels)
    meta = {
        "name": name,
        "kind": "binary" if (binarize or stored_binary) else "continuous",
        "shape": splits["train"][0].shape[1:],
        "num_classes": 10 if splits["train"][1] is not None else None,
    }
    return Dataset(
        splits["train"][0], splits["test"][0], meta, splits["train"][1], splits["test"][1]
    )
