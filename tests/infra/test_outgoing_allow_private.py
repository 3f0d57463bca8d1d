"""``EVENTYAY_OUTGOING_ALLOW_PRIVATE``: one switch for webhooks and connectors, older names still read."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from eventyay.config.env import Config, outgoing_allow_private


@pytest.mark.parametrize(
    ("environ", "allowed"),
    [
        ({}, False),
        ({"EVENTYAY_OUTGOING_ALLOW_PRIVATE": "1"}, True),
        ({"EVENTYAY_OUTGOING_ALLOW_PRIVATE": "off"}, False),
        ({"EVENTYAY_WEBHOOKS_ALLOW_PRIVATE": "true"}, True),
        ({"EVENTYAY_OUTGOING_HTTP_ALLOW_PRIVATE": "yes"}, True),
        # The new name wins over an alias either way.
        ({"EVENTYAY_OUTGOING_ALLOW_PRIVATE": "0", "EVENTYAY_WEBHOOKS_ALLOW_PRIVATE": "1"}, False),
        ({"EVENTYAY_OUTGOING_ALLOW_PRIVATE": "1", "EVENTYAY_WEBHOOKS_ALLOW_PRIVATE": "0"}, True),
    ],
)
def test_outgoing_allow_private_reads_the_new_name_then_the_aliases(environ, allowed):
    assert outgoing_allow_private(Config(environ=environ)) is allowed


def test_config_file_alias_is_read(tmp_path):
    path = tmp_path / "eventyay.cfg"
    path.write_text("[eventyay]\nwebhooks_allow_private = true\n")
    assert outgoing_allow_private(Config(environ={"EVENTYAY_CONFIG_FILE": str(path)})) is True


@pytest.mark.parametrize("name", ["EVENTYAY_OUTGOING_ALLOW_PRIVATE", "EVENTYAY_WEBHOOKS_ALLOW_PRIVATE"])
def test_the_setting_opens_private_targets_for_the_outgoing_client(tmp_path, name):
    """The settings module feeds the client's check, under the new name and the old alias."""
    env = {key: value for key, value in os.environ.items() if "ALLOW_PRIVATE" not in key}
    env.update({"EVENTYAY_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "eventyay.config.settings"})
    script = (
        "import django; django.setup();"
        "from eventyay.base.services.http import outgoing_url_problem as p;"
        "print(p('http://127.0.0.1:9/') is None)"
    )
    closed = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    opened = subprocess.run(
        [sys.executable, "-c", script], env={**env, name: "1"}, capture_output=True, text=True, check=True
    )
    assert (closed.stdout.strip(), opened.stdout.strip()) == ("False", "True")
