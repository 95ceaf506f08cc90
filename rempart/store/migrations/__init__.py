"""The schema migrations of the state database, as data: ``NNNN_name.sql`` files.

Numbered from 0001 without gaps; each file holds SQL statements, one per line end
(``;`` closing a line), comments with ``--``. A new feature adds the next number; a
migration that shipped is never edited. See :mod:`rempart.store.schema`.
"""

__all__: list[str] = []
