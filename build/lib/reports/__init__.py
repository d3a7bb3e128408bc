"""Scheduled PDF reports (Jinja2 + WeasyPrint), i18n and e-mail delivery."""
