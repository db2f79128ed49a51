"""gapcheck: is a project ready to implement, ready to execute, and what will derail it?"""

__version__ = "0.1.0"
