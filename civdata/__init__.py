"""The Civilized City Dashboard's domain and data layer (never imports streamlit)."""

__all__ = ["__version__"]
__version__ = "0.1.0"
