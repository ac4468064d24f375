"""Smile ID (KYC): the real adapter (`adapter.py`) and its offline sandbox (`sandbox.py`)."""
