"""FastAPI risk service: auth, roles, branch scoping, audit.

``main.create_app`` builds the app (``core``: settings read at start-up), ``deps`` gives
each route the store and the caller's scope, ``routes/`` holds one module per
resource, ``schemas`` the response models. Every route asks the scope what the caller
may see; none checks roles itself.
"""
