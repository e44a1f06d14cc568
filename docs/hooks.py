"""MkDocs hook: the committed default-scale figures (results/default/figures/) are served as
figures/<name>, so the pages show the images the results hold without a copy in docs/."""

from pathlib import Path

from mkdocs.structure.files import File

FIGURES = Path(__file__).resolve().parent.parent / "results" / "default" / "figures"


def on_files(files, config):
    for image in sorted(FIGURES.glob("*")):
        if image.suffix in (".png", ".gif"):
            files.append(File.generated(config, f"figures/{image.name}", abs_src_path=str(image)))
    return files
