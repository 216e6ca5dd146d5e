"""The staffing slice's pure model: queueing formulas, simulation, forecast."""
