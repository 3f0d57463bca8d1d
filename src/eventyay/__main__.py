"""``python -m eventyay <command>``: the same as ``manage.py``."""

import atexit
import os
import shutil
import sys
import tempfile

#: Commands that never read or write the instance's data (database, files, secret key). Run
#: without a configured data directory, e.g. in a plugin's checkout, they get a temporary one
#: instead of leaving ./data (with a secret key) behind.
COMMANDS_WITHOUT_DATA = {"startplugin", "help", "version", "makemigrations", "spectacular", "check"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        # Commands read better hyphenated on the command line (``import-pretix``); Django's
        # names are modules, so ``import-pretix`` runs ``import_pretix``.
        sys.argv[1] = sys.argv[1].replace("-", "_")
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if command.lstrip("-") in COMMANDS_WITHOUT_DATA | {"h"}:
        from eventyay.config.env import Config

        if not Config().get("data_dir"):
            os.environ["EVENTYAY_DATA_DIR"] = tempfile.mkdtemp(prefix="eventyay-")
            atexit.register(shutil.rmtree, os.environ["EVENTYAY_DATA_DIR"], ignore_errors=True)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
