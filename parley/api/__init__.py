"""The HTTP surfaces. Routes only translate HTTP to service calls and back."""
