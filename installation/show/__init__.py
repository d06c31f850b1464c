"""The show: its TOML model (pydantic), error messages for technicians, and the pure schedule."""
