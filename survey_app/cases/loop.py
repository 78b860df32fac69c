"""Closing the loop with the parent on their own survey link (built by the cases feature)."""

from survey_app.dossiers.models import Dossier


def loop_page(dossier: Dossier):
    """The page /s/<token> shows once the dossier's case is resolved, else None."""
    return None
