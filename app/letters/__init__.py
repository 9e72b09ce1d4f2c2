"""Beslutsbrev: decision letters rendered as PDF/A with WeasyPrint, stored once per decision."""
