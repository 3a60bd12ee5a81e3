# TensorFlow and PyTorch, Side by Side. `make` lists the targets.
PYTHON  ?= python3
# tensorflow[and-cuda] (doctest-gpu) and tensorflow-cpu cannot share one environment.
ifneq ($(filter doctest-gpu,$(MAKECMDGOALS)),)
VENV    ?= .venv-gpu
endif
# The upgrade report installs other versions than the pins, so never into .venv.
ifneq ($(filter upgrade-report,$(MAKECMDGOALS)),)
VENV    ?= .venv-upgrade
endif
VENV    ?= .venv
BIN     := $(VENV)/bin
INSTALLED := $(VENV)/installed
BUILDDIR ?= _build
SPHINXOPTS := -c . -d $(BUILDDIR)/doctrees -n -W --keep-going
SPHINX  := $(BIN)/sphinx-build $(SPHINXOPTS) book
CHAPTER ?=
CHAPTERS = $(wildcard book/chapters/*.md)
# The date printed in the PDF and EPUB is the last commit's, so a rebuild gives the same book;
# in a tree without .git (a downloaded archive), the newest source file's.
NEWEST_SOURCE = $(shell $(PYTHON) -c "import pathlib; print(max(int(p.stat().st_mtime) for p in pathlib.Path('book').rglob('*.md')))")
export SOURCE_DATE_EPOCH ?= $(or $(and $(wildcard .git),$(shell git log -1 --format=%ct)),$(NEWEST_SOURCE))
GPU_FRAMEWORKS ?= tf torch

ifneq ($(CHAPTER),)
ifeq ($(filter $(CHAPTER),$(CHAPTERS)),)
$(error CHAPTER=$(CHAPTER) is not a chapter; use a path such as $(firstword $(CHAPTERS)))
endif
endif
ifneq ($(filter doctest-gpu,$(MAKECMDGOALS)),)
ifeq ($(shell nvidia-smi -L 2>/dev/null),)
$(error doctest-gpu needs a CUDA machine and nvidia-smi finds no GPU here; run make doctest)
endif
endif

EPUBCHECK := /usr/share/java/epubcheck.jar
# The figures (book/figures/*.dot) are drawn at build time by Graphviz's dot.
NEED_DOT = @command -v dot >/dev/null || { echo "the book's figures need Graphviz's dot (apt-get install graphviz)"; exit 1; }

.PHONY: help html doctest doctest-gpu bench upgrade-report pdf epub notebooks dist test lint serve clean
help: ## list the targets
	@awk -F ':.*## ' '/^[a-z-]+:.*## /{printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

html: $(INSTALLED)-docs ## build the HTML book into _build/html (needs neither framework)
	$(NEED_DOT)
	$(SPHINX) -b html $(BUILDDIR)/html $(CHAPTER)

# For the examples, -j auto reads the sources on every core; the examples themselves run in
# one worker per core (book/_ext/doctest_workers.py).
doctest: $(INSTALLED)-frameworks ## run every example; CHAPTER=book/chapters/NN-x.md runs one chapter; CACHED=1 skips chapters that passed and are unchanged
	$(SPHINX) -j auto -b doctest $(if $(CACHED),-D doctest_cached=1) $(BUILDDIR)/doctest $(CHAPTER)

doctest-gpu: $(INSTALLED)-gpu ## on a CUDA machine, in .venv-gpu: every example; a skipped CUDA block fails
	$(SPHINX) -j auto -b doctest -D doctest_gpu_frameworks="$(GPU_FRAMEWORKS)" $(BUILDDIR)/doctest-gpu $(CHAPTER)

bench: $(INSTALLED)-frameworks ## time make doctest (clean and cached) against importing the frameworks
	$(BIN)/python tools/bench.py --builddir $(BUILDDIR)/bench

upgrade-report: ## in .venv-upgrade, the newest releases (or VERSIONS="torch==X.Y.Z"): what changes
	$(PYTHON) tools/upgrade_report.py --venv $(VENV) --versions "$(VERSIONS)" --out $(BUILDDIR)/upgrade $(CHAPTER)

pdf: $(INSTALLED)-docs ## build the PDF into _build/latex/tf-torch-book.pdf (needs TeX Live)
	$(NEED_DOT)
	@command -v latexmk >/dev/null && command -v lualatex >/dev/null || { echo "make pdf needs latexmk and lualatex (apt-get install latexmk texlive-luatex texlive-latex-extra fonts-freefont-otf)"; exit 1; }
	$(BIN)/sphinx-build -M latexpdf book $(BUILDDIR) $(SPHINXOPTS)

epub: $(INSTALLED)-docs ## build the EPUB into _build/epub and check it with epubcheck
	$(NEED_DOT)
	@test -f $(EPUBCHECK) && command -v java >/dev/null || { echo "make epub checks the book with epubcheck, which is missing (apt-get install epubcheck)"; exit 1; }
	rm -rf $(BUILDDIR)/epub  # the EPUB packs every file there, leftovers of older builds too
	$(SPHINX) -b epub $(BUILDDIR)/epub
	java -jar $(EPUBCHECK) -q $(BUILDDIR)/epub/tf-torch-book.epub

notebooks: $(INSTALLED)-docs ## write each chapter as Jupyter notebooks (one per framework) into _build/notebooks
	$(SPHINX) -b notebooks $(BUILDDIR)/notebooks

dist: html ## pack the HTML book into _build/tf-torch-book-html.zip, to read offline from disk
	rm -f $(BUILDDIR)/tf-torch-book-html.zip
	$(BIN)/python -m zipfile -c $(BUILDDIR)/tf-torch-book-html.zip $(BUILDDIR)/html/

test: lint doctest ## run every check: lint, every example, then the pytest suite
	BUILDDIR=$(BUILDDIR) $(BIN)/pytest -n auto --dist loadgroup

lint: $(INSTALLED)-docs ## ruff (format and lint) and codespell
	$(BIN)/ruff format --check . && $(BIN)/ruff check . && $(BIN)/codespell

serve: $(INSTALLED)-docs ## live preview on http://127.0.0.1:8000, rebuilt on every save
	$(BIN)/sphinx-autobuild -c . -d $(BUILDDIR)/doctrees book $(BUILDDIR)/html

clean: ## remove every build output (keeps .venv)
	rm -rf $(BUILDDIR)

# The environment: the docs toolchain first, the frameworks only when examples run.
$(INSTALLED)-docs: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip>=25.1"
	$(BIN)/pip install -q --group docs --group dev
	touch $@
$(INSTALLED)-frameworks $(INSTALLED)-gpu: $(INSTALLED)-%: pyproject.toml $(INSTALLED)-docs
	$(BIN)/pip install -q --group $*
	touch $@
