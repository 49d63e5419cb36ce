"""matplotlib drawing functions shared by the GUI and the PDF (Figure/Axes objects only, no global plotting state)."""
