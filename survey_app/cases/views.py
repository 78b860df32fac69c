"""Case inbox."""
