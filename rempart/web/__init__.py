"""The dashboard: a Starlette application served by ``rempart server``.

Pages read the server database through read-only connections (:class:`ReadPool`) and change
state only through commands: the server's own control table (``ack``) and the agents'
control sockets (``ban``, ``unban``, ``allow``) — the interface the CLI uses.

Layout: :mod:`deps` (what the app is given), :mod:`app` (the application and its
middleware order), :mod:`auth` (sessions, login), :mod:`security` (headers, CSRF),
:mod:`templating` (Jinja2, text in French and English), one module per page.
"""
