"""eventyay-video: virtual rooms with livestreams, live chat, polls and Q&A over websockets."""

__version__ = "1.0.0"
