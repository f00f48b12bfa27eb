"""The lab: a local FastAPI app and one static page over the library (``neuromosaic lab``)."""

from .app import create_app
from .compute import Limits

__all__ = ["Limits", "create_app"]
