"""The heavy stages on a Ray cluster, when one is named (``--ray ADDRESS``, ``RECSYS_RAY_ADDRESS``).

What goes out: a snapshot of the store written by DuckDB as Parquet files into a folder every
node can read (``ClusterConfig.shared_dir``), and this package itself (Ray's ``py_modules``), so
the workers run the same code as the local path: the same encoder class embeds a text, the
same engine ranks a user. What comes back: Parquet files in the same folder, read here and
written to DuckDB in one transaction by the caller; a failed or cancelled job writes nothing.
The store and the app stay on this machine.

- :mod:`recsys_core.cluster.snapshot`: the store's tables to Parquet and back.
- :mod:`recsys_core.cluster.ray_jobs`: connecting, and the jobs (embedding, all-user lists).
"""
