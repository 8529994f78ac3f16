"""Render: charts, Excel, CSV, calendar and PDF files from read-models. Imports only senlib.core."""
