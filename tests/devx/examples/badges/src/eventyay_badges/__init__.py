"""Badges: Name badges for attendees (the plugin guide's worked examples)"""
