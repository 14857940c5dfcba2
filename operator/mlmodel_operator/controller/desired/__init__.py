"""PURE: the children an MLModel should have, as manifest dicts (spec in, manifests out).

Nothing here talks to the API server; `controller.kube` applies what these functions return.
"""
