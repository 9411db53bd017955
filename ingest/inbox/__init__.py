"""The durable inbox: the one hand-off between the web process and the digest.

`row` (what a row is, the plain single-row store), `writer` (the event loop's group-commit
writer), `wake` (waking the digesters) and `claim` (leasing rows to a digest worker).
"""
