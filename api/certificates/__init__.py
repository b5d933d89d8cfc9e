"""Certificate endpoints, PDFs, the QR signer, the status list and public verification."""
