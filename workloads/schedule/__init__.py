"""Multi-day predictive maintenance schedule (`windmill schedule`) and the simulated year
(`windmill simulate`): forecast, planner, cost table, discrete-event simulation.

Heavy imports (OR-Tools, pandas, Spark) stay inside functions so importing is light.
"""
