"""Routers of the station app, one per page (plus sign-in)."""
