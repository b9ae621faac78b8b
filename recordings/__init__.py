"""Call recordings: download, storage, playback, retention (built by the recordings issue)."""
