"""matplotlib drawing functions shared by the GUI and the PDF (Figure/Axes only, never pyplot)."""
