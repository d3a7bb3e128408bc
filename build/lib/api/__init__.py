"""FastAPI risk service: auth, roles, branch scoping, audit."""
