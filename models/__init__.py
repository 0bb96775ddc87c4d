"""The domain of the hotline: tables, rules, reference data and the engines that work on cases.

Shared by the agent terminal and the central server. Imports neither Textual, FastAPI nor httpx.
"""
