"""A plugin that fails to import: it must be reported and left off, and the site keeps running."""

import eventyay_dummy_missing_dependency  # noqa: F401
