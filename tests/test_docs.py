"""The README is a front door to pages under docs/: every relative link and image in
README.md and docs/*.md points at a file of the repository (and at a heading of it, where
the link names one), and every docs/*.md page is linked from the README. Fast: reads text,
trains nothing."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCUMENTS = [README, *PAGES]

# [text](target) and ![alt](target), with an optional "title"; the text may hold `code`.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.M)


def _prose(text: str) -> str:
    """The Markdown outside fenced blocks (link syntax there is not a link)."""
    return FENCE.sub("", text)


def links(text: str) -> list[str]:
    """Targets of every link and image outside code blocks and code spans."""
    prose = _prose(text)
    # A code span inside link text (`[`docs/x.md`](docs/x.md)`) must not hide the link,
    # but one holding link syntax is not a link: blank spans that are not link text.
    found = [m.group(1) for m in LINK.finditer(prose)]
    spans = [m.group(0) for m in CODE_SPAN.finditer(prose)]
    in_spans = [m.group(1) for s in spans for m in LINK.finditer(s)]
    for target in in_spans:
        if target in found:
            found.remove(target)
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: Markdown marks dropped, lower case, punctuation and
    symbols removed (letters of any script, digits, `_`, `-` kept), spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for m in HEADING.finditer(_prose(path.read_text(encoding="utf-8"))):
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def broken_links(doc: Path) -> list[str]:
    broken = []
    for target in links(doc.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http(s), mailto, …
            continue
        path_part, _, anchor = target.partition("#")
        if not path_part:  # an anchor in the same document
            dest = doc
        else:
            dest = (doc.parent / unquote(path_part)).resolve()
            if not dest.is_relative_to(ROOT) or not dest.exists():
                broken.append(f"{target}: no such file")
                continue
        if anchor and dest.suffix == ".md" and unquote(anchor) not in anchors(dest):
            broken.append(f"{target}: no heading with that anchor in {dest.relative_to(ROOT)}")
    return broken


def test_the_docs_exist():
    assert README.exists()
    assert PAGES, "no docs/*.md pages"
    assert ROOT / "docs" / "vae.md" in PAGES


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_image_points_at_a_file(doc):
    assert links(doc.read_text(encoding="utf-8")) or doc != README
    broken = broken_links(doc)
    assert not broken, f"{doc.relative_to(ROOT)}: broken links:\n" + "\n".join(broken)


def test_every_docs_page_is_linked_from_the_readme():
    linked = set()
    for target in links(README.read_text(encoding="utf-8")):
        path_part = target.partition("#")[0]
        if path_part and not re.match(r"^[a-z][a-z0-9+.-]*:", path_part, re.I):
            linked.add((ROOT / unquote(path_part)).resolve())
    missing = [str(p.relative_to(ROOT)) for p in PAGES if p.resolve() not in linked]
    assert not missing, f"docs pages not linked from README.md: {missing}"


def test_the_link_finder_and_slugger():
    text = (
        'See [a](docs/a.md), ![img](figures/x.png "title"), [`code`](../b.py#L3), '
        "[web](https://example.org), `[not](a/link.md)`.\n"
        "```\n[also not](c.md)\n```\n"
        "`kl_per_dim[latent]` and [0, 1] (vmappable) are not links.\n"
    )
    assert links(text) == ["docs/a.md", "figures/x.png", "../b.py#L3", "https://example.org"]
    assert slug("`demo` — β × free bits on digits") == "demo--β--free-bits-on-digits"
    assert slug("What is measured (`results.nc`)") == "what-is-measured-resultsnc"
    assert slug("`text_collapse` — Bowman et al. (2016), both decoders") == (
        "text_collapse--bowman-et-al-2016-both-decoders"
    )


def make_variable(name: str) -> list[str]:
    """The words of a ``NAME := …`` variable of the Makefile (with its continuations)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    match = re.search(rf"^{name} := (.*)$", text, re.M)
    assert match, f"Makefile has no {name}"
    return match.group(1).split()


def test_every_figure_the_docs_show_is_one_make_regenerates():
    """`make experiments figures` writes each docs/figures file a page shows: a workdir's
    figure copied by `figures`, or a figure a Makefile recipe writes itself."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    copied = {
        f"{w}_{f}.png"
        for w in make_variable("FIGURE_WORKDIRS")
        for f in make_variable("FIGURE_NAMES")
    }
    written = set(re.findall(r"docs/figures/([\w.]+\.png)", makefile))
    assert {"demo_phase_diagram.png", "gan_grid_samples.png"} <= copied
    shown = set()
    for doc in DOCUMENTS:
        shown |= set(re.findall(r"figures/([\w]+\.png)", doc.read_text(encoding="utf-8")))
    missing = sorted(shown - copied - written)
    assert not missing, f"docs figures no make target regenerates: {missing}"
    experiments = make_variable("EXPERIMENTS")
    targets = set(re.findall(r"^([\w-]+): install", makefile, re.M))
    assert set(experiments) <= targets
    assert {"ssl-collapse", "gan-modes", "gan-phase", "demo"} <= set(experiments)
