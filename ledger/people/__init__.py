"""Personal data: resident ID numbers, names, the encrypted vault and the persons table."""
