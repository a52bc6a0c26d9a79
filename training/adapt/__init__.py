"""Label-free adaptation of a trained network to a camera."""
