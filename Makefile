# vaecollapse — every target sets up .venv first, so a fresh clone needs only Python 3.11.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
VAECOLLAPSE := $(VENV)/bin/vaecollapse
RUN := $(VAECOLLAPSE) run

.PHONY: install install-latest lock data test test-all lint demo linear-phase image-phase remedies remedies-literature text-collapse symptoms early-warning early-warning-grids early-warning-unseen ssl-collapse ssl-vicreg ssl-dimensional ssl-barlow ssl-byol gan-modes gan-phase stacked-digits recovery hysteresis experiments figures bench bench-torch clean

install: $(STAMP)

# the exact versions of constraints.txt (reproducible); `make install-latest` for the newest
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install-latest:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --upgrade -e '.[dev]'
	touch $(STAMP)

# pin what is installed now (after `make install-latest` and a green `make test`)
lock: install
	( sed -n '1,2p' constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -v '^vaecollapse' ) > constraints.tmp
	mv constraints.tmp constraints.txt

# the tfds datasets, downloaded and prepared (needs network); tfds's image builders read
# their downloads with TensorFlow, so preparing runs in its own venv, .venv-data
DATASETS ?= binarized_mnist ptb_text_only
DATA_DIR ?= $(HOME)/tensorflow_datasets
data:
	$(PYTHON) -m venv .venv-data
	.venv-data/bin/python -m pip install -q --upgrade pip
	.venv-data/bin/python -m pip install -q -e '.[data]'
	.venv-data/bin/vaecollapse data $(DATASETS) --data_dir $(DATA_DIR)

# pytest exits 5 when it collects no test: not a failure; any other non-zero is.
test: install
	$(PY) -m pytest -m "not slow" -q --durations=10; rc=$$?; [ $$rc -eq 5 ] && exit 0; exit $$rc

test-all: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check vaecollapse tests experiments benchmarks examples
	$(VENV)/bin/ruff format --check vaecollapse tests experiments benchmarks examples

demo: install
	$(RUN) experiments/demo.py --workdir runs/demo

# the sweep, then three rounds of refinement around every per-dim boundary
linear-phase: install
	$(RUN) experiments/linear_phase.py --workdir runs/linear_phase
	$(VENV)/bin/vaecollapse refine runs/linear_phase --measure kl_per_dim --rounds 3

image-phase: install
	$(RUN) experiments/image_phase.py --workdir runs/image_phase

remedies: install
	$(RUN) experiments/remedies.py --workdir runs/remedies

# the literature's remedies (aggressive inference, BN-VAE, δ-VAE, MMD-VAE, IWAE, a pretrained
# encoder, …) on He et al.'s text and on digits with the PixelCNN (docs/vae.md)
remedies-literature: install
	$(RUN) experiments/remedies_literature.py --workdir runs/remedies_literature
	$(RUN) experiments/remedies_literature_digits.py --workdir runs/remedies_literature_digits

text-collapse: install
	$(RUN) experiments/text_collapse.py --workdir runs/text_collapse

symptoms: install
	$(RUN) experiments/symptoms.py --workdir runs/symptoms

# the early warning's held-out table (docs/vae.md, "Early warning"): each grid left out of
# the fit once and scored; reads runs/demo, linear_phase, image_phase, remedies (make demo
# linear-phase image-phase remedies) and the three grids of early-warning-grids
early-warning: install
	$(PY) benchmarks/early_warning.py --roc docs/figures/early_warning_roc.png

