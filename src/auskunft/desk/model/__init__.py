"""The desk's pure parts."""
