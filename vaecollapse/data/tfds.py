"""Real `tensorflow_datasets` loaders, read as numpy through array_record data sources.

No TensorFlow is needed to read: prepared datasets are read with
``builder.as_data_source()`` (images decoded by Pillow). Offline, an unprepared dataset
fails at once with a message naming the offline choices (tfds itself would retry
downloads for minutes). `prepare` downloads and prepares them where there is network
(``vaecollapse data NAME ...``, ``make data``); tfds's image builders need TensorFlow
for that, the PTB builder (`vaecollapse.data.ptb`, tfds ships no PTB) does not.
"""

from __future__ import annotations

import numpy as np

from vaecollapse import choices
from vaecollapse.data.dataset import OFFLINE, Dataset

# name -> (feature holding the image, whether the stored pixels are already 0/1)
IMAGE_DATASETS = {name: ("image", name == "binarized_mnist") for name in choices.TFDS_IMAGE_DATA}
# name -> feature holding the sentence
TEXT_DATASETS = {name: "text" for name in choices.TFDS_TEXT_DATA}
PAD, UNK = 0, 1  # token ids of end-of-sentence padding and out-of-vocabulary words
WORDS = ("<eos>", "<unk>")  # their text


def _not_prepared_error(name: str, data_dir: str | None) -> ValueError:
    return ValueError(
        f"tfds dataset {name!r} is not downloaded/prepared in data_dir={data_dir!r}. "
        f"Prepare it on a machine with internet (`make data DATASETS={name}`, or "
        f"`vaecollapse data {name} --data_dir DIR`) and copy the directory here, "
        f"or use an offline dataset: {', '.join(OFFLINE)}"
    )


def _builder(name: str, data_dir: str | None):
    """tfds's builder of ``name`` (ours for ``ptb_text_only``)."""
    import tensorflow_datasets as tfds  # imported lazily: slow, and unneeded offline

    from vaecollapse.data import ptb  # noqa: F401 (registers ptb_text_only with tfds)

    return tfds.builder(name, data_dir=data_dir)


def prepare(names: list[str], data_dir: str | None = None) -> list[str]:
    """Download and prepare the tfds datasets ``names`` (array_record files in
    ``data_dir``, tfds's default if None); returns the directories written.

    Raises:
      ValueError: a name that is not one of ``IMAGE_DATASETS`` or ``TEXT_DATASETS``, or a
        builder that needs TensorFlow where it is not installed.
    """
    known = (*IMAGE_DATASETS, *TEXT_DATASETS)
    for name in names:
        if name not in known:
            raise ValueError(f"{name!r} is not a tfds dataset vaecollapse loads; allowed: {known}")
    out = []
    for name in names:
        builder = _builder(name, data_dir)
        try:
            builder.download_and_prepare(file_format="array_record")
        except ModuleNotFoundError as err:
            raise ValueError(
                f"preparing {name!r} needs {err.name} (tfds's builder reads its downloads "
                "with it); `make data` installs it in .venv-data"
            ) from None
        out.append(str(builder.data_dir))
    return out


def _prepared_sources(name: str, data_dir: str | None):
    """(builder, split -> numpy data source) of a prepared dataset; fail fast otherwise."""
    try:
        builder = _builder(name, data_dir)
        prepared = builder.is_prepared()
    except Exception as err:  # tfds raises assorted errors for missing data
        raise _not_prepared_error(name, data_dir) from err
    if not prepared:
        raise _not_prepared_error(name, data_dir)
    return builder, builder.as_data_source()


def tokenize(
    train: list[str], test: list[str], *, vocab_size: int, length: int
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Whitespace-tokenise sentences into fixed-length int32 ``[N, length]`` sequences.

    The vocabulary is ``PAD`` (end of sentence, also the padding), ``UNK`` and the
    ``vocab_size − 2`` most frequent training words (ties broken alphabetically); the
    word ``<unk>`` (PTB's own rare-word mark) is ``UNK``. Each sentence keeps its first
    ``length − 1`` words and ends with at least one ``PAD``.

    Returns:
      ``(train tokens, test tokens, words)``; ``words[i]`` is the text of token i.
    """
    counts: dict[str, int] = {}
    for sentence in train:
        for word in sentence.split():
            counts[word] = counts.get(word, 0) + 1
    counts.pop(WORDS[UNK], None)
    ranked = sorted(counts, key=lambda w: (-counts[w], w))[: vocab_size - 2]
    words = [*WORDS, *ranked]
    index = {w: i for i, w in enumerate(words)}

    def encode(sentences):
        out = np.full((len(sentences), length), PAD, np.int32)
        for row, sentence in enumerate(sentences):
            ids = [index.get(w, UNK) for w in sentence.split()[: length - 1]]
            out[row, : len(ids)] = ids
        return out

    return encode(train), encode(test), words


def load_text(
    name: str, *, data_dir: str | None = None, vocab_size: int = 1000, length: int = 16
) -> Dataset:
    """Load a tfds text dataset (one sentence per example) as `tokenize`d sequences.

    Args:
      name: one of ``TEXT_DATASETS``.  data_dir: tfds data directory.
      vocab_size: tokens kept, PAD and UNK included.  length: tokens per sequence.
    """
    _, sources = _prepared_sources(name, data_dir)
    feature = TEXT_DATASETS[name]

    def sentences(split):
        source = sources[split]
        return [_decode(source[i][feature]) for i in range(len(source))]

    train, test, words = tokenize(
        sentences("train"), sentences("test"), vocab_size=vocab_size, length=length
    )
    meta = {
        "name": name,
        "kind": "tokens",
        "shape": (length,),
        "vocab_size": vocab_size,
        "words": words,
    }
    return Dataset(train, test, meta)


def _decode(text) -> str:
    return text.decode("utf-8") if isinstance(text, bytes) else str(text)


def load_images(name: str, *, data_dir: str | None = None, binarize: bool = True) -> Dataset:
    """Load a tfds image dataset as ``[N, H, W, 1]`` float32 in [0, 1].

    Args:
      name: one of ``IMAGE_DATASETS``.
      data_dir: tfds data directory (``None``: tfds's default).
      binarize: threshold at 0.5 for datasets stored as grey levels.
    """
    feature, stored_binary = IMAGE_DATASETS[name]
    builder, sources = _prepared_sources(name, data_dir)
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
    features = builder.info.features
    meta = {
        "name": name,
        "kind": "binary" if (binarize or stored_binary) else "continuous",
        "shape": splits["train"][0].shape[1:],
        "num_classes": features["label"].num_classes if "label" in features else None,
    }
    return Dataset(
        splits["train"][0], splits["test"][0], meta, splits["train"][1], splits["test"][1]
    )
