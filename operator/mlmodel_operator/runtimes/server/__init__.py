"""The inference server: one model version over HTTP, with feedback, drift and metrics.

Flow of a request: app (routes) -> codec (bytes -> NumPy) -> service (batching, ids, drift,
live metric, feedback file) -> model (predict). ``serve`` is the entry point; ``__main__``
reads the pod's environment.
"""
