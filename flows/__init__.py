"""Prefect flows and the `corpus` command. Importing the package sets the Prefect settings every
entry point needs (flows/prefect_env.py), before any module of it imports Prefect."""

from flows.prefect_env import apply_defaults

apply_defaults()