# late onsets for the warning: the text grid (LSTM and Transformer, = make text-collapse), six
# more seeds of its slowly collapsing LSTM (constant β, no word dropout), and a conv decoder
# over β, with and without a KL warm-up over the first 40 % (36 runs)
early-warning-grids: install
	$(RUN) experiments/text_collapse.py --workdir runs/text_collapse
	$(RUN) experiments/text_collapse.py --workdir runs/ew_text "--config.sweep_static.name=('lstm',)" \
	  "--config.sweep_static.schedule=('constant',)" "--axis=context_dropout=(0.0,)" \
	  "--axis=seed=(3,4,5,6,7,8)"
	$(RUN) experiments/demo.py --workdir runs/ew_conv --config.model.name=conv \
	  --config.train.schedule=linear_warmup "--axis=beta=(0.3,1.0,2.0,4.0,8.0,16.0)" \
	  "--axis=free_bits=(0.0,)" "--axis=warmup_steps=(0.0,600.0)"

# grids built after the early warning was fixed, to score it as shipped and nothing else
early-warning-unseen: install
	$(RUN) experiments/ew_linear_slow.py --workdir runs/ew_linear_slow
	$(RUN) experiments/ew_digits_mid.py --workdir runs/ew_digits_mid
	$(RUN) experiments/ew_schedules.py --workdir runs/ew_schedules
	$(PY) benchmarks/early_warning.py --score --roc docs/figures/early_warning_unseen_roc.png

# the SSL family: SimSiam's stop-gradient as a continuous knob (docs/ssl.md)
ssl-collapse: install
	$(RUN) experiments/ssl_collapse.py --workdir runs/ssl_collapse

# VICReg, Barlow Twins and BYOL over their knobs; the linear InfoNCE toy (docs/ssl.md)
ssl-vicreg: install
	$(RUN) experiments/ssl_vicreg.py --workdir runs/ssl_vicreg

ssl-dimensional: install
	$(RUN) experiments/ssl_dimensional.py --workdir runs/ssl_dimensional

ssl-barlow: install
	$(RUN) experiments/ssl_barlow.py --workdir runs/ssl_barlow

ssl-byol: install
	$(RUN) experiments/ssl_byol.py --workdir runs/ssl_byol

# the GAN family: mode collapse on the grid and ring of Gaussians, remedies (docs/gan.md)
gan-modes: install
	$(RUN) experiments/gan_modes.py --workdir runs/gan_grid
	$(RUN) experiments/gan_modes.py --workdir runs/gan_ring --config.data.name=ring

gan-phase: install
	$(RUN) experiments/gan_phase.py --workdir runs/gan_phase

# the GAN family on stacked digits, 1,000 modes (PacGAN's Stacked MNIST at 8×8; docs/gan.md)
stacked-digits: install
	$(RUN) experiments/stacked_digits.py --workdir runs/stacked_digits
	$(RUN) experiments/stacked_digits_unrolled.py --workdir runs/stacked_digits_unrolled
	$(RUN) experiments/stacked_digits_phase.py --workdir runs/stacked_digits_phase
	$(VAECOLLAPSE) boundary runs/stacked_digits_phase --along r1_gamma --measure modes_fraction
	$(RUN) experiments/stacked_digits.py --workdir runs/stacked_digits_rate "--config.variants=()" \
	  "--axis=r1_gamma=(0.0,1.0,10.0)" "--axis=d_lr_ratio=(0.5,1.0,2.0)"
	$(VAECOLLAPSE) boundary runs/stacked_digits_rate --along r1_gamma --measure modes_fraction

