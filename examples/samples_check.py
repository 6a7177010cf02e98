"""Mode collapse read from a generator's samples, with vaecollapse's `diagnose_samples`
and `coverage` (NumPy only: any framework's samples, as NumPy arrays).

The data is PacGAN's ring: 8 Gaussians of std 0.01 on a circle of radius 1. The toy
"generator" here covers 5 of the 8 modes and puts 10 % of its samples between modes, as a
partly collapsed GAN would:

    python examples/samples_check.py

prints the report (partial: 5 of 8 modes captured, 89 % high quality, reverse KL 0.470
≈ log(8/5)) and the samples' precision 0.89, recall 1.00, density 0.89 and coverage 0.60
against 2,000 real draws from the ring: coverage ≈ 5/8 (three modes' real balls hold no
sample), while recall stays ≈ 1 (the stray samples' wide balls reach the lost modes).
"""

from __future__ import annotations

import numpy as np

import vaecollapse

rng = np.random.default_rng(0)
angles = 2 * np.pi * np.arange(8) / 8
modes = np.stack([np.cos(angles), np.sin(angles)], axis=1)  # [8, 2] mode means
std = 0.01

real = modes[rng.integers(0, 8, 2000)] + std * rng.standard_normal((2000, 2))
fake = modes[rng.integers(0, 5, 1800)] + std * rng.standard_normal((1800, 2))  # 5 modes
fake = np.concatenate([fake, 0.5 * rng.standard_normal((200, 2))])  # 10 % off the modes

print(vaecollapse.diagnose_samples(fake, modes, std))
print(vaecollapse.coverage(real, fake, k=5))  # features: any embeddings [N, D] as NumPy
