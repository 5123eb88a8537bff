"""Bring your own problem: `ml52 solve` applies ml52's ideas to a user's own table, `ml52 predict` reuses the model.

table.py reads and checks the file and profiles its columns; pipeline.py turns columns into features;
estimators.py adds a regression tree and a network regressor; models.py cross-validates the candidates
against a baseline; modelfile.py saves and safely loads the fitted pipeline; report.py draws the figures
and writes the HTML page; solver.py ties them together for the command line.
"""