# can a collapse be undone? The VAE's β excursions, SSL's and GAN's remedy windows, each
# run against its control; β ramps up and back (docs/memory.md)
recovery: install
	$(RUN) experiments/recovery.py --workdir runs/recovery
	$(VAECOLLAPSE) refine runs/recovery --along beta_peak --values 5.623,17.78 \
	  --measure kl_per_dim --direction increasing
	$(VAECOLLAPSE) refine runs/recovery --along excursion_steps --values 12000 \
	  --measure kl_per_dim --direction increasing
	$(PY) benchmarks/recovery_table.py runs/recovery --figure runs/recovery/map.png \
	  > runs/recovery/recovery.md
	$(RUN) experiments/recovery.py --workdir runs/recovery_long --config.train.steps=56000 \
	  --config.checkpoint_every=10000 "--axis=beta_peak=(1.0,10.0,31.62)" \
	  "--axis=excursion_steps=(16000.0,)"
	$(PY) benchmarks/recovery_table.py runs/recovery_long --figure runs/recovery_long/map.png \
	  > runs/recovery_long/recovery.md
	$(RUN) experiments/recovery.py --workdir runs/recovery_12k_more_seeds \
	  "--axis=excursion_steps=(12000.0,)" "--axis=beta_peak=(1.0,3.162,5.623,10.0,17.78,31.62)" \
	  "--axis=seed=(5,6,7,8,9)"
	$(PY) benchmarks/recovery_table.py runs/recovery_12k_more_seeds \
	  > runs/recovery_12k_more_seeds/recovery.md
	$(RUN) experiments/recovery.py --workdir runs/recovery_beta05 --config.hparams.beta=0.5 \
	  "--axis=beta_peak=(0.5,1.581,5.0,15.81)" "--axis=excursion_steps=(4000.0,8000.0,12000.0,16000.0)"
	$(PY) benchmarks/recovery_table.py runs/recovery_beta05 --figure runs/recovery_beta05/map.png \
	  > runs/recovery_beta05/recovery.md
	$(RUN) experiments/recovery.py --workdir runs/recovery_beta2 --config.hparams.beta=2.0 \
	  "--axis=beta_peak=(2.0,6.325,20.0,63.25)" "--axis=excursion_steps=(4000.0,8000.0,12000.0,16000.0)"
	$(PY) benchmarks/recovery_table.py runs/recovery_beta2 --figure runs/recovery_beta2/map.png \
	  > runs/recovery_beta2/recovery.md
	$(RUN) experiments/recovery_pixelcnn.py --workdir runs/recovery_pixelcnn
	$(PY) benchmarks/recovery_table.py runs/recovery_pixelcnn --figure runs/recovery_pixelcnn/map.png \
	  > runs/recovery_pixelcnn/recovery.md
	$(RUN) experiments/ssl_recovery.py --workdir runs/ssl_recovery
	$(PY) benchmarks/window_table.py runs/ssl_recovery > runs/ssl_recovery/recovery.md
	$(RUN) experiments/gan_recovery.py --workdir runs/gan_recovery
	$(PY) benchmarks/window_table.py runs/gan_recovery > runs/gan_recovery/recovery.md
	$(RUN) experiments/gan_recovery.py --workdir runs/gan_recovery_constant_lr \
	  --config.train.lr_schedule=constant
	$(PY) benchmarks/window_table.py runs/gan_recovery_constant_lr \
	  > runs/gan_recovery_constant_lr/recovery.md

hysteresis: install
	$(RUN) experiments/hysteresis.py --workdir runs/hysteresis
	$(PY) benchmarks/hysteresis_table.py runs/hysteresis --figure runs/hysteresis/loops.png \
	  > runs/hysteresis/loops.md
	$(RUN) experiments/hysteresis_linear.py --workdir runs/hysteresis_linear
	$(PY) benchmarks/hysteresis_table.py runs/hysteresis_linear \
	  --figure runs/hysteresis_linear/loops.png > runs/hysteresis_linear/loops.md
	$(RUN) experiments/hysteresis_pixelcnn.py --workdir runs/hysteresis_pixelcnn
	$(PY) benchmarks/hysteresis_table.py runs/hysteresis_pixelcnn \
	  --figure runs/hysteresis_pixelcnn/loops.png > runs/hysteresis_pixelcnn/loops.md
	$(RUN) experiments/hysteresis_pixelcnn.py --workdir runs/hysteresis_pixelcnn_16k \
	  --config.train.steps=16500 --config.train.log_every=100 "--axis=excursion_steps=(16000.0,)"
	$(PY) benchmarks/hysteresis_table.py runs/hysteresis_pixelcnn_16k \
	  --figure runs/hysteresis_pixelcnn_16k/loops.png > runs/hysteresis_pixelcnn_16k/loops.md
	$(RUN) experiments/hysteresis_lstm.py --workdir runs/hysteresis_lstm
	$(PY) benchmarks/hysteresis_table.py runs/hysteresis_lstm \
	  --figure runs/hysteresis_lstm/loops.png > runs/hysteresis_lstm/loops.md

