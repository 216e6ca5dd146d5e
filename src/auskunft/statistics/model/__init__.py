"""The statistics slice's pure model: figure definitions and the demo year's traffic."""
