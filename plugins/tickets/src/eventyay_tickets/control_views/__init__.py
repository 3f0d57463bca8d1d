"""The tickets plugin's control panel pages (mounted through ``urls.control_patterns``)."""
