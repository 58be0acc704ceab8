"""A small ticketing/CRM API for the demo company: ``python -m examples.tickets``."""
