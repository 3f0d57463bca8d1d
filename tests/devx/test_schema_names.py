"""The API schema names every choice set: no hashed enum names such as ``State33eEnum``."""

from __future__ import annotations

import re

from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import spectacular_settings

HASHED_ENUM = re.compile(r"[0-9a-f]{3}Enum$")


def schema_components():
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    assert isinstance(generator, SchemaGenerator)
    return generator.get_schema(request=None, public=True)["components"]["schemas"]


def test_no_enum_of_the_schema_has_a_hashed_name():
    components = schema_components()
    enums = [name for name in components if name.endswith("Enum")]
    assert enums, "the schema has no enums at all: the test would prove nothing"
    assert [name for name in enums if HASHED_ENUM.search(name)] == []


def test_plugins_name_their_shared_choice_sets():
    components = schema_components()
    assert components["TalkSubmissionStateEnum"]["enum"][:2] == ["draft", "submitted"]


def test_schema_generation_warns_of_nothing():
    """Warnings of drf-spectacular (one choice set under two names, unresolvable fields) fail.

    They only print while the schema is generated; the collected ones are read here.
    """
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema_components()
    assert dict(GENERATOR_STATS._warn_cache) == {}
    assert dict(GENERATOR_STATS._error_cache) == {}
