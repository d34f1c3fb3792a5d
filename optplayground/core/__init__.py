"""The computing core: torch and numpy only. Nothing here may import Qt."""
