"""fundwatch: a watchlist of EU funding calls and their deadlines."""

__version__ = "0.1.0"
