"""An interactive dashboard (Mesa's SolaraViz); the model never imports this package."""
