"""Scheduled PDF reports for branch heads and HR: the data of each report from the
store and the bank's tables (``context``, ``branch``, ``hr``), Jinja2 templates with
autoescape and SVG charts (``templates/``, ``charts``), English and Chinese
(``i18n``), WeasyPrint PDFs rendered in worker processes (``render``, ``build``),
``reports.yaml`` (``config``), e-mail through the store's outbox (``delivery``,
``send``) and the schedules (``schedule``)."""
