"""The day simulation: a scenario's calls and cases through the product's own decisions, and the day's figures."""
