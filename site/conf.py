"""Sphinx + MyST-NB configuration of the course website (built by scripts/build_site.py).

The site renders the notebooks' STORED outputs: nothing is executed, nothing is
fetched at build time (no intersphinx). scripts/build_site.py stages this folder
with a copy of notebooks/ and a generated index.md (the notebook map).
"""

project = "Deep Learning Fundamentals, hands-on"
author = "the course contributors"
copyright = "the course contributors, MIT licence"

extensions = ["myst_nb"]

# Only the staged pages: the index and the notebooks.
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]

# Stored outputs only: never run a kernel.
nb_execution_mode = "off"
# A stored explorer is a widget view plus a PNG of its first picture: show the PNG.
# A static page has no kernel, so a widget view could only be an empty box (and
# its JavaScript would come from a CDN); tqdm bars fall back to their text.
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "application/vnd.jupyter.widget-state+json", None),
]
nb_ipywidgets_js = {}  # no widget manager from unpkg / jsdelivr
nb_merge_streams = True
nb_output_stderr = "show"

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

html_theme = "alabaster"
html_title = project
html_theme_options = {"nosidebar": False, "page_width": "1100px", "body_max_width": "none"}
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
