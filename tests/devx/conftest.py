# The worked examples' plugin is collected only by its own pytest session (test_examples.py),
# where it is an installed plugin; in this session it is not installed.
collect_ignore_glob = ["examples/*"]
