"""eventyay-talk: call for papers, review, schedule and the schedule's standard exports."""

__version__ = "1.0.0"
