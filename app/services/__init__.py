"""Services: they own the rules' application and the transaction; only they write state."""
