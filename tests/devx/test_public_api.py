"""Only what is documented is API, and all of it is documented: :mod:`eventyay.plugin_api`."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

import eventyay.plugin_api as plugin_api

API_PAGE = Path(__file__).resolve().parents[2] / "doc" / "plugins" / "api.rst"
DIRECTIVE = re.compile(
    r"^\.\. (?:auto(?:function|class)|py:data):: (?:eventyay\.plugin_api\.)?(\w+)$", re.MULTILINE
)


def test_all_names_the_public_surface_and_nothing_else():
    assert sorted(plugin_api.__all__) == sorted(plugin_api.PUBLIC_NAMES)


@pytest.mark.parametrize("name", plugin_api.__all__)
def test_public_name_resolves_to_the_object_in_its_home_module(name):
    home = importlib.import_module(plugin_api.PUBLIC_NAMES[name])
    assert getattr(plugin_api, name) is getattr(home, name)


# pluggy's marker instances: the page describes them in its own words (``py:data``).
MARKERS = {"hookimpl", "hookspec"}


@pytest.mark.parametrize("name", sorted(set(plugin_api.__all__) - MARKERS))
def test_public_name_has_its_own_docstring(name):
    obj = getattr(plugin_api, name)
    doc = obj.__doc__ if inspect.isclass(obj) else inspect.getdoc(obj)
    assert doc and doc.strip(), f"{name} has no docstring of its own"


def test_every_public_name_is_rendered_on_the_api_page_and_only_those():
    rendered = DIRECTIVE.findall(API_PAGE.read_text(encoding="utf-8"))
    assert sorted(rendered) == sorted(plugin_api.__all__), (
        "doc/plugins/api.rst and eventyay.plugin_api differ"
    )


def test_unknown_names_are_no_api():
    with pytest.raises(AttributeError):
        plugin_api.webhook_deliver  # noqa: B018
