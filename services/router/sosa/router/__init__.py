"""sosa router: applies the DPAS and Code-of-Conduct rules and publishes every state change."""
