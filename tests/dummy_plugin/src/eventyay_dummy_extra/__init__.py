"""A restricted plugin that requires ``dummy``: exercises ``requires`` and ``restricted``."""
