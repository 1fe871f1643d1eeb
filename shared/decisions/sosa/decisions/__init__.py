"""sosa.decisions: the pure rules of `sosa.rules` applied to the contracts of `sosa.contracts`."""
