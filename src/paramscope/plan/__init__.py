"""The deployment planner (paramscope plan): search, simulation and the plan object."""