# every experiment of every family (hours on 2 CPU cores), then the docs' figures and
# summaries copied from their workdirs; the early warning's tables and ROC figures are
# written by its targets (early-warning reads the grids run before it)
EXPERIMENTS := demo linear-phase image-phase remedies remedies-literature text-collapse \
  symptoms early-warning-grids early-warning early-warning-unseen ssl-collapse ssl-vicreg \
  ssl-barlow ssl-byol ssl-dimensional gan-modes gan-phase stacked-digits recovery hysteresis
experiments: install
	@start=$$(date +%s); \
	for e in $(EXPERIMENTS); do $(MAKE) --no-print-directory $$e || exit 1; done; \
	echo "make experiments: $$(( $$(date +%s) - start )) s"
	$(MAKE) --no-print-directory figures

# docs/figures/WORKDIR_FIGURE.png for every figure a workdir has, and WORKDIR_summary.md
FIGURE_WORKDIRS := demo linear_phase image_phase remedies text_collapse symptoms \
  remedies_literature remedies_literature_digits ssl_collapse ssl_vicreg ssl_barlow ssl_byol \
  ssl_dimensional gan_grid gan_ring gan_phase recovery recovery_beta2 ssl_recovery gan_recovery hysteresis \
  hysteresis_linear hysteresis_pixelcnn hysteresis_pixelcnn_16k hysteresis_lstm stacked_digits stacked_digits_phase \
  stacked_digits_unrolled
FIGURE_NAMES := phase_diagram kl_curves encoder_histograms reconstructions interpolations \
  analytic_kl spectrum samples mode_trace loops map digit_samples
figures:
	mkdir -p docs/figures
	for e in $(FIGURE_WORKDIRS); do \
	  for f in $(FIGURE_NAMES); do \
	    [ -f runs/$$e/$$f.png ] && cp runs/$$e/$$f.png docs/figures/$${e}_$$f.png || true; \
	  done; \
	  [ -f runs/$$e/summary.md ] && cp runs/$$e/summary.md docs/figures/$${e}_summary.md || true; \
	done

# throughput of the reference model and of each experiment's model, then the scaling plot
BENCH := $(PY) benchmarks/sweep_throughput.py
bench: install
	$(BENCH) --runs 1 8 64 256 --steps 300 --json benchmarks/sweep_throughput.json
	$(BENCH) --experiment linear_phase --runs 1 8 64 --steps 300 --json benchmarks/linear_phase.json
	$(BENCH) --experiment image_phase --runs 1 8 --steps 50 --json benchmarks/image_phase.json
	$(BENCH) --experiment text_collapse --runs 1 4 --steps 50 --json benchmarks/text_collapse.json
	$(PY) benchmarks/scaling.py benchmarks/sweep_throughput.json benchmarks/linear_phase.json benchmarks/image_phase.json benchmarks/text_collapse.json --out benchmarks/scaling.png
	$(PY) benchmarks/report_scaling.py --runs 100 1000 10000 --json benchmarks/report_scaling.json
	$(PY) benchmarks/boundary_speed.py

# each family's vmapped grid vs the same runs one by one vs the same model, loss and
# optimiser in a plain PyTorch loop (docs/performance.md); PyTorch comes from the optional
# `bench` extra, installed here only: the package and the tests never need it
bench-torch: install
	$(PY) -m pip install -q -c constraints.txt -e '.[bench]'
	$(PY) benchmarks/torch_peers.py --json benchmarks/torch_peers.json

clean:
	rm -rf runs .pytest_cache
