"""Connector types: the contract (:mod:`.base`) and the first-party WordPress and Wagtail adapters."""
