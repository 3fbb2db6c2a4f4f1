"""Offline scene search over the user's own anime library (issue 15).

Self-contained: the rest of animetui reaches it through small hooks (the ``library`` CLI command,
``scene --provider local``). Heavy dependencies (numpy, PyAV, faiss) are imported only by the
modules that need them, never at animetui start-up.
"""
