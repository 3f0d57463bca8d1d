"""Sphinx configuration for the eventyay documentation (``make docs``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOC_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(DOC_DIR.parent / "src"))

# autodoc imports the hook specifications of core and bundled plugins, some of which import
# models: set Django up with a throwaway data directory inside the build output.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")
os.environ.setdefault("EVENTYAY_DATA_DIR", str(DOC_DIR / "_build" / "data"))

import django  # noqa: E402

django.setup()

from eventyay import __version__  # noqa: E402

project = "eventyay"
author = "The eventyay contributors"
copyright = "The eventyay contributors"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = ["sphinx.ext.autodoc"]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"undoc-members": False}

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []
html_theme = "furo"
html_title = f"eventyay {version}"
html_static_path: list[str] = []
