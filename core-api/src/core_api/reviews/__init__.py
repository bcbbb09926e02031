"""Weekly reviews: computed by the coach, stored here, read by the trader."""
