"""The dummy plugin: exercises every part of the plugin contract for the contract tests."""
