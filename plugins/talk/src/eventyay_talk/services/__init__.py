"""Business rules of the talk plugin: every write goes through a function in this package.

Functions are named ``<thing>_<action>``, take keyword arguments only and run in one
transaction. The control panel, the public pages, the API and tasks all call these.
"""
