"""The PDFs Marsa prints, drawn with reportlab: the certificate (``certificate``, which also holds
the font, the Arabic shaping and the measured line wrapping the others use), the one-time password
slips (``slips``) and the institute report (``report``).

Nothing is imported here, so reportlab loads only when a PDF is drawn."""
