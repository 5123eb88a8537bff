"""ml52: the core ideas of machine learning, each as a runnable lesson on real offline data.

The ideas are library code (`ml52.supervised`, `ml52.unsupervised`, `ml52.features`, `ml52.evaluation`,
`ml52.neural`, `ml52.reinforcement`); the lessons (`ml52.lessons`) put each idea to work on a problem.
"""

__version__ = "0.1.0"
