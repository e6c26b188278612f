"""Serving HTTP: the gunicorn worker, its HTTP/1 parser and WSGI bridge, its logging and its lifecycle hooks."""
