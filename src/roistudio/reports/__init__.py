"""Report model and its writers: xlsx (openpyxl) and pdf (reportlab). No Qt."""
